//! Refund request: look up the order, search the refund policy, compute the refund and hold it
//! for review (an `issue_refund` action with the policy's limits as field rules), or fail when
//! the order does not exist.

use super::{Context, Draft};
use crate::generate::common::{Step, kb_search, money_text, pick, step};
use chrono::Duration;
use countersign_core::review::FieldRule;
use countersign_core::{
    ActionStatus, ConfirmMode, FieldKind, Outcome, PendingAction, PolicyCheck, RecordChange,
    ReviewField, RiskLevel, TargetRecord,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

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
    let mut checks = Vec::new();
    let mut changes = Vec::new();
    let mut action = None;
    let outcome;
    let decision;
    let rationale;
    let outputs;
    let us = tenant == "northwind-us";
    let (region, currency) = if us { ("US", "USD") } else { ("EU", "EUR") };
    let order_id = format!("ORD-{}", rng.random_range(100000..999999));
    let customer = format!("cus_{}", rng.random_range(1000..9999));
    let reason = *pick(
        rng,
        &[
            "damaged on arrival",
            "wrong size",
            "changed my mind",
            "item never arrived",
            "duplicate charge",
        ],
    );
    let inputs =
        json!({"order_id": order_id, "customer_id": customer, "reason": reason, "region": region});
    let total_cents: i64 = rng.random_range(500..60000);
    let found = !rng.random_bool(0.06);
    let delivered = started_at - Duration::days(rng.random_range(1..40));
    steps.push(if found {
        step(
            "lookup_order",
            json!({"order_id": order_id}),
            json!({"order_id": order_id, "total": money_text(total_cents), "currency": currency, "delivered_at": delivered.to_rfc3339(), "items": rng.random_range(1..4)}),
            format!("order {order_id}: {} {currency}", money_text(total_cents)),
            rng.random_range(100..250),
        )
    } else {
        let mut s = step("lookup_order", json!({"order_id": order_id}), Value::Null, "order not found".into(), 120);
        s.error = Some(format!("404: order {order_id} not found"));
        s
    });
    if !found {
        let mut s = step(
            "search_orders",
            json!({"customer_id": customer, "status": "delivered"}),
            json!({"matches": []}),
            "no matching orders".into(),
            rng.random_range(100..250),
        );
        s.error = Some(format!("no delivered order for {customer}"));
        steps.push(s);
        outcome = Outcome::Fail;
        decision = "failed";
        rationale = format!("Order {order_id} does not exist in the order system.");
        outputs = json!({"error": "order not found"});
    } else {
        let doc = if us {
            "kb_110"
        } else if rng.random_bool(0.2) {
            "kb_100"
        } else {
            "kb_101"
        };
        steps.push(kb_search(rng, "refund policy withdrawal period", &[doc]));
        citations_from.push((1, doc));
        let partial = rng.random_bool(0.2);
        let amount_cents = if partial {
            total_cents * rng.random_range(30..90) / 100
        } else {
            total_cents
        };
        let amount = money_text(amount_cents);
        steps.push(step(
            "compute_refund",
            json!({"order_total": money_text(total_cents), "policy": doc, "partial": partial}),
            json!({"amount": amount, "currency": currency}),
            format!("refund {amount} {currency}"),
            rng.random_range(40..90),
        ));
        let limit = if us { 20000 } else { 25000 };
        let within = amount_cents <= limit;
        checks.push(PolicyCheck {
            name: "amount_within_policy".into(),
            passed: within,
            detail: (!within).then(|| {
                format!(
                    "{amount} {currency} is above the agent limit of {} {currency}",
                    money_text(limit)
                )
            }),
        });
        checks.push(PolicyCheck {
            name: "region_allowed".into(),
            passed: true,
            detail: Some(format!("region {region}")),
        });
        steps.push(step(
            "issue_refund",
            json!({"order_id": order_id, "amount": amount, "currency": currency}),
            json!({"status": "pending_approval", "action_id": action_id}),
            "held for reviewer approval".into(),
            100,
        ));
        outcome = Outcome::Pending;
        decision = "awaiting_approval";
        rationale = format!(
            "Customer reports '{reason}'; delivery {} days ago is inside the window of {doc}.",
            (started_at - delivered).num_days()
        );
        outputs = json!({"proposed_refund": {"amount": amount, "currency": currency}});
        changes.push(RecordChange {
            system: "billing".into(),
            record_id: order_id.clone(),
            field: "refund".into(),
            before: Value::Null,
            after: json!({"amount": amount, "currency": currency}),
            action_id: Some(action_id.to_string()),
        });
        let field = |name: &str, label: &str, kind, value: &str, confirm, editable| ReviewField {
            name: name.into(),
            label: label.into(),
            kind,
            value: value.into(),
            current: None,
            confirm,
            editable,
            required: true,
            kind_source: countersign_core::KindSource::Declared,
        };
        action = Some(PendingAction {
            action_id: action_id.to_string(),
            revision: 1,
            run_id: run_id.to_string(),
            tenant: tenant.into(),
            kind: "issue_refund".into(),
            title: format!("Issue refund for {order_id}"),
            target: TargetRecord {
                system: "billing".into(),
                record_id: order_id.clone(),
            },
            risk: if within {
                RiskLevel::Medium
            } else {
                RiskLevel::High
            },
            fields: vec![
                field(
                    "amount",
                    "Refund amount",
                    FieldKind::Money,
                    &amount,
                    ConfirmMode::Reenter,
                    true,
                ),
                field(
                    "currency",
                    "Currency",
                    FieldKind::Currency,
                    currency,
                    ConfirmMode::Tick,
                    true,
                ),
                field(
                    "region",
                    "Region",
                    FieldKind::Region,
                    region,
                    ConfirmMode::Tick,
                    true,
                ),
                field(
                    "order_id",
                    "Order",
                    FieldKind::Identifier,
                    &order_id,
                    ConfirmMode::Tick,
                    false,
                ),
                field(
                    "exceptions",
                    "Policy exceptions",
                    FieldKind::Text,
                    if within { "none" } else { "above agent limit" },
                    ConfirmMode::Tick,
                    false,
                ),
            ],
            proposed: json!({"order_id": order_id, "amount": amount, "currency": currency, "region": region}),
            rationale: rationale.clone(),
            confidence: Some(confidence),
            policy_checks: vec![],
            deny_reasons: vec![
                "Amount does not match the order".into(),
                "Outside the refund window".into(),
                "Wrong currency".into(),
                "Suspected fraud".into(),
                "Policy cited is outdated".into(),
            ],
            escalate_to: Some("finance".into()),
            rollback_supported: true,
            escalated_to: None,
            field_rules: [
                (
                    "amount".to_string(),
                    FieldRule {
                        max: Some(money_text(limit)),
                        source: Some(doc.to_string()),
                        ..Default::default()
                    },
                ),
                (
                    "currency".to_string(),
                    FieldRule {
                        expected: Some(currency.to_string()),
                        source: Some(format!("order {order_id}")),
                        ..Default::default()
                    },
                ),
                (
                    "region".to_string(),
                    FieldRule {
                        allowed: vec![region.to_string()],
                        source: Some(doc.to_string()),
                        ..Default::default()
                    },
                ),
            ]
            .into(),
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
    }
    Draft {
        inputs,
        steps,
        citations_from,
        checks,
        outcome,
        decision,
        rationale,
        outputs,
        changes,
        action,
        ticket: None,
    }
}
