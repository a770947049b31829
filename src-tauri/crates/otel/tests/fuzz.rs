//! Property tests (bounded, run with every `cargo test`): the OTLP/JSON reader and the
//! span → run mapping never panic on arbitrary input, and what they keep for quarantine stays
//! proportional to the input (a resource shared by many spans is not copied per span).

use countersign_otel::{PriceTable, import_otlp_json, otlp, surrogates};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Attribute keys the mapping reads, plus noise.
const KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.agent.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.conversation.id",
    "openinference.span.kind",
    "llm.model_name",
    "llm.token_count.prompt",
    "llm.cost.total",
    "llm.cost.prompt",
    "gen_ai.usage.cost",
    "input.value",
    "output.value",
    "final_result",
    "tool_response",
    "retrieval.documents.0.document.content",
    "user.id",
    "x",
];

const WORDS: &[&str] = &[
    "chat",
    "invoke_agent",
    "execute_tool",
    "AGENT",
    "LLM",
    "TOOL",
    "RETRIEVER",
    "gpt-4o",
    "DeferredToolRequests",
    r#"{"approvals":[{"tool_call_id":"c1","tool_name":"t"}]}"#,
    r#"[{"id":"d","content":"c","title":"t"}]"#,
    "-1.5",
    "1e309",
    "18446744073709551616",
    "0.000001",
    "",
];

fn any_attr_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(WORDS).prop_map(|w| json!({ "stringValue": w })),
        any::<String>().prop_map(|s| json!({ "stringValue": s })),
        any::<i64>().prop_map(|i| json!({ "intValue": i.to_string() })),
        any::<f64>().prop_map(|d| json!({ "doubleValue": d })),
        any::<bool>().prop_map(|b| json!({ "boolValue": b })),
        Just(json!({})),
        Just(json!(null)),
        Just(json!({ "intValue": "not a number" })),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|xs| json!({ "arrayValue": { "values": xs } })),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..4).prop_map(|kvs| {
                let values: Vec<Value> = kvs
                    .into_iter()
                    .map(|(k, v)| json!({ "key": k, "value": v }))
                    .collect();
                json!({ "kvlistValue": { "values": values } })
            }),
        ]
    })
}

fn any_id(bytes: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec(0u8..3, bytes).prop_map(|b| {
            json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }),
        1 => any::<String>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<u64>().prop_map(Value::from),
    ]
}

fn any_time() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1_700_000_000_000_000_000u64..1_700_000_100_000_000_000)
            .prop_map(|t| json!(t.to_string())),
        any::<u64>().prop_map(|t| json!(t)),
        any::<String>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn any_span() -> impl Strategy<Value = Value> {
    (
        any_id(16),
        any_id(8),
        prop::option::of(any_id(8)),
        prop::sample::select(WORDS),
        any_time(),
        any_time(),
        prop::collection::vec((prop::sample::select(KEYS), any_attr_value()), 0..8),
        prop::option::of(0u8..4),
    )
        .prop_map(|(tid, sid, parent, name, start, end, attrs, status)| {
            let attributes: Vec<Value> = attrs
                .into_iter()
                .map(|(k, v)| json!({ "key": k, "value": v }))
                .collect();
            json!({
                "traceId": tid, "spanId": sid, "parentSpanId": parent, "name": name,
                "startTimeUnixNano": start, "endTimeUnixNano": end,
                "attributes": attributes,
                "status": status.map(|c| json!({ "code": c, "message": "boom" })),
                "events": [{ "name": "exception", "attributes": [
                    { "key": "exception.message", "value": { "stringValue": "e" } }] }],
            })
        })
}

