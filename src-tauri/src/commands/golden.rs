//! Golden sets and evals: add runs to a workflow's set with expectations, edit, import and
//! export it (JSONL), start an eval on a native backend, read and export its report beside the
//! baseline, and the audited pass thresholds. Each command is a few lines over
//! `countersign_store::golden` and `countersign_core::golden`.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use chrono::Utc;
use countersign_core::Run;
use countersign_core::golden::compare::{EvalComparison, PassThresholds};
use countersign_core::golden::{ConfigLabel, Expectations, GoldenCase, from_jsonl, to_jsonl};
use countersign_store::golden::{self, Change, EvalRecord, GoldenVersion, StoredCase};
use countersign_store::rusqlite::Connection;
use countersign_store::{Store, backends, runs};
use countersign_sync::client::{Client, ClientOptions, Retries};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tauri::State;

/// A run to add to its workflow's golden set.
#[derive(Clone, Debug, Deserialize, Serialize, ts_rs::TS)]
pub struct RunRef {
    /// Console-side backend id.
    pub backend_id: String,
    /// The backend's run id.
    pub run_id: String,
}

/// An eval started and compared.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct EvalOutcome {
    /// The eval as recorded.
    pub eval: EvalRecord,
    /// Its report.
    pub report: EvalComparison,
}

/// Who changes sets: the console's identity on `backend_id`, else `console`.
fn actor(conn: &Connection, backend_id: &str) -> String {
    backends::get(conn, backend_id)
        .ok()
        .flatten()
        .and_then(|b| b.whoami)
        .map_or_else(|| "console".into(), |w| w.subject)
}

/// Adds runs (each to its workflow's set) with expectations taken from the run, ceilings at
/// `headroom` × its cost and latency (default 1.5). Returns the new version of each set.
pub fn add_runs(s: &mut Store, refs: &[RunRef], headroom: f64) -> CmdResult<Vec<GoldenVersion>> {
    let mut by_workflow: Vec<(String, Vec<StoredCase>)> = Vec::new();
    for r in refs {
        let run: Run = runs::get(s.conn(), &r.backend_id, &r.run_id)?
            .ok_or_else(|| CmdError::new("not_found", format!("no run {}", r.run_id)))?;
        let case = StoredCase {
            backend_id: r.backend_id.clone(),
            case: GoldenCase {
                expect: Expectations::from_run(&run, headroom),
                run,
            },
        };
        match by_workflow
            .iter_mut()
            .find(|(w, _)| *w == case.case.run.workflow)
        {
            Some((_, v)) => v.push(case),
            None => by_workflow.push((case.case.run.workflow.clone(), vec![case])),
        }
    }
    let who = refs
        .first()
        .map_or_else(|| "console".into(), |r| actor(s.conn(), &r.backend_id));
    let tx = s.write()?;
    let mut out = Vec::new();
    for (w, cases) in by_workflow {
        out.push(golden::change(
            &tx,
            &w,
            Change::Add(cases),
            &who,
            Utc::now(),
        )?);
    }
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(out)
}

