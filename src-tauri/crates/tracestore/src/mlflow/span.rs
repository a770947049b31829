//! One MLflow span → OTLP/JSON for the otel crate's mapping.
//!
//! `GET /api/3.0/mlflow/traces/batchGet` returns each span as the OTLP `Span` message in
//! protobuf JSON with proto field names: ids in base64, times as integers, attribute values as
//! `{"string_value": …}` / `{"kvlist_value": {"values": […]}}`. MLflow keeps what a span is and
//! carries in its own attributes; they are translated here:
//!
//! | MLflow | OTLP attribute read by the mapping |
//! | --- | --- |
//! | `mlflow.spanType` LLM, CHAT_MODEL, EMBEDDING, TOOL, RETRIEVER, AGENT, CHAIN … | `openinference.span.kind` (AGENT also `gen_ai.agent.name`, TOOL `gen_ai.tool.name` = span name) |
//! | `mlflow.spanInputs` / `mlflow.spanOutputs` | `input.value` / `output.value` (a tool's also `gen_ai.tool.call.arguments` / `.result`) |
//! | a retriever's output documents (`page_content`, `metadata.doc_uri`, `id`) | `retrieval.documents.N.document.{id,content,metadata}` |
//! | `mlflow.chat.tokenUsage` `{input_tokens, output_tokens}` | `gen_ai.usage.input_tokens` / `output_tokens` |
//! | `mlflow.llm.model` (else an LLM input's `model`) | `gen_ai.request.model` |
//! | `mlflow.llm.cost` `{total_cost}` (USD, MLflow's own pricing) | `llm.cost.total` (else `input_cost` / `output_cost` as `llm.cost.prompt` / `.completion`) |
//! | the trace's `mlflow.trace.user` / `mlflow.trace.session` (root span only) | `user.id` / `session.id` |
//!
//! Other attributes (`gen_ai.*` set by the application, …) are kept as they are and win over
//! the translated ones.

use crate::engine::ReadSpan;
use countersign_otel::otlp::{decode_id, to_key_values};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
#[cfg(test)]
use std::collections::BTreeMap;

/// What an MLflow trace says of itself that its spans do not: carried by its root span's item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TraceMeta {
    /// `trace_metadata["mlflow.trace.user"]`: the application's end user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `trace_metadata["mlflow.trace.session"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// One item of a page: a span as MLflow returned it, with its MLflow trace id (`tr-…`, the
/// store's key) and, on the root span, the trace's [`TraceMeta`].
#[derive(Deserialize)]
struct Item {
    trace_id: String,
    span: MlflowSpan,
    #[serde(default)]
    trace: Option<TraceMeta>,
}

#[derive(Deserialize)]
struct MlflowSpan {
    #[serde(alias = "traceId")]
    trace_id: String,
    #[serde(alias = "spanId")]
    span_id: String,
    #[serde(default, alias = "parentSpanId")]
    parent_span_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default, alias = "startTimeUnixNano")]
    start_time_unix_nano: Option<Value>,
    #[serde(default, alias = "endTimeUnixNano")]
    end_time_unix_nano: Option<Value>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    name: String,
    #[serde(default, alias = "timeUnixNano")]
    time_unix_nano: Option<Value>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

/// The field of an OTLP `AnyValue` under its proto name or its JSON name.
fn any_field<'v>(v: &'v Value, proto: &str, json: &str) -> Option<&'v Value> {
    v.get(proto).or_else(|| v.get(json))
}

