//! Arize Phoenix: spans of one project over `GET /v1/projects/{project}/spans`.
//!
//! Pages are asked for in insertion order (`sort=id&order=asc`), so the saved cursor is a
//! position in the project's span log and a sync reads only spans added since the last one.
//! Phoenix's cursor is inclusive (the first span of the next page); the saved state is
//! `{"next": "<span global id>"}` while pages remain, else `{"after": "<id of the last span
//! applied>"}` (that span comes back first next time and is skipped). The project is the
//! backend's `config.project` (see [`crate::project_of`]).

use crate::client::{Client, path_segment};
use crate::engine::{self, Fetched, ReadSpan, SpanSource};
use countersign_otel::otlp::{decode_id, to_key_values};
use countersign_store::backends::BackendRow;
use countersign_sync::{Cancel, Progress, SyncError, SyncOptions, SyncReport};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Backend kind of a Phoenix server.
pub const KIND: &str = "phoenix";

/// Cursor stream of a Phoenix backend (`sync_cursors.stream`).
pub const STREAM: &str = "spans";

/// The project used when the backend names none.
pub const DEFAULT_PROJECT: &str = "default";

/// Syncs the spans of the backend's Phoenix project into runs (see the crate docs for the
/// guarantees). `client` is a [`Client::phoenix`] of the backend's URL and API key.
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

/// What a Phoenix server says about itself and the project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// Phoenix version (`GET /arize_phoenix_version`), when it answers.
    pub version: Option<String>,
    /// The project's id.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
}

/// Checks that the server answers, the key is accepted and the project exists
/// (`GET /v1/projects/{project}`).
pub async fn probe(client: &Client, project: &str) -> Result<Probe, SyncError> {
    #[derive(Deserialize)]
    struct Project {
        id: String,
        name: String,
    }
    #[derive(Deserialize)]
    struct Body {
        data: Project,
    }
    let path = format!("/v1/projects/{}", path_segment(project));
    let bytes = client.get(&path, &[]).await?;
    let body: Body =
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))?;
    let version = client
        .get("/arize_phoenix_version", &[])
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|v| !v.is_empty() && v.len() < 100);
    Ok(Probe {
        version,
        project_id: body.data.id,
        project_name: body.data.name,
    })
}

/// Saved position in the project's span log.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    /// Phoenix's own `next_cursor`: nothing at or after it was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    /// The global id of the last span applied (asked for again, and skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<Box<RawValue>>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    id: Option<String>,
}

/// The Phoenix span source of one backend.
pub(crate) struct Source {
    /// The project synced.
    project: String,
}

impl SpanSource for Source {
    const STREAM: &'static str = STREAM;

    fn from_backend(backend: &BackendRow) -> Self {
        Source {
            project: crate::project_of(backend).unwrap_or_else(|| DEFAULT_PROJECT.into()),
        }
    }

    fn read_span(raw: &[u8]) -> Result<ReadSpan, String> {
        read_span(raw)
    }

    /// Phoenix keeps no resource attributes: the project stands in for the service.
    fn service_name(&self) -> Option<String> {
        Some(self.project.clone())
    }

    async fn fetch(
        &self,
        client: &Client,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Fetched, SyncError> {
        fetch(client, &self.project, state, limit).await
    }
}

pub(crate) async fn fetch(
    client: &Client,
    project: &str,
    state: Option<&str>,
    limit: u32,
) -> Result<Fetched, SyncError> {
    let state: State = match state {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| SyncError::Protocol(format!("saved Phoenix cursor unreadable: {e}")))?,
        None => State::default(),
    };
    let mut query = vec![
        ("sort", "id".to_string()),
        ("order", "asc".to_string()),
        ("limit", limit.to_string()),
    ];
    if let Some(c) = state.next.as_ref().or(state.after.as_ref()) {
        query.push(("cursor", c.clone()));
    }
    let path = format!("/v1/projects/{}/spans", path_segment(project));
    let bytes = client.get(&path, &query).await?;
    let page: Page = serde_json::from_slice(&bytes)
        .map_err(|e| SyncError::Protocol(format!("{path}: unreadable page: {e}")))?;
    let mut last_id = None;
    let mut items = Vec::with_capacity(page.data.len());
    for item in page.data {
        let id = serde_json::from_str::<Head>(item.get())
            .ok()
            .and_then(|h| h.id);
        if id.is_some() && id == state.after && state.next.is_none() {
            continue;
        }
        if id.is_some() {
            last_id = id;
        }
        items.push(item);
    }
    let has_more = page.next_cursor.is_some();
    let next = match page.next_cursor {
        Some(c) => State {
            next: Some(c),
            after: None,
        },
        None => State {
            next: None,
            after: last_id.or(state.after).or(state.next),
        },
    };
    Ok(Fetched {
        refused: Vec::new(),
        items,
        next_state: serde_json::to_string(&next).map_err(|e| SyncError::Protocol(e.to_string()))?,
        has_more,
    })
}

/// A Phoenix span (`GET /v1/projects/{p}/spans` item).
#[derive(Deserialize)]
struct PhoenixSpan {
    name: String,
    context: Context,
    #[serde(default)]
    span_kind: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    start_time: String,
    #[serde(default)]
    end_time: Option<String>,
    #[serde(default)]
    status_code: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    attributes: Map<String, Value>,
    #[serde(default)]
    events: Vec<PhoenixEvent>,
}

