//! Reviewer decisions on pending actions: approve (with the confirmed values, executing the
//! write exactly once), approve with edits, deny, escalate, and rollback of an executed write.
//! Every decision is idempotent by its key: a replay answers the stored response.

mod confirm;
mod execute;
pub(crate) mod rollback;

pub(super) use rollback::rollback;

use super::problem::{Problem, problem, unprocessable};
use super::{ApiResult, AppState, ok_json, parse_body, require, with_db};
use crate::db;
use crate::db::sql::{Conn, Sql, args};
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use chrono::Utc;
use countersign_core::{
    ActionStatus, Decision, DecisionKind, Outcome, PendingAction, Role, Run, Whoami,
};
use serde_json::{Value, json};

/// The stored action `id`, locked until the transaction ends (so decisions, rollbacks and
/// results of one action take turns, across server processes too), or 404.
fn load_action(c: &mut dyn Sql, id: &str) -> Result<PendingAction, Problem> {
    let j = db::get_json_for_update(c, "actions", id)?.ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no action {id}"),
        )
    })?;
    Ok(serde_json::from_str(&j)?)
}

/// The stored run `id`, if it exists and parses.
fn load_run(c: &mut dyn Sql, id: &str) -> Result<Option<Run>, Problem> {
    Ok(db::get_json(c, "runs", id)?.and_then(|j| serde_json::from_str(&j).ok()))
}

/// The response stored for an earlier `op` on action `id` with this idempotency key, marked
/// as replayed.
fn stored_response(
    c: &mut dyn Sql,
    op: &str,
    id: &str,
    key: &str,
) -> Result<Option<Value>, Problem> {
    let r = c.text(
        "SELECT response FROM decisions WHERE op = ?1 AND action_id = ?2 AND idempotency_key = ?3",
        args![op, id, key],
    )?;
    match r {
        Some(text) => {
            let mut v: Value = serde_json::from_str(&text)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("replayed".into(), json!(true));
            }
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// A 409 problem carrying the action's current status.
fn conflict(a: &PendingAction, detail: &str) -> Problem {
    problem(StatusCode::CONFLICT, "conflict", "Conflict", detail)
        .with("current_status", json!(a.status.as_str()))
}

/// A decision or rollback without an idempotency key could execute twice: `422`.
fn require_idempotency_key(key: &str) -> Result<(), Problem> {
    if key.trim().is_empty() {
        return Err(unprocessable(
            "missing-idempotency-key",
            "Idempotency key required",
            "idempotency_key must not be empty",
        ));
    }
    Ok(())
}

/// `POST /v1/actions/{action_id}/decision` (reviewers).
pub(super) async fn decide(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Reviewer])?;
    let d: Decision = parse_body(&body)?;
    require_idempotency_key(&d.idempotency_key)?;
    let key = id.clone();
    let out = with_db(&st.0, move |c| decide_tx(c, &who, &key, &d)).await;
    // The agent waiting on it hears of a new decision or of the expiry found here.
    let changed = match &out {
        Ok(v) => v["replayed"] == json!(false),
        Err(p) => p.kind() == "expired",
    };
    if changed {
        super::agent::announce(&st.0, &id).await;
    }
    ok_json(&out?)
}

