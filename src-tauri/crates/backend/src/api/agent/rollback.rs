//! The agent's side of rolling back a write it executed itself: it learns of the console's
//! request (`GET /v1/actions/{id}/rollback?wait=N`, a long-poll like the decision's), undoes
//! the write as its rollback descriptor says, and confirms once (`POST
//! /v1/actions/{id}/rolled-back`): the action becomes `rolled_back`, or carries why the agent
//! could not undo it (and may be asked again).

use super::actions::{OutcomeBody, owned};
use super::long_poll::{WaitQuery, long_poll};
use super::validate::{self};
use super::{Agent, AgentResult, AppState, body_json};
use crate::api::decisions::rollback::mark_rollback;
use crate::api::problem::{Problem, invalid_field, problem};
use crate::api::with_db;
use crate::db::{self, agent as store};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use countersign_core::{ActionStatus, PendingAction};
use serde_json::{Value, json};

/// What the agent learns of the rollback of its action.
fn view(id: &str, a: &PendingAction, r: &store::AgentRollback) -> Value {
    json!({
        "action_id": id,
        "status": a.status.as_str(),
        "state": r.state.as_deref().unwrap_or("none"),
        "request": r.request,
        "result": r.result,
        "rollback": r.descriptor,
    })
}

/// `GET /v1/actions/{action_id}/rollback?wait=N` (agents): whether a rollback of the action
/// is requested (`state: requested`), done, failed or not asked (`none`); held up to `wait`
/// seconds while nothing is requested.
pub(super) async fn wait_request(
    st: AppState,
    Extension(agent): Extension<Agent>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> AgentResult {
    let read = || {
        let (a, key) = (agent.clone(), id.clone());
        with_db(&st.0, move |c| {
            owned(c, &a, &key)?;
            let j = db::get_json(c, "actions", &key)?.unwrap_or_default();
            let action: PendingAction = serde_json::from_str(&j)?;
            let r = store::rollback_of(c, &key)?.unwrap_or_default();
            Ok(view(&key, &action, &r))
        })
    };
    long_poll(&st, &id, &q, read, |v| v["state"] != "none", |_, _| None).await
}

/// `POST /v1/actions/{action_id}/rolled-back` (agents): the outcome of a requested rollback,
/// reported once per request; the same report again is answered as before, another is a 409.
pub(super) async fn post_rolled_back(
    st: AppState,
    Extension(agent): Extension<Agent>,
    Path(id): Path<String>,
    body: Bytes,
) -> AgentResult {
    let b: OutcomeBody = validate::record(body_json(&body)?)?;
    let done = match b.status.as_str() {
        "rolled_back" => true,
        "failed" => false,
        _ => return Err(invalid_field("status", "must be rolled_back or failed")),
    };
    validate::optional_text("error", b.error.as_deref(), validate::MAX_STRING)?;
    if !done && b.error.as_deref().is_none_or(|e| e.trim().is_empty()) {
        return Err(invalid_field("error", "a failed rollback says why"));
    }
    let result = json!(b);
    let key = id.clone();
    let (v, replayed) = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        // Locked first: reports of one action (on two server processes too) take turns.
        let j = db::get_json_for_update(&mut tx, "actions", &key)?.unwrap_or_default();
        owned(&mut tx, &agent, &key)?;
        let mut a: PendingAction = serde_json::from_str(&j)?;
        let r = store::rollback_of(&mut tx, &key)?.unwrap_or_default();
        let conflict = |detail: String| -> Problem {
            problem(
                StatusCode::CONFLICT,
                "no-rollback-requested",
                "No rollback requested",
                &detail,
            )
            .with("current_status", json!(a.status.as_str()))
        };
        match r.state.as_deref() {
            Some("requested") => {}
            Some(_) if r.result.as_ref() == Some(&result) => {
                return Ok((json!({"action": a, "replayed": true}), true));
            }
            Some(s) => {
                return Err(conflict(format!(
                    "the rollback of {key} was already reported {s}"
                )));
            }
            None => return Err(conflict(format!("no rollback of {key} was requested"))),
        }
        let now = Utc::now();
        if done {
            a.status = ActionStatus::RolledBack;
            mark_rollback(
                &mut a,
                true,
                format!("rolled back by the agent at {}", now.to_rfc3339()),
            );
        } else {
            mark_rollback(
                &mut a,
                false,
                format!(
                    "the agent could not undo the write: {}",
                    b.error.as_deref().unwrap_or_default()
                ),
            );
        }
        a.revision += 1;
        a.updated_at = now;
        let state = if done { "rolled_back" } else { "failed" };
        store::set_rollback(&mut tx, &key, state, None, Some(&result))?;
        db::save_action(&mut tx, &a)?;
        tx.commit()?;
        Ok((json!({"action": a, "replayed": false}), false))
    })
    .await?;
    if !replayed {
        st.0.wakeups.wake(&id);
    }
    Ok(axum::Json(v).into_response())
}
