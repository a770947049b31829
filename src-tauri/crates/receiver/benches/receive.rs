//! Receiver throughput: spans/s that an OTLP/HTTP exporter gets into the store through the
//! loopback receiver, protobuf and JSON, with `CLIENTS` exporters posting at once. Each request
//! is one whole agent trace (an agent span, three chat spans, two tool spans; 6 spans) with a
//! fresh trace id, as a batch span processor sends it.
//!
//! `cargo bench -p countersign-receiver --bench receive -- [TRACES] [CLIENTS]` (default 2000 2).

use countersign_receiver::{ReceiverConfig, start};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::time::Instant;

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn s(key: &str, v: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}

fn i(key: &str, v: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(v))
}

/// One agent trace with trace id `n`.
fn trace(n: u64) -> ExportTraceServiceRequest {
    let mut tid = [0u8; 16];
    tid[..8].copy_from_slice(&n.to_be_bytes());
    tid[15] = 1;
    let t0: u64 = 1_764_000_000_000_000_000 + n * 1_000_000_000;
    let sid = |k: u8| vec![0, 0, 0, 0, 0, 0, 1, k];
    let span = |k: u8, parent: Option<u8>, name: &str, at: u64, attrs: Vec<KeyValue>| Span {
        trace_id: tid.to_vec(),
        span_id: sid(k),
        parent_span_id: parent.map(sid).unwrap_or_default(),
        name: name.into(),
        start_time_unix_nano: t0 + at * 1_000_000,
        end_time_unix_nano: t0 + (at + 90) * 1_000_000,
        attributes: attrs,
        ..Default::default()
    };
    let chat = |k: u8, at: u64| {
        span(
            k,
            Some(1),
            "chat gpt-4o-mini",
            at,
            vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.request.model", "gpt-4o-mini"),
                i("gen_ai.usage.input_tokens", 120 + i64::from(k)),
                i("gen_ai.usage.output_tokens", 30),
            ],
        )
    };
    let tool = |k: u8, at: u64, name: &str, args: &str, result: &str| {
        span(
            k,
            Some(1),
            &format!("execute_tool {name}"),
            at,
            vec![
                s("gen_ai.operation.name", "execute_tool"),
                s("gen_ai.tool.name", name),
                s("gen_ai.tool.call.id", &format!("call_{k}")),
                s("tool_arguments", args),
                s("tool_response", result),
            ],
        )
    };
    let mut root = span(
        1,
        None,
        "invoke_agent support_triage",
        0,
        vec![
            s("gen_ai.operation.name", "invoke_agent"),
            s("gen_ai.agent.name", "support_triage"),
            s("gen_ai.conversation.id", &format!("conv-{n}")),
        ],
    );
    root.end_time_unix_nano = t0 + 600 * 1_000_000;
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("service.name", "bench-bot")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "pydantic-ai".into(),
                    ..Default::default()
                }),
                spans: vec![
                    root,
                    chat(2, 10),
                    tool(
                        3,
                        110,
                        "search_kb",
                        r#"{"query":"refund window"}"#,
                        r#"[{"id":"kb_102","title":"Refund policy (EU)","content":"Customers may request a refund within 14 days of delivery."}]"#,
                    ),
                    chat(4, 210),
                    tool(
                        5,
                        310,
                        "lookup_order",
                        r#"{"order_id":"A-1001"}"#,
                        r#"{"status":"delivered"}"#,
                    ),
                    chat(6, 410),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

async fn run(encoding: &str, traces: u64, clients: u64) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("store.db");
    let receiver = start(&path, ReceiverConfig::default())
        .await
        .expect("receiver");
    let url = receiver.endpoint();
    let bodies: Vec<Vec<u8>> = (0..traces)
        .map(|n| {
            let t = trace(n + 1);
            match encoding {
                "protobuf" => t.encode_to_vec(),
                _ => serde_json::to_vec(&t).expect("json"),
            }
        })
        .collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let content_type = if encoding == "protobuf" {
        "application/x-protobuf"
    } else {
        "application/json"
    };
    let bodies = std::sync::Arc::new(bodies);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (url, bodies) = (url.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for b in bodies.iter().skip(c as usize).step_by(clients as usize) {
                let res = http
                    .post(&url)
                    .header("content-type", content_type)
                    .body(b.clone())
                    .send()
                    .await
                    .expect("post");
                assert_eq!(
                    res.status().as_u16(),
                    200,
                    "{}",
                    res.text().await.unwrap_or_default()
                );
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    let secs = t.elapsed().as_secs_f64();
    let stats = receiver.stats();
    receiver.stop().await;
    assert_eq!(stats.runs_changed, traces);
    println!(
        "{encoding:>8}: {traces} traces ({} spans, {:.1} MB) in {secs:.2} s with {clients} clients: {:.0} spans/s, {:.0} traces/s",
        stats.spans,
        bytes as f64 / 1e6,
        stats.spans as f64 / secs,
        traces as f64 / secs
    );
}

fn main() {
    let nums: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let traces = nums.first().copied().unwrap_or(2000);
    let clients = nums.get(1).copied().unwrap_or(2).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        run("protobuf", traces, clients).await;
        run("json", traces, clients).await;
    });
}
