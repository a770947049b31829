//! The committed fixtures (see `fixtures/README.md`) imported into a real store file.

use countersign_core::{Micros, Outcome, Run};
use countersign_otel::{
    IdentityKeys, PriceTable, import_file, import_otlp_json, import_otlp_json_with,
};
use countersign_store::{Store, health, quarantine, runs};
use std::path::PathBuf;

type R = Result<(), Box<dyn std::error::Error>>;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture is committed")
}

/// Prices for the fixture models; `gpt-4o` and `claude-sonnet-4` have dated changes.
fn prices() -> PriceTable {
    PriceTable::from_json(
        r#"{"prices": [
            {"model": "support-scripted", "effective_from": "2020-01-01", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"},
            {"model": "refund-scripted", "effective_from": "2020-01-01", "input_usd_per_mtok": "0.15", "output_usd_per_mtok": "0.60"},
            {"model": "gpt-4o-mini", "effective_from": "2020-01-01", "input_usd_per_mtok": "0.15", "output_usd_per_mtok": "0.60"},
            {"model": "gpt-4o", "effective_from": "2020-01-01", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"},
            {"model": "claude-sonnet-4", "effective_from": "2025-05-22", "input_usd_per_mtok": "3.00", "output_usd_per_mtok": "15.00"},
            {"model": "claude-sonnet-4", "effective_from": "2026-03-02", "input_usd_per_mtok": "2.00", "output_usd_per_mtok": "10.00"},
            {"model": "claude-sonnet-4", "effective_from": "2026-03-03", "input_usd_per_mtok": "1.00", "output_usd_per_mtok": "1.00"}
        ]}"#,
    )
    .expect("test price table")
}

fn only_run(name: &str) -> Run {
    let r = import_otlp_json(&read(name), &prices()).expect("fixture parses");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    assert_eq!(r.runs.len(), 1, "one trace in {name}");
    r.runs.into_iter().next().expect("one run")
}

fn tools(run: &Run) -> Vec<&str> {
    run.tool_calls.iter().map(|t| t.tool.as_str()).collect()
}

#[test]
fn pydantic_ai_support_run() {
    let run = only_run("pydantic_ai_support.json");
    assert!(run.run_id.starts_with("otel-") && run.run_id.len() == 5 + 32);
    assert_eq!(run.workflow, "support_triage");
    assert_eq!(run.model, "support-scripted");
    // `service.name` ("support-bot") names the agent, not a tenant (issue #12); the trace
    // names no tenant.
    assert_eq!(run.tenant, "");
    assert_eq!(run.user_id, "unknown");
    assert_eq!(run.revision, 1);
    assert_eq!(run.outcome, Outcome::Success);
    assert_eq!(tools(&run), ["search_kb", "lookup_order"]);
    assert_eq!(run.tool_calls[0].call_id, "call_search_1");
    assert_eq!(run.tool_calls[0].arguments["query"], "refund window");
    assert_eq!(
        run.tool_calls[1]
            .result
            .as_ref()
            .map(|r| r["status"].clone()),
        Some(serde_json::json!("delivered"))
    );
    // Three chat spans: 59+97+104 in, 6+11+28 out.
    assert_eq!((run.tokens.input, run.tokens.output), (260, 45));
    // 260 × 2.50 + 45 × 10.00 per 1M = 650 + 450 micros.
    assert_eq!(run.cost_micros, Micros(1_100));
    assert_eq!(run.inputs["conversation_id"], "conv-support-1");
    assert_eq!(
        run.inputs["messages"][0]["parts"][0]["content"],
        "Can I still get a refund for order A-1001?"
    );
    assert!(
        run.outputs["final_result"]
            .as_str()
            .is_some_and(|t| t.contains("14-day refund window"))
    );
    // The search tool returned documents: citations that land on the passage.
    let docs: Vec<&str> = run.citations.iter().map(|c| c.doc_id.as_str()).collect();
    assert_eq!(docs, ["kb_102", "kb_207"]);
    let c = &run.citations[0];
    assert_eq!(c.title, "Refund policy (EU)");
    assert_eq!(c.call_id.as_deref(), Some("call_search_1"));
    assert_eq!(
        c.span_in_context(),
        Some((0, c.passage.chars().count() as u32))
    );
    assert_eq!(run.tool_calls[0].documents, ["kb_102", "kb_207"]);
    assert!(run.ended_at.is_some_and(|e| e >= run.started_at));
    assert!(run.validate().is_ok());
}

