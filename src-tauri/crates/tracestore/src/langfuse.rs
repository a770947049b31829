//! Langfuse: observations over `GET /api/public/v2/observations` (Observations API v2; Langfuse
//! Cloud removed `GET /api/public/traces` on 2026-11-16), Basic auth with the project's public
//! key and secret key, stored as ONE secret string `PUBLIC_KEY:SECRET_KEY`
//! (`pk-lf-…:sk-lf-…`, split at the first `:`; see [`crate::client::langfuse_auth`]).
//!
//! The API pages with an opaque cursor (`meta.cursor`, absent on the last page) and filters by
//! `fromStartTime`; it promises no order a sync could resume from across calls. So a sync is a
//! *sweep*: every observation that started at or after `since − lookback`, cursor by cursor.
//! The state saved with each page is `{"since": T, "sweep": {"from": F, "cursor": C,
//! "max_start": M}}`; when a sweep ends, `since` becomes the latest start time seen. The
//! lookback (backend `config.lookback_minutes`, default 15) re-reads recent observations so
//! those that become visible late (Langfuse documents up to ~10 minutes for older SDKs) or are
//! updated soon after they start are not missed; re-read spans that did not change change
//! nothing. An observation updated more than the lookback after it started is not re-read.
//!
//! Tested against a local server answering with recorded responses shaped like the documented
//! API (`tests/fixtures/langfuse/README.md`); no real Langfuse runs here.

use crate::client::Client;
use crate::engine::{self, Fetched, ReadSpan, SpanSource};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use countersign_otel::otlp::to_key_values;
use countersign_store::backends::BackendRow;
use countersign_sync::{Cancel, Progress, SyncError, SyncOptions, SyncReport};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Backend kind of a Langfuse project.
pub const KIND: &str = "langfuse";

/// Cursor stream of a Langfuse backend (`sync_cursors.stream`).
pub const STREAM: &str = "observations";

/// Default re-read window, in minutes.
pub const DEFAULT_LOOKBACK_MINUTES: i64 = 15;

/// Field groups asked for: everything the run mapping uses.
pub const FIELDS: &str = "core,basic,time,io,metadata,model,usage";

/// The observations endpoint.
pub const OBSERVATIONS_PATH: &str = "/api/public/v2/observations";

/// Syncs the observations of the backend's Langfuse project into runs (see the crate docs for
/// the guarantees). `client` is a [`Client::langfuse`] of the backend's URL and stored keys.
pub async fn sync(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    engine::sync::<Source>(store_path, backend_id, client, opts, cancel, on_progress).await
}

/// `config.lookback_minutes` (0 ..= 7 days), else [`DEFAULT_LOOKBACK_MINUTES`].
pub fn lookback_of(backend: &BackendRow) -> i64 {
    backend
        .config
        .get("lookback_minutes")
        .and_then(Value::as_i64)
        .filter(|m| (0..=7 * 24 * 60).contains(m))
        .unwrap_or(DEFAULT_LOOKBACK_MINUTES)
}

/// What Langfuse says about the keys' project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The project's id.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
}

/// Checks that the server answers and the keys are accepted (`GET /api/public/projects`,
/// which lists the one project the keys belong to).
pub async fn probe(client: &Client) -> Result<Probe, SyncError> {
    #[derive(Deserialize)]
    struct Project {
        id: String,
        name: String,
    }
    #[derive(Deserialize)]
    struct Body {
        data: Vec<Project>,
    }
    let path = "/api/public/projects";
    let bytes = client.get(path, &[]).await?;
    let body: Body =
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))?;
    let p = body
        .data
        .into_iter()
        .next()
        .ok_or_else(|| SyncError::Protocol(format!("{path}: no project for these keys")))?;
    Ok(Probe {
        project_id: p.id,
        project_name: p.name,
    })
}

/// Saved sync state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    /// Latest observation start time seen by a finished sweep.
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    /// The sweep in progress.
    #[serde(default)]
    sweep: Option<Sweep>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Sweep {
    /// `fromStartTime` of every page of this sweep (none: everything).
    from: Option<DateTime<Utc>>,
    /// Cursor of the next page (none: the first).
    cursor: Option<String>,
    /// Latest start time seen so far in this sweep.
    max_start: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<Box<RawValue>>,
    #[serde(default)]
    meta: Meta,
}

