//! Rollback of an executed write: the system-of-record change is undone and the reverse change
//! is added to the run. A write an agent executed itself is undone by that agent: the request
//! is recorded (the action gets a new revision carrying a `rollback` check that says so), the
//! agent sees it (`GET /v1/actions/{id}/rollback?wait=`) and confirms (`POST
//! /v1/actions/{id}/rolled-back`): the action becomes `rolled_back`, or says why it could not.

use super::{conflict, load_action, load_run, stored_response};
use crate::api::problem::Problem;
use crate::api::{ApiResult, AppState, ok_json, parse_body, require, with_db};
use crate::db;
use crate::db::sql::{Conn, Sql, args};
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use chrono::Utc;
use countersign_core::{ActionStatus, RecordChange, Role, Whoami};
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of a rollback request.
#[derive(Deserialize)]
struct RollbackBody {
    idempotency_key: String,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/actions/{action_id}/rollback` (reviewers).
pub(crate) async fn rollback(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Reviewer])?;
    let b: RollbackBody = parse_body(&body)?;
    super::require_idempotency_key(&b.idempotency_key)?;
    let key = id.clone();
    let v = with_db(&st.0, move |c| rollback_tx(c, &key, &b, &who)).await?;
    if v["replayed"] == json!(false) && v["rollback"]["state"] == json!("requested") {
        // The agent waiting for rollback requests hears of it.
        crate::api::agent::announce(&st.0, &id).await;
    }
    ok_json(&v)
}

/// The check an agent's action carries while its rollback is requested or after it failed.
pub(crate) const ROLLBACK_CHECK: &str = "rollback";

/// Replaces the action's `rollback` check with one saying `detail`.
pub(crate) fn mark_rollback(a: &mut countersign_core::PendingAction, passed: bool, detail: String) {
    a.policy_checks.retain(|c| c.name != ROLLBACK_CHECK);
    a.policy_checks.push(countersign_core::PolicyCheck {
        name: ROLLBACK_CHECK.into(),
        passed,
        detail: Some(detail),
    });
}

/// Records the request to roll back agent action `a` (executed by the agent, which undoes it
/// and confirms), in the caller's transaction.
fn request_agent_rollback(
    tx: &mut dyn Sql,
    a: &mut countersign_core::PendingAction,
    b: &RollbackBody,
    who: &Whoami,
    state: Option<&str>,
) -> Result<Value, Problem> {
    let now = Utc::now();
    if state == Some("requested") {
        return Err(conflict(
            a,
            "a rollback of this action is already requested",
        ));
    }
    let request = json!({
        "requested_by": who.subject,
        "requested_at": now,
        "reason": b.reason,
    });
    db::agent::set_rollback(tx, &a.action_id, "requested", Some(&request), None)?;
    mark_rollback(
        a,
        true,
        format!(
            "rollback requested by {} at {}; waiting for the agent to undo the write",
            who.subject,
            now.to_rfc3339()
        ),
    );
    a.revision += 1;
    a.updated_at = now;
    db::save_action(tx, a)?;
    Ok(json!({"action": a, "replayed": false,
              "rollback": {"state": "requested", "request": request}}))
}

/// Rolls back action `id` in one transaction and stores the response under the idempotency
/// key.
fn rollback_tx(
    c: &mut Conn<'_>,
    id: &str,
    b: &RollbackBody,
    who: &Whoami,
) -> Result<Value, Problem> {
    let now = Utc::now();
    let mut tx = c.begin()?;
    let mut a = load_action(&mut tx, id)?;
    if let Some(v) = stored_response(&mut tx, "rollback", id, &b.idempotency_key)? {
        return Ok(v);
    }
    if a.status != ActionStatus::Executed {
        return Err(conflict(
            &a,
            &format!("action {id} is {}, not executed", a.status.as_str()),
        ));
    }
    if !a.rollback_supported {
        return Err(conflict(&a, &format!("action {id} cannot be rolled back")));
    }
    if let Some(agent) = db::agent::rollback_of(&mut tx, id)? {
        let resp = request_agent_rollback(&mut tx, &mut a, b, who, agent.state.as_deref())?;
        tx.exec(
            "INSERT INTO decisions(op, action_id, idempotency_key, response, reason, decided_at) VALUES('rollback', ?1, ?2, ?3, ?4, ?5)",
            args![id, b.idempotency_key, resp.to_string(), b.reason, now.to_rfc3339()],
        )?;
        tx.commit()?;
        return Ok(resp);
    }
    let mut r = tx
        .row(
            "SELECT system, record_id, field, before, after FROM executions WHERE action_id = ?1",
            args![id],
        )?
        .ok_or_else(|| conflict(&a, "no execution record to undo"))?;
    let (system, record_id, field, before, after) =
        (r.text(0)?, r.text(1)?, r.text(2)?, r.text(3)?, r.text(4)?);
    let before: Value = serde_json::from_str(&before)?;
    let after: Value = serde_json::from_str(&after)?;
    match system.as_str() {
        "billing" => {
            tx.exec("DELETE FROM refunds WHERE action_id = ?1", args![id])?;
        }
        "crm" => match before.as_str() {
            Some(v) => {
                tx.exec(
                    "UPDATE crm_fields SET value = ?3, updated_at = ?4 WHERE record_id = ?1 AND field = ?2",
                    args![record_id, field, v, now.to_rfc3339()],
                )?;
            }
            None => {
                tx.exec(
                    "DELETE FROM crm_fields WHERE record_id = ?1 AND field = ?2",
                    args![record_id, field],
                )?;
            }
        },
        _ => return Err(conflict(&a, "rollback unsupported for this system")),
    }
    a.status = ActionStatus::RolledBack;
    a.revision += 1;
    a.updated_at = now;
    db::save_action(&mut tx, &a)?;
    if let Some(mut r) = load_run(&mut tx, &a.run_id)? {
        r.revision += 1;
        r.updated_at = now;
        r.changes.push(RecordChange {
            system,
            record_id,
            field,
            before: after,
            after: before,
            action_id: Some(id.to_string()),
        });
        db::save_run(&mut tx, &r)?;
    }
    let resp = json!({"action": a, "replayed": false});
    tx.exec(
        "INSERT INTO decisions(op, action_id, idempotency_key, response, reason, decided_at) VALUES('rollback', ?1, ?2, ?3, ?4, ?5)",
        args![id, b.idempotency_key, resp.to_string(), b.reason, now.to_rfc3339()],
    )?;
    tx.commit()?;
    Ok(resp)
}