fn any_document() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            prop::collection::vec((prop::sample::select(KEYS), any_attr_value()), 0..3),
            prop::collection::vec(any_span(), 0..8),
        ),
        1..3,
    )
    .prop_map(|rss| {
        let rss: Vec<Value> = rss
            .into_iter()
            .map(|(res, spans)| {
                let attributes: Vec<Value> = res
                    .into_iter()
                    .map(|(k, v)| json!({ "key": k, "value": v }))
                    .collect();
                json!({ "resource": { "attributes": attributes },
                        "scopeSpans": [{ "scope": { "name": "s" }, "spans": spans }] })
            })
            .collect();
        json!({ "resourceSpans": rss })
    })
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes: an error or a result, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = import_otlp_json(&bytes, &PriceTable::example());
    }

    /// Arbitrary text with JSON punctuation and escapes (surrogates included).
    #[test]
    fn json_like_text_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(&[
                "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u", "\\ud800", "\\udc00",
                "\\ud83d\\ude00", "d800", "\"resourceSpans\"", "\"spans\"", "\"scopeSpans\"",
                "\"traceId\"", "1", "null", "\n", "\\\\", "\\\"",
            ][..]),
            0..64,
        )
    ) {
        let text: String = parts.concat();
        let _ = import_otlp_json(text.as_bytes(), &PriceTable::example());
        if let Some(r) = surrogates::repair(text.as_bytes()) {
            prop_assert!(r.count > 0);
            prop_assert!(r.bytes.len() <= text.len() + 6 * r.count);
        }
    }

    /// A repaired JSON string always parses, whatever mix of escapes it held.
    #[test]
    fn repaired_strings_parse(
        units in prop::collection::vec(
            prop_oneof![any::<u16>(), 0xD800u16..0xE000],
            0..16,
        )
    ) {
        let text: String = std::iter::once("\"".to_string())
            .chain(units.iter().map(|u| format!("\\u{u:04x}")))
            .chain(std::iter::once("\"".to_string()))
            .collect();
        let fixed = surrogates::repair(text.as_bytes()).map(|r| r.bytes).unwrap_or_else(|| text.clone().into_bytes());
        let parsed = serde_json::from_slice::<String>(&fixed);
        prop_assert!(parsed.is_ok(), "{} -> {:?}", text, parsed);
    }

    /// Structured OTLP/JSON with random attributes, ids, times and statuses: every trace
    /// becomes a run or a rejection, never a panic.
    #[test]
    fn random_documents_map_without_panic(doc in any_document()) {
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        let r = import_otlp_json(&bytes, &PriceTable::example());
        prop_assert!(r.is_ok(), "{:?}", r.err());
        if let Ok(r) = r {
            let traces = otlp::parse(&bytes).map(|p| p.traces.len()).unwrap_or(0);
            prop_assert!(r.runs.len() + r.rejected.len() >= traces);
            // Quarantined text stays proportional to the input.
            let kept: usize = r.rejected.iter().map(|x| x.raw.len()).sum();
            prop_assert!(kept <= 2 * bytes.len() + 1024, "{} > 2 x {}", kept, bytes.len());
        }
    }
}

/// A big resource shared by many spans whose traces are all rejected: the quarantined text is
/// the resource once per trace (not once per span), so memory stays proportional to the input.
#[test]
fn a_shared_resource_is_not_copied_per_span() {
    let big = "r".repeat(1 << 20);
    let spans: Vec<Value> = (0..2000)
        .map(|i| {
            json!({"traceId": if i % 2 == 0 { "zz" } else { "5b8efff798038103d269b633813fc60c" },
                   "spanId": format!("{i:016x}"), "name": "x", "startTimeUnixNano": "0"})
        })
        .collect();
    let doc = json!({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": big}}]},
        "scopeSpans": [{"spans": spans}]}]});
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    let r = import_otlp_json(&bytes, &PriceTable::example()).expect("parses");
    assert!(r.runs.is_empty());
    assert_eq!(
        r.rejected.len(),
        2,
        "one per trace + one for the unreadable ids"
    );
    let kept: usize = r.rejected.iter().map(|x| x.raw.len()).sum();
    assert!(
        kept < 3 * bytes.len(),
        "{kept} bytes kept for a {} byte input",
        bytes.len()
    );
}