#[test]
fn pydantic_ai_deferred_then_denied() {
    let run = only_run("pydantic_ai_deferred.json");
    assert_eq!(run.workflow, "refund_agent");
    assert_eq!(run.user_id, "cust-42");
    assert_eq!(run.outcome, Outcome::Denied);
    assert_eq!(run.decision, "denied");
    assert!(
        run.rationale
            .as_deref()
            .is_some_and(|r| r.contains("Refunds over $25 need a manager."))
    );
    assert_eq!(tools(&run), ["lookup_order", "issue_refund"]);
    let refund = &run.tool_calls[1];
    assert_eq!(refund.call_id, "call_refund_1");
    assert_eq!(refund.arguments["amount_usd"], "49.90");
    assert_eq!(refund.ended_at, None);
    // Chat spans of both turns: (54+63+70) in, (5+13+27) out at 0.15 / 0.60.
    assert_eq!((run.tokens.input, run.tokens.output), (187, 45));
    // 187 × 0.15 + 45 × 0.60 = 28.05 + 27 = 55.05 → 55 micros.
    assert_eq!(run.cost_micros, Micros(55));
}

#[test]
fn pydantic_ai_deferred_pending() {
    let run = only_run("pydantic_ai_pending.json");
    assert_eq!(run.outcome, Outcome::Pending);
    assert_eq!(run.decision, "awaiting_approval");
    assert_eq!(run.ended_at, None);
    assert_eq!(tools(&run), ["lookup_order", "issue_refund"]);
    assert_eq!(
        run.tool_calls[1].result_summary.as_deref(),
        Some("awaiting approval")
    );
    assert_eq!(run.inputs["conversation_id"], "conv-refund-2");
    assert_eq!((run.tokens.input, run.tokens.output), (117, 18));
}

