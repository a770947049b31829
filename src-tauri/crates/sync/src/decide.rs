//! Turning a reviewer's review into a queued decision (or rollback): checked against the
//! structured-field rules, written to the outbox in the same transaction as its audit event,
//! before anything is sent. The decider's roles and the time they opened the item come from
//! the console's side (their backend identity, and [`open_review`] recorded in the store), never
//! from the review itself, whatever the backend kind.

use chrono::{DateTime, Utc};
use countersign_core::authority::{RollbackError, check_rollback};
use countersign_core::review::{ReviewError, ReviewInput, check_review};
use countersign_core::{ActionStatus, DecisionKind, Role};
use countersign_store::outbox::{self, Entry, NewEntry};
use countersign_store::{Store, StoreError, actions, audit, decisions, review_opens};
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
    /// Rollback is not possible for this action (or not by this identity).
    #[error("{0}")]
    Rollback(#[from] RollbackError),
    /// An approval from a reviewer who never opened the item for review ([`open_review`]).
    #[error("{actor} has not opened {action_id} for review: open it, then decide")]
    NotOpened {
        /// Who tried to decide.
        actor: String,
        /// The action.
        action_id: String,
    },
}

impl DecideError {
    /// Stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            DecideError::UnknownAction(_) => "not_found",
            DecideError::Review(ReviewError::NotPending(ActionStatus::Expired)) => "expired",
            DecideError::Review(ReviewError::NotPending(_)) => "conflict",
            DecideError::Review(ReviewError::Authority(_)) => "forbidden",
            DecideError::Review(_) => "review_incomplete",
            DecideError::Store(StoreError::Invalid(_)) => "already_queued",
            DecideError::Store(_) => "store",
            DecideError::Rollback(RollbackError::Authority(_)) => "forbidden",
            DecideError::Rollback(RollbackError::MissingReason) => "review_incomplete",
            DecideError::Rollback(RollbackError::NotRollbackable { .. }) => "conflict",
            DecideError::NotOpened { .. } => "review_not_opened",
        }
    }
}

/// Who decides: their identity on the action's backend, as the console knows it (never as the
/// review says).
pub struct Reviewer<'a> {
    /// Actor name recorded in the audit trail (and the key of their [`open_review`]).
    pub actor: &'a str,
    /// Roles their identity holds on the backend (a LangGraph console identity holds reviewer
    /// and operator only: see `countersign_connect::console_reviewer`).
    pub roles: &'a [Role],
    /// Approvals faster than this after opening are flagged in the audit trail.
    pub min_review: Duration,
}

/// Records that `who` opened `action_id` for review now, and returns that time: the time to
/// decide of their next decision counts from the latest opening.
pub fn open_review(
    store: &mut Store,
    backend_id: &str,
    action_id: &str,
    who: &Reviewer<'_>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, DecideError> {
    let tx = store.write()?;
    actions::get(&tx, backend_id, action_id)?
        .ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    review_opens::record(&tx, backend_id, action_id, who.actor, now)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(now)
}

fn new_key(backend_id: &str, action_id: &str, now: DateTime<Utc>) -> String {
    let r: u64 = rand::random();
    format!(
        "cs-{backend_id}-{action_id}-{}-{r:016x}",
        now.timestamp_nanos_opt().unwrap_or_default()
    )
}

/// Checks the review (with the decider's roles) and queues the decision with its audit event,
/// atomically. The time to decide is measured from the decider's latest [`open_review`]; an
/// approval (plain or with edits) without one is refused (`review_not_opened`), a denial or
/// escalation without one is recorded with no time to decide.
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
    let decision = check_review(
        &action,
        &action.field_rules,
        input,
        who.roles,
        now,
        key.clone(),
    )?;
    let opened_at = review_opens::get(&tx, backend_id, action_id, who.actor)?;
    let approves = matches!(
        decision.decision,
        DecisionKind::Approve | DecisionKind::ApproveWithEdits
    );
    if approves && opened_at.is_none() {
        return Err(DecideError::NotOpened {
            actor: who.actor.to_string(),
            action_id: action_id.to_string(),
        });
    }
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
            opened_at,
            at: now,
        },
    )?;
    let took_ms = opened_at.map(|o| (now - o).num_milliseconds());
    let too_fast = decision.decision != DecisionKind::Deny
        && took_ms.is_some_and(|t| t < who.min_review.as_millis() as i64);
    let corrections: Vec<serde_json::Value> = action
        .fields
        .iter()
        .filter(|f| decision.fields.get(&f.name).is_some_and(|v| *v != f.value))
        .map(|f| serde_json::json!({"field": f.name, "proposed": f.value, "corrected": decision.fields[&f.name]}))
        .collect();
    let event = audit::append(
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
    let corrected: Vec<String> = corrections
        .iter()
        .filter_map(|c| c["field"].as_str().map(str::to_string))
        .collect();
    let kind = serde_json::to_value(decision.decision).map_err(StoreError::from)?;
    decisions::record(
        &tx,
        &decisions::NewDecision {
            backend_id,
            action_id,
            run_id: &action.run_id,
            action_kind: &action.kind,
            reviewer: who.actor,
            decision: kind.as_str().unwrap_or("approve"),
            decided_at: now,
            time_to_decide_ms: took_ms,
            too_fast,
            corrected_fields: &corrected,
            audit_seq: Some(event.seq as i64),
        },
        rand::random::<u32>() % 10_000,
    )?;
    let entry =
        outbox::get(&tx, id)?.ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    tx.commit().map_err(StoreError::from)?;
    Ok(entry)
}

/// Queues the rollback of an executed write with its audit event, atomically, once
/// [`check_rollback`] passes for the decider's roles.
pub fn queue_rollback(
    store: &mut Store,
    backend_id: &str,
    action_id: &str,
    reason: &str,
    who: &Reviewer<'_>,
    now: DateTime<Utc>,
) -> Result<Entry, DecideError> {
    let tx = store.write()?;
    let action = actions::get(&tx, backend_id, action_id)?
        .ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    let reason = check_rollback(&action, who.roles, reason)?;
    let actor = who.actor;
    let key = new_key(backend_id, action_id, now);
    let body = serde_json::json!({"idempotency_key": key, "reason": reason});
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
        serde_json::json!({"reason": reason, "idempotency_key": key, "run_id": action.run_id}),
        now,
    )?;
    let entry =
        outbox::get(&tx, id)?.ok_or_else(|| DecideError::UnknownAction(action_id.to_string()))?;
    tx.commit().map_err(StoreError::from)?;
    Ok(entry)
}
