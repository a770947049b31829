//! CRM update: look up the account, enrich it from the companies registry, search the CRM
//! update rules, and hold the field update for review (an `update_crm_field` action).

use super::{Context, Draft};
use crate::generate::common::{Step, kb_search, pick, step};
use chrono::Duration;
use countersign_core::{
    ActionStatus, ConfirmMode, FieldKind, Outcome, PendingAction, RecordChange, ReviewField,
    RiskLevel, TargetRecord,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Drafts one run of the workflow.
pub(super) fn draft(rng: &mut ChaCha8Rng, cx: &Context<'_>) -> Draft {
    let &Context {
        started_at,
        tenant,
        run_id,
        action_id,
        confidence,
    } = cx;
    let mut steps: Vec<Step> = Vec::new();
    let mut citations_from: Vec<(usize, &'static str)> = Vec::new();
    let mut changes = Vec::new();
    let record_id = format!("ACC-{}", rng.random_range(1000..9999));
    let company = *pick(
        rng,
        &[
            "Acme GmbH",
            "Globex Ltd",
            "Initech SA",
            "Umbrella BV",
            "Hooli Inc",
        ],
    );
    let (field, kind, current, value) = *pick(
        rng,
        &[
            ("industry", FieldKind::Text, "Retail", "E-commerce"),
            ("employee_band", FieldKind::Text, "50-199", "200-499"),
            ("billing_region", FieldKind::Region, "DE", "NL"),
            (
                "industry",
                FieldKind::Text,
                "Manufacturing",
                "Industrial machinery",
            ),
        ],
    );
    let inputs = json!({"record_id": record_id, "request": format!("Refresh company attributes for {company}")});
    steps.push(step(
        "crm_lookup",
        json!({"record_id": record_id}),
        json!({"record_id": record_id, "company": company, field: current}),
        format!("{company}: {field} = {current}"),
        rng.random_range(80..200),
    ));
    let retrieved = started_at - Duration::days(rng.random_range(0..5));
    steps.push(step(
        "enrich_company",
        json!({"company": company}),
        json!({field: value, "source": "companies-registry", "retrieved_at": retrieved.to_rfc3339()}),
        format!("{field} → {value}"),
        rng.random_range(500..1500),
    ));
    steps.push(kb_search(rng, "CRM automated update rules", &["kb_201"]));
    citations_from.push((2, "kb_201"));
    steps.push(step(
        "update_crm_field",
        json!({"record_id": record_id, "field": field, "value": value}),
        json!({"status": "pending_approval", "action_id": action_id}),
        "held for reviewer approval".into(),
        100,
    ));
    let outcome = Outcome::Pending;
    let decision = "awaiting_approval";
    let rationale = format!(
        "The companies registry reports {field} = {value} (retrieved {}); the CRM says {current}.",
        retrieved.date_naive()
    );
    let outputs = json!({"proposed_update": {"field": field, "value": value}});
    changes.push(RecordChange {
        system: "crm".into(),
        record_id: record_id.clone(),
        field: field.into(),
        before: json!(current),
        after: json!(value),
        action_id: Some(action_id.to_string()),
    });
    let high = field == "billing_region";
    let action = Some(PendingAction {
        action_id: action_id.to_string(),
        revision: 1,
        run_id: run_id.to_string(),
        tenant: tenant.into(),
        kind: "update_crm_field".into(),
        title: format!("Update {field} of {company}"),
        target: TargetRecord {
            system: "crm".into(),
            record_id: record_id.clone(),
        },
        risk: if high {
            RiskLevel::High
        } else {
            RiskLevel::Low
        },
        fields: vec![
            ReviewField {
                name: "record_id".into(),
                label: "Record".into(),
                kind: FieldKind::Identifier,
                value: record_id.clone(),
                current: None,
                confirm: ConfirmMode::Tick,
                editable: false,
                required: true,
                kind_source: countersign_core::KindSource::Declared,
            },
            ReviewField {
                name: "field".into(),
                label: "Field".into(),
                kind: FieldKind::Identifier,
                value: field.into(),
                current: None,
                confirm: ConfirmMode::Tick,
                editable: false,
                required: true,
                kind_source: countersign_core::KindSource::Declared,
            },
            ReviewField {
                name: "value".into(),
                label: "New value".into(),
                kind,
                value: value.into(),
                current: Some(current.into()),
                confirm: if high {
                    ConfirmMode::Reenter
                } else {
                    ConfirmMode::Tick
                },
                editable: true,
                required: true,
                kind_source: countersign_core::KindSource::Declared,
            },
        ],
        proposed: json!({"record_id": record_id, "field": field, "value": value}),
        rationale: rationale.clone(),
        confidence: Some(confidence),
        policy_checks: vec![],
        deny_reasons: vec![
            "Source not traceable".into(),
            "Wrong record".into(),
            "Value incorrect".into(),
        ],
        escalate_to: Some("reviewer".into()),
        rollback_supported: true,
        escalated_to: None,
        field_rules: Default::default(),
        allowed_decisions: vec![],
        status: ActionStatus::Pending,
        requested_at: started_at,
        expires_at: started_at,
        decided_by: None,
        decided_at: None,
        updated_at: started_at,
        batch: None,
        opaque_payload: false,
    });
    Draft {
        inputs,
        steps,
        citations_from,
        checks: vec![],
        outcome,
        decision,
        rationale,
        outputs,
        changes,
        action,
        ticket: None,
    }
}
