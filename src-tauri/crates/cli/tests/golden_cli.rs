//! `countersign golden compare` as a whole process on a real store: a 1,000-case set, a
//! baseline eval and a candidate that costs twice as much on every tenth case. The candidate
//! fails on exactly those cases (exit 3) and the baseline passes (exit 0); the wall time of the
//! whole process is printed (the target is ≤ 1 s at the command layer).

use chrono::{Duration, Utc};
use countersign_core::golden::{ConfigLabel, Expectations, GoldenCase};
use countersign_core::{Micros, Run};
use countersign_store::golden::{self, Change, EvalRecord, StoredCase};
use countersign_store::{Store, backends};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_countersign");
const CASES: usize = 1_000;

fn run(i: usize, t: chrono::DateTime<Utc>) -> Run {
    let v = json!({
        "run_id": format!("run_{i:07}"), "revision": 1, "tenant": "acme", "user_id": "u1",
        "workflow": "refund_request", "workflow_version": "v3", "model": "m1",
        "inputs": {"order_id": format!("ord_{i}")},
        "tool_calls": [],
        "citations": [{"doc_id": "kb_101", "title": "Refund policy (EU)",
            "passage": "Consumers may withdraw within 14 days of delivery.",
            "start": 0, "end": 10, "context": "…", "source_version": "v3",
            "source_updated_at": t.to_rfc3339()}],
        "outputs": {}, "cost_micros": 2_000, "latency_ms": 1_500,
        "outcome": "success", "decision": "refund_proposed",
        "policy_checks": [{"name": "pii_redaction", "passed": true}],
        "changes": [{"system": "billing", "record_id": format!("ord_{i}"), "field": "refund",
                     "before": null, "after": "40.00"}],
        "started_at": t.to_rfc3339(), "updated_at": t.to_rfc3339()
    });
    serde_json::from_value(v).expect("fixture")
}

fn seed(path: &Path) {
    let mut store = Store::open(path).expect("store");
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
    let cases: Vec<StoredCase> = (0..CASES)
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
        "test",
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
}

#[test]
fn compare_a_1000_case_eval_against_its_baseline_as_a_whole_process() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("golden.db");
    seed(&store);
    let t = Instant::now();
    let out = Command::new(BIN)
        .args(["golden", "compare", "--store"])
        .arg(&store)
        .arg("cand")
        .output()
        .expect("run the cli");
    let took = t.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("eval cand of refund_request v1 under v3 / m2 against eval base: FAILED"),
        "{text}"
    );
    let failing: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .collect();
    let expected: Vec<String> = (0..CASES)
        .step_by(10)
        .map(|i| format!("run_{i:07}"))
        .collect();
    assert_eq!(
        failing, expected,
        "exactly the cases that cost twice as much"
    );
    assert!(
        text.contains("cost $0.004 over the ceiling $0.003"),
        "{text}"
    );
    eprintln!(
        "golden compare (whole process, {} build): {CASES} cases against the baseline eval in {:.0} ms",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        took.as_secs_f64() * 1000.0
    );

    let out = Command::new(BIN)
        .args(["golden", "compare", "--json", "--store"])
        .arg(&store)
        .arg("base")
        .output()
        .expect("run the cli");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(r["passed"], true);
    assert_eq!(r["totals"]["cases"], CASES);
    assert_eq!(r["totals"]["passed"], CASES);

    let out = Command::new(BIN)
        .args(["golden", "compare", "--store"])
        .arg(&store)
        .arg("nope")
        .output()
        .expect("run the cli");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no eval nope in the store"));
}
