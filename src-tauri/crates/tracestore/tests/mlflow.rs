//! The MLflow connector against a real MLflow 3 tracking server (`mlflow server` on SQLite,
//! from `scripts/venv-mlflow.sh`), fed agent traces written by MLflow's own tracing SDK
//! (`support/mlflow_traces.py`: AGENT, LLM, RETRIEVER and TOOL spans with token usage).

mod support;

use countersign_core::{Micros, Outcome, Run};
use countersign_store::health::HealthState;
use countersign_store::{Store, audit, health, quarantine, settings};
use countersign_sync::{SyncOptions, SyncReport};
use countersign_tracestore::{Cancel, Client, mlflow};
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use support::mlflow_server::{MlflowServer, hex_of};
use support::*;

const PRICES: &str = r#"{"prices": [
    {"model": "support-scripted", "effective_from": "2020-01-01", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"}
]}"#;

/// Spans per trace `mlflow_traces.py` writes: agent, two model calls, retrieval, tool.
const SPANS: usize = 5;

/// Not a test of its own: the sync process the kill test SIGKILLs (see `support::worker_main`).
#[test]
fn sync_worker() {
    worker_main();
}

fn sync_with(
    store: &Path,
    backend: &str,
    url: &str,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&countersign_sync::Progress) + Send + Sync),
) -> SyncReport {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = Client::mlflow(url, None, client_opts()).expect("client");
    rt.block_on(mlflow::sync(
        store,
        backend,
        &client,
        opts,
        cancel,
        on_progress,
    ))
}

fn sync(store: &Path, backend: &str, url: &str, opts: &SyncOptions) -> SyncReport {
    sync_with(store, backend, url, opts, &Cancel::default(), &|_| {})
}

/// A store with the test price table and one MLflow backend at `url` with `config`.
fn mlflow_store(store: &Path, url: &str, config: serde_json::Value) -> String {
    let backend = register(store, "MLflow", url, mlflow::KIND, config);
    let s = Store::open(store).expect("store");
    settings::set_text(s.conn(), settings::PRICE_TABLE, PRICES).expect("prices");
    backend
}

/// The run of the `i`-th trace `mlflow_traces.py` wrote (`fails`: its tool call failed).
fn assert_agent_run(run: &Run, i: usize, fails: bool) {
    assert_eq!(run.workflow, "refund_agent");
    assert_eq!(run.model, "support-scripted");
    assert_eq!(run.user_id, format!("customer-{}", i % 7));
    assert_eq!(run.inputs["conversation_id"], format!("s-{i}"));
    let (input, output) = (100 + i % 50 + 160 + i % 50, 45);
    assert_eq!(
        (run.tokens.input, run.tokens.output),
        (input as u64, output)
    );
    // Priced with the user's table: $2.50 per million input tokens, $10 per million output.
    let micros = (input as i64 * 2_500_000 + output as i64 * 10_000_000) / 1_000_000;
    assert_eq!(run.cost_micros, Micros(micros));
    let tools: Vec<&str> = run.tool_calls.iter().map(|t| t.tool.as_str()).collect();
    assert_eq!(tools, ["search_kb", "lookup_order"]);
    assert_eq!(
        run.tool_calls[1].arguments,
        json!({"order_id": format!("A-{i}")})
    );
    if fails {
        let err = run.tool_calls[1].error.as_deref().unwrap_or_default();
        assert!(err.contains("is locked"), "{err}");
        assert_eq!(run.tool_calls[1].result, None);
    } else {
        assert_eq!(run.tool_calls[1].error, None);
        assert_eq!(
            run.tool_calls[1].result,
            Some(json!({"order_id": format!("A-{i}"), "status": "delivered", "amount": "42.50"}))
        );
    }
    assert_eq!(run.citations.len(), 1);
    assert_eq!(run.citations[0].doc_id, "kb_102");
    assert_eq!(
        run.citations[0].url.as_deref(),
        Some("https://kb.example.com/refunds")
    );
    assert_eq!(run.outcome, Outcome::Success);
    assert_eq!(run.revision as usize, SPANS);
    assert!(run.ended_at.is_some() && run.latency_ms < 60_000);
}

