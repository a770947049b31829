//! `GET/PUT /v1/workflows/{id}/autonomy` and `GET /v1/workflows/autonomy`: the autonomy level
//! each workflow runs at. Anyone signed in may read it; only an admin sets it, and the answer
//! says what it was before and is after.

use super::agent::validate::{MAX_ID, MAX_STRING, identifier, optional_text};
use super::problem::{Problem, problem, unprocessable};
use super::{ApiResult, AppState, ok_json, parse_body, require, with_db};
use crate::db::autonomy::{self, SetBy};
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use chrono::Utc;
use countersign_core::{AutonomyLevel, AutonomySetting, Role, Whoami};
use serde::Deserialize;
use serde_json::json;

/// The 403 answer to a write a read-only workflow proposed, naming the level.
pub(crate) fn read_only_refusal(workflow: &str, level: AutonomyLevel) -> Problem {
    problem(
        StatusCode::FORBIDDEN,
        "autonomy-read-only",
        "Workflow is read-only",
        &format!(
            "workflow {workflow} is at the autonomy level {}: it may not write",
            level.as_str()
        ),
    )
    .with("workflow", json!(workflow))
    .with("level", json!(level.as_str()))
}

/// `GET /v1/workflows/autonomy`: every workflow with a level set (the others are at
/// `approve_every_write`).
pub(super) async fn list(st: AppState) -> ApiResult {
    let items = with_db(&st.0, |c| Ok(autonomy::list(c)?)).await?;
    ok_json(&json!({"items": items, "default": AutonomyLevel::default()}))
}

/// `GET /v1/workflows/{id}/autonomy`.
pub(super) async fn get(st: AppState, Path(workflow): Path<String>) -> ApiResult {
    identifier("workflow", &workflow)?;
    let w = with_db(&st.0, move |c| Ok(autonomy::get(c, &workflow)?)).await?;
    ok_json(&serde_json::to_value(w)?)
}

/// The body of a level change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    /// The new level.
    level: AutonomyLevel,
    /// At `sampled_approval`, the percentage reviewed (1-99).
    #[serde(default)]
    sample_percent: u8,
    /// The person deciding it (the console user), when not the token's own subject.
    #[serde(default)]
    who: Option<String>,
    /// Why.
    #[serde(default)]
    justification: Option<String>,
}

/// `PUT /v1/workflows/{id}/autonomy` (admin): sets the level; answers before → after.
pub(super) async fn put(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(workflow): Path<String>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Admin])?;
    identifier("workflow", &workflow)?;
    let b: PutBody = parse_body(&body)?;
    let to = AutonomySetting {
        level: b.level,
        sample_percent: b.sample_percent,
    };
    to.validate()
        .map_err(|why| unprocessable("invalid-autonomy", "Invalid autonomy level", &why))?;
    optional_text("who", b.who.as_deref(), MAX_ID)?;
    if let Some(j) = &b.justification
        && (j.len() > MAX_STRING || j.chars().any(|c| c.is_control() && c != '\n' && c != '\t'))
    {
        return Err(super::problem::invalid_field(
            "justification",
            &format!("at most {MAX_STRING} bytes of text without control characters"),
        ));
    }
    let justification = b
        .justification
        .map(|j| j.trim().to_string())
        .filter(|j| !j.is_empty());
    let requested_by = b
        .who
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty());
    let w = workflow.clone();
    let (before, after) = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        let out = autonomy::set(
            &mut tx,
            &w,
            &to,
            &SetBy {
                admin: &who.subject,
                requested_by: requested_by.as_deref(),
                justification: justification.as_deref(),
            },
            Utc::now(),
        )?;
        tx.commit()?;
        Ok(out)
    })
    .await?;
    tracing::info!(
        workflow,
        before = before.level.as_str(),
        after = after.level.as_str(),
        "autonomy level set"
    );
    ok_json(&json!({"workflow": workflow, "before": before, "after": after}))
}