/// An OTLP `AnyValue` (proto or JSON field names) as plain JSON.
fn plain(v: &Value) -> Value {
    if let Some(s) = any_field(v, "string_value", "stringValue") {
        return s.clone();
    }
    if let Some(i) = any_field(v, "int_value", "intValue") {
        return match i {
            Value::String(s) => s.trim().parse::<i64>().map_or(i.clone(), Value::from),
            other => other.clone(),
        };
    }
    if let Some(x) = any_field(v, "double_value", "doubleValue")
        .or_else(|| any_field(v, "bool_value", "boolValue"))
        .or_else(|| any_field(v, "bytes_value", "bytesValue"))
    {
        return x.clone();
    }
    if let Some(a) = any_field(v, "array_value", "arrayValue") {
        let items = a.get("values").and_then(Value::as_array);
        return Value::Array(items.into_iter().flatten().map(plain).collect());
    }
    if let Some(kv) = any_field(v, "kvlist_value", "kvlistValue") {
        let mut m = Map::new();
        for x in kv
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = x.get("key").and_then(Value::as_str) {
                m.insert(k.to_string(), x.get("value").map(plain).unwrap_or_default());
            }
        }
        return Value::Object(m);
    }
    Value::Null
}

fn plain_attrs(list: &[KeyValue]) -> Map<String, Value> {
    list.iter()
        .map(|kv| (kv.key.clone(), plain(&kv.value)))
        .collect()
}

/// Nanoseconds as OTLP/JSON int64 text (a JSON number or a string of digits); `None` unless > 0.
fn nanos(v: Option<&Value>) -> Option<String> {
    let n = match v? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        _ => return None,
    };
    (n > 0).then(|| n.to_string())
}

/// A value as the attribute text the mapping parses: strings stay, anything else as JSON.
fn as_text(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Value::String(s.clone())),
        other => Some(Value::String(other.to_string())),
    }
}

fn count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f.round() as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A positive USD amount as the JSON number or text it came as.
fn usd(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::Number(n) if n.as_f64().is_some_and(|f| f > 0.0) => Some(Value::Number(n.clone())),
        Value::String(s) if s.trim().parse::<f64>().is_ok_and(|f| f > 0.0) => {
            Some(Value::String(s.trim().to_string()))
        }
        _ => None,
    }
}

/// A retriever's output documents (`[{page_content, metadata, id}]`, MLflow's `Document`) as
/// OpenInference `retrieval.documents.N.document.*` attributes.
fn documents(out: &Value, set: &mut impl FnMut(String, Value)) {
    let Some(docs) = out.as_array() else { return };
    for (n, d) in docs.iter().enumerate() {
        let Some(content) = d.get("page_content").and_then(Value::as_str) else {
            continue;
        };
        let meta = d.get("metadata").and_then(Value::as_object);
        let meta_str = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        let id = d
            .get("id")
            .and_then(Value::as_str)
            .or_else(|| meta_str("chunk_id"))
            .or_else(|| meta_str("doc_uri"))
            .map_or_else(|| format!("doc-{n}"), str::to_string);
        let mut metadata = meta.cloned().unwrap_or_default();
        if let Some(uri) = meta_str("doc_uri").map(str::to_string) {
            metadata.entry("url").or_insert(Value::String(uri));
        }
        let at = |f: &str| format!("retrieval.documents.{n}.document.{f}");
        set(at("id"), json!(id));
        set(at("content"), json!(content));
        set(at("metadata"), Value::Object(metadata));
    }
}