#[derive(Deserialize)]
struct Context {
    trace_id: String,
    span_id: String,
}

#[derive(Deserialize)]
struct PhoenixEvent {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

/// RFC 3339 text → nanoseconds since the epoch (as OTLP/JSON int64 text).
pub(crate) fn nanos_text(t: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(t.trim())
        .ok()?
        .timestamp_nanos_opt()
        .filter(|n| *n > 0)
        .map(|n| n.to_string())
}

/// Reads one Phoenix span into OTLP/JSON.
pub(crate) fn read_span(raw: &[u8]) -> Result<ReadSpan, String> {
    let s: PhoenixSpan =
        serde_json::from_slice(raw).map_err(|e| format!("not a Phoenix span: {e}"))?;
    let trace_id = decode_id(&s.context.trace_id, 16)
        .filter(|t| t.bytes().any(|b| b != b'0'))
        .ok_or_else(|| format!("trace id {:?} is not 16 bytes of hex", s.context.trace_id))?;
    let span_id = decode_id(&s.context.span_id, 8)
        .ok_or_else(|| format!("span id {:?} is not 8 bytes of hex", s.context.span_id))?;
    let parent = match s.parent_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => {
            Some(decode_id(p, 8).ok_or_else(|| format!("parent id {p:?} is not 8 bytes of hex"))?)
        }
    };
    let start = nanos_text(&s.start_time)
        .ok_or_else(|| format!("span {span_id}: start_time {:?} unreadable", s.start_time))?;
    let end = s.end_time.as_deref().and_then(nanos_text);
    let mut attrs = s.attributes;
    // Phoenix lifts the OpenInference kind out of the attributes; put it back.
    if let Some(kind) = s.span_kind.filter(|k| !k.is_empty() && k != "UNKNOWN") {
        attrs
            .entry("openinference.span.kind")
            .or_insert(Value::String(kind));
    }
    let mut span = json!({
        "traceId": trace_id,
        "spanId": span_id,
        "name": s.name,
        "startTimeUnixNano": start,
        "attributes": to_key_values(&attrs),
        "events": s.events.iter().map(|e| json!({
            "name": e.name,
            "timeUnixNano": e.timestamp.as_deref().and_then(nanos_text).unwrap_or_default(),
            "attributes": to_key_values(&e.attributes),
        })).collect::<Vec<_>>(),
    });
    if let Some(p) = parent {
        span["parentSpanId"] = json!(p);
    }
    if let Some(e) = end {
        span["endTimeUnixNano"] = json!(e);
    }
    match s.status_code.as_deref() {
        Some("ERROR") => {
            span["status"] = json!({"code": 2, "message": s.status_message.unwrap_or_default()})
        }
        Some("OK") => span["status"] = json!({"code": 1}),
        _ => {}
    }
    Ok(ReadSpan {
        trace_id: trace_id.clone(),
        span_id,
        otlp: json!({
            "resource": {"attributes": []},
            "scopeSpans": [{"scope": {"name": "phoenix"}, "spans": [span]}],
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phoenix_span_reads_into_otlp_and_bad_ones_say_why() {
        let raw = br#"{"id":"U3Bhbjoz","name":"ChatOpenAI","context":{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"e5f6f7f7b6dedf87"},"span_kind":"LLM","parent_id":"b7ad6b7169203331","start_time":"2026-03-02T10:00:00.320000+00:00","end_time":"2026-03-02T10:00:02.100000+00:00","status_code":"ERROR","status_message":"boom","attributes":{"llm.model_name":"gpt-4o","llm.token_count.prompt":1200},"events":[{"name":"exception","timestamp":"2026-03-02T10:00:01+00:00","attributes":{"exception.message":"x"}}]}"#;
        let s = read_span(raw).expect("readable");
        assert_eq!(s.trace_id, "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(s.span_id, "e5f6f7f7b6dedf87");
        let span = &s.otlp["scopeSpans"][0]["spans"][0];
        assert_eq!(span["startTimeUnixNano"], "1772445600320000000");
        assert_eq!(span["parentSpanId"], "b7ad6b7169203331");
        assert_eq!(span["status"]["code"], 2);
        let keys: Vec<&str> = span["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|kv| kv["key"].as_str())
            .collect();
        assert!(keys.contains(&"openinference.span.kind"));
        assert_eq!(span["events"][0]["timeUnixNano"], "1772445601000000000");

        let no_start = br#"{"name":"x","context":{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"e5f6f7f7b6dedf87"},"start_time":"yesterday"}"#;
        assert!(
            read_span(no_start)
                .err()
                .unwrap_or_default()
                .contains("start_time")
        );
        let bad_id = br#"{"name":"x","context":{"trace_id":"zz","span_id":"e5f6f7f7b6dedf87"},"start_time":"2026-03-02T10:00:00Z"}"#;
        assert!(
            read_span(bad_id)
                .err()
                .unwrap_or_default()
                .contains("trace id")
        );
        assert!(read_span(b"[1,2]").is_err());
    }
}