#[derive(Default, Deserialize)]
struct Meta {
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct StartOnly {
    #[serde(rename = "startTime", default)]
    start_time: Option<String>,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The Langfuse span source of one backend.
pub(crate) struct Source {
    /// Minutes re-read before the cursor (late observations).
    lookback_minutes: i64,
}

impl SpanSource for Source {
    const STREAM: &'static str = STREAM;

    fn from_backend(backend: &BackendRow) -> Self {
        Source {
            lookback_minutes: lookback_of(backend),
        }
    }

    fn read_span(raw: &[u8]) -> Result<ReadSpan, String> {
        read_span(raw)
    }

    async fn fetch(
        &self,
        client: &Client,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Fetched, SyncError> {
        fetch(client, self.lookback_minutes, state, limit).await
    }
}

pub(crate) async fn fetch(
    client: &Client,
    lookback_minutes: i64,
    state: Option<&str>,
    limit: u32,
) -> Result<Fetched, SyncError> {
    let mut state: State = match state {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| SyncError::Protocol(format!("saved Langfuse cursor unreadable: {e}")))?,
        None => State::default(),
    };
    let sweep = state.sweep.take().unwrap_or_else(|| Sweep {
        from: state.since.map(|s| s - Duration::minutes(lookback_minutes)),
        cursor: None,
        max_start: state.since,
    });
    let mut query = vec![("fields", FIELDS.to_string()), ("limit", limit.to_string())];
    if let Some(f) = sweep.from {
        query.push(("fromStartTime", iso(f)));
    }
    if let Some(c) = &sweep.cursor {
        query.push(("cursor", c.clone()));
    }
    let bytes = client.get(OBSERVATIONS_PATH, &query).await?;
    let page: Page = serde_json::from_slice(&bytes)
        .map_err(|e| SyncError::Protocol(format!("{OBSERVATIONS_PATH}: unreadable page: {e}")))?;
    let mut max_start = sweep.max_start;
    for item in &page.data {
        if let Some(t) = serde_json::from_str::<StartOnly>(item.get())
            .ok()
            .and_then(|s| s.start_time)
            .and_then(|t| parse_time(&t))
        {
            max_start = max_start.max(Some(t));
        }
    }
    let cursor = page.meta.cursor.filter(|c| !c.is_empty());
    let has_more = cursor.is_some() && !page.data.is_empty();
    let next = if has_more {
        State {
            since: state.since,
            sweep: Some(Sweep {
                from: sweep.from,
                cursor,
                max_start,
            }),
        }
    } else {
        State {
            since: max_start,
            sweep: None,
        }
    };
    Ok(Fetched {
        refused: Vec::new(),
        items: page.data,
        next_state: serde_json::to_string(&next).map_err(|e| SyncError::Protocol(e.to_string()))?,
        has_more,
    })
}

/// An observation as the v2 API returns it (field groups core, basic, time, io, metadata,
/// model, usage).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Observation {
    id: String,
    trace_id: Option<String>,
    start_time: String,
    #[serde(default)]
    end_time: Option<String>,
    #[serde(default)]
    parent_observation_id: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    provided_model_name: Option<String>,
    #[serde(default)]
    usage_details: Option<Map<String, Value>>,
    #[serde(default)]
    cost_details: Option<Map<String, Value>>,
    #[serde(default)]
    total_cost: Option<Value>,
}

fn hashed_hex(prefix: &str, id: &str, bytes: usize) -> String {
    let digest = Sha256::digest(format!("{prefix}:{id}").as_bytes());
    hex::encode(&digest[..bytes])
}

/// A Langfuse trace id as an OTLP trace id: 32 hex digits as they are (OpenTelemetry-ingested
/// traces), a UUID without its dashes, anything else hashed (SHA-256, first 16 bytes).
pub fn otlp_trace_id(id: &str) -> String {
    let t = id.trim();
    let plain: String = t.chars().filter(|c| *c != '-').collect();
    let dashes_ok = t.len() == 36 && t.chars().filter(|c| *c == '-').count() == 4;
    if (t.len() == 32 || dashes_ok)
        && plain.len() == 32
        && plain.bytes().all(|b| b.is_ascii_hexdigit())
        && plain.bytes().any(|b| b != b'0')
    {
        plain.to_ascii_lowercase()
    } else {
        hashed_hex("trace", t, 16)
    }
}

/// A Langfuse observation id as an OTLP span id: 16 hex digits as they are, else hashed
/// (SHA-256, first 8 bytes).
pub fn otlp_span_id(id: &str) -> String {
    let t = id.trim();
    if t.len() == 16 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        t.to_ascii_lowercase()
    } else {
        hashed_hex("observation", t, 8)
    }
}