/// MLflow's attributes of a span of type `kind` named `name` (plus the trace's `meta` on the
/// root span) → the attributes the otel mapping reads.
fn translate(
    name: &str,
    mut attrs: Map<String, Value>,
    meta: Option<&TraceMeta>,
) -> Map<String, Value> {
    let kind = attrs
        .get("mlflow.spanType")
        .and_then(Value::as_str)
        .unwrap_or("UNKNOWN")
        .trim_matches('"')
        .to_ascii_uppercase();
    let inputs = attrs.remove("mlflow.spanInputs");
    let outputs = attrs.remove("mlflow.spanOutputs");
    let usage = attrs.remove("mlflow.chat.tokenUsage");
    let model = attrs.remove("mlflow.llm.model");
    let cost = attrs.remove("mlflow.llm.cost");
    // The application's own attributes, as they are; the translations below only fill gaps.
    let mut out: Map<String, Value> = attrs
        .into_iter()
        .filter(|(k, _)| !k.starts_with("mlflow."))
        .collect();
    let mut set = |k: String, v: Value| {
        out.entry(k).or_insert(v);
    };
    let oi = match kind.as_str() {
        "LLM" | "CHAT_MODEL" => Some("LLM"),
        "CHAIN" | "WORKFLOW" | "TASK" => Some("CHAIN"),
        "EMBEDDING" | "TOOL" | "RETRIEVER" | "AGENT" | "RERANKER" | "GUARDRAIL" | "EVALUATOR"
        | "PARSER" | "MEMORY" => Some(kind.as_str()),
        _ => None,
    };
    if let Some(k) = oi {
        set("openinference.span.kind".into(), json!(k));
    }
    match kind.as_str() {
        "TOOL" => set("gen_ai.tool.name".into(), json!(name)),
        "AGENT" => set("gen_ai.agent.name".into(), json!(name)),
        _ => {}
    }
    if let Some(v) = inputs.as_ref().and_then(as_text) {
        if kind == "TOOL" {
            set("gen_ai.tool.call.arguments".into(), v.clone());
        }
        set("input.value".into(), v);
    }
    if let Some(o) = &outputs {
        if kind == "RETRIEVER" {
            documents(o, &mut set);
        }
        if let Some(v) = as_text(o) {
            if kind == "TOOL" {
                set("gen_ai.tool.call.result".into(), v.clone());
            }
            set("output.value".into(), v);
        }
    }
    let model = model
        .as_ref()
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            (oi == Some("LLM"))
                .then(|| inputs.as_ref()?.get("model")?.as_str().map(str::to_string))
                .flatten()
        })
        .filter(|m| !m.is_empty());
    if let Some(m) = model {
        set("gen_ai.request.model".into(), json!(m));
    }
    if let Some(u) = &usage {
        if let Some(n) = count(u.get("input_tokens")) {
            set("gen_ai.usage.input_tokens".into(), json!(n));
        }
        if let Some(n) = count(u.get("output_tokens")) {
            set("gen_ai.usage.output_tokens".into(), json!(n));
        }
    }
    if let Some(c) = &cost {
        match usd(c.get("total_cost")) {
            Some(total) => set("llm.cost.total".into(), total),
            None => {
                for (attr, k) in [
                    ("llm.cost.prompt", "input_cost"),
                    ("llm.cost.completion", "output_cost"),
                ] {
                    if let Some(v) = usd(c.get(k)) {
                        set(attr.into(), v);
                    }
                }
            }
        }
    }
    if let Some(m) = meta {
        if let Some(u) = m.user.as_ref().filter(|u| !u.is_empty()) {
            set("user.id".into(), json!(u));
        }
        if let Some(s) = m.session.as_ref().filter(|s| !s.is_empty()) {
            set("session.id".into(), json!(s));
        }
    }
    out
}

