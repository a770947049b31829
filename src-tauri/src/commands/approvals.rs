//! The approval queue: list, review warnings, open for review, decide (through the outbox),
//! roll back. The store side of deciding is in [`super::review_gate`].

use super::review_gate::{self, OpenedReview};
use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use crate::worker;
use countersign_core::review::{self, ReviewInput, Warning};
use countersign_core::{ActionStatus, PendingAction};
use countersign_store::outbox::{self, Entry};
use countersign_store::{actions, backends};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tauri::{AppHandle, State};

/// An action with where it came from and its status as of now (expired is distinct).
#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "ActionItem")]
pub struct ActionView {
    backend_id: String,
    backend_name: String,
    action: PendingAction,
    effective_status: ActionStatus,
}

/// The most actions [`list_actions`] returns; the list says how many there are beyond them.
pub const LIST_CAP: u32 = 5_000;

/// A list of actions: the first [`LIST_CAP`] most urgent, and how many match in all.
#[derive(Serialize, ts_rs::TS)]
pub struct ActionList {
    /// Most urgent first.
    items: Vec<ActionView>,
    /// Actions with the status asked for (all of them when none was), listed or not.
    total: u64,
    /// Of those, how many are pending and unexpired, listed or not.
    pending: u64,
}

/// Synced actions, most urgent first, optionally with one stored status: at most
/// [`LIST_CAP`], with the total so the UI says when the list stops short.
#[tauri::command]
pub async fn list_actions(
    state: State<'_, Arc<AppState>>,
    status: Option<String>,
) -> CmdResult<ActionList> {
    with_store(&state, move |s| {
        let names: HashMap<String, String> = backends::list(s.conn())?
            .into_iter()
            .map(|b| (b.backend_id, b.name))
            .collect();
        let now = chrono::Utc::now();
        let items = actions::list(s.conn(), status.as_deref(), Some(LIST_CAP))?
            .into_iter()
            .map(|(backend_id, action)| ActionView {
                backend_name: names.get(&backend_id).cloned().unwrap_or_default(),
                effective_status: action.effective_status(now),
                backend_id,
                action,
            })
            .collect();
        let total = actions::count(s.conn(), status.as_deref())?;
        let pending = match status.as_deref() {
            None | Some("pending") => actions::pending_at(s.conn(), now)?,
            Some(_) => 0,
        };
        Ok(ActionList {
            items,
            total,
            pending,
        })
    })
    .await
}

/// Approvals faster than this after opening are flagged `too_fast` in the audit trail:
/// `COUNTERSIGN_MIN_REVIEW_MS`, else [`countersign_core::review::DEFAULT_MIN_REVIEW_MS`].
pub fn min_review_ms() -> u64 {
    std::env::var("COUNTERSIGN_MIN_REVIEW_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(countersign_core::review::DEFAULT_MIN_REVIEW_MS)
}

/// Records, in the store, that this backend's reviewer opened the action for review now: the
/// review panel calls it when it opens, and the decision's time to decide counts from it.
#[tauri::command]
pub async fn open_review(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    action_id: String,
) -> CmdResult<OpenedReview> {
    with_store(&state, move |s| {
        review_gate::open(s, &backend_id, &action_id, chrono::Utc::now())
    })
    .await
}

/// Checks a review (for the backend's reviewer, with their roles, from their recorded opening)
/// and queues the decision with its audit event, then sends it.
#[tauri::command]
pub async fn decide_action(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    action_id: String,
    review: ReviewInput,
) -> CmdResult<Entry> {
    let min_review = std::time::Duration::from_millis(min_review_ms());
    let bid = backend_id.clone();
    let entry = with_store(&state, move |s| {
        review_gate::decide(s, &bid, &action_id, &review, min_review, chrono::Utc::now())
    })
    .await?;
    tracing::info!(backend = %backend_id, action = %entry.action_id, "decision queued");
    worker::deliver_soon(&app, &state, backend_id);
    Ok(entry)
}

/// Queues the rollback of an executed write (a recorded decision of its own), then sends it.
#[tauri::command]
pub async fn rollback_action(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    action_id: String,
    reason: String,
) -> CmdResult<Entry> {
    let bid = backend_id.clone();
    let entry = with_store(&state, move |s| {
        review_gate::rollback(s, &bid, &action_id, &reason, chrono::Utc::now())
    })
    .await?;
    worker::deliver_soon(&app, &state, backend_id);
    Ok(entry)
}

/// Decisions and rollbacks with their delivery state (waiting to send, delivered, conflict).
#[tauri::command]
pub async fn list_outbox(
    state: State<'_, Arc<AppState>>,
    backend_id: Option<String>,
    action_id: Option<String>,
) -> CmdResult<Vec<Entry>> {
    with_store(&state, move |s| {
        let key = backend_id.as_deref().zip(action_id.as_deref());
        Ok(outbox::list(s.conn(), key, 200)?)
    })
    .await
}

/// The traps in the values a reviewer is about to confirm (confusables, hidden characters,
/// locale-ambiguous amounts, invalid values), computed by the same rules that gate approval.
#[tauri::command]
pub async fn review_warnings(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    action_id: String,
    values: BTreeMap<String, String>,
) -> CmdResult<Vec<Warning>> {
    with_store(&state, move |s| {
        let a = actions::get(s.conn(), &backend_id, &action_id)?
            .ok_or_else(|| CmdError::new("not_found", format!("no action {action_id}")))?;
        Ok(review::review_warnings(&a.fields, &values, &a.field_rules))
    })
    .await
}
