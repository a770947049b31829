//! Weekly failure review: the week's runs with suggested buckets, the trend per bucket and
//! workflow, an operator's bucket (audited), and the week as CSV.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use chrono::{DateTime, Duration, Utc};
use countersign_core::audit::kinds;
use countersign_core::failure::{self, BucketChange, WeekCount};
use countersign_core::{FailureBucket, FailureRules};
use countersign_store::Store;
use countersign_store::failures::{self, BucketSet, FailurePage, FailureQuery};
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// Runs suggested per call before answering, so a view is current without waiting for the
/// background pass; the rest follows in the background ([`drain`]).
const CATCH_UP: usize = 2_000;

/// Suggests buckets for up to `limit` queued runs in one transaction.
pub fn drain(s: &mut Store, limit: usize) -> CmdResult<usize> {
    let tx = s.write()?;
    let n = failures::classify_pending(&tx, limit)?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(n)
}

/// One page of a week's runs to review.
#[tauri::command]
pub async fn failure_week(
    state: State<'_, Arc<AppState>>,
    query: FailureQuery,
) -> CmdResult<FailurePage> {
    with_store(&state, move |s| week(s, &query)).await
}

/// [`failure_week`] without Tauri (benchmarks, tests).
pub fn week(s: &mut Store, query: &FailureQuery) -> CmdResult<FailurePage> {
    drain(s, CATCH_UP)?;
    Ok(failures::week(s.conn(), query)?)
}

/// The trend of the last weeks and what changed from last week to this one.
#[derive(Serialize, ts_rs::TS)]
pub struct FailureTrend {
    /// Monday 00:00 UTC of each week shown, oldest first.
    pub weeks: Vec<DateTime<Utc>>,
    /// Runs per week, workflow and bucket (weeks with none have no rows).
    pub counts: Vec<WeekCount>,
    /// This week against last week, biggest move first.
    pub changes: Vec<BucketChange>,
}

/// The trend of the `weeks` weeks (default 8, at most 52) ending with the one holding `until`
/// (default now).
#[tauri::command]
pub async fn failure_trend(
    state: State<'_, Arc<AppState>>,
    until: Option<DateTime<Utc>>,
    weeks: Option<u32>,
) -> CmdResult<FailureTrend> {
    with_store(&state, move |s| trend(s, until, weeks)).await
}

/// [`failure_trend`] without Tauri.
pub fn trend(
    s: &mut Store,
    until: Option<DateTime<Utc>>,
    weeks: Option<u32>,
) -> CmdResult<FailureTrend> {
    drain(s, CATCH_UP)?;
    let until = until.unwrap_or_else(Utc::now);
    let n = weeks.unwrap_or(8).clamp(2, 52);
    let this = failure::week_start(until);
    let counts = failures::trend(s.conn(), until, n)?;
    let changes = failure::week_changes(&counts, this, this - Duration::days(7));
    let weeks = (0..n)
        .rev()
        .map(|i| this - Duration::days(7 * i64::from(i)))
        .collect();
    Ok(FailureTrend {
        weeks,
        counts,
        changes,
    })
}

/// Confirms or changes a run's bucket (audited with before → after).
#[tauri::command]
pub async fn set_failure_bucket(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    run_id: String,
    bucket: FailureBucket,
) -> CmdResult<BucketSet> {
    with_store(&state, move |s| {
        let tx = s.write()?;
        let set = failures::set_bucket(&tx, &backend_id, &run_id, bucket, "console", Utc::now())
            .map_err(|e| match e {
                countersign_store::StoreError::Invalid(m) => CmdError::new("not_found", m),
                other => other.into(),
            })?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        tracing::info!(backend = %backend_id, run = %run_id, before = set.before.as_str(),
            after = set.after.as_str(), "failure bucket set");
        Ok(set)
    })
    .await
}

/// The failure-bucketing rules' tunables in force (defaults when unset).
#[tauri::command]
pub async fn get_failure_rules(state: State<'_, Arc<AppState>>) -> CmdResult<FailureRules> {
    with_store(&state, move |s| Ok(failures::rules(s.conn())?)).await
}

/// Validates and saves the rules' tunables, records before → after in the audit trail as by
/// the admin, and queues every reviewed run for a new suggestion (an operator's bucket
/// stays). Refused (`forbidden`) unless a backend identity holds the admin role.
pub fn save_rules(
    s: &mut Store,
    rules: &FailureRules,
    now: DateTime<Utc>,
) -> CmdResult<FailureRules> {
    let actor = super::admin::require_admin(s.conn(), "the failure-bucketing rules")?;
    rules
        .validate()
        .map_err(|m| CmdError::new("invalid_input", m))?;
    let tx = s.write()?;
    let before = failures::rules(&tx)?;
    if before != *rules {
        countersign_store::settings::set(&tx, failures::RULES_KEY, rules)?;
        countersign_store::audit::append(
            &tx,
            &actor,
            kinds::FAILURE_RULES_CHANGED,
            failures::RULES_KEY,
            serde_json::json!({"before": before, "after": rules}),
            now,
        )?;
        failures::requeue_all(&tx)?;
    }
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(rules.clone())
}

/// [`save_rules`] now.
#[tauri::command]
pub async fn set_failure_rules(
    state: State<'_, Arc<AppState>>,
    rules: FailureRules,
) -> CmdResult<FailureRules> {
    with_store(&state, move |s| save_rules(s, &rules, Utc::now())).await
}

/// Where a CSV export went.
#[derive(Serialize, ts_rs::TS)]
pub struct CsvExport {
    /// The file written.
    pub path: String,
    /// Data rows (runs) in it.
    pub rows: u64,
}

