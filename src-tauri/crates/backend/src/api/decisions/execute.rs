//! Executing an approved write against the backend's own system-of-record tables (refunds, CRM
//! fields), recorded so it can be rolled back.

use crate::api::problem::{Problem, problem, unprocessable};
use crate::db::sql::{Sql, args};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use countersign_core::{Micros, PendingAction, RecordChange};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The proposed value `key` as text (empty when absent).
fn proposed_str(a: &PendingAction, key: &str) -> String {
    a.proposed
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Executes the write against the system-of-record tables; returns the change made.
pub(super) fn execute(
    c: &mut dyn Sql,
    a: &PendingAction,
    vals: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<RecordChange, Problem> {
    let get = |k: &str| vals.get(k).cloned().unwrap_or_else(|| proposed_str(a, k));
    let (system, record_id, field, before, after) = match a.kind.as_str() {
        "issue_refund" => {
            let order = get("order_id");
            let amount_text = get("amount");
            let amount = Micros::parse_usd(&amount_text).map_err(|e| {
                unprocessable(
                    "invalid-field",
                    "Invalid field value",
                    &format!("field amount: {e}"),
                )
                .with("field", json!("amount"))
            })?;
            let currency = get("currency");
            c.exec(
                "INSERT INTO refunds(refund_id, action_id, order_id, amount_micros, currency, region, created_at)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![format!("rf_{}", a.action_id), a.action_id, order, amount.0, currency, get("region"), now.to_rfc3339()],
            )?;
            (
                "billing",
                order,
                "refund".to_string(),
                Value::Null,
                json!({"amount": amount_text, "currency": currency}),
            )
        }
        "update_crm_field" => {
            let record = get("record_id");
            let field = get("field");
            let value = get("value");
            let current = c.text(
                "SELECT value FROM crm_fields WHERE record_id = ?1 AND field = ?2",
                args![record, field],
            )?;
            let before = current.or_else(|| {
                a.fields
                    .iter()
                    .find(|f| f.name == "value")
                    .and_then(|f| f.current.clone())
            });
            c.exec(
                "INSERT INTO crm_fields(record_id, field, value, updated_at) VALUES(?1, ?2, ?3, ?4)
                 ON CONFLICT(record_id, field) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                args![record, field, value, now.to_rfc3339()],
            )?;
            (
                "crm",
                record,
                field,
                before.map(Value::String).unwrap_or(Value::Null),
                json!(value),
            )
        }
        other => {
            return Err(problem(
                StatusCode::CONFLICT,
                "unsupported",
                "Unsupported action",
                &format!("this backend cannot execute {other}"),
            ));
        }
    };
    c.exec(
        "INSERT INTO executions(action_id, system, record_id, field, before, after) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        args![a.action_id, system, record_id, field, before.to_string(), after.to_string()],
    )?;
    Ok(RecordChange {
        system: system.into(),
        record_id,
        field,
        before,
        after,
        action_id: Some(a.action_id.clone()),
    })
}