#[test]
fn mlflow_traces_become_runs_incrementally_idempotently_and_survive_an_outage() {
    let suite = Instant::now();
    let mut server = MlflowServer::start();
    let url = server.url.clone();
    let refunds = server.write_traces("refunds", 12, 0, 5);
    let other = server.write_traces("other", 3, 100, 0);
    server.wait_traces(&refunds.experiment_id, 12);
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let backend = mlflow_store(&store, &url, json!({"experiment": "refunds"}));

    // First sync: every trace, whole, in pages of 5 traces.
    let r1 = sync(&store, &backend, &url, &paged(5));
    assert_eq!(r1.error, None, "{r1:?}");
    assert_eq!((r1.pages, r1.runs, r1.quarantined), (3, 12, 0), "{r1:?}");
    assert_eq!(runs_of(&store, &backend).len(), 12, "one run per trace");
    assert_eq!(spans_of(&store, &backend).len(), 12 * SPANS);
    for (i, trace) in refunds.traces.iter().enumerate() {
        assert_agent_run(&stored_run(&store, &backend, hex_of(trace)), i, i % 5 == 0);
    }

    // New traces after the first sync come in on the next; the others stay as they were.
    let before = runs_of(&store, &backend);
    let more = server.write_traces("refunds", 4, 12, 5);
    server.wait_traces(&refunds.experiment_id, 16);
    let r2 = sync(&store, &backend, &url, &paged(5));
    assert_eq!(r2.error, None, "{r2:?}");
    assert_eq!((r2.runs, r2.quarantined), (4, 0), "{r2:?}");
    let after = runs_of(&store, &backend);
    assert_eq!(after.len(), 16);
    assert!(
        before.iter().all(|r| after.contains(r)),
        "earlier runs untouched"
    );
    for (n, trace) in more.traces.iter().enumerate() {
        let i = 12 + n;
        assert_agent_run(&stored_run(&store, &backend, hex_of(trace)), i, i % 5 == 0);
    }

    // Idempotent: a sync with nothing new writes nothing.
    let spans = spans_of(&store, &backend);
    let r3 = sync(&store, &backend, &url, &paged(5));
    assert_eq!(
        (r3.error.clone(), r3.runs, r3.quarantined),
        (None, 0, 0),
        "{r3:?}"
    );
    assert_eq!(runs_of(&store, &backend), after);
    assert_eq!(spans_of(&store, &backend), spans);

    // One page at a time, from scratch (a sync stopped after every page), ends where the
    // syncs above ended: every trace once.
    let paged_store = dir.path().join("paged.db");
    let paged_backend = mlflow_store(&paged_store, &url, json!({"experiment": "refunds"}));
    let one = SyncOptions {
        page_size: 5,
        max_pages: Some(1),
        ..Default::default()
    };
    let mut calls = 0;
    while spans_of(&paged_store, &paged_backend).len() < spans.len() {
        let r = sync(&paged_store, &paged_backend, &url, &one);
        assert_eq!((r.error.clone(), r.pages), (None, 1), "{r:?}");
        calls += 1;
        assert!(calls <= 16, "every call makes progress");
    }
    assert_eq!(calls, 4, "16 traces in pages of 5");
    assert_eq!(runs_of(&paged_store, &paged_backend), after);
    assert_eq!(spans_of(&paged_store, &paged_backend), spans);

    // Every experiment (no experiment configured): the same runs, plus the other experiment's.
    let all_store = dir.path().join("all.db");
    let all = mlflow_store(&all_store, &url, json!({}));
    let ra = sync(&all_store, &all, &url, &paged(1000));
    assert_eq!((ra.error.clone(), ra.runs), (None, 19), "{ra:?}");
    let everything = runs_of(&all_store, &all);
    assert!(after.iter().all(|r| everything.contains(r)));
    for (n, trace) in other.traces.iter().enumerate() {
        assert_agent_run(&stored_run(&all_store, &all, hex_of(trace)), 100 + n, false);
    }

    // Malformed data in MLflow's own store is quarantined; the rest of the page syncs. A
    // second backend row of the same server names its experiment in the URL fragment.
    let broken = server.write_traces("broken", 6, 200, 0);
    server.wait_traces(&broken.experiment_id, 6);
    let t = &broken.traces;
    // A span without a start time (it reaches the console as one unreadable span).
    let no_start = server.edit_db(
        "UPDATE spans SET content = json_set(content, '$.start_time_unix_nano', 0)
         WHERE trace_id = ?1 AND name = 'search_kb'",
        &[&t[1]],
    );
    // A span MLflow itself cannot read (it refuses to serve the trace's spans at all).
    let bad_id = server.edit_db(
        "UPDATE spans SET content = json_set(content, '$.span_id', 'not base64!')
         WHERE trace_id = ?1 AND name = 'search_kb'",
        &[&t[2]],
    );
    // A trace whose spans MLflow says are in the artifact store.
    let elsewhere = server.edit_db(
        "UPDATE trace_tags SET value = 'ARTIFACT_REPO'
         WHERE request_id = ?1 AND key = 'mlflow.trace.spansLocation'",
        &[&t[3]],
    );
    assert_eq!((no_start, bad_id, elsewhere), (1, 1, 1));
    let broken_backend = register(
        &store,
        "MLflow broken",
        &format!("{url}#experiment=broken"),
        mlflow::KIND,
        json!({}),
    );
    let rb = sync(&store, &broken_backend, &url, &paged(4));
    assert_eq!(rb.error, None, "{rb:?}");
    assert_eq!((rb.runs, rb.quarantined), (4, 3), "{rb:?}");
    let s = Store::open(&store).expect("store");
    let q = quarantine::list(s.conn(), Some(&broken_backend), 10).expect("quarantine");
    let reasons: Vec<&str> = q.iter().map(|q| q.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("start_time")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&t[2]) && r.contains("could not serve")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&t[3]) && r.contains("ARTIFACT_REPO")),
        "{reasons:?}"
    );
    let quarantine_events = audit::list(s.conn(), None, None, 100)
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == countersign_core::audit::kinds::QUARANTINE)
        .count();
    assert!(quarantine_events >= 1, "quarantines are audited");
    drop(s);
    let partial = stored_run(&store, &broken_backend, hex_of(&t[1]));
    assert_eq!(partial.revision, 4, "built from its four readable spans");
    assert!(
        partial.citations.is_empty(),
        "the unreadable retrieval is missing"
    );
    for i in [0, 4, 5] {
        assert_agent_run(
            &stored_run(&store, &broken_backend, hex_of(&t[i])),
            200 + i,
            false,
        );
    }
    let again = sync(&store, &broken_backend, &url, &paged(4));
    assert_eq!(
        (again.error.clone(), again.runs, again.quarantined),
        (None, 0, 0),
        "quarantined once: {again:?}"
    );

    // The probe before adding: version, the named experiment; an unknown one is not found.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = Client::mlflow(&url, None, client_opts()).expect("client");
    let p = rt
        .block_on(mlflow::probe(
            &client,
            &mlflow::Experiments::Name("refunds".into()),
        ))
        .expect("probe");
    assert_eq!(p.version.as_deref(), Some("3.17.2"));
    assert_eq!(
        p.experiments,
        [(refunds.experiment_id.clone(), "refunds".to_string())]
    );
    let all = rt
        .block_on(mlflow::probe(&client, &mlflow::Experiments::All))
        .expect("probe");
    assert_eq!(all.experiments.len(), 4, "Default, refunds, other, broken");
    let missing = rt.block_on(mlflow::probe(
        &client,
        &mlflow::Experiments::Name("nope".into()),
    ));
    assert_eq!(missing.map_err(|e| e.code()), Err("not_found"));
    drop(rt);

    // MLflow down: health goes down with a clear error, audited; nothing stored is lost.
    server.kill();
    for _ in 0..3 {
        let r = sync(&store, &backend, &url, &paged(5));
        let e = r.error.expect("sync fails while mlflow is down");
        assert_eq!(e.code, "backend_unreachable", "{}", e.message);
    }
    let s = Store::open(&store).expect("store");
    let h = health::get(s.conn(), &backend).expect("health");
    assert_eq!(h.state, HealthState::Down);
    assert!(h.last_success_at.is_some());
    assert!(
        h.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("unreachable"),
        "{:?}",
        h.last_error
    );
    let failures = audit::list(s.conn(), None, None, 100)
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == countersign_core::audit::kinds::SYNC_FAILURE)
        .count();
    assert_eq!(failures, 3);
    assert_eq!(quarantine::count(s.conn(), &backend).expect("count"), 0);
    drop(s);
    assert_eq!(runs_of(&store, &backend), after);
    assert_eq!(spans_of(&store, &backend), spans);
    eprintln!(
        "mlflow start-up {:?}; this test {:?}",
        server.startup,
        suite.elapsed()
    );
}

