//! What the approval commands do with the store, apart from Tauri: who the decider is on the
//! action's backend (identity and roles as the console knows them, never as the caller says),
//! when they opened the item, and the queued decision or rollback. `decide_action`,
//! `open_review` and `rollback_action` are these functions on the app's store, so the tests
//! below call exactly what the commands call.

use crate::error::{CmdError, CmdResult};
use chrono::{DateTime, Utc};
use countersign_core::authority::holds;
use countersign_core::review::ReviewInput;
use countersign_core::{Role, Whoami};
use countersign_store::outbox::Entry;
use countersign_store::rusqlite::Connection;
use countersign_store::{Store, backends};
use countersign_sync::decide::{
    DecideError, Reviewer, open_review, queue_decision, queue_rollback,
};
use serde::Serialize;
use std::time::Duration;

/// When the console recorded that this reviewer opened the item (`open_review`); their
/// decision's time to decide counts from it.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct OpenedReview {
    /// The recorded opening time.
    pub opened_at: DateTime<Utc>,
}

/// The identity that decides on a backend.
struct Decider {
    subject: String,
    roles: Vec<Role>,
}

/// The decider on `backend_id`: its stored identity, refused unless it holds reviewer (or
/// admin). On a backend without users (LangGraph) the roles are
/// [`countersign_connect::CONSOLE_ROLES`] whatever is stored, so finance and admin
/// escalations there cannot be decided from the console.
fn decider_on(conn: &Connection, backend_id: &str) -> CmdResult<Decider> {
    let b = backends::get(conn, backend_id)?
        .ok_or_else(|| CmdError::new("not_found", format!("no backend {backend_id}")))?;
    let Some(Whoami {
        subject,
        display_name,
        roles,
        ..
    }) = b.whoami
    else {
        return Err(CmdError::new(
            "forbidden",
            format!("identity on {} unknown yet; sync first", b.name),
        ));
    };
    let roles = if b.kind == countersign_connect::Kind::LangGraph.as_str() {
        countersign_connect::CONSOLE_ROLES.to_vec()
    } else {
        roles
    };
    if !holds(&roles, Role::Reviewer) {
        return Err(CmdError::new(
            "forbidden",
            format!("{display_name} is not a reviewer on {}", b.name),
        ));
    }
    Ok(Decider { subject, roles })
}

impl Decider {
    /// This decider as the sync crate's reviewer, flagging approvals faster than `min_review`.
    fn reviewer(&self, min_review: Duration) -> Reviewer<'_> {
        Reviewer {
            actor: &self.subject,
            roles: &self.roles,
            min_review,
        }
    }
}

fn decide_error(e: DecideError) -> CmdError {
    CmdError::new(e.code(), e.to_string())
}

/// Records that the backend's reviewer opened `action_id` at `now` (`open_review`).
pub fn open(
    s: &mut Store,
    backend_id: &str,
    action_id: &str,
    now: DateTime<Utc>,
) -> CmdResult<OpenedReview> {
    let d = decider_on(s.conn(), backend_id)?;
    let who = d.reviewer(Duration::ZERO);
    let opened_at = open_review(s, backend_id, action_id, &who, now).map_err(decide_error)?;
    Ok(OpenedReview { opened_at })
}

/// Checks `review` for the backend's reviewer and queues the decision (`decide_action`).
pub fn decide(
    s: &mut Store,
    backend_id: &str,
    action_id: &str,
    review: &ReviewInput,
    min_review: Duration,
    now: DateTime<Utc>,
) -> CmdResult<Entry> {
    let d = decider_on(s.conn(), backend_id)?;
    let who = d.reviewer(min_review);
    queue_decision(s, backend_id, action_id, review, &who, now).map_err(decide_error)
}

/// Queues the rollback of an executed write by the backend's reviewer (`rollback_action`).
pub fn rollback(
    s: &mut Store,
    backend_id: &str,
    action_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> CmdResult<Entry> {
    let d = decider_on(s.conn(), backend_id)?;
    let who = d.reviewer(Duration::ZERO);
    queue_rollback(s, backend_id, action_id, reason, &who, now).map_err(decide_error)
}

#[cfg(test)]
mod tests;