#[test]
fn pydantic_ai_resumed_in_later_traces() {
    let r = import_otlp_json(&read("pydantic_ai_resumed.json"), &prices()).expect("parses");
    assert!(r.rejected.is_empty());
    assert_eq!(r.runs.len(), 4);
    let conv = |run: &Run| {
        run.inputs["conversation_id"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let mut by_conv: Vec<(String, &str, String)> = r
        .runs
        .iter()
        .map(|run| (conv(run), run.outcome.as_str(), run.decision.clone()))
        .collect();
    by_conv.sort();
    assert_eq!(
        by_conv,
        [
            ("conv-refund-3".into(), "denied", "denied".into()),
            ("conv-refund-3".into(), "success", "completed".into()),
            ("conv-refund-4".into(), "success", "approved".into()),
            ("conv-refund-4".into(), "success", "completed".into()),
        ]
    );
    let denied = r
        .runs
        .iter()
        .find(|run| run.outcome == Outcome::Denied)
        .expect("denied run");
    assert!(denied.ended_at.is_some());
    assert!(denied.updated_at > denied.ended_at.unwrap_or(denied.started_at));
    let refund = denied
        .tool_calls
        .iter()
        .find(|t| t.tool == "issue_refund")
        .expect("deferred call listed");
    assert_eq!(
        refund.result,
        Some(serde_json::json!("Refunds over $25 need a manager."))
    );
    // The approved call executed in the resumed run.
    let resumed = r
        .runs
        .iter()
        .find(|run| conv(run) == "conv-refund-4" && run.decision == "completed")
        .expect("resumed run");
    assert_eq!(tools(resumed), ["issue_refund"]);
    assert_eq!(
        resumed.tool_calls[0].result,
        Some(serde_json::json!("refunded 49.90 on A-2002"))
    );
}

#[test]
fn openinference_from_pydantic_ai_with_hex_ids() {
    let run = only_run("openinference_pydantic_ai.json");
    assert_eq!(run.workflow, "support_triage_oi");
    assert_eq!(run.model, "gpt-4o-mini");
    assert_eq!(tools(&run), ["search_kb", "lookup_order"]);
    assert_eq!(run.tool_calls[0].call_id, "call_search_1");
    assert_eq!(run.tool_calls[0].arguments["query"], "refund window");
    assert_eq!((run.tokens.input, run.tokens.output), (260, 45));
    // 260 × 0.15 + 45 × 0.60 = 39 + 27 micros.
    assert_eq!(run.cost_micros, Micros(66));
    assert_eq!(run.citations.len(), 2);
    assert_eq!(
        run.inputs["input"],
        "Can I still get a refund for order A-1001?"
    );
    assert!(run.inputs["conversation_id"].is_string());
}

/// The runs of `langchain_openinference.json` (two LangChain v1 `create_agent` agents traced by
/// openinference-instrumentation-langchain, see `generate_langchain.py`), read with `keys`:
/// (the support run, the refund run).
fn langchain_runs(keys: &IdentityKeys) -> (Run, Run) {
    let r = import_otlp_json_with(&read("langchain_openinference.json"), &prices(), keys)
        .expect("fixture parses");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    assert_eq!(r.runs.len(), 2);
    let pick = |tool: &str| {
        r.runs
            .iter()
            .find(|run| tools(run).contains(&tool))
            .cloned()
            .expect("run")
    };
    (pick("search_kb"), pick("issue_refund"))
}

#[test]
fn langchain_agent_reads_like_the_agent() {
    let (run, _) = langchain_runs(&IdentityKeys::default());
    // Every span's OpenInference `metadata` carries user_id and tenant_id (run config).
    assert_eq!(run.user_id, "cust-42");
    assert_eq!(run.tenant, "acme-eu");
    // The root span is LangGraph's generic "LangGraph": the service names the workflow.
    assert_eq!(run.workflow, "support-desk");
    assert_eq!(run.model, "support-scripted");
    assert_eq!(run.outcome, Outcome::Success);
    assert_eq!(tools(&run), ["search_kb", "lookup_order"]);
    let (search, order) = (&run.tool_calls[0], &run.tool_calls[1]);
    // Call ids from the ToolMessages; the one-argument tool's span input is the bare query, so
    // its arguments come from the model's request.
    assert_eq!(
        (search.call_id.as_str(), order.call_id.as_str()),
        ("call_search_1", "call_order_1")
    );
    assert_eq!(
        search.arguments,
        serde_json::json!({"query": "refund window"})
    );
    assert_eq!(order.arguments, serde_json::json!({"order_id": "A-1001"}));
    // Results are the tools' content, not LangChain's ToolMessage envelope.
    assert_eq!(
        order.result,
        Some(
            serde_json::json!({"order_id": "A-1001", "status": "delivered", "delivered_on": "2026-02-20"})
        )
    );
    for t in &run.tool_calls {
        let summary = t.result_summary.as_deref().unwrap_or_default();
        assert!(
            !summary.contains("additional_kwargs") && !summary.contains("\"data\""),
            "{summary}"
        );
        assert_eq!(t.error, None);
    }
    assert_eq!(
        search.result.as_ref().map(|r| r[0]["id"].clone()),
        Some(serde_json::json!("kb_102"))
    );
    let docs: Vec<&str> = run.citations.iter().map(|c| c.doc_id.as_str()).collect();
    assert_eq!(docs, ["kb_102", "kb_207"]);
    assert_eq!(run.citations[0].title, "Refund policy (EU)");
    assert_eq!(run.citations[0].call_id.as_deref(), Some("call_search_1"));
    assert_eq!(search.documents, ["kb_102", "kb_207"]);
    // Three model calls: 120+160+210 in, 12+18+40 out at 2.50 / 10.00 per 1M.
    assert_eq!((run.tokens.input, run.tokens.output), (490, 70));
    assert_eq!(run.cost_micros, Micros(1_925));
    assert_eq!(run.inputs["conversation_id"], "conv-lc-1");
    assert_eq!(
        run.inputs["input"]["messages"][0],
        serde_json::json!({"role": "human", "content": "Can I still get a refund for order A-1001?"})
    );
    assert!(
        run.outputs["final_result"]
            .as_str()
            .is_some_and(|t| t.contains("14-day refund window")),
        "{}",
        run.outputs
    );
    assert!(!run.outputs.to_string().contains("additional_kwargs"));
    assert!(run.validate().is_ok());
}

#[test]
fn langchain_named_agent_with_user_and_tenant_keys_of_its_own() {
    let (_, refund) = langchain_runs(&IdentityKeys::default());
    // `create_agent(name="refund_agent")`: the agent's name, from its root span.
    assert_eq!(refund.workflow, "refund_agent");
    // Its metadata names the user and tenant under keys the defaults do not know.
    assert_eq!(
        (refund.user_id.as_str(), refund.tenant.as_str()),
        ("unknown", "")
    );
    assert_eq!(refund.model, "refund-scripted");
    let call = &refund.tool_calls[0];
    assert_eq!(call.call_id, "call_refund_1");
    assert_eq!(
        call.arguments,
        serde_json::json!({"order_id": "A-2002", "amount_usd": "49.90"})
    );
    assert_eq!(
        call.result,
        Some(serde_json::json!("refunded 49.90 on A-2002"))
    );
    assert_eq!(
        call.result_summary.as_deref(),
        Some("refunded 49.90 on A-2002")
    );
    // 80+95 in, 10+22 out at 0.15 / 0.60: 26.25 + 19.2 → 45 micros.
    assert_eq!((refund.tokens.input, refund.tokens.output), (175, 32));
    assert_eq!(refund.cost_micros, Micros(45));

    let keys = IdentityKeys::from_json(&serde_json::json!({
        "user_keys": ["customer"], "tenant_keys": ["org"]
    }))
    .expect("keys");
    let (support, refund) = langchain_runs(&keys);
    assert_eq!(
        (refund.user_id.as_str(), refund.tenant.as_str()),
        ("u-9", "globex")
    );
    // The support run's user_id / tenant_id are no longer the configured keys.
    assert_eq!(
        (support.user_id.as_str(), support.tenant.as_str()),
        ("unknown", "")
    );
}

/// A file import reads user and tenant with the identity keys of the store's settings.
#[test]
fn file_import_uses_the_identity_keys_setting() -> R {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("cs.db"))?;
    let keys = IdentityKeys::from_json(&serde_json::json!({
        "user_keys": ["customer", "user_id"], "tenant_keys": ["org", "tenant_id"]
    }))?;
    countersign_otel::identity_keys::save(store.conn(), &keys)?;
    let c = import_file(
        &mut store,
        &fixture("langchain_openinference.json"),
        "",
        &prices(),
    )?;
    assert_eq!(c.inserted, 2);
    let mut who: Vec<(String, String)> = c
        .run_ids
        .iter()
        .map(|id| {
            let run = runs::get(store.conn(), &c.backend_id, id)
                .expect("read")
                .expect("stored");
            (run.user_id, run.tenant)
        })
        .collect();
    who.sort();
    assert_eq!(
        who,
        [
            ("cust-42".to_string(), "acme-eu".to_string()),
            ("u-9".to_string(), "globex".to_string())
        ]
    );
    Ok(())
}

#[test]
fn openinference_rag_reported_cost_retriever_and_errors() {
    let r = import_otlp_json(&read("openinference_rag.json"), &prices()).expect("parses");
    assert!(r.rejected.is_empty());
    assert_eq!(r.runs.len(), 2);
    let rag = &r.runs[0];
    assert_eq!(rag.run_id, "otel-0af7651916cd43dd8448eb211c80319c");
    assert_eq!(rag.workflow, "rag_answer");
    // Its `service.name` "rag-service" is not a tenant (issue #12).
    assert_eq!(rag.tenant, "");
    assert_eq!(rag.workflow_version, "2.1.0");
    assert_eq!(rag.user_id, "u-7");
    assert_eq!(rag.model, "gpt-4o");
    assert_eq!((rag.tokens.input, rag.tokens.output), (1200, 85));
    // Reported llm.cost.total wins over the table's 3_850.
    assert_eq!(rag.cost_micros, Micros(3_975));
    assert_eq!(rag.latency_ms, 2400);
    assert_eq!(rag.started_at.to_rfc3339(), "2026-03-02T10:00:00+00:00");
    assert_eq!(rag.outcome, Outcome::Success);
    assert_eq!(tools(rag), ["retrieve", "send_email"]);
    assert_eq!(
        rag.tool_calls[1].error.as_deref(),
        Some("SMTP timeout after 250 ms")
    );
    assert_eq!(rag.citations.len(), 2);
    let c = &rag.citations[0];
    assert_eq!(c.doc_id, "kb_102");
    assert_eq!(c.title, "Refund policy (EU)");
    assert_eq!(c.url.as_deref(), Some("https://kb.example/kb_102"));
    assert_eq!(c.call_id.as_deref(), Some("00f067aa0ba902b7"));
    assert_eq!(
        c.passage,
        "Customers may request a refund within 14 days of delivery."
    );
    assert_eq!((c.start, c.end), (0, 58));
    assert_eq!(c.context, c.passage);

    let failed = &r.runs[1];
    assert_eq!(failed.outcome, Outcome::Fail);
    assert_eq!(
        failed.rationale.as_deref(),
        Some("model refused: ticket has open refund")
    );
    assert_eq!(failed.user_id, "ops-3");
    // Dated snapshot of claude-sonnet-4 on 2026-03-02: the price effective that day applies
    // (2.00 / 10.00), not the earlier one nor the next day's: 2000 × 2 + 150 × 10 = 5_500.
    assert_eq!(failed.cost_micros, Micros(5_500));
}

#[test]
fn store_import_is_idempotent_and_quarantines_bad_traces() -> R {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("cs.db"))?;
    let p = prices();
    let mut total = 0;
    for name in [
        "pydantic_ai_support.json",
        "pydantic_ai_deferred.json",
        "pydantic_ai_pending.json",
        "openinference_pydantic_ai.json",
        "openinference_rag.json",
        "pydantic_ai_resumed.json",
    ] {
        let first = import_file(&mut store, &fixture(name), "", &p)?;
        assert!(first.inserted >= 1, "{name}: {first:?}");
        assert_eq!((first.updated, first.rejected), (0, 0));
        let again = import_file(&mut store, &fixture(name), "", &p)?;
        assert_eq!((again.inserted, again.updated), (0, 0), "{name}");
        assert_eq!(again.unchanged, first.inserted);
        assert_eq!(again.backend_id, first.backend_id);
        for id in &first.run_ids {
            let stored = runs::get(store.conn(), &first.backend_id, id)?.expect("stored");
            assert_eq!(&stored.run_id, id);
        }
        total += first.inserted;
    }
    assert_eq!(total, 10);
    let q = countersign_store::runs::list(store.conn(), &Default::default())?;
    assert_eq!(q.total, 10);

    // One good trace and two bad ones (end before start; unreadable trace id).
    let good = "5b8efff798038103d269b633813fc60c";
    let bad = "5b8efff798038103d269b633813fc60d";
    let doc = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},
        "scopeSpans":[{{"spans":[
          {{"traceId":"{good}","spanId":"eee19b7ec3c1b174","name":"agent","startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
            "attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"invoke_agent"}}}}]}},
          {{"traceId":"{bad}","spanId":"eee19b7ec3c1b175","name":"agent","startTimeUnixNano":"1772445601000000000","endTimeUnixNano":"1772445600000000000"}},
          {{"traceId":"zz","spanId":"eee19b7ec3c1b176","name":"x","startTimeUnixNano":"1"}}
        ]}}]}}]}}"#
    );
    let dir2 = tempfile::tempdir()?;
    let path = dir2.path().join("mixed.json");
    std::fs::write(&path, doc)?;
    let c = import_file(&mut store, &path, "mixed source", &p)?;
    assert_eq!((c.inserted, c.rejected), (1, 2));
    assert_eq!(c.run_ids, [format!("otel-{good}")]);
    assert_eq!(c.backend_url, "http://import.localhost/mixed");
    assert_eq!(quarantine::count(store.conn(), &c.backend_id)?, 2);
    let rows = quarantine::list(store.conn(), Some(&c.backend_id), 10)?;
    assert!(
        rows.iter()
            .any(|r| r.reason.contains("ended_at is before started_at"))
    );
    assert!(rows.iter().any(|r| r.reason.contains("trace id")));
    assert!(rows.iter().all(|r| r.raw_preview.contains("resourceSpans")));
    // Again: nothing new, quarantine not duplicated.
    let c2 = import_file(&mut store, &path, "mixed source", &p)?;
    assert_eq!((c2.inserted, c2.unchanged, c2.rejected), (0, 1, 2));
    assert_eq!(quarantine::count(store.conn(), &c.backend_id)?, 2);
    Ok(())
}

