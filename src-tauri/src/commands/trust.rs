//! The trust view and the readiness scorecard: reports over the console's own decisions,
//! citation opens and blind second reviews, and the audited thresholds. Each command is a few
//! lines over `countersign_store::{trust, readiness, decisions}`.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use chrono::{DateTime, Utc};
use countersign_core::PendingAction;
use countersign_core::audit::kinds;
use countersign_store::decisions::{self, CitationOpen, CitationTarget, DecisionRow};
use countersign_store::readiness::{self, Scorecard, Thresholds};
use countersign_store::rusqlite::Connection;
use countersign_store::trust::{self, DrillQuery, TrustQuery, TrustReport};
use countersign_store::{Store, actions, audit, backends, settings};
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// Drill-downs list at most this many decisions.
const DRILL_LIMIT: usize = 500;

/// The console's identity on a backend (its `whoami` subject), or `console` before the first
/// sync: who opened a citation, who gives a second opinion.
fn actor_on(conn: &Connection, backend_id: &str) -> String {
    backends::get(conn, backend_id)
        .ok()
        .flatten()
        .and_then(|b| b.whoami)
        .map_or_else(|| "console".into(), |w| w.subject)
}

/// The trust report.
#[tauri::command]
pub async fn trust_report(
    state: State<'_, Arc<AppState>>,
    query: TrustQuery,
) -> CmdResult<TrustReport> {
    with_store(&state, move |s| {
        Ok(trust::report(s.conn(), &query, Utc::now())?)
    })
    .await
}

/// The decisions behind one number of the trust report.
#[tauri::command]
pub async fn trust_drill(
    state: State<'_, Arc<AppState>>,
    drill: DrillQuery,
) -> CmdResult<Vec<DecisionRow>> {
    with_store(&state, move |s| {
        Ok(trust::drill(s.conn(), &drill, Utc::now(), DRILL_LIMIT)?)
    })
    .await
}

/// Records (store row + audit event) that the console's reviewer opened a citation of a run,
/// or its source document; the trust view counts them per decision.
pub fn citation_open(
    s: &mut Store,
    backend_id: &str,
    run_id: &str,
    action_id: Option<&str>,
    doc_id: &str,
    target: CitationTarget,
    now: DateTime<Utc>,
) -> CmdResult<()> {
    let actor = actor_on(s.conn(), backend_id);
    let tx = s.write()?;
    decisions::record_citation_open(
        &tx,
        &CitationOpen {
            backend_id,
            run_id,
            action_id,
            actor: &actor,
            doc_id,
            target,
            at: now,
        },
    )?;
    audit::append(
        &tx,
        &actor,
        kinds::CITATION_OPENED,
        &format!("{backend_id}/{run_id}"),
        serde_json::json!({"doc_id": doc_id, "target": target, "action_id": action_id}),
        now,
    )?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(())
}

/// [`citation_open`] now.
#[tauri::command]
pub async fn record_citation_open(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    run_id: String,
    action_id: Option<String>,
    doc_id: String,
    target: CitationTarget,
) -> CmdResult<()> {
    with_store(&state, move |s| {
        citation_open(
            s,
            &backend_id,
            &run_id,
            action_id.as_deref(),
            &doc_id,
            target,
            Utc::now(),
        )
    })
    .await
}

/// A sampled decision shown blind: the action as it was proposed, never the first decision.
#[derive(Serialize, ts_rs::TS)]
pub struct SecondReviewItem {
    /// The decision to give an opinion on (its kind and reviewer are not sent).
    #[ts(type = "number")]
    decision_id: i64,
    /// Backend.
    backend_id: String,
    /// The action as proposed.
    action: PendingAction,
}

/// Sampled decisions waiting for a second opinion from this console's identity (never its
/// own decisions), newest first.
#[tauri::command]
pub async fn second_review_queue(
    state: State<'_, Arc<AppState>>,
) -> CmdResult<Vec<SecondReviewItem>> {
    with_store(&state, move |s| {
        let c = s.conn();
        let share = readiness::thresholds(c)?.second_review_basis_points();
        let rows = decisions::second_review_queue(c, share, &|b| Some(actor_on(c, b)), 50)?;
        let mut out = Vec::new();
        for d in rows {
            if let Some(mut action) = actions::get(c, &d.backend_id, &d.action_id)? {
                // Blind: nothing of the first decision.
                action.decided_by = None;
                action.decided_at = None;
                out.push(SecondReviewItem {
                    decision_id: d.id,
                    backend_id: d.backend_id,
                    action,
                });
            }
        }
        Ok(out)
    })
    .await
}