/// Every workflow's set (its latest version).
#[tauri::command]
pub async fn golden_sets(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<GoldenVersion>> {
    with_store(&state, |s| Ok(golden::sets(s.conn())?)).await
}

/// The versions of a workflow's set, newest first.
#[tauri::command]
pub async fn golden_versions(
    state: State<'_, Arc<AppState>>,
    workflow: String,
) -> CmdResult<Vec<GoldenVersion>> {
    with_store(&state, move |s| Ok(golden::versions(s.conn(), &workflow)?)).await
}

/// The cases of a version (the latest when absent).
#[tauri::command]
pub async fn golden_cases(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    version: Option<u32>,
) -> CmdResult<Vec<StoredCase>> {
    with_store(&state, move |s| {
        Ok(golden::cases(s.conn(), &workflow, version)?)
    })
    .await
}

/// [`add_runs`] from the run list or detail.
#[tauri::command]
pub async fn golden_add_runs(
    state: State<'_, Arc<AppState>>,
    runs: Vec<RunRef>,
    headroom: Option<f64>,
) -> CmdResult<Vec<GoldenVersion>> {
    with_store(&state, move |s| add_runs(s, &runs, headroom.unwrap_or(1.5))).await
}

/// Sets a case's expectations (a new version).
#[tauri::command]
pub async fn golden_set_expectations(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    case_id: String,
    expect: Expectations,
) -> CmdResult<GoldenVersion> {
    with_store(&state, move |s| {
        let tx = s.write()?;
        let v = golden::change(
            &tx,
            &workflow,
            Change::Expect(case_id, expect),
            "console",
            Utc::now(),
        )?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(v)
    })
    .await
}

/// Removes cases (a new version).
#[tauri::command]
pub async fn golden_remove_cases(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    case_ids: Vec<String>,
) -> CmdResult<GoldenVersion> {
    with_store(&state, move |s| {
        let tx = s.write()?;
        let v = golden::change(
            &tx,
            &workflow,
            Change::Remove(case_ids),
            "console",
            Utc::now(),
        )?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(v)
    })
    .await
}

/// A version of a set as JSONL (run record + `expect` per line), for saving.
#[tauri::command]
pub async fn golden_export(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    version: Option<u32>,
) -> CmdResult<String> {
    with_store(&state, move |s| {
        let cases: Vec<GoldenCase> = golden::cases(s.conn(), &workflow, version)?
            .into_iter()
            .map(|c| c.case)
            .collect();
        to_jsonl(&cases).map_err(|e| CmdError::new("internal", e.to_string()))
    })
    .await
}

/// Replaces a workflow's set with JSONL text (a new version); its runs are taken as of
/// `backend_id`.
#[tauri::command]
pub async fn golden_import(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    backend_id: String,
    text: String,
    source: String,
) -> CmdResult<GoldenVersion> {
    let cases = from_jsonl(&text, Some(&workflow))
        .map_err(|e| CmdError::new("invalid_input", e.to_string()))?;
    with_store(&state, move |s| {
        let who = actor(s.conn(), &backend_id);
        let tx = s.write()?;
        let all = cases
            .into_iter()
            .map(|case| StoredCase {
                backend_id: backend_id.clone(),
                case,
            })
            .collect();
        let v = golden::change(
            &tx,
            &workflow,
            Change::Replace(all, source),
            &who,
            Utc::now(),
        )?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(v)
    })
    .await
}

/// What `POST /v1/evals` answers (the parts the console keeps).
#[derive(Deserialize)]
struct EvalAnswer {
    eval_id: String,
    results: Vec<EvalResult>,
}

#[derive(Deserialize)]
struct EvalResult {
    case_id: String,
    run: Run,
}

/// The `POST /v1/evals` body of `cases` under `config`.
pub fn eval_request(
    workflow: &str,
    config: &ConfigLabel,
    cases: &[StoredCase],
) -> serde_json::Value {
    serde_json::json!({
        "workflow": workflow,
        "config": config,
        "cases": cases.iter().map(|c| serde_json::json!({
            "case_id": c.case.run.run_id, "inputs": c.case.run.inputs,
        })).collect::<Vec<_>>(),
    })
}

/// Sends an eval to a native backend (once: an eval is not idempotent) and returns its id
/// and runs by case id.
pub async fn post_eval(
    client: &Client,
    body: &serde_json::Value,
) -> CmdResult<(String, HashMap<String, Run>)> {
    let body = serde_json::to_vec(body).map_err(|e| CmdError::new("internal", e.to_string()))?;
    let bytes = client
        .send_with(Method::POST, "/v1/evals", &[], Some(&body), Retries::No)
        .await?;
    let answer: EvalAnswer = serde_json::from_slice(&bytes)
        .map_err(|e| CmdError::new("protocol", format!("/v1/evals: {e}")))?;
    let runs = answer
        .results
        .into_iter()
        .map(|r| (r.case_id, r.run))
        .collect();
    Ok((answer.eval_id, runs))
}

/// Records an eval's runs and compares them: the eval as stored, with its report.
pub fn record_eval(
    s: &mut Store,
    record: &EvalRecord,
    runs: &HashMap<String, Run>,
) -> CmdResult<EvalOutcome> {
    let tx = s.write()?;
    golden::save_eval(&tx, record, runs)?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    let report = golden::eval_report(s.conn(), &record.eval_id, Utc::now())?;
    let eval = golden::eval(s.conn(), &record.eval_id)?.unwrap_or_else(|| record.clone());
    Ok(EvalOutcome { eval, report })
}

/// What an eval replays: the backend's row, the workflow's latest golden-set version and its
/// cases; an error when the backend is unknown or the set has no cases.
pub async fn set_to_replay(
    state: &State<'_, Arc<AppState>>,
    workflow: &str,
    backend_id: &str,
) -> CmdResult<(backends::BackendRow, u32, Vec<StoredCase>)> {
    let (w, b) = (workflow.to_string(), backend_id.to_string());
    let (row, version, cases) = with_store(state, move |s| {
        let row = backends::get(s.conn(), &b)?
            .ok_or_else(|| CmdError::new("not_found", format!("no backend {b}")))?;
        let version = golden::latest_version(s.conn(), &w)?;
        Ok((row, version, golden::cases(s.conn(), &w, Some(version))?))
    })
    .await?;
    if cases.is_empty() {
        return Err(CmdError::new(
            "invalid_input",
            format!("the golden set of {workflow} has no cases"),
        ));
    }
    Ok((row, version, cases))
}

/// Starts an eval of the latest version of `workflow`'s set on native backend `backend_id`
/// under `config`, records its runs and compares them (with `baseline_eval`'s runs when
/// given, else the recorded runs).
#[tauri::command]
pub async fn golden_start_eval(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    backend_id: String,
    config: ConfigLabel,
    baseline_eval: Option<String>,
) -> CmdResult<EvalOutcome> {
    let (row, version, cases) = set_to_replay(&state, &workflow, &backend_id).await?;
    if row.kind != "countersign" {
        return Err(CmdError::new(
            "unsupported",
            format!(
                "{} is a {} backend: evals run on native backends",
                row.name, row.kind
            ),
        ));
    }
    let token = state
        .token(&backend_id)
        .map_err(|m| CmdError::new("secret_store", m))?;
    let opts = ClientOptions {
        allow_plain_http: row.allow_http,
        request_timeout: std::time::Duration::from_secs(300),
        ..Default::default()
    };
    let client = Client::new(&row.url, token, opts)?;
    let started_at = Utc::now();
    let (eval_id, runs, error) =
        match post_eval(&client, &eval_request(&workflow, &config, &cases)).await {
            Ok((id, runs)) => (id, runs, None),
            Err(e) => failed_eval(&config, &cases, &e, started_at),
        };
    let record = EvalRecord {
        eval_id,
        backend_id,
        workflow,
        set_version: version,
        config,
        baseline_eval,
        started_at,
        passed: None,
        error,
    };
    with_store(&state, move |s| record_eval(s, &record, &runs)).await
}

/// A native eval whose request failed: one request answers every case, so every case is kept
/// as failed with the error text, under a console-side eval id (`evalerr_` and the start time
/// to the microsecond), and the error is recorded on the eval (and audited when it is saved).
pub fn failed_eval(
    config: &ConfigLabel,
    cases: &[StoredCase],
    e: &CmdError,
    now: chrono::DateTime<Utc>,
) -> (String, HashMap<String, Run>, Option<String>) {
    let eval_id = format!("evalerr_{}", now.format("%Y%m%dT%H%M%S%.6fZ"));
    let text = format!("POST /v1/evals failed ({}): {}", e.code, e.message);
    let runs = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.case.case_id().to_string(),
                c.case.failed_run(&eval_id, i, config, &text, now),
            )
        })
        .collect();
    (eval_id, runs, Some(text))
}

