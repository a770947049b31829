//! The Phoenix connector against a real Arize Phoenix server (from `scripts/venv-phoenix.sh`),
//! fed the otel crate's fixtures (real pydantic-ai and OpenInference traces) as OTLP protobuf.

mod support;

use countersign_core::{Micros, Outcome, Run};
use countersign_otel::{PriceTable, import_otlp_json};
use countersign_store::health::HealthState;
use countersign_store::{Store, audit, health, quarantine, settings};
use countersign_sync::{SyncOptions, SyncReport};
use countersign_tracestore::{Cancel, Client, phoenix};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;
use support::*;

const PRICES: &str = r#"{"prices": [
    {"model": "support-scripted", "effective_from": "2020-01-01", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"},
    {"model": "refund-scripted", "effective_from": "2020-01-01", "input_usd_per_mtok": "0.15", "output_usd_per_mtok": "0.60"},
    {"model": "gpt-4o", "effective_from": "2020-01-01", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"},
    {"model": "claude-sonnet-4", "effective_from": "2025-05-22", "input_usd_per_mtok": "3.00", "output_usd_per_mtok": "15.00"}
]}"#;

/// Not a test of its own: the sync process the kill test SIGKILLs (see `support::worker_main`).
#[test]
fn sync_worker() {
    worker_main();
}

fn sync(store: &Path, backend: &str, url: &str, opts: &SyncOptions) -> SyncReport {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = Client::phoenix(url, None, client_opts()).expect("client");
    rt.block_on(phoenix::sync(
        store,
        backend,
        &client,
        opts,
        &Cancel::default(),
        &|_| {},
    ))
}

/// The run's times in microseconds (Phoenix keeps span times to about the microsecond,
/// going through a float: compared within 2 µs by [`same_times`]).
fn times(r: &Run, linked: bool) -> Vec<Option<i64>> {
    let us = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp_micros());
    let mut out = vec![us(Some(r.started_at))];
    if linked {
        out.push(us(r.ended_at));
    }
    for t in &r.tool_calls {
        out.push(us(Some(t.started_at)));
        out.push(us(t.ended_at));
    }
    out
}

fn same_times(got: &Run, want: &Run, linked: bool) -> bool {
    let (a, b) = (times(got, linked), times(want, linked));
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => x.abs_diff(*y) <= 2,
            (None, None) => true,
            _ => false,
        })
        && got.latency_ms.abs_diff(want.latency_ms) <= 1
}