/// Input/output as the attribute text the mapping parses (JSON text stays text).
fn io_text(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Value::String(s.clone())),
        other => Some(Value::String(other.to_string())),
    }
}

fn tokens(usage: &Map<String, Value>, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| {
        let v = usage.get(*k)?;
        v.as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f.round() as u64))
    })
}

/// Reported USD cost as OTLP attributes (decimal text, read exactly by the mapping): the total
/// (`costDetails.total`, else `totalCost`) as `llm.cost.total`, else the parts
/// (`costDetails.input` / `.output`) as `llm.cost.prompt` / `llm.cost.completion`. Zero counts
/// as not reported (Langfuse reports 0 when it has no price for the model): the price table
/// decides then.
fn reported_cost(o: &Observation) -> Vec<(&'static str, String)> {
    let positive = |v: &Value| match v {
        Value::Number(n) if n.as_f64().is_some_and(|f| f > 0.0) => Some(n.to_string()),
        Value::String(s) if s.trim().parse::<f64>().is_ok_and(|f| f > 0.0) => {
            Some(s.trim().to_string())
        }
        _ => None,
    };
    let detail = |k: &str| {
        o.cost_details
            .as_ref()
            .and_then(|c| c.get(k))
            .and_then(positive)
    };
    if let Some(total) = detail("total").or_else(|| o.total_cost.as_ref().and_then(positive)) {
        return vec![("llm.cost.total", total)];
    }
    [
        ("llm.cost.prompt", "input"),
        ("llm.cost.completion", "output"),
    ]
    .into_iter()
    .filter_map(|(attr, k)| detail(k).map(|v| (attr, v)))
    .collect()
}