#[test]
fn same_trace_in_hex_and_base64_is_one_run() {
    let span = |tid: &str, sid: &str| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{tid}","spanId":"{sid}","name":"agent",
            "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445600500000000",
            "attributes":[{{"key":"openinference.span.kind","value":{{"stringValue":"AGENT"}}}}]}}]}}]}}]}}"#
        )
    };
    let hex = import_otlp_json(
        span("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174").as_bytes(),
        &prices(),
    )
    .expect("hex");
    let b64 = import_otlp_json(
        span("W47/95gDgQPSabYzgT/GDA==", "7uGbfsPBsXQ=").as_bytes(),
        &prices(),
    )
    .expect("base64");
    assert_eq!(hex.runs.len(), 1);
    assert_eq!(hex, b64);
    assert_eq!(hex.runs[0].run_id, "otel-5b8efff798038103d269b633813fc60c");
    assert_eq!(hex.runs[0].latency_ms, 500);
    assert_eq!(hex.runs[0].model, "unknown");
    assert!(import_otlp_json(b"not json", &prices()).is_err());
    assert!(import_otlp_json(b"{}", &prices()).is_err());
}

#[test]
fn hostile_numbers_are_rejected_not_panicking() {
    let doc = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"agent",
       "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
       "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"AGENT"}}]},
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"llm",
       "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
       "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},
         {"key":"llm.model_name","value":{"stringValue":"gpt-4o"}},
         {"key":"llm.token_count.prompt","value":{"intValue":"18446744073709551615"}}]},
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b176","parentSpanId":"eee19b7ec3c1b174","name":"llm",
       "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
       "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},
         {"key":"llm.model_name","value":{"stringValue":"gpt-4o"}},
         {"key":"llm.token_count.prompt","value":{"intValue":"18446744073709551615"}}]},
      {"traceId":"6b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b177","name":"agent",
       "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
       "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"AGENT"}},
         {"key":"llm.cost.total","value":{"doubleValue":-1.5}}]}
    ]}]}]}"#;
    let r = import_otlp_json(doc.as_bytes(), &prices()).expect("parses");
    assert!(r.runs.is_empty());
    assert_eq!(r.rejected.len(), 2);
    assert!(
        r.rejected[0].reason.contains("overflow"),
        "{:?}",
        r.rejected[0]
    );
    assert!(
        r.rejected[1].reason.contains("negative cost"),
        "{:?}",
        r.rejected[1]
    );
}

