//! Trust view and readiness scorecard at scale: a store with RUNS runs (default 1,000,000, run
//! columns and daily roll-up filled in bulk SQL, small bodies: these queries never read bodies)
//! and DECISIONS decisions (default 100,000) with their actions over 12 weeks, 8 workflows,
//! 20 reviewers; then times what the commands call: the trust report (all, one workflow, one
//! reviewer), drill-downs, and each workflow's scorecard.
//!
//! `cargo bench --bench trust -- [RUNS] [DECISIONS] [--store PATH]` (an existing PATH skips the
//! fill).

use chrono::{DateTime, Duration, Utc};
use countersign_store::Store;
use countersign_store::readiness;
use countersign_store::trust::{self, Dimension, DrillQuery, Metric, TrustQuery};
use std::path::PathBuf;
use std::time::Instant;

const WORKFLOWS: [&str; 8] = [
    "refund",
    "crm_update",
    "ticket_close",
    "invoice",
    "triage",
    "kyc",
    "quote",
    "renewal",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nums: Vec<i64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let runs = nums.first().copied().unwrap_or(1_000_000);
    let decisions = nums.get(1).copied().unwrap_or(100_000);
    let keep = args
        .iter()
        .position(|a| a == "--store")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let dir = tempfile::tempdir().expect("tmp");
    let path = keep.unwrap_or_else(|| dir.path().join("trust.db"));
    let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().expect("now");
    if !path.exists() {
        let t = Instant::now();
        fill(&path, runs, decisions, now);
        println!("filled in {:.1} s", t.elapsed().as_secs_f64());
    }
    let store = Store::open(&path).expect("store");
    let c = store.conn();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).expect("count") };
    println!(
        "store: {} runs, {} decisions, {} actions",
        count("SELECT count(*) FROM runs"),
        count("SELECT count(*) FROM decisions"),
        count("SELECT count(*) FROM actions")
    );
    let all = TrustQuery::default();
    let last4 = TrustQuery {
        from: Some(now - Duration::weeks(4)),
        to: Some(now),
        ..Default::default()
    };
    let one_wf = TrustQuery {
        workflow: Some("refund".into()),
        ..Default::default()
    };
    let one_rev = TrustQuery {
        reviewer: Some("reviewer07".into()),
        ..Default::default()
    };
    for (name, q) in [
        ("report, all time", &all),
        ("report, last 4 weeks", &last4),
        ("report, one workflow", &one_wf),
        ("report, one reviewer", &one_rev),
    ] {
        let (p50, p95) = time(20, || {
            trust::report(c, q, now).expect("report");
        });
        println!("  {name:<34} p50 {p50:>7.2} ms  p95 {p95:>7.2} ms");
        let (b50, b95) = time(10, || {
            trust::report_by_rows(c, q, now).expect("report");
        });
        println!(
            "  {:<34} p50 {b50:>7.2} ms  p95 {b95:>7.2} ms",
            "  (row by row, no roll-up)"
        );
        assert_eq!(
            trust::report(c, q, now).expect("report"),
            trust::report_by_rows(c, q, now).expect("report"),
            "{name}: the roll-up answers what the rows do"
        );
    }
    // A period that starts and ends mid-day: whole days from the roll-up, the edges row by row.
    let mid = TrustQuery {
        from: Some(now - Duration::weeks(4) - Duration::hours(7)),
        to: Some(now - Duration::hours(5)),
        ..Default::default()
    };
    let (p50, p95) = time(20, || {
        trust::report(c, &mid, now).expect("report");
    });
    println!(
        "  {:<34} p50 {p50:>7.2} ms  p95 {p95:>7.2} ms",
        "report, 4 weeks mid-day edges"
    );
    assert_eq!(
        trust::report(c, &mid, now).expect("report"),
        trust::report_by_rows(c, &mid, now).expect("report")
    );
    for (name, group, metric) in [
        ("drill too fast", None, Metric::TooFast),
        (
            "drill corrected amount",
            None,
            Metric::Corrected {
                field: Some("amount".into()),
            },
        ),
        (
            "drill workflow, expired",
            Some((Dimension::Workflow, "refund".to_string())),
            Metric::Kind {
                kind: "expired".into(),
            },
        ),
        (
            "drill week, all",
            Some((Dimension::Week, "2026-11-02T00:00:00Z".to_string())),
            Metric::All,
        ),
        ("drill disagreed", None, Metric::Disagreed),
    ] {
        let d = DrillQuery {
            query: all.clone(),
            group,
            metric,
        };
        let (p50, p95) = time(20, || {
            trust::drill(c, &d, now, 500).expect("drill");
        });
        println!("  {name:<34} p50 {p50:>7.2} ms  p95 {p95:>7.2} ms");
    }
    for w in WORKFLOWS.iter().take(3) {
        let (p50, p95) = time(20, || {
            readiness::scorecard(c, w, now - Duration::weeks(4), now, now).expect("card");
        });
        println!("  scorecard {w:<24} p50 {p50:>7.2} ms  p95 {p95:>7.2} ms");
    }
    let (p50, p95) = time(10, || {
        readiness::scorecards(c, now - Duration::weeks(4), now, now).expect("cards");
    });
    println!(
        "  {:<34} p50 {p50:>7.2} ms  p95 {p95:>7.2} ms",
        "every scorecard (export)"
    );
}