/// Reads one observation into OTLP/JSON. The store keys it by Langfuse's own trace id and
/// observation id.
pub(crate) fn read_span(raw: &[u8]) -> Result<ReadSpan, String> {
    let o: Observation =
        serde_json::from_slice(raw).map_err(|e| format!("not a Langfuse observation: {e}"))?;
    let native_trace = o
        .trace_id
        .clone()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| format!("observation {:?} has no traceId", o.id))?;
    if o.id.trim().is_empty() {
        return Err("observation has an empty id".into());
    }
    let start = crate::phoenix::nanos_text(&o.start_time).ok_or_else(|| {
        format!(
            "observation {}: startTime {:?} unreadable",
            o.id, o.start_time
        )
    })?;
    let end = o.end_time.as_deref().and_then(crate::phoenix::nanos_text);
    let name = o.name.clone().unwrap_or_default();
    let mut attrs = Map::new();
    let mut set = |k: &str, v: Value| {
        attrs.insert(k.to_string(), v);
    };
    let kind = o.kind.as_deref().unwrap_or("SPAN").to_ascii_uppercase();
    match kind.as_str() {
        "GENERATION" => set("gen_ai.operation.name", json!("chat")),
        "EMBEDDING" => set("gen_ai.operation.name", json!("embeddings")),
        "AGENT" => {
            set("gen_ai.operation.name", json!("invoke_agent"));
            set("gen_ai.agent.name", json!(name));
        }
        "TOOL" => {
            set("gen_ai.operation.name", json!("execute_tool"));
            set("gen_ai.tool.name", json!(name));
        }
        "RETRIEVER" | "CHAIN" | "EVALUATOR" | "GUARDRAIL" => {
            set("openinference.span.kind", json!(kind))
        }
        _ => {}
    }
    if let Some(v) = o.input.as_ref().and_then(io_text) {
        if kind == "TOOL" {
            set("gen_ai.tool.call.arguments", v.clone());
        }
        set("input.value", v);
    }
    if let Some(v) = o.output.as_ref().and_then(io_text) {
        if kind == "TOOL" {
            set("gen_ai.tool.call.result", v.clone());
        }
        set("output.value", v);
    }
    if let Some(m) = o.provided_model_name.as_ref().filter(|m| !m.is_empty()) {
        set("gen_ai.request.model", json!(m));
    }
    if let Some(u) = &o.usage_details {
        if let Some(n) = tokens(u, &["input", "prompt_tokens", "input_tokens"]) {
            set("gen_ai.usage.input_tokens", json!(n));
        }
        if let Some(n) = tokens(u, &["output", "completion_tokens", "output_tokens"]) {
            set("gen_ai.usage.output_tokens", json!(n));
        }
    }
    for (k, v) in reported_cost(&o) {
        set(k, json!(v));
    }
    if let Some(u) = o.user_id.as_ref().filter(|u| !u.is_empty()) {
        set("user.id", json!(u));
    }
    if let Some(s) = o.session_id.as_ref().filter(|s| !s.is_empty()) {
        set("session.id", json!(s));
    }
    set("langfuse.observation.id", json!(o.id));
    set("langfuse.trace.id", json!(native_trace));
    // Metadata (OpenTelemetry attributes Langfuse kept, or the SDK's metadata) fills in what
    // the fields above did not set.
    if let Some(Value::Object(meta)) = &o.metadata {
        let nested = meta.get("attributes").and_then(Value::as_object);
        for (k, v) in nested.into_iter().flatten().chain(meta.iter()) {
            if k != "attributes" && !v.is_null() {
                attrs.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let mut resource = Map::new();
    if let Some(e) = o.environment.as_ref().filter(|e| !e.is_empty()) {
        resource.insert("deployment.environment".into(), json!(e));
    }
    if let Some(v) = o.version.as_ref().filter(|v| !v.is_empty()) {
        resource.insert("service.version".into(), json!(v));
    }
    let mut span = json!({
        "traceId": otlp_trace_id(&native_trace),
        "spanId": otlp_span_id(&o.id),
        "name": name,
        "startTimeUnixNano": start,
        "attributes": to_key_values(&attrs),
    });
    if let Some(p) = o.parent_observation_id.as_ref().filter(|p| !p.is_empty()) {
        span["parentSpanId"] = json!(otlp_span_id(p));
    }
    if let Some(e) = end {
        span["endTimeUnixNano"] = json!(e);
    }
    if o.level.as_deref() == Some("ERROR") {
        span["status"] = json!({"code": 2, "message": o.status_message.unwrap_or_default()});
    }
    Ok(ReadSpan {
        trace_id: native_trace,
        span_id: o.id,
        otlp: json!({
            "resource": {"attributes": to_key_values(&resource)},
            "scopeSpans": [{"scope": {"name": "langfuse"}, "spans": [span]}],
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_otlp_ids() {
        assert_eq!(
            otlp_trace_id("0AF7651916CD43DD8448EB211C80319C"),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(
            otlp_trace_id("5b8efff7-9803-8103-d269-b633813fc60c"),
            "5b8efff798038103d269b633813fc60c"
        );
        let h = otlp_trace_id("my-trace-1");
        assert_eq!(h.len(), 32);
        assert_eq!(h, otlp_trace_id("my-trace-1"));
        assert_eq!(otlp_span_id("b7ad6b7169203331"), "b7ad6b7169203331");
        assert_eq!(otlp_span_id("obs-1").len(), 16);
    }

    #[test]
    fn a_generation_reads_with_tokens_and_cost() {
        let raw = br#"{"id":"obs-gen-1","traceId":"trace-a","startTime":"2026-11-20T09:00:01.000Z","endTime":"2026-11-20T09:00:02.500Z","projectId":"p1","parentObservationId":"obs-root","type":"GENERATION","name":"chat","level":"DEFAULT","statusMessage":null,"providedModelName":"gpt-4o","usageDetails":{"input":1200,"output":85,"total":1285},"costDetails":{"input":0.003,"output":0.00085,"total":0.00385},"totalCost":0.00385,"input":"[{\"role\":\"user\",\"content\":\"hi\"}]","output":"{\"role\":\"assistant\",\"content\":\"hello\"}"}"#;
        let s = read_span(raw).expect("readable");
        assert_eq!(s.trace_id, "trace-a");
        assert_eq!(s.span_id, "obs-gen-1");
        let attrs = countersign_otel::otlp::attributes(Some(
            &s.otlp["scopeSpans"][0]["spans"][0]["attributes"],
        ));
        assert_eq!(attrs["gen_ai.usage.input_tokens"], json!(1200));
        assert_eq!(attrs["llm.cost.total"], json!("0.00385"));
        assert_eq!(attrs["gen_ai.request.model"], json!("gpt-4o"));
        assert!(
            read_span(br#"{"id":"x","traceId":null,"startTime":"2026-11-20T09:00:01Z"}"#).is_err()
        );
    }
}
