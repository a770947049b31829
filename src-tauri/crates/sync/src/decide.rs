//! Turning a reviewer's review into a queued decision (or rollback): checked against the
//! structured-field rules, written to the outbox in the same transaction as its audit event,
//! before anything is sent.

use chrono::{DateTime, Utc};
use countersign_core::review::{ReviewError, ReviewInput, check_review};
use countersign_core::{ActionStatus, DecisionKind};
use countersign_store::outbox::{self, Entry, NewEntry};
use countersign_store::{Store, StoreError, actions, audit};
use std::time::Duration;

/// Why a decision could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The action is not in the store.
    #[error("no action {0} in the store")]
    UnknownAction(String),
    /// The review is incomplete or the action cannot be decided.
    #[error("{0}")]
    Review(#[from] ReviewError),
    /// The store refused (e.g. a decision for this action is already waiting to send).
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Rollback is not possible for this action.
    #[error("{0}")]
    NotRollbackable(String),
}

impl DecideError {
    /// Stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            DecideError::UnknownAction(_) => "not_found",
            DecideError::Review(ReviewError::NotPending(ActionStatus::Expired)) => "expired",
            DecideError::Review(ReviewError::NotPending(_)) => "conflict",
            DecideError::Review(_) => "review_incomplete",
            DecideError::Store(StoreError::Invalid(_)) => "already_queued",
            DecideError::Store(_) => "store",
            DecideError::NotRollbackable(_) => "conflict",
        }
    }
}

/// Who decided and when the item was opened.
pub struct Reviewer<'a> {
    /// Actor name recorded in the audit trail.
    pub actor: &'a str,
    /// When the reviewer opened the item (for time-to-decide).
    pub opened_at: Option<DateTime<Utc>>,
    /// Approvals faster than this are flagged in the audit trail.
    pub min_review: Duration,
}

fn new_key(backend_id: &str, action_id: &str, now: DateTime<Utc>) -> String {
    let r: u64 = rand::random();
    format!(
        "cs-{backend_id}-{action_id}-{}-{r:016x}",
        now.timestamp_nanos_opt().unwrap_or_default()
    )
}

/// Checks the review and queues the decision with its audit event, atomically.
pub fn queue_decision(
    store: &mut Store,
    backend_id: &str,
    action_id: &str,
    input: &ReviewInput,
    who: &Reviewer<'_>,
    now: DateTime<Utc>,
) -> Result<Entry, DecideError> {
    let tx = store.write()?;
    let action = actions::get(&tx, backend_id, action_id)?
        .ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    let key = new_key(backend_id, action_id, now);
    let decision = check_review(&action, &action.field_rules, input, now, key.clone())?;
    let body = serde_json::to_value(&decision).map_err(StoreError::from)?;
    let id = outbox::enqueue(
        &tx,
        &NewEntry {
            backend_id,
            action_id,
            op: "decision",
            idempotency_key: &key,
            body: &body,
            actor: who.actor,
            opened_at: who.opened_at,
            at: now,
        },
    )?;
    let took_ms = who.opened_at.map(|o| (now - o).num_milliseconds());
    let too_fast = decision.decision != DecisionKind::Deny
        && took_ms.is_some_and(|t| t < who.min_review.as_millis() as i64);
    let corrections: Vec<serde_json::Value> = action
        .fields
        .iter()
        .filter(|f| decision.fields.get(&f.name).is_some_and(|v| *v != f.value))
        .map(|f| serde_json::json!({"field": f.name, "proposed": f.value, "corrected": decision.fields[&f.name]}))
        .collect();
    audit::append(
        &tx,
        who.actor,
        countersign_core::audit::kinds::DECISION,
        &format!("{backend_id}/{action_id}"),
        serde_json::json!({
            "decision": decision.decision,
            "reason": decision.reason,
            "reviewed_fields": decision.fields,
            "corrections": corrections,
            "acknowledged_warnings": input.acknowledged,
            "time_to_decide_ms": took_ms,
            "too_fast": too_fast,
            "idempotency_key": key,
            "run_id": action.run_id,
            "action_kind": action.kind,
        }),
        now,
    )?;
    let entry =
        outbox::get(&tx, id)?.ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    tx.commit().map_err(StoreError::from)?;
    Ok(entry)
}

/// Queues the rollback of an executed write with its audit event, atomically.
pub fn queue_rollback(
    store: &mut Store,
    backend_id: &str,
    action_id: &str,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Entry, DecideError> {
    let tx = store.write()?;
    let action = actions::get(&tx, backend_id, action_id)?
        .ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    if action.status != ActionStatus::Executed || !action.rollback_supported {
        return Err(DecideError::NotRollbackable(format!(
            "action is {} and {} rollback",
            action.status.as_str(),
            if action.rollback_supported {
                "supports"
            } else {
                "does not support"
            }
        )));
    }
    if reason.trim().is_empty() {
        return Err(DecideError::Review(ReviewError::MissingReason));
    }
    let key = new_key(backend_id, action_id, now);
    let body = serde_json::json!({"idempotency_key": key, "reason": reason.trim()});
    let id = outbox::enqueue(
        &tx,
        &NewEntry {
            backend_id,
            action_id,
            op: "rollback",
            idempotency_key: &key,
            body: &body,
            actor,
            opened_at: None,
            at: now,
        },
    )?;
    audit::append(
        &tx,
        actor,
        countersign_core::audit::kinds::ROLLBACK,
        &format!("{backend_id}/{action_id}"),
        serde_json::json!({"reason": reason.trim(), "idempotency_key": key, "run_id": action.run_id}),
        now,
    )?;
    let entry =
        outbox::get(&tx, id)?.ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    tx.commit().map_err(StoreError::from)?;
    Ok(entry)
}