/// The evals of a workflow, newest first.
#[tauri::command]
pub async fn golden_evals(
    state: State<'_, Arc<AppState>>,
    workflow: String,
) -> CmdResult<Vec<EvalRecord>> {
    with_store(&state, move |s| Ok(golden::evals(s.conn(), &workflow)?)).await
}

/// An eval's report, compared now with the thresholds in force.
#[tauri::command]
pub async fn golden_eval_report(
    state: State<'_, Arc<AppState>>,
    eval_id: String,
) -> CmdResult<EvalComparison> {
    with_store(&state, move |s| {
        Ok(golden::eval_report(s.conn(), &eval_id, Utc::now())?)
    })
    .await
}

/// A case side by side: the recorded (baseline) run and the eval's run of it.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CasePair {
    /// The baseline run (the baseline eval's, else the recorded one).
    pub baseline: Run,
    /// The eval's run, if it reported one.
    #[ts(optional = nullable)]
    pub eval: Option<Run>,
}

/// One case of an eval beside its baseline.
#[tauri::command]
pub async fn golden_eval_case(
    state: State<'_, Arc<AppState>>,
    eval_id: String,
    case_id: String,
) -> CmdResult<CasePair> {
    with_store(&state, move |s| {
        let e = golden::eval(s.conn(), &eval_id)?
            .ok_or_else(|| CmdError::new("not_found", format!("no eval {eval_id}")))?;
        let mut runs = golden::eval_runs(s.conn(), &eval_id)?;
        let recorded = golden::cases(s.conn(), &e.workflow, Some(e.set_version))?
            .into_iter()
            .find(|c| c.case.case_id() == case_id)
            .ok_or_else(|| CmdError::new("not_found", format!("no case {case_id}")))?;
        let baseline = match &e.baseline_eval {
            Some(b) => golden::eval_runs(s.conn(), b)?.remove(&case_id),
            None => None,
        };
        Ok(CasePair {
            baseline: baseline.unwrap_or(recorded.case.run),
            eval: runs.remove(&case_id),
        })
    })
    .await
}