/// Records a second opinion with its audit event and returns whether it disagrees. Nothing is
/// executed or sent to a backend.
pub fn second_review(
    s: &mut Store,
    decision_id: i64,
    would_approve: bool,
    note: &str,
    now: DateTime<Utc>,
) -> CmdResult<bool> {
    let first = decisions::get(s.conn(), decision_id)?
        .ok_or_else(|| CmdError::new("not_found", format!("no decision {decision_id}")))?;
    let actor = actor_on(s.conn(), &first.backend_id);
    let tx = s.write()?;
    let disagrees =
        decisions::record_second_review(&tx, decision_id, &actor, would_approve, note, now)
            .map_err(|e| CmdError::new("conflict", e.to_string()))?;
    audit::append(
        &tx,
        &actor,
        kinds::SECOND_REVIEW,
        &format!("{}/{}", first.backend_id, first.action_id),
        serde_json::json!({
            "decision_id": decision_id,
            "first_reviewer": first.reviewer,
            "first_decision": first.decision,
            "would_approve": would_approve,
            "disagrees": disagrees,
            "note": note,
        }),
        now,
    )?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(disagrees)
}

/// [`second_review`] now.
#[tauri::command]
pub async fn record_second_review(
    state: State<'_, Arc<AppState>>,
    decision_id: i64,
    would_approve: bool,
    note: String,
) -> CmdResult<bool> {
    with_store(&state, move |s| {
        second_review(s, decision_id, would_approve, &note, Utc::now())
    })
    .await
}

/// The period a scorecard covers: as given, else the last four weeks up to now.
fn period(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - chrono::Duration::milliseconds(readiness::DEFAULT_PERIOD_MS));
    (from, to)
}

/// Workflows with runs or decisions in the period.
#[tauri::command]
pub async fn readiness_workflows(
    state: State<'_, Arc<AppState>>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> CmdResult<Vec<String>> {
    let (from, to) = period(from, to);
    with_store(&state, move |s| {
        Ok(readiness::workflows(s.conn(), from, to)?)
    })
    .await
}

/// A workflow's readiness scorecard.
#[tauri::command]
pub async fn readiness_scorecard(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> CmdResult<Scorecard> {
    let (from, to) = period(from, to);
    with_store(&state, move |s| {
        Ok(readiness::scorecard(
            s.conn(),
            &workflow,
            from,
            to,
            Utc::now(),
        )?)
    })
    .await
}

/// Every workflow's scorecard as `json` or `csv` text, for saving.
#[tauri::command]
pub async fn export_scorecards(
    state: State<'_, Arc<AppState>>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    format: String,
) -> CmdResult<String> {
    let (from, to) = period(from, to);
    with_store(&state, move |s| {
        let cards = readiness::scorecards(s.conn(), from, to, Utc::now())?;
        match format.as_str() {
            "csv" => Ok(readiness::to_csv(&cards)),
            "json" => serde_json::to_string_pretty(&cards)
                .map_err(|e| CmdError::new("internal", e.to_string())),
            other => Err(CmdError::new(
                "invalid_input",
                format!("format {other}: json or csv"),
            )),
        }
    })
    .await
}

/// The readiness thresholds and second-review share in force.
#[tauri::command]
pub async fn get_readiness_thresholds(state: State<'_, Arc<AppState>>) -> CmdResult<Thresholds> {
    with_store(&state, move |s| Ok(readiness::thresholds(s.conn())?)).await
}

/// Validates and saves the thresholds, recording before → after in the audit trail as by the
/// admin; refused (`forbidden`) unless a backend identity holds the admin role.
pub fn save_thresholds(s: &mut Store, t: &Thresholds, now: DateTime<Utc>) -> CmdResult<Thresholds> {
    let actor = super::admin::require_admin(s.conn(), "the readiness thresholds")?;
    t.validate()
        .map_err(|m| CmdError::new("invalid_input", m))?;
    let tx = s.write()?;
    let before = readiness::thresholds(&tx)?;
    if before != *t {
        settings::set(&tx, readiness::THRESHOLDS_KEY, t)?;
        audit::append(
            &tx,
            &actor,
            kinds::READINESS_THRESHOLDS_CHANGED,
            readiness::THRESHOLDS_KEY,
            serde_json::json!({"before": before, "after": t}),
            now,
        )?;
    }
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(t.clone())
}

/// [`save_thresholds`] now.
#[tauri::command]
pub async fn set_readiness_thresholds(
    state: State<'_, Arc<AppState>>,
    thresholds: Thresholds,
) -> CmdResult<Thresholds> {
    with_store(&state, move |s| save_thresholds(s, &thresholds, Utc::now())).await
}

#[cfg(test)]
mod tests;