fn time(n: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    (v[n / 2], v[(n * 95).div_ceil(100) - 1])
}

fn fill(path: &std::path::Path, runs: i64, decisions: i64, now: DateTime<Utc>) {
    let mut store = Store::open(path).expect("store");
    let tx = store.write().expect("tx");
    countersign_store::backends::upsert(&tx, "bench", "http://localhost:1", "countersign", false)
        .expect("backend");
    let b: String = tx
        .query_row("SELECT backend_id FROM backends", [], |r| r.get(0))
        .expect("id");
    let end = now.timestamp_millis();
    let span = Duration::weeks(12).num_milliseconds();
    // Runs: bulk SQL through a recursive counter; outcome, model and citations vary.
    tx.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO runs (backend_id, run_id, revision, tenant, workflow, workflow_version,
             user_id, model, outcome, decision, cost_micros, latency_ms, tool_calls,
             policy_failures, citation_warnings, started_at_ms, updated_at_ms, body, citations)
         SELECT ?2, 'run' || i, 1, 't', ?5 ->> ('$[' || (i % 8) || ']'), 'v1', 'u' || (i % 500),
             CASE WHEN i % 100 < 70 THEN 'm1' ELSE 'm2' END,
             CASE WHEN i % 10 < 7 THEN 'success' WHEN i % 10 < 9 THEN 'escalated' ELSE 'fail' END,
             '', 10000 + (i * 7919) % 990000, 1000, 3, 0, (i % 50 = 0),
             ?3 - ((i * 104729) % ?4), ?3, '{}', (i % 10 < 8) * 2
         FROM n",
        rusqlite_params(runs, &b, end, span),
    )
    .expect("runs");
    tx.execute_batch(
        "INSERT INTO run_daily (day_ms, backend_id, workflow, model, outcome, runs, cost_micros,
             stale_citations, cited_runs, stale_runs)
         SELECT started_at_ms / 86400000 * 86400000, backend_id, workflow, model, outcome,
             count(*), sum(cost_micros), sum(citation_warnings), sum(citations > 0),
             sum(citation_warnings > 0)
         FROM runs GROUP BY 1, 2, 3, 4, 5",
    )
    .expect("roll-up");
    // Actions: one per decision's run (plus 5 % expired), every tenth without undo.
    tx.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO actions (backend_id, action_id, revision, run_id, status, kind, risk,
             requested_at_ms, expires_at_ms, updated_at_ms, body, workflow, rollback_supported)
         SELECT ?2, 'act' || i, 1, 'run' || (i * 10), 
             CASE WHEN i % 20 = 0 THEN 'expired' WHEN i % 50 = 1 THEN 'rolled_back'
                  WHEN i % 7 = 0 THEN 'denied' ELSE 'executed' END,
             'kind' || (i % 12), 'high', ?3 - ((i * 10 * 104729) % ?4),
             ?3 - ((i * 10 * 104729) % ?4) + 3600000, ?3, '{}',
             ?5 ->> ('$[' || ((i * 10) % 8) || ']'), i % 10 <> 3
         FROM n",
        rusqlite_params(decisions * 105 / 100, &b, end, span),
    )
    .expect("actions");
    tx.execute(
        "INSERT INTO decisions (backend_id, action_id, run_id, workflow, action_kind, reviewer,
             decision, decided_at_ms, time_to_decide_ms, too_fast, corrected_fields,
             citation_opens, sample_key, audit_seq)
         SELECT backend_id, action_id, run_id, workflow, kind,
             'reviewer' || printf('%02d', k % 20),
             CASE WHEN status = 'denied' THEN 'deny' WHEN k % 13 = 0 THEN 'escalate'
                  WHEN k % 5 = 0 THEN 'approve_with_edits' ELSE 'approve' END,
             requested_at_ms + 60000, 500 + (k * 7919) % 120000,
             (500 + (k * 7919) % 120000) < 4000,
             CASE WHEN k % 5 = 0 THEN '[\"amount\"]' ELSE '[]' END,
             k % 3, k % 10000, NULL
         FROM (SELECT row_number() OVER (ORDER BY action_id) AS k, * FROM actions WHERE status <> 'expired' LIMIT ?1)",
        [decisions],
    )
    .expect("decisions");
    tx.execute_batch(
        "INSERT INTO second_reviews (decision_id, reviewer, would_approve, disagrees, note,
             reviewed_at_ms)
         SELECT id, 'second', id % 9 <> 0, id % 9 = 0, '', decided_at_ms + 1
         FROM decisions WHERE sample_key < 500",
    )
    .expect("second reviews");
    tx.commit().expect("commit");
    store.conn().execute_batch("ANALYZE").expect("analyze");
}

fn rusqlite_params(
    n: i64,
    b: &str,
    end: i64,
    span: i64,
) -> impl countersign_store::rusqlite::Params + '_ {
    let workflows = serde_json::to_string(&WORKFLOWS).expect("json");
    countersign_store::rusqlite::params_from_iter(vec![
        countersign_store::rusqlite::types::Value::Integer(n),
        countersign_store::rusqlite::types::Value::Text(b.to_string()),
        countersign_store::rusqlite::types::Value::Integer(end),
        countersign_store::rusqlite::types::Value::Integer(span),
        countersign_store::rusqlite::types::Value::Text(workflows),
    ])
}