/// One-trace document from `(span id, parent, name, attributes as [(key, AnyValue JSON)])`.
/// A test span: id, parent id, name, attributes as `(key, AnyValue JSON)`.
type TestSpan<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);

fn one_trace(spans: &[TestSpan<'_>]) -> Vec<u8> {
    let spans: Vec<String> = spans
        .iter()
        .enumerate()
        .map(|(i, (id, parent, name, attrs))| {
            let attrs: Vec<String> = attrs
                .iter()
                .map(|(k, v)| format!(r#"{{"key":"{k}","value":{v}}}"#))
                .collect();
            format!(
                r#"{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"{id}","parentSpanId":"{parent}",
                "name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"1772445609000000000",
                "attributes":[{}]}}"#,
                1_772_445_600_000_000_000_u64 + i as u64 * 1_000_000,
                attrs.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

#[test]
fn external_deferred_calls_and_flagged_deferrals_are_pending() {
    let external = one_trace(&[(
        "eee19b7ec3c1b174",
        "",
        "invoke_agent a",
        &[
            ("gen_ai.operation.name", r#"{"stringValue":"invoke_agent"}"#),
            (
                "final_result",
                r#"{"stringValue":"{\"calls\":[{\"tool_name\":\"run_job\",\"args\":\"{\\\"n\\\":1}\",\"tool_call_id\":\"c9\"}],\"approvals\":[]}"}"#,
            ),
        ],
    )]);
    let r = import_otlp_json(&external, &prices()).expect("parses");
    let run = &r.runs[0];
    assert_eq!(run.outcome, Outcome::Pending);
    assert_eq!(run.decision, "awaiting_external_result");
    assert_eq!(run.tool_calls[0].tool, "run_job");
    assert_eq!(run.tool_calls[0].arguments["n"], 1);

    let flagged = one_trace(&[(
        "eee19b7ec3c1b174",
        "",
        "agent run",
        &[
            ("agent_name", r#"{"stringValue":"old_agent"}"#),
            ("has_deferred_tools", r#"{"boolValue":true}"#),
        ],
    )]);
    let r = import_otlp_json(&flagged, &prices()).expect("parses");
    let run = &r.runs[0];
    assert_eq!(run.workflow, "old_agent");
    assert_eq!(run.outcome, Outcome::Pending);
    assert_eq!(run.decision, "awaiting_approval");
    assert!(r.warnings.iter().any(|w| w.contains("deferred")));
}

#[test]
fn nested_tool_calls_keep_their_parent_and_unpriced_models_warn() {
    let doc = one_trace(&[
        (
            "0000000000000001",
            "",
            "agent",
            &[("openinference.span.kind", r#"{"stringValue":"AGENT"}"#)],
        ),
        (
            "0000000000000002",
            "0000000000000001",
            "outer",
            &[
                ("openinference.span.kind", r#"{"stringValue":"TOOL"}"#),
                ("tool.name", r#"{"stringValue":"sub_agent"}"#),
            ],
        ),
        (
            "0000000000000003",
            "0000000000000002",
            "inner",
            &[
                ("gen_ai.operation.name", r#"{"stringValue":"execute_tool"}"#),
                ("gen_ai.tool.name", r#"{"stringValue":"kb_search"}"#),
            ],
        ),
        (
            "0000000000000004",
            "0000000000000003",
            "chat",
            &[
                ("gen_ai.operation.name", r#"{"stringValue":"chat"}"#),
                ("gen_ai.request.model", r#"{"stringValue":"mystery-1"}"#),
                ("gen_ai.usage.input_tokens", r#"{"intValue":"10"}"#),
            ],
        ),
    ]);
    let r = import_otlp_json(&doc, &prices()).expect("parses");
    let run = &r.runs[0];
    assert_eq!(run.tool_calls.len(), 2);
    assert_eq!(
        run.tool_calls[1].parent_id.as_deref(),
        Some("0000000000000002")
    );
    assert_eq!(run.model, "mystery-1");
    assert_eq!(run.tokens.input, 10);
    assert_eq!(run.cost_micros, Micros(0));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("no price for model \"mystery-1\""))
    );
    // Every span starts later than the agent and ends at the same time: 9 s.
    assert_eq!(run.latency_ms, 9_000);
}

/// The spans of one trace, handed over one `ResourceSpans` per span and shuffled, make the
/// same run as importing the whole document; two traces at once are refused.
#[test]
fn one_trace_from_resource_spans_equals_the_import() {
    let doc: serde_json::Value =
        serde_json::from_slice(&read("pydantic_ai_support.json")).expect("fixture is JSON");
    let mut singles = Vec::new();
    for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for span in ss["spans"].as_array().into_iter().flatten() {
                singles.push(serde_json::json!({
                    "resource": rs["resource"],
                    "scopeSpans": [{"scope": ss["scope"], "spans": [span]}],
                }));
            }
        }
    }
    assert!(singles.len() > 3);
    singles.reverse();
    let (run, _) =
        countersign_otel::run_from_resource_spans(&singles, &prices()).expect("one trace");
    assert_eq!(run, only_run("pydantic_ai_support.json"));

    let two: serde_json::Value =
        serde_json::from_slice(&read("openinference_rag.json")).expect("fixture is JSON");
    let all = two["resourceSpans"].as_array().cloned().unwrap_or_default();
    let err = countersign_otel::run_from_resource_spans(&all, &prices()).expect_err("two traces");
    assert!(err.reason.contains("exactly one trace"), "{}", err.reason);
}

/// Retrieval document metadata flattened into keys (`…document.metadata.title`, as Phoenix
/// returns OpenInference attributes) reads like the JSON-valued `metadata`.
#[test]
fn flattened_retrieval_metadata_names_the_citation() {
    let doc = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"retrieve",
        "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445600500000000",
        "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"RETRIEVER"}},
        {"key":"retrieval.documents.0.document.id","value":{"stringValue":"kb_1"}},
        {"key":"retrieval.documents.0.document.content","value":{"stringValue":"Refunds within 14 days."}},
        {"key":"retrieval.documents.0.document.metadata.title","value":{"stringValue":"Refund policy"}},
        {"key":"retrieval.documents.0.document.metadata.url","value":{"stringValue":"https://kb.example/1"}}]}]}]}]}"#;
    let r = import_otlp_json(doc.as_bytes(), &prices()).expect("imports");
    let c = &r.runs[0].citations[0];
    assert_eq!(c.title, "Refund policy");
    assert_eq!(c.url.as_deref(), Some("https://kb.example/1"));
}

/// Metadata flattened into `metadata.KEY` attributes or plain `KEY` attributes (as Langfuse
/// observations' metadata arrives) names user and tenant too; a LangGraph Server run's
/// `graph_id` names the workflow in place of the generic "LangGraph" root.
#[test]
fn flattened_metadata_and_graph_id() {
    let doc = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agents"}}]},
        "scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60d","spanId":"eee19b7ec3c1b170","name":"LangGraph",
         "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
         "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"CHAIN"}},
           {"key":"metadata.graph_id","value":{"stringValue":"refunds"}},
           {"key":"metadata.user_id","value":{"stringValue":"u-1"}}]},
        {"traceId":"5b8efff798038103d269b633813fc60d","spanId":"eee19b7ec3c1b171","parentSpanId":"eee19b7ec3c1b170","name":"model",
         "startTimeUnixNano":"1772445600100000000","endTimeUnixNano":"1772445600900000000",
         "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},
           {"key":"tenant_id","value":{"intValue":"42"}}]}]}]}]}"#;
    let r = import_otlp_json(doc.as_bytes(), &prices()).expect("imports");
    let run = &r.runs[0];
    assert_eq!(run.workflow, "refunds");
    assert_eq!(run.user_id, "u-1");
    assert_eq!(run.tenant, "42");
    // Without the graph id, the service names it: never "LangGraph".
    let bare = doc.replace("metadata.graph_id", "metadata.other");
    let r = import_otlp_json(bare.as_bytes(), &prices()).expect("imports");
    assert_eq!(r.runs[0].workflow, "agents");
}