/// Writes the week's runs matching the filters (all pages) as CSV into the exports folder.
#[tauri::command]
pub async fn export_failures_csv(
    state: State<'_, Arc<AppState>>,
    query: FailureQuery,
) -> CmdResult<CsvExport> {
    let dir = state.key_dir().join("exports");
    with_store(&state, move |s| {
        drain(s, CATCH_UP)?;
        let text = failures::week_csv(s.conn(), &query)?;
        let week = failure::week_start(query.week.unwrap_or_else(Utc::now));
        let path = dir.join(format!(
            "failures-{}-{}.csv",
            week.format("%Y-%m-%d"),
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        let io = |e: std::io::Error| CmdError::new("export_failed", e.to_string());
        std::fs::create_dir_all(&dir).map_err(io)?;
        std::fs::write(&path, &text).map_err(io)?;
        // Header and every row end in CRLF; quoted fields may hold line breaks of their own.
        let rows = failures::week(
            s.conn(),
            &FailureQuery {
                limit: Some(0),
                ..query.clone()
            },
        )?
        .total;
        Ok(CsvExport {
            path: path.display().to_string(),
            rows,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_store::{backends, runs};

    fn run(id: &str, start: &str) -> countersign_core::Run {
        serde_json::from_value(serde_json::json!({
            "run_id": id, "user_id": "u", "workflow": "triage", "model": "m",
            "cost_micros": 1, "latency_ms": 1, "outcome": "fail", "started_at": start,
            "updated_at": start,
            "tool_calls": [{"call_id": "c", "tool": "kb", "started_at": start,
                            "error": "503 Service Unavailable"}],
        }))
        .unwrap_or_else(|e| panic!("fixture: {e}"))
    }

    #[test]
    fn only_an_admin_changes_the_rules_audited_and_runs_are_suggested_again() -> CmdResult<()> {
        use countersign_core::Role;
        let mut s = Store::open_in_memory()?;
        let b = backends::upsert(s.conn(), "a", "http://127.0.0.1:1", "countersign", false)?;
        let now: DateTime<Utc> = "2026-04-15T12:00:00Z".parse().unwrap_or_default();
        runs::upsert(
            s.conn(),
            &b.backend_id,
            &run("r1", "2026-04-14T10:00:00Z"),
            now,
            365,
        )?;
        drain(&mut s, 100)?;
        let rules = FailureRules {
            default_cut: 0.8,
            cuts: [("triage".to_string(), 0.6)].into_iter().collect(),
            margin: 0.1,
        };
        let who = |roles: &[Role]| countersign_core::Whoami {
            subject: "ada".into(),
            display_name: "Ada".into(),
            roles: roles.to_vec(),
            tenants: vec![],
        };
        backends::set_whoami(s.conn(), &b.backend_id, &who(&[Role::Reviewer]))?;
        let code = save_rules(&mut s, &rules, now).err().map(|e| e.code);
        assert_eq!(code, Some("forbidden"));
        assert_eq!(failures::rules(s.conn())?, FailureRules::default());
        backends::set_whoami(s.conn(), &b.backend_id, &who(&[Role::Admin]))?;
        let bad = FailureRules {
            margin: 1.5,
            ..rules.clone()
        };
        let code = save_rules(&mut s, &bad, now).err().map(|e| e.code);
        assert_eq!(code, Some("invalid_input"));
        assert_eq!(failures::pending(s.conn())?, 0);
        save_rules(&mut s, &rules, now)?;
        save_rules(&mut s, &rules, now)?; // unchanged: no second event
        assert_eq!(failures::rules(s.conn())?, rules);
        let ev = countersign_store::audit::of_kinds(s.conn(), &[kinds::FAILURE_RULES_CHANGED])?;
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].actor, "ada");
        assert_eq!(
            ev[0].details["before"]["default_cut"],
            serde_json::json!(0.7)
        );
        assert_eq!(
            ev[0].details["after"]["cuts"]["triage"],
            serde_json::json!(0.6)
        );
        assert_eq!(
            failures::pending(s.conn())?,
            1,
            "the reviewed run is queued again"
        );
        Ok(())
    }

    #[test]
    fn the_commands_catch_up_on_queued_runs_before_answering() -> CmdResult<()> {
        let mut s = Store::open_in_memory()?;
        let b = backends::upsert(s.conn(), "a", "http://127.0.0.1:1", "countersign", false)?;
        let now: DateTime<Utc> = "2026-04-15T12:00:00Z".parse().unwrap_or_default();
        for (id, start) in [
            ("last", "2026-04-07T10:00:00Z"),
            ("this1", "2026-04-14T10:00:00Z"),
            ("this2", "2026-04-15T10:00:00Z"),
        ] {
            runs::upsert(s.conn(), &b.backend_id, &run(id, start), now, 365)?;
        }
        // Nothing was suggested yet: the trend command does it first.
        let t = trend(&mut s, Some(now), Some(3))?;
        assert_eq!(t.weeks.len(), 3);
        assert_eq!(t.weeks[2], failure::week_start(now));
        let total: u64 = t.counts.iter().map(|c| c.runs).sum();
        assert_eq!(total, 3);
        assert_eq!(t.changes.len(), 1);
        assert_eq!(
            (
                t.changes[0].bucket,
                t.changes[0].last_week,
                t.changes[0].this_week
            ),
            (FailureBucket::ConnectorOutage, 1, 2)
        );
        let page = week(
            &mut s,
            &FailureQuery {
                week: Some(now),
                ..Default::default()
            },
        )?;
        assert_eq!((page.total, page.pending), (2, 0));
        Ok(())
    }
}
