//! `POST /v1/evals` and `GET /v1/evals/{eval_id}` (operator or admin): a golden set's cases
//! replayed in eval mode under a configuration ([`crate::eval_mode`]): runs tagged with the
//! eval id, proposed writes recorded and never executed.

use super::problem::{problem, unprocessable};
use super::{ApiResult, AppState, json_response, parse_body, require, with_db};
use crate::db;
use crate::eval_mode;
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use countersign_core::golden::ConfigLabel;
use countersign_core::{Role, Run, Whoami};
use serde::Deserialize;
use serde_json::{Value, json};

/// Most cases one eval replays.
const MAX_CASES: usize = 5_000;

/// One case to replay.
#[derive(Deserialize)]
struct CaseBody {
    /// The golden set's case id: the run the inputs were recorded from.
    case_id: String,
    /// The inputs to answer.
    #[serde(default)]
    inputs: Value,
}

/// `POST /v1/evals` body.
#[derive(Deserialize)]
struct EvalBody {
    workflow: String,
    config: ConfigLabel,
    cases: Vec<CaseBody>,
}

fn body_of(
    eval_id: &str,
    workflow: &str,
    config: &Value,
    created_ms: i64,
    requested_by: &str,
    results: Vec<(String, Value)>,
) -> Value {
    let created = Utc
        .timestamp_millis_opt(created_ms)
        .single()
        .unwrap_or_default();
    json!({
        "eval_id": eval_id,
        "workflow": workflow,
        "config": config,
        "created_at": created,
        "requested_by": requested_by,
        "cases": results.len(),
        "results": results
            .into_iter()
            .map(|(case_id, run)| json!({"case_id": case_id, "run": run}))
            .collect::<Vec<_>>(),
    })
}

/// `POST /v1/evals`: replays the cases now and answers 201 with every run.
pub(super) async fn create(
    st: AppState,
    Extension(who): Extension<Whoami>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Operator, Role::Admin])?;
    let b: EvalBody = parse_body(&body)?;
    if b.workflow.trim().is_empty() || b.config.model.trim().is_empty() {
        return Err(unprocessable(
            "invalid-eval",
            "Invalid eval",
            "workflow and config.model are required",
        ));
    }
    if b.cases.is_empty() || b.cases.len() > MAX_CASES {
        return Err(unprocessable(
            "invalid-eval",
            "Invalid eval",
            &format!("an eval replays 1 to {MAX_CASES} cases"),
        ));
    }
    let eval_id = crate::random_token("eval");
    let now = Utc::now();
    let config_value = serde_json::to_value(&b.config)?;
    let (id, subject) = (eval_id.clone(), who.subject.clone());
    let results = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        let mut results: Vec<(String, Run)> = Vec::with_capacity(b.cases.len());
        for (i, case) in b.cases.iter().enumerate() {
            let recorded: Option<Run> = db::get_json(&mut tx, "runs", &case.case_id)?
                .and_then(|j| serde_json::from_str(&j).ok());
            let run = eval_mode::answer(
                &id,
                i,
                &b.workflow,
                &b.config,
                &case.inputs,
                recorded.as_ref(),
                now,
            );
            results.push((case.case_id.clone(), run));
        }
        db::evals::insert(
            &mut tx,
            &id,
            &b.workflow,
            &serde_json::to_string(&b.config)?,
            now.timestamp_millis(),
            &subject,
            &results,
        )?;
        tx.commit()?;
        Ok((b.workflow, results))
    })
    .await?;
    let (workflow, results) = results;
    let results = results
        .into_iter()
        .map(|(c, r)| Ok((c, serde_json::to_value(r)?)))
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    let out = body_of(
        &eval_id,
        &workflow,
        &config_value,
        now.timestamp_millis(),
        &who.subject,
        results,
    );
    let mut resp = json_response(out.to_string());
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// `GET /v1/evals/{eval_id}`: an eval and its runs, as `POST` answered them.
pub(super) async fn get(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(eval_id): Path<String>,
) -> ApiResult {
    require(&who, &[Role::Operator, Role::Admin])?;
    let id = eval_id.clone();
    let found = with_db(&st.0, move |c| {
        let Some(head) = db::evals::get(c, &id)? else {
            return Ok(None);
        };
        Ok(Some((head, db::evals::runs(c, &id)?)))
    })
    .await?;
    let Some(((workflow, config, created_ms, by), runs)) = found else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no eval {eval_id}"),
        ));
    };
    let config: Value = serde_json::from_str(&config)?;
    let results = runs
        .into_iter()
        .map(|(c, j)| Ok((c, serde_json::from_str(&j)?)))
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    Ok(json_response(
        body_of(&eval_id, &workflow, &config, created_ms, &by, results).to_string(),
    ))
}