#[test]
fn an_import_records_when_it_was_imported() -> R {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("cs.db"))?;
    let before = chrono::Utc::now();
    let first = import_file(
        &mut store,
        &fixture("pydantic_ai_support.json"),
        "",
        &prices(),
    )?;
    let after = chrono::Utc::now();
    let h = health::get(store.conn(), &first.backend_id)?;
    assert_eq!(h.state, health::HealthState::Healthy);
    let at = h.last_success_at.ok_or("no import time")?;
    // Milliseconds in the store.
    assert!(
        at >= before - chrono::Duration::milliseconds(1) && at <= after,
        "{at}"
    );
    // Importing it again a day later moves the time, even when nothing changed.
    let yesterday = at - chrono::Duration::days(1);
    health::record_success(store.conn(), &first.backend_id, yesterday)?;
    let again = import_file(
        &mut store,
        &fixture("pydantic_ai_support.json"),
        "",
        &prices(),
    )?;
    assert_eq!(again.inserted, 0);
    let later = health::get(store.conn(), &first.backend_id)?
        .last_success_at
        .ok_or("no import time")?;
    assert!(later >= at, "{later} < {at}");
    Ok(())
}

/// Prompt and retrieval labels: Langfuse's prompt link (name and integer version), metadata
/// keys, and the plain attributes; absent when no span names them. Imported into a real store,
/// they land in the run's columns the readiness gate reads.
#[test]
fn prompt_and_retrieval_labels_are_read_from_common_attributes() -> R {
    let langfuse = one_trace(&[
        (
            "eee19b7ec3c1b174",
            "",
            "invoke_agent refunds",
            &[(
                "metadata.retrieval_index",
                r#"{"stringValue":"kb-2026-11"}"#,
            )],
        ),
        (
            "eee19b7ec3c1b175",
            "eee19b7ec3c1b174",
            "chat m",
            &[
                ("gen_ai.request.model", r#"{"stringValue":"gpt-4o"}"#),
                (
                    "langfuse.observation.prompt.name",
                    r#"{"stringValue":"refund-policy"}"#,
                ),
                ("langfuse.observation.prompt.version", r#"{"intValue":"8"}"#),
            ],
        ),
    ]);
    let r = import_otlp_json(&langfuse, &prices()).expect("imports");
    let run = &r.runs[0];
    assert_eq!(run.prompt.as_deref(), Some("refund-policy:8"));
    assert_eq!(run.retrieval.as_deref(), Some("kb-2026-11"));

    let plain = one_trace(&[(
        "eee19b7ec3c1b174",
        "",
        "invoke_agent refunds",
        &[
            ("prompt.label", r#"{"stringValue":"refund-v8"}"#),
            ("retrieval.label", r#"{"stringValue":"kb-10"}"#),
        ],
    )]);
    let run = &import_otlp_json(&plain, &prices()).expect("imports").runs[0];
    assert_eq!(
        (run.prompt.as_deref(), run.retrieval.as_deref()),
        (Some("refund-v8"), Some("kb-10"))
    );

    let none = one_trace(&[("eee19b7ec3c1b174", "", "invoke_agent refunds", &[])]);
    let run = &import_otlp_json(&none, &prices()).expect("imports").runs[0];
    assert_eq!(
        (run.prompt.as_deref(), run.retrieval.as_deref()),
        (None, None)
    );

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("labels.json");
    std::fs::write(&path, &langfuse)?;
    let mut store = Store::open(&dir.path().join("cs.db"))?;
    import_file(&mut store, &path, "labels", &prices())?;
    let cols: (String, String) =
        store
            .conn()
            .query_row("SELECT prompt, retrieval FROM runs", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
    assert_eq!(cols, ("refund-policy:8".into(), "kb-2026-11".into()));
    Ok(())
}
