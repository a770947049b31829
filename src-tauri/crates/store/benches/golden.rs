//! Comparing a 1,000-case eval against its baseline eval as the console's report command runs
//! it (`golden::eval_report`: read the set version, both evals' runs, compare, store the
//! report). Target: ≤ 1 s.
//!
//! `cargo bench -p countersign-store --bench golden -- [CASES] [REPEATS]`

use chrono::{Duration, Utc};
use countersign_core::golden::{ConfigLabel, Expectations, GoldenCase};
use countersign_core::{Micros, Run};
use countersign_store::golden::{self, Change, EvalRecord, StoredCase};
use countersign_store::{Store, backends};
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;

fn run(i: usize, t: chrono::DateTime<Utc>) -> Run {
    let v = json!({
        "run_id": format!("run_{i:07}"), "revision": 1, "tenant": "acme", "user_id": "u1",
        "workflow": "refund_request", "workflow_version": "v3", "model": "m1",
        "inputs": {"order_id": format!("ord_{i}"), "reason": "damaged on arrival"},
        "tool_calls": (0..4).map(|c| json!({"call_id": format!("c{c}"), "tool": "kb_search",
            "arguments": {"query": "refund policy EU"}, "result_summary": "2 hits",
            "started_at": t.to_rfc3339(), "cost_micros": 120, "documents": ["kb_101"]}))
            .collect::<Vec<_>>(),
        "citations": [{"doc_id": "kb_101", "title": "Refund policy (EU)",
            "passage": "Consumers may withdraw from a purchase within 14 days of delivery.",
            "start": 170, "end": 238, "context": "…", "source_version": "v3",
            "source_updated_at": "2026-09-01T09:00:00Z"}],
        "outputs": {"answer": "Refund of 40.00 EUR proposed."},
        "cost_micros": 2_000 + (i % 7) as i64, "latency_ms": 1_500 + (i % 11) as u64,
        "outcome": "success", "decision": "refund_proposed",
        "policy_checks": [{"name": "pii_redaction", "passed": true},
                          {"name": "amount_within_policy", "passed": !i.is_multiple_of(5)}],
        "changes": [{"system": "billing", "record_id": format!("ord_{i}"), "field": "refund",
                     "before": null, "after": "40.00"}],
        "started_at": t.to_rfc3339(), "updated_at": t.to_rfc3339()
    });
    serde_json::from_value(v).expect("fixture")
}

fn main() {
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = nums.first().copied().unwrap_or(1_000);
    let repeats = nums.get(1).copied().unwrap_or(5);
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("golden.db")).expect("store");
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )
    .expect("backend")
    .backend_id;
    let t0 = Utc::now() - Duration::days(1);
    let cases: Vec<StoredCase> = (0..n)
        .map(|i| {
            let r = run(i, t0);
            StoredCase {
                backend_id: b.clone(),
                case: GoldenCase {
                    expect: Expectations::from_run(&r, 1.5),
                    run: r,
                },
            }
        })
        .collect();
    let tx = store.write().expect("tx");
    let v = golden::change(
        &tx,
        "refund_request",
        Change::Add(cases.clone()),
        "bench",
        t0,
    )
    .expect("set");
    for (id, model, baseline, factor) in [("base", "m1", None, 1), ("cand", "m2", Some("base"), 2)]
    {
        let runs: HashMap<String, Run> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut r = c.case.run.clone();
                r.run_id = format!("{id}-{i}");
                r.eval_id = Some(id.into());
                if i.is_multiple_of(10) {
                    r.cost_micros = Micros(r.cost_micros.0 * factor);
                }
                (c.case.run.run_id.clone(), r)
            })
            .collect();
        let rec = EvalRecord {
            eval_id: id.into(),
            backend_id: b.clone(),
            workflow: "refund_request".into(),
            set_version: v.version,
            config: ConfigLabel {
                version: "v3".into(),
                model: model.into(),
                prompt: String::new(),
                retrieval: String::new(),
            },
            baseline_eval: baseline.map(String::from),
            started_at: t0,
            passed: None,
            error: None,
        };
        golden::save_eval(&tx, &rec, &runs).expect("eval");
    }
    tx.commit().expect("commit");
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..repeats {
        let t = Instant::now();
        report = Some(golden::eval_report(store.conn(), "cand", Utc::now()).expect("report"));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let r = report.expect("a report");
    println!(
        "golden: {n} cases against the baseline eval: min {:.1} ms, median {:.1} ms, max {:.1} ms \
         ({} passed, {} failed, cost change {:+.1} %)",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        r.totals.passed,
        r.totals.cases - r.totals.passed,
        r.cost_change.unwrap_or(0.0) * 100.0
    );
}