/// What a trace store must carry over from the trace: everything but the resource (Phoenix
/// keeps no resource attributes), the outputs (Phoenix adds `output.value` to chat spans) and
/// sub-microsecond times (latency is compared apart, to the millisecond).
fn essentials(r: &Run, with_outcome: bool) -> Value {
    json!({
        "run_id": r.run_id,
        "workflow": r.workflow,
        "model": r.model,
        "user_id": r.user_id,
        "tokens": [r.tokens.input, r.tokens.output],
        "cost_micros": r.cost_micros.0,
        "outcome": if with_outcome { json!(r.outcome.as_str()) } else { Value::Null },
        "inputs": r.inputs,
        "tool_calls": r.tool_calls.iter().map(|t| json!({
            "call_id": t.call_id, "parent_id": t.parent_id, "tool": t.tool,
            "arguments": t.arguments, "error": t.error,
            "result": if with_outcome { t.result.clone() } else { None },
            "cost": t.cost_micros.0,
            "documents": t.documents,
        })).collect::<Vec<_>>(),
        "citations": r.citations.iter().map(|c| json!({
            "doc_id": c.doc_id, "title": c.title, "url": c.url, "passage": c.passage,
            "call_id": c.call_id,
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn phoenix_spans_become_runs_incrementally_idempotently_and_survive_an_outage() {
    let suite = Instant::now();
    let mut phx = Phoenix::start();
    let project = "countersign-e2e";
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let backend = register(
        &store,
        "Phoenix",
        &phx.url,
        phoenix::KIND,
        json!({ "project": project }),
    );
    {
        let s = Store::open(&store).expect("store");
        settings::set_text(s.conn(), settings::PRICE_TABLE, PRICES).expect("prices");
    }
    let prices = PriceTable::from_json(PRICES).expect("prices");

    // Batch 1: every fixture, but only the first half of the support trace's spans.
    let support = otel_fixture("pydantic_ai_support.json");
    let halves = span_docs(&support);
    let (first, second) = halves.split_at(halves.len() / 2);
    let mut expected = 0;
    for name in FIXTURES
        .iter()
        .filter(|n| **n != "pydantic_ai_support.json")
    {
        let doc = otel_fixture(name);
        expected += span_docs(&doc).len();
        phx.send(&doc, project);
    }
    phx.send(&merge_docs(first), project);
    expected += first.len();
    phx.wait_spans(project, expected);

    let r1 = sync(&store, &backend, &phx.url, &paged(7));
    assert_eq!(r1.error, None, "{r1:?}");
    assert_eq!(r1.pages as usize, expected.div_ceil(7), "pages of 7 spans");
    assert!(
        r1.runs >= 10,
        "runs stored or replaced (a trace spread over pages counts per page)"
    );
    assert_eq!(runs_of(&store, &backend).len(), 10, "one run per trace");
    assert_eq!(r1.quarantined, 0);

    // Each trace's run carries what the trace says, as importing the file would.
    for name in FIXTURES
        .iter()
        .filter(|n| **n != "pydantic_ai_support.json")
    {
        let direct = import_otlp_json(
            &serde_json::to_vec(&otel_fixture(name)).expect("json"),
            &prices,
        )
        .expect("fixture imports");
        // Deferrals resumed in a later trace are linked only by a whole-file import (outcome
        // and the deferred call's answer).
        let with_outcome = *name != "pydantic_ai_resumed.json";
        for want in &direct.runs {
            let got = stored_run(&store, &backend, &want.run_id["otel-".len()..]);
            assert_eq!(
                essentials(&got, with_outcome),
                essentials(want, with_outcome),
                "{name}: run {}",
                want.run_id
            );
            assert!(
                same_times(&got, want, with_outcome),
                "times of {}",
                want.run_id
            );
            assert_eq!(got.revision as usize, span_count_of(name, &want.run_id));
        }
    }
    let rag = stored_run(&store, &backend, "0af7651916cd43dd8448eb211c80319c");
    assert!(
        rag.citations.iter().any(|c| c.doc_id == "kb_102"),
        "retrieval documents cite"
    );
    assert!(
        rag.cost_micros >= Micros(3975),
        "reported llm.cost.total counted"
    );
    assert_eq!(rag.model, "gpt-4o");
    assert!(
        rag.tool_calls.iter().any(|t| t.error.is_some()),
        "failed tool call kept"
    );

    // The half-arrived trace is already a run, with what its first spans say.
    let support_hex = "1072e968b531c21acc8a62f6331ffe96";
    let partial = stored_run(&store, &backend, support_hex);
    assert_eq!(partial.revision as usize, first.len());

    // Batch 2: the rest of the support trace. Only the new spans are read (one page).
    phx.send(&merge_docs(second), project);
    expected += second.len();
    phx.wait_spans(project, expected);
    let before = runs_of(&store, &backend);
    let r2 = sync(&store, &backend, &phx.url, &paged(7));
    assert_eq!(r2.error, None, "{r2:?}");
    assert_eq!(
        (r2.pages, r2.runs),
        (1, 1),
        "one page of new spans, one run changed"
    );
    let whole = stored_run(&store, &backend, support_hex);
    assert_eq!(
        whole.revision as usize,
        halves.len(),
        "revision grew with the spans"
    );
    let direct = import_otlp_json(&serde_json::to_vec(&support).expect("json"), &prices)
        .expect("fixture imports");
    assert_eq!(essentials(&whole, true), essentials(&direct.runs[0], true));
    assert!(same_times(&whole, &direct.runs[0], true));
    assert_eq!(
        whole
            .tool_calls
            .iter()
            .map(|t| t.tool.as_str())
            .collect::<Vec<_>>(),
        ["search_kb", "lookup_order"]
    );
    assert_eq!((whole.tokens.input, whole.tokens.output), (260, 45));
    // 260 × $2.50/M + 45 × $10/M = $0.0011, from the user's price table.
    assert_eq!(whole.cost_micros, Micros(1100));
    assert_eq!(whole.model, "support-scripted");
    assert!(!whole.citations.is_empty());
    assert_eq!(whole.outcome, Outcome::Success);
    let after = runs_of(&store, &backend);
    assert_eq!(
        before
            .iter()
            .filter(|r| !r.0.ends_with(support_hex))
            .collect::<Vec<_>>(),
        after
            .iter()
            .filter(|r| !r.0.ends_with(support_hex))
            .collect::<Vec<_>>(),
        "other runs untouched"
    );

    // Re-sync: nothing changes.
    let spans = spans_of(&store, &backend);
    assert_eq!(spans.len(), expected, "every span stored once");
    let r3 = sync(&store, &backend, &phx.url, &paged(7));
    assert_eq!(
        (r3.error.clone(), r3.runs, r3.quarantined),
        (None, 0, 0),
        "{r3:?}"
    );
    assert_eq!(runs_of(&store, &backend), after);
    assert_eq!(spans_of(&store, &backend), spans);

    // One page at a time, from scratch, ends where one full sync ends.
    let store2 = dir.path().join("paged.db");
    let backend2 = register(
        &store2,
        "Phoenix",
        &phx.url,
        phoenix::KIND,
        json!({ "project": project }),
    );
    {
        let s = Store::open(&store2).expect("store");
        settings::set_text(s.conn(), settings::PRICE_TABLE, PRICES).expect("prices");
    }
    let one = SyncOptions {
        page_size: 5,
        max_pages: Some(1),
        ..Default::default()
    };
    let mut calls = 0;
    while spans_of(&store2, &backend2).len() < expected {
        let r = sync(&store2, &backend2, &phx.url, &one);
        assert_eq!((r.error.clone(), r.pages), (None, 1), "{r:?}");
        calls += 1;
        assert!(calls <= expected, "every call makes progress");
    }
    assert_eq!(calls, expected.div_ceil(5));
    assert_eq!(runs_of(&store2, &backend2), runs_of(&store, &backend));
    assert_eq!(spans_of(&store2, &backend2), spans);

    // Phoenix down: health goes down, audited; nothing stored is lost.
    phx.kill();
    for _ in 0..3 {
        let r = sync(&store, &backend, &phx.url, &paged(7));
        let e = r.error.expect("sync fails while phoenix is down");
        assert_eq!(e.code, "backend_unreachable", "{}", e.message);
    }
    let s = Store::open(&store).expect("store");
    let h = health::get(s.conn(), &backend).expect("health");
    assert_eq!(h.state, HealthState::Down);
    assert!(h.last_success_at.is_some());
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
        "phoenix start-up {:?}; this test {:?}",
        phx.startup,
        suite.elapsed()
    );
}

/// Spans of one trace (`otel-<hex>`) in a fixture.
fn span_count_of(name: &str, run_id: &str) -> usize {
    span_docs(&otel_fixture(name))
        .iter()
        .filter(|d| {
            d["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
                .as_str()
                .and_then(|t| countersign_otel::otlp::decode_id(t, 16))
                .is_some_and(|t| run_id.ends_with(&t))
        })
        .count()
}

/// The native protocol's kill test, for Phoenix: a sync process SIGKILLed at pseudo-random
/// points (each further into the data) resumes to exactly what one uninterrupted sync stores.
#[test]
fn phoenix_sync_killed_at_random_points_resumes_exactly() {
    let phx = Phoenix::start();
    let project = "countersign-kill";
    let mut expected = 0;
    let mut traces = 0;
    for copy in 1..=8u16 {
        for name in FIXTURES {
            let doc = with_new_ids(&otel_fixture(name), copy);
            expected += span_docs(&doc).len();
            phx.send(&doc, project);
        }
        traces += 10;
    }
    phx.wait_spans(project, expected);
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let config = json!({ "project": project });
    let backend = register(&store, "Phoenix", &phx.url, phoenix::KIND, config.clone());

    kill_rounds(
        &KillTarget {
            kind: phoenix::KIND,
            store: &store,
            backend_id: &backend,
            url: &phx.url,
            secret: "",
            page: 3,
        },
        0x7ace,
        60,
    );
    let last = sync(&store, &backend, &phx.url, &paged(3));
    assert_eq!(last.error, None, "{last:?}");

    // An uninterrupted sync into a fresh store is the reference.
    let reference = dir.path().join("reference.db");
    let backend2 = register(&reference, "Phoenix", &phx.url, phoenix::KIND, config);
    let full = sync(&reference, &backend2, &phx.url, &paged(1000));
    assert_eq!(full.error, None, "{full:?}");
    assert_eq!(
        spans_of(&store, &backend).len(),
        expected,
        "every span, once"
    );
    assert_eq!(runs_of(&store, &backend).len(), traces, "one run per trace");
    assert_eq!(spans_of(&store, &backend), spans_of(&reference, &backend2));
    assert_eq!(runs_of(&store, &backend), runs_of(&reference, &backend2));
}

/// A real LangChain v1 agent's OpenInference spans (the otel crate's
/// `langchain_openinference.json`) synced from a real Phoenix read like the agent: user and
/// tenant from the run config metadata (under the backend's identity keys), tool results
/// unwrapped from their ToolMessages, arguments and tokens as the model asked and reported.
#[test]
fn langchain_openinference_spans_through_phoenix() {
    let mut phx = Phoenix::start();
    let project = "support-desk-agents";
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let backend = register(
        &store,
        "Phoenix",
        &phx.url,
        phoenix::KIND,
        json!({"project": project, "identity": {"user_keys": ["customer", "user_id"], "tenant_keys": ["org", "tenant_id"]}}),
    );
    let doc = otel_fixture("langchain_openinference.json");
    phx.send(&doc, project);
    phx.wait_spans(project, span_docs(&doc).len());
    let r = sync(&store, &backend, &phx.url, &paged(100));
    assert_eq!(r.error, None, "{r:?}");
    let all = runs_of(&store, &backend);
    assert_eq!(all.len(), 2);
    let runs: Vec<Run> = all
        .iter()
        .map(|(_, _, body)| serde_json::from_str(body).expect("run"))
        .collect();
    let support = runs
        .iter()
        .find(|r| r.tool_calls.iter().any(|t| t.tool == "search_kb"))
        .expect("support run");
    // Phoenix keeps no resource: its project stands in for the service and names the unnamed
    // agent's workflow, never the generic root "LangGraph".
    assert_eq!(support.workflow, project);
    assert_eq!(
        (support.user_id.as_str(), support.tenant.as_str()),
        ("cust-42", "acme-eu")
    );
    let calls: Vec<(&str, &Value, Option<&Value>)> = support
        .tool_calls
        .iter()
        .map(|t| (t.call_id.as_str(), &t.arguments, t.result.as_ref()))
        .collect();
    assert_eq!(calls[0].0, "call_search_1");
    assert_eq!(calls[0].1, &json!({"query": "refund window"}));
    assert_eq!(
        calls[1].2.map(|r| r["status"].clone()),
        Some(json!("delivered"))
    );
    assert_eq!((support.tokens.input, support.tokens.output), (490, 70));
    assert_eq!(support.citations.len(), 2);
    let refund = runs
        .iter()
        .find(|r| r.tool_calls.iter().any(|t| t.tool == "issue_refund"))
        .expect("refund run");
    assert_eq!(refund.workflow, "refund_agent");
    assert_eq!(
        (refund.user_id.as_str(), refund.tenant.as_str()),
        ("u-9", "globex")
    );
    assert_eq!(
        refund.tool_calls[0].result,
        Some(json!("refunded 49.90 on A-2002"))
    );
    phx.kill();
}