/// Decides action `id` in one transaction: checks expiry, state and escalation, applies the
/// decision to the action and its run, and stores the response under the idempotency key.
/// The action row is locked first, so of two decisions racing (on two server processes too)
/// the second sees the first's outcome: a write executes once.
fn decide_tx(c: &mut Conn<'_>, who: &Whoami, id: &str, d: &Decision) -> Result<Value, Problem> {
    let now = Utc::now();
    let mut tx = c.begin()?;
    let mut a = load_action(&mut tx, id)?;
    if let Some(v) = stored_response(&mut tx, "decision", id, &d.idempotency_key)? {
        return Ok(v);
    }
    if a.status == ActionStatus::Pending && now >= a.expires_at {
        a.status = ActionStatus::Expired;
        a.revision += 1;
        a.updated_at = now;
        db::save_action(&mut tx, &a)?;
        db::expire_run_of(&mut tx, &a, now)?;
        tx.commit()?;
        return Err(problem(
            StatusCode::CONFLICT,
            "expired",
            "Action expired",
            &format!("action {id} expired at {}", a.expires_at.to_rfc3339()),
        )
        .with("current_status", json!("expired")));
    }
    if a.status == ActionStatus::Draft {
        return Err(problem(
            StatusCode::CONFLICT,
            "draft",
            "Action is a draft",
            &format!(
                "action {id} was recorded as a draft (its workflow is at the draft autonomy level): it is never executed"
            ),
        )
        .with("current_status", json!("draft")));
    }
    if !a.status.is_decidable() {
        return Err(conflict(
            &a,
            &format!("action {id} is already {}", a.status.as_str()),
        ));
    }
    if let Some(role) = a.escalated_to
        && !who.has(role)
    {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "escalated",
            "Escalated to another role",
            &format!(
                "action {id} was escalated to {role:?}; only that role or an admin may decide it"
            ),
        ));
    }
    if !a.allows(d.decision) {
        return Err(unprocessable(
            "decision-not-allowed",
            "Decision not allowed",
            &format!("action {id} does not accept this kind of decision"),
        ));
    }
    // An agent's action is executed by the agent, and its run is the agent's to revise.
    let agent_owned = db::agent::agent_action(&mut tx, id)?.is_some();
    let mut run = if agent_owned {
        None
    } else {
        load_run(&mut tx, &a.run_id)?
    };
    let executed = match d.decision {
        DecisionKind::Escalate => {
            let reason = d.reason.as_deref().map(str::trim).unwrap_or_default();
            let Some(role) = d.escalate_to.filter(|_| !reason.is_empty()) else {
                return Err(unprocessable(
                    "escalation-incomplete",
                    "Escalation incomplete",
                    "an escalation needs a non-empty reason and the role to escalate to",
                ));
            };
            a.escalated_to = Some(role);
            if let Some(r) = run.as_mut() {
                r.decision = format!("escalated_to_{}", format!("{role:?}").to_lowercase());
            }
            false
        }
        DecisionKind::Deny => {
            let reason = d.reason.as_deref().map(str::trim).unwrap_or_default();
            if reason.is_empty() {
                return Err(unprocessable(
                    "reason-required",
                    "Reason required",
                    "a denial needs a non-empty reason",
                ));
            }
            a.status = ActionStatus::Denied;
            if let Some(r) = run.as_mut() {
                r.outcome = Outcome::Denied;
                r.changes.retain(|ch| ch.action_id.as_deref() != Some(id));
            }
            false
        }
        DecisionKind::Approve | DecisionKind::ApproveWithEdits => {
            let vals = confirm::confirmed_values(&a, d)?;
            if agent_owned {
                db::agent::set_approved_fields(&mut tx, id, &vals.into_iter().collect())?;
                a.status = ActionStatus::Approved;
                a.revision += 1;
                a.decided_by = Some(who.subject.clone());
                a.decided_at = Some(now);
                a.updated_at = now;
                db::save_action(&mut tx, &a)?;
                let resp = json!({"action": a, "executed": false, "replayed": false});
                tx.exec(
                    "INSERT INTO decisions(op, action_id, idempotency_key, response, reason, decided_at) VALUES('decision', ?1, ?2, ?3, ?4, ?5)",
                    args![id, d.idempotency_key, resp.to_string(), d.reason, now.to_rfc3339()],
                )?;
                tx.commit()?;
                return Ok(resp);
            }
            let change = execute::execute(&mut tx, &a, &vals, now)?;
            a.status = ActionStatus::Executed;
            if let Some(r) = run.as_mut() {
                r.outcome = Outcome::Success;
                r.decision = "approved_and_executed".into();
                r.changes.retain(|ch| ch.action_id.as_deref() != Some(id));
                r.changes.push(change);
            }
            true
        }
    };
    a.revision += 1;
    let decided = a.status != ActionStatus::Pending;
    if decided {
        a.decided_by = Some(who.subject.clone());
        a.decided_at = Some(now);
    }
    a.updated_at = now;
    db::save_action(&mut tx, &a)?;
    if let Some(mut r) = run {
        r.revision += 1;
        if decided {
            r.ended_at = Some(now.max(r.started_at));
        }
        r.updated_at = now;
        db::save_run(&mut tx, &r)?;
    }
    let resp = json!({"action": a, "executed": executed, "replayed": false});
    tx.exec(
        "INSERT INTO decisions(op, action_id, idempotency_key, response, reason, decided_at) VALUES('decision', ?1, ?2, ?3, ?4, ?5)",
        args![id, d.idempotency_key, resp.to_string(), d.reason, now.to_rfc3339()],
    )?;
    tx.commit()?;
    Ok(resp)
}