/// The native protocol's kill test, for MLflow: a sync process SIGKILLed at pseudo-random
/// points (each further into the data) resumes to exactly what one uninterrupted sync
/// stores; so does a sync cancelled after its first page.
#[test]
fn mlflow_sync_killed_at_random_points_resumes_exactly() {
    let server = MlflowServer::start();
    let written = server.write_traces("kill", 40, 0, 4);
    server.wait_traces(&written.experiment_id, 40);
    let expected = 40 * SPANS;
    let config = json!({ "experiment": written.experiment_id });
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let backend = mlflow_store(&store, &server.url, config.clone());

    kill_rounds(
        &KillTarget {
            kind: mlflow::KIND,
            store: &store,
            backend_id: &backend,
            url: &server.url,
            secret: "",
            page: 2,
        },
        0x5eed,
        40,
    );
    let last = sync(&store, &backend, &server.url, &paged(2));
    assert_eq!(last.error, None, "{last:?}");

    // An uninterrupted sync into a fresh store is the reference.
    let reference = dir.path().join("reference.db");
    let backend2 = mlflow_store(&reference, &server.url, config.clone());
    let full = sync(&reference, &backend2, &server.url, &paged(500));
    assert_eq!((full.error.clone(), full.runs), (None, 40), "{full:?}");
    assert_eq!(
        spans_of(&store, &backend).len(),
        expected,
        "every span, once"
    );
    assert_eq!(runs_of(&store, &backend).len(), 40, "one run per trace");
    assert_eq!(spans_of(&store, &backend), spans_of(&reference, &backend2));
    assert_eq!(runs_of(&store, &backend), runs_of(&reference, &backend2));

    // Cancelled after its first page: that page stays, the next sync resumes after it.
    let cancelled = dir.path().join("cancelled.db");
    let backend3 = mlflow_store(&cancelled, &server.url, config);
    let cancel = Cancel::default();
    let stop = cancel.clone();
    let r = sync_with(
        &cancelled,
        &backend3,
        &server.url,
        &paged(3),
        &cancel,
        &move |_| stop.cancel(),
    );
    assert_eq!(r.error.map(|e| e.code), Some("cancelled".to_string()));
    assert_eq!(r.pages, 1);
    assert_eq!(spans_of(&cancelled, &backend3).len(), 3 * SPANS);
    let rest = sync(&cancelled, &backend3, &server.url, &paged(3));
    assert_eq!((rest.error.clone(), rest.runs), (None, 37), "{rest:?}");
    assert_eq!(
        spans_of(&cancelled, &backend3),
        spans_of(&reference, &backend2)
    );
    assert_eq!(
        runs_of(&cancelled, &backend3),
        runs_of(&reference, &backend2)
    );
}
