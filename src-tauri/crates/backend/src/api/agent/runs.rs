//! `POST /v1/runs`: agents report runs (the console's run record). One run, or a batch
//! (`{"items": [...]}`) whose items are checked and stored each on its own: a refused item is
//! reported in its result and never keeps the others out.

use super::validate::{self, identifier, optional_text, text, unit_interval};
use super::{Agent, AgentResult, body_json};
use crate::api::problem::{Problem, invalid_field, problem};
use crate::api::with_db;
use crate::db::agent::{RunWrite, write_run, write_runs};
use axum::body::Bytes;
use axum::extract::Extension;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{Duration, Utc};
use countersign_core::Run;
use serde_json::{Value, json};

/// Most runs in one batch.
pub(crate) const MAX_BATCH: usize = 1000;

/// Checks one reported run; the problem names the first bad field.
pub(crate) fn check_run(v: Value) -> Result<Run, Problem> {
    let run: Run = validate::record(v)?;
    identifier("run_id", &run.run_id)?;
    text("workflow", &run.workflow, validate::MAX_ID)?;
    text("user_id", &run.user_id, validate::MAX_ID)?;
    optional_text("team", run.team.as_deref(), validate::MAX_ID)?;
    if !run.tenant.is_empty() {
        text("tenant", &run.tenant, validate::MAX_ID)?;
    }
    if !run.model.is_empty() {
        text("model", &run.model, validate::MAX_ID)?;
    }
    if run.cost_micros.0 < 0 {
        return Err(invalid_field("cost_micros", "must not be negative"));
    }
    unit_interval("confidence", run.confidence)?;
    if run.started_at > Utc::now() + Duration::days(1) {
        return Err(invalid_field(
            "started_at",
            "is more than a day in the future",
        ));
    }
    if run.ended_at.is_some_and(|e| e < run.started_at) {
        return Err(invalid_field("ended_at", "is before started_at"));
    }
    if run.tool_calls.len() > 1000 {
        return Err(invalid_field("tool_calls", "more than 1000 calls"));
    }
    for (i, c) in run.tool_calls.iter().enumerate() {
        identifier(&format!("tool_calls[{i}].call_id"), &c.call_id)?;
        text(&format!("tool_calls[{i}].tool"), &c.tool, validate::MAX_ID)?;
        if c.cost_micros.0 < 0 {
            return Err(invalid_field(
                &format!("tool_calls[{i}].cost_micros"),
                "must not be negative",
            ));
        }
    }
    for (i, c) in run.citations.iter().enumerate() {
        if c.start > c.end {
            return Err(invalid_field(
                &format!("citations[{i}].start"),
                "is after end",
            ));
        }
    }
    // The core's own rule last, so nothing it refuses is ever stored.
    run.validate()
        .map_err(|why| invalid_field("(record)", &why))?;
    Ok(run)
}

/// The result of one stored run (status code and body), or the problem that refused it.
fn outcome(run: &Run, w: &RunWrite) -> Result<(StatusCode, Value), Problem> {
    Ok(match w {
        RunWrite::Created => (
            StatusCode::CREATED,
            json!({"run_id": run.run_id, "status": "created", "revision": run.revision}),
        ),
        RunWrite::Replaced => (
            StatusCode::OK,
            json!({"run_id": run.run_id, "status": "replaced", "revision": run.revision}),
        ),
        RunWrite::Ignored(stored) => (
            StatusCode::OK,
            json!({"run_id": run.run_id, "status": "ignored", "revision": stored,
                   "detail": format!("revision {} is not above the stored revision {stored}", run.revision)}),
        ),
        RunWrite::NotYours(owner) => {
            return Err(problem(
                StatusCode::CONFLICT,
                "not-yours",
                "Run belongs to another producer",
                &format!("run {} was reported by {owner}", run.run_id),
            )
            .with("field", json!("run_id")));
        }
    })
}

/// `POST /v1/runs` (agents).
pub(super) async fn post(
    st: super::AppState,
    Extension(agent): Extension<Agent>,
    body: Bytes,
) -> AgentResult {
    let v = body_json(&body)?;
    let batch = match v {
        Value::Object(ref o) if o.contains_key("items") => {
            let Some(Value::Array(items)) = o.get("items") else {
                return Err(invalid_field("items", "must be an array of runs"));
            };
            if items.len() > MAX_BATCH {
                return Err(invalid_field(
                    "items",
                    &format!("more than {MAX_BATCH} runs"),
                ));
            }
            Some(items.clone())
        }
        _ => None,
    };
    let Some(items) = batch else {
        let mut run = check_run(v)?;
        run.tenant = agent.tenant_for(&run.tenant, "tenant")?;
        let name = agent.name.clone();
        let r = run.clone();
        let w = with_db(&st.0, move |c| {
            let mut tx = c.begin()?;
            let w = write_run(&mut tx, &name, &r)?;
            tx.commit()?;
            Ok(w)
        })
        .await?;
        let (status, body) = outcome(&run, &w)?;
        return Ok((status, axum::Json(body)).into_response());
    };
    // Each result names its run when the item carried a readable id, even when refused.
    let ids: Vec<Option<String>> = items
        .iter()
        .map(|v| {
            v.get("run_id")
                .and_then(Value::as_str)
                .filter(|s| s.len() <= validate::MAX_ID)
                .map(str::to_string)
        })
        .collect();
    let checked: Vec<Result<Run, Problem>> = items
        .into_iter()
        .map(|v| {
            let mut run = check_run(v)?;
            run.tenant = agent.tenant_for(&run.tenant, "tenant")?;
            Ok(run)
        })
        .collect();
    let name = agent.name.clone();
    let valid: Vec<Run> = checked
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let writes = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        let out = write_runs(&mut tx, &name, &valid)?;
        tx.commit()?;
        Ok(out)
    })
    .await?;
    let mut writes = writes.into_iter();
    let mut results = Vec::with_capacity(checked.len());
    let (mut accepted, mut rejected) = (0usize, 0usize);
    for (i, item) in checked.into_iter().enumerate() {
        let refused =
            |p: Problem| json!({"run_id": ids[i], "status": "rejected", "problem": p.to_value()});
        let mut r = match item {
            Ok(run) => {
                let w = writes.next().unwrap_or(RunWrite::Ignored(0));
                match outcome(&run, &w) {
                    Ok((_, body)) => body,
                    Err(p) => refused(p),
                }
            }
            Err(p) => refused(p),
        };
        if r["status"] == "rejected" {
            rejected += 1;
        } else {
            accepted += 1;
        }
        if let Some(o) = r.as_object_mut() {
            o.insert("index".into(), json!(i));
        }
        results.push(r);
    }
    Ok(
        axum::Json(json!({"accepted": accepted, "rejected": rejected, "results": results}))
            .into_response(),
    )
}