/// An eval's report as JSON text (eval, configuration, thresholds, every case), for saving.
#[tauri::command]
pub async fn golden_export_report(
    state: State<'_, Arc<AppState>>,
    eval_id: String,
) -> CmdResult<String> {
    with_store(&state, move |s| {
        let e = golden::eval(s.conn(), &eval_id)?
            .ok_or_else(|| CmdError::new("not_found", format!("no eval {eval_id}")))?;
        let report = golden::eval_report(s.conn(), &eval_id, Utc::now())?;
        serde_json::to_string_pretty(&serde_json::json!({"eval": e, "report": report}))
            .map_err(|e| CmdError::new("internal", e.to_string()))
    })
    .await
}

/// A workflow's readiness gate (the scorecard's "changed without eval" row), by workflow.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct WorkflowGate {
    /// The workflow.
    pub workflow: String,
    /// Its configuration change and the eval of the new configuration, if any passed.
    pub gate: golden::Gate,
}

/// The gates of `workflows` (the Overview marks their model changes with them).
#[tauri::command]
pub async fn golden_gates(
    state: State<'_, Arc<AppState>>,
    workflows: Vec<String>,
) -> CmdResult<Vec<WorkflowGate>> {
    with_store(&state, move |s| {
        workflows
            .into_iter()
            .map(|workflow| {
                let gate = golden::gate(s.conn(), &workflow)?;
                Ok(WorkflowGate { workflow, gate })
            })
            .collect()
    })
    .await
}

/// The pass thresholds in force.
#[tauri::command]
pub async fn get_golden_thresholds(state: State<'_, Arc<AppState>>) -> CmdResult<PassThresholds> {
    with_store(&state, |s| Ok(golden::thresholds(s.conn())?)).await
}

/// Saves the pass thresholds (audited before → after).
#[tauri::command]
pub async fn set_golden_thresholds(
    state: State<'_, Arc<AppState>>,
    thresholds: PassThresholds,
) -> CmdResult<PassThresholds> {
    with_store(&state, move |s| {
        let tx = s.write()?;
        golden::set_thresholds(&tx, &thresholds, "console", Utc::now())?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(thresholds)
    })
    .await
}

#[cfg(test)]
mod tests;