/// Reads one page item (see [`Item`]) into OTLP/JSON; the store keys it by MLflow's trace id
/// and the span id in hex.
pub(crate) fn read_span(raw: &[u8]) -> Result<ReadSpan, String> {
    let item: Item = serde_json::from_slice(raw).map_err(|e| format!("not an MLflow span: {e}"))?;
    let s = item.span;
    let mlflow_trace = item.trace_id.trim().to_string();
    if mlflow_trace.is_empty() {
        return Err("span has an empty MLflow trace id".into());
    }
    let trace_id = decode_id(&s.trace_id, 16)
        .filter(|t| t.bytes().any(|b| b != b'0'))
        .ok_or_else(|| format!("trace id {:?} is not 16 bytes", s.trace_id))?;
    let span_id = decode_id(&s.span_id, 8)
        .ok_or_else(|| format!("span id {:?} is not 8 bytes", s.span_id))?;
    let parent = match s.parent_span_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(decode_id(p, 8).ok_or_else(|| format!("parent id {p:?} is not 8 bytes"))?),
    };
    let start = nanos(s.start_time_unix_nano.as_ref()).ok_or_else(|| {
        format!(
            "span {span_id}: start_time_unix_nano {:?} unreadable",
            s.start_time_unix_nano
        )
    })?;
    let attrs = translate(
        &s.name,
        plain_attrs(&s.attributes),
        item.trace.as_ref().filter(|_| parent.is_none()),
    );
    let mut span = json!({
        "traceId": trace_id,
        "spanId": span_id,
        "name": s.name,
        "startTimeUnixNano": start,
        "attributes": to_key_values(&attrs),
        "events": s.events.iter().map(|e| json!({
            "name": e.name,
            "timeUnixNano": nanos(e.time_unix_nano.as_ref()).unwrap_or_default(),
            "attributes": to_key_values(&plain_attrs(&e.attributes)),
        })).collect::<Vec<_>>(),
    });
    if let Some(p) = parent {
        span["parentSpanId"] = json!(p);
    }
    if let Some(e) = nanos(s.end_time_unix_nano.as_ref()) {
        span["endTimeUnixNano"] = json!(e);
    }
    let code = s.status.as_ref().and_then(|st| st.code.as_ref());
    let text = code.map(|c| match c {
        Value::String(t) => t.to_ascii_uppercase(),
        other => other.to_string(),
    });
    match text.as_deref() {
        Some("STATUS_CODE_ERROR" | "ERROR" | "2") => {
            let message = s.status.and_then(|st| st.message).unwrap_or_default();
            span["status"] = json!({"code": 2, "message": message});
        }
        Some("STATUS_CODE_OK" | "OK" | "1") => span["status"] = json!({"code": 1}),
        _ => {}
    }
    Ok(ReadSpan {
        trace_id: mlflow_trace,
        span_id,
        otlp: json!({
            "resource": {"attributes": []},
            "scopeSpans": [{"scope": {"name": "mlflow"}, "spans": [span]}],
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_otel::otlp::attributes;

    /// The items of the recorded `batchGet` answer (a real MLflow 3.17 server), as the sweep
    /// makes them.
    fn items() -> Vec<Value> {
        let batch: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/mlflow/batch_get.json"))
                .expect("fixture");
        let trace = &batch["traces"][0];
        let id = trace["trace_info"]["trace_id"].clone();
        trace["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|span| {
                let mut it = json!({"trace_id": id, "span": span});
                if span.get("parent_span_id").is_none() {
                    it["trace"] = json!({"user": "customer-0", "session": "s-0"});
                }
                it
            })
            .collect()
    }

    fn read(item: &Value) -> (ReadSpan, BTreeMap<String, Value>) {
        let s = read_span(&serde_json::to_vec(item).expect("json")).expect("readable");
        let attrs = attributes(Some(&s.otlp["scopeSpans"][0]["spans"][0]["attributes"]));
        (s, attrs)
    }

    #[test]
    fn recorded_mlflow_spans_read_into_the_attributes_the_mapping_uses() {
        let items = items();
        assert_eq!(items.len(), 5);
        let (root, attrs) = read(&items[0]);
        assert_eq!(root.trace_id, "tr-c060ace2dd236be3578eaa91f08fb24d");
        let span = &root.otlp["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], "c060ace2dd236be3578eaa91f08fb24d");
        assert!(span.get("parentSpanId").is_none());
        assert_eq!(attrs["openinference.span.kind"], "AGENT");
        assert_eq!(attrs["gen_ai.agent.name"], "refund_agent");
        assert_eq!(attrs["user.id"], "customer-0");
        assert_eq!(attrs["session.id"], "s-0");
        assert_eq!(
            serde_json::from_str::<Value>(attrs["input.value"].as_str().expect("text"))
                .expect("json"),
            json!({"question": "Please refund order A-0"})
        );
        assert!(!attrs.keys().any(|k| k.starts_with("mlflow.")));

        let (chat, attrs) = read(&items[1]);
        assert_eq!(chat.span_id.len(), 16);
        assert_eq!(attrs["openinference.span.kind"], "LLM");
        assert_eq!(attrs["gen_ai.request.model"], "support-scripted");
        assert_eq!(attrs["gen_ai.usage.input_tokens"], 100);
        assert_eq!(attrs["gen_ai.usage.output_tokens"], 20);
        assert!(
            !attrs.contains_key("user.id"),
            "trace meta on the root only"
        );

        let (_, attrs) = read(&items[2]);
        assert_eq!(attrs["openinference.span.kind"], "RETRIEVER");
        assert_eq!(attrs["retrieval.documents.0.document.id"], "kb_102");
        assert_eq!(
            attrs["retrieval.documents.0.document.metadata"]["url"],
            "https://kb.example.com/refunds"
        );

        let (tool, attrs) = read(&items[3]);
        assert_eq!(attrs["gen_ai.tool.name"], "lookup_order");
        assert_eq!(attrs["gen_ai.tool.call.arguments"], r#"{"order_id":"A-0"}"#);
        let span = &tool.otlp["scopeSpans"][0]["spans"][0];
        assert_eq!(span["status"]["code"], 2);
        assert_eq!(span["status"]["message"], "ToolFailed: order A-0 is locked");
        assert_eq!(span["events"][0]["name"], "exception");
    }

    #[test]
    fn a_recorded_trace_maps_to_a_run_with_tools_tokens_and_citations() {
        let docs: Vec<Value> = items().iter().map(|i| read(i).0.otlp).collect();
        let prices = countersign_otel::PriceTable::from_json(
            r#"{"prices": [{"model": "support-scripted", "effective_from": "2020-01-01", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"}]}"#,
        )
        .expect("prices");
        let (run, _) = countersign_otel::run_from_resource_spans(&docs, &prices).expect("run");
        assert_eq!(run.run_id, "otel-c060ace2dd236be3578eaa91f08fb24d");
        assert_eq!(run.workflow, "refund_agent");
        assert_eq!(run.model, "support-scripted");
        assert_eq!(run.user_id, "customer-0");
        assert_eq!((run.tokens.input, run.tokens.output), (260, 45));
        // 260 × $2.50/M + 45 × $10/M = $0.0011.
        assert_eq!(run.cost_micros, countersign_core::Micros(1100));
        let tools: Vec<&str> = run.tool_calls.iter().map(|t| t.tool.as_str()).collect();
        assert_eq!(tools, ["search_kb", "lookup_order"]);
        assert!(run.tool_calls[1].error.is_some());
        assert_eq!(run.citations[0].doc_id, "kb_102");
    }

    #[test]
    fn mlflow_costs_and_json_field_names_are_read_and_bad_spans_say_why() {
        let item = json!({"trace_id": "tr-x", "span": {
        "traceId": "c060ace2dd236be3578eaa91f08fb24d", "spanId": "AQIDBAUGBwg=",
        "name": "chat", "startTimeUnixNano": "1795802459995226880",
        "attributes": [
            {"key": "mlflow.spanType", "value": {"stringValue": "CHAT_MODEL"}},
            {"key": "mlflow.spanInputs", "value": {"kvlistValue": {"values": [
                {"key": "model", "value": {"stringValue": "gpt-4o"}}]}}},
            {"key": "mlflow.llm.cost", "value": {"kvlistValue": {"values": [
                {"key": "total_cost", "value": {"doubleValue": 0.0006000000000000001}}]}}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-2024"}}
        ]}});
        let (s, attrs) = read(&item);
        assert_eq!(s.span_id, "0102030405060708");
        assert_eq!(attrs["openinference.span.kind"], "LLM");
        assert_eq!(
            attrs["gen_ai.request.model"], "gpt-4o-2024",
            "the app's own wins"
        );
        assert_eq!(attrs["llm.cost.total"], json!(0.0006000000000000001));

        let mut bad = item.clone();
        bad["span"]["startTimeUnixNano"] = json!(0);
        let why = read_span(&serde_json::to_vec(&bad).expect("json")).err();
        assert!(why.unwrap_or_default().contains("start_time"));
        bad = item.clone();
        bad["span"]["traceId"] = json!("nope");
        assert!(read_span(&serde_json::to_vec(&bad).expect("json")).is_err());
        bad = item;
        bad["trace_id"] = json!(" ");
        assert!(read_span(&serde_json::to_vec(&bad).expect("json")).is_err());
        assert!(read_span(b"{}").is_err());
    }
}
