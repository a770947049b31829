//! The MLflow cursor: a sync is a *sweep* over the finished traces that ended at or after
//! `since − lookback`, in MLflow's order (start time, then trace id), page by page with
//! MLflow's page token; the spans of the traces not applied before are fetched whole.
//!
//! MLflow's page tokens are offsets into the filtered result, so a sweep keeps its filter
//! (`from`) and its experiment ids fixed. Traces that finish during a sweep only add rows to
//! that result (a late one may shift a page boundary: a trace is then seen twice, and skipped
//! the second time); none is skipped. The saved state:
//!
//! ```json
//! {"since": 1795802459995, "done": {"tr-…": 1795802459990, …},
//!  "sweep": {"from": 1795802159995, "experiments": ["1"], "token": "eyJvZmZzZXQiOiA1MDB9", "max_end": 1795802459995}}
//! ```
//!
//! `done` holds the traces applied that ended within the lookback window, so a re-read trace
//! costs one row of a search page and no span request; it is pruned with every page.

use super::span::TraceMeta;
use super::{BATCH_GET_PATH, SEARCH_PATH, Source, resolve};
use crate::client::Client;
use crate::engine::Fetched;
use chrono::{DateTime, Utc};
use countersign_sync::SyncError;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// MLflow's largest search page.
pub(super) const MAX_PAGE: u32 = 500;

/// Trace ids per `batchGet` request (they travel in the query string).
const BATCH: usize = 50;

/// Where a trace's spans live when the tracking store holds them.
const IN_TRACKING_STORE: &str = "TRACKING_STORE";

/// Saved sync state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    /// Latest trace end (ms since the epoch) a finished sweep saw, at most this machine's clock
    /// then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<i64>,
    /// Traces applied (MLflow trace id → end, ms) that ended within the lookback window.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    done: BTreeMap<String, i64>,
    /// The sweep in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sweep: Option<Sweep>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Sweep {
    /// Only traces that ended at or after this (ms); none: every trace.
    from: Option<i64>,
    /// Experiment ids searched.
    experiments: Vec<String>,
    /// MLflow's token of the next page; none: the first.
    token: Option<String>,
    /// Latest trace end seen so far in this sweep.
    max_end: Option<i64>,
}

/// A trace info as the search returns it (the fields read here).
#[derive(Deserialize)]
struct Info {
    trace_id: String,
    #[serde(default)]
    request_time: Option<String>,
    #[serde(default)]
    execution_duration: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    trace_metadata: Map<String, Value>,
    #[serde(default)]
    tags: Map<String, Value>,
}

impl Info {
    /// When the trace ended (ms since the epoch); `None` while it runs.
    fn end_ms(&self) -> Option<i64> {
        if self.state.as_deref() == Some("IN_PROGRESS") {
            return None;
        }
        let start = DateTime::parse_from_rfc3339(self.request_time.as_deref()?.trim())
            .ok()?
            .timestamp_millis();
        Some(start + duration_ms(self.execution_duration.as_deref()?)?)
    }

    fn meta(&self) -> TraceMeta {
        let text = |k: &str| {
            self.trace_metadata
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        TraceMeta {
            user: text("mlflow.trace.user"),
            session: text("mlflow.trace.session"),
        }
    }
}

/// A protobuf JSON duration (`"0.047s"`, `"12s"`) in whole milliseconds.
fn duration_ms(text: &str) -> Option<i64> {
    let secs = text.trim().strip_suffix('s')?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: String = frac.chars().chain("000".chars()).take(3).collect();
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(ms.parse::<i64>().ok()?)
}

#[derive(Deserialize)]
struct SearchPage {
    #[serde(default)]
    traces: Vec<Box<RawValue>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Batch {
    #[serde(default)]
    traces: Vec<FullTrace>,
}

#[derive(Deserialize)]
struct FullTrace {
    trace_info: Info,
    #[serde(default)]
    spans: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
struct Parent {
    #[serde(default, alias = "parentSpanId")]
    parent_span_id: Option<String>,
}

/// One search page of the sweep: raw trace infos and the next token.
async fn search(
    client: &Client,
    sweep: &Sweep,
    limit: u32,
) -> Result<(Vec<Box<RawValue>>, Option<String>), SyncError> {
    let locations: Vec<Value> = sweep
        .experiments
        .iter()
        .map(|id| json!({"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": id}}))
        .collect();
    let mut body = json!({
        "locations": locations,
        "max_results": limit.clamp(1, MAX_PAGE),
        "order_by": ["timestamp_ms ASC", "request_id ASC"],
    });
    if let Some(from) = sweep.from {
        body["filter"] = json!(format!("trace.end_time_ms >= {from}"));
    }
    if let Some(t) = &sweep.token {
        body["page_token"] = json!(t);
    }
    let bytes = client.post_json(SEARCH_PATH, &body).await?;
    let page: SearchPage = serde_json::from_slice(&bytes)
        .map_err(|e| SyncError::Protocol(format!("{SEARCH_PATH}: unreadable page: {e}")))?;
    Ok((page.traces, page.next_page_token.filter(|t| !t.is_empty())))
}

/// The whole traces of `ids` that MLflow has complete (it leaves out the others).
async fn batch_get(client: &Client, ids: &[&str]) -> Result<Vec<FullTrace>, SyncError> {
    let query: Vec<(&str, String)> = ids.iter().map(|id| ("trace_ids", id.to_string())).collect();
    let bytes = client.get(BATCH_GET_PATH, &query).await?;
    let batch: Batch = serde_json::from_slice(&bytes)
        .map_err(|e| SyncError::Protocol(format!("{BATCH_GET_PATH}: unreadable traces: {e}")))?;
    Ok(batch.traces)
}

/// The whole traces of `ids`, and the ids MLflow could not serve with its reason. One trace
/// that MLflow fails to serve (a stored span it cannot read, spans kept elsewhere) fails its
/// whole batch, so a failed batch is asked for again one trace at a time: the failing trace
/// is set aside (quarantined by the caller), not the page.
async fn fetch_traces(
    client: &Client,
    ids: &[&str],
) -> Result<(Vec<FullTrace>, Vec<(String, String)>), SyncError> {
    let refusal = |id: &str, status: u16, detail: &str| {
        (
            id.to_string(),
            format!("trace {id}: MLflow could not serve its spans ({status}: {detail})"),
        )
    };
    match batch_get(client, ids).await {
        Ok(traces) => Ok((traces, Vec::new())),
        Err(SyncError::Status { status, detail }) if ids.len() == 1 => {
            Ok((Vec::new(), vec![refusal(ids[0], status, &detail)]))
        }
        Err(SyncError::Status { .. }) => {
            let mut traces = Vec::new();
            let mut failed = Vec::new();
            for id in ids {
                match batch_get(client, &[id]).await {
                    Ok(t) => traces.extend(t),
                    Err(SyncError::Status { status, detail }) => {
                        failed.push(refusal(id, status, &detail));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok((traces, failed))
        }
        Err(e) => Err(e),
    }
}

/// A page item: the span as received, its MLflow trace id and, on a root span, the trace's
/// user and session.
fn item(trace_id: &str, span: &RawValue, meta: &TraceMeta) -> Result<Box<RawValue>, SyncError> {
    let root = serde_json::from_str::<Parent>(span.get())
        .map(|p| p.parent_span_id.is_none_or(|p| p.trim().is_empty()))
        .unwrap_or(false);
    let mut text = format!(
        r#"{{"trace_id":{},"span":{}"#,
        serde_json::to_string(trace_id).map_err(|e| SyncError::Protocol(e.to_string()))?,
        span.get()
    );
    if root && *meta != TraceMeta::default() {
        let m = serde_json::to_string(meta).map_err(|e| SyncError::Protocol(e.to_string()))?;
        text.push_str(&format!(r#","trace":{m}"#));
    }
    text.push('}');
    RawValue::from_string(text).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// Fetches the next page of the sweep after the saved `state`.
pub(super) async fn fetch(
    client: &Client,
    source: &Source,
    state: Option<&str>,
    limit: u32,
) -> Result<Fetched, SyncError> {
    let mut state: State = match state {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| SyncError::Protocol(format!("saved MLflow cursor unreadable: {e}")))?,
        None => State::default(),
    };
    let lookback_ms = source.lookback_minutes * 60_000;
    let sweep = match state.sweep.take() {
        Some(s) => s,
        None => Sweep {
            from: state.since.map(|s| s - lookback_ms),
            experiments: resolve(client, &source.experiments)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
            token: None,
            max_end: state.since,
        },
    };
    let (infos, next_token) = if sweep.experiments.is_empty() {
        (Vec::new(), None)
    } else {
        search(client, &sweep, limit).await?
    };
    let mut max_end = sweep.max_end;
    let mut refused = Vec::new();
    let mut wanted: Vec<(Info, i64, &RawValue)> = Vec::new();
    for raw in &infos {
        let info: Info = match serde_json::from_str(raw.get()) {
            Ok(i) => i,
            Err(e) => {
                refused.push((
                    format!("not an MLflow trace info: {e}"),
                    raw.get().as_bytes().to_vec(),
                ));
                continue;
            }
        };
        let Some(end) = info.end_ms() else { continue };
        max_end = max_end.max(Some(end));
        if state.done.contains_key(&info.trace_id) {
            continue;
        }
        let location = info
            .tags
            .get("mlflow.trace.spansLocation")
            .and_then(Value::as_str)
            .unwrap_or(IN_TRACKING_STORE);
        if location != IN_TRACKING_STORE {
            refused.push((
                format!(
                    "trace {}: its spans are kept in {location} (mlflow.trace.spansLocation), \
                     not in the tracking store; not read",
                    info.trace_id
                ),
                raw.get().as_bytes().to_vec(),
            ));
            state.done.insert(info.trace_id, end);
            continue;
        }
        wanted.push((info, end, raw));
    }
    let mut items = Vec::new();
    for chunk in wanted.chunks(BATCH) {
        let ids: Vec<&str> = chunk.iter().map(|(i, _, _)| i.trace_id.as_str()).collect();
        let (traces, failed) = fetch_traces(client, &ids).await?;
        for (id, reason) in failed {
            if let Some((_, end, raw)) = chunk.iter().find(|(i, _, _)| i.trace_id == id) {
                refused.push((reason, raw.get().as_bytes().to_vec()));
                state.done.insert(id, *end);
            }
        }
        for trace in traces {
            let id = trace.trace_info.trace_id.as_str();
            let Some((asked, end, _)) = chunk.iter().find(|(i, _, _)| i.trace_id == id) else {
                continue;
            };
            let meta = asked.meta();
            for span in &trace.spans {
                items.push(item(id, span, &meta)?);
            }
            state.done.insert(id.to_string(), *end);
        }
    }
    let has_more = next_token.is_some() && !infos.is_empty();
    // The next sweep reads from `min(max_end, now) − lookback` at the earliest; traces applied
    // that ended before are not remembered (even mid-sweep, so a first sweep over a large
    // server does not carry every trace id in its cursor; a trace seen twice within one sweep
    // is then fetched twice and stored once).
    let watermark = max_end.map(|m| m.min(Utc::now().timestamp_millis()));
    let floor = watermark.map_or(i64::MIN, |w| w - lookback_ms);
    state.done.retain(|_, end| *end >= floor);
    if has_more {
        state.sweep = Some(Sweep {
            token: next_token,
            max_end,
            ..sweep
        });
    } else {
        state.since = watermark;
    }
    Ok(Fetched {
        items,
        refused,
        next_state: serde_json::to_string(&state)
            .map_err(|e| SyncError::Protocol(e.to_string()))?,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_to_the_millisecond() {
        assert_eq!(duration_ms("0.047s"), Some(47));
        assert_eq!(duration_ms("12s"), Some(12_000));
        assert_eq!(duration_ms("1.0003409s"), Some(1000));
        assert_eq!(duration_ms("1.5s"), Some(1500));
        assert_eq!(duration_ms("-1s"), None);
        assert_eq!(duration_ms("1.5"), None);
        assert_eq!(duration_ms("s"), None);
    }

    #[test]
    fn a_running_trace_has_no_end() {
        let info: Info = serde_json::from_value(json!({
            "trace_id": "tr-1", "request_time": "2026-11-27T18:01:00.179Z",
            "execution_duration": "0.002s", "state": "OK"
        }))
        .expect("info");
        assert_eq!(info.end_ms(), Some(1_795_802_460_181));
        let running: Info = serde_json::from_value(json!({
            "trace_id": "tr-2", "request_time": "2026-11-27T18:01:00.179Z", "state": "IN_PROGRESS"
        }))
        .expect("info");
        assert_eq!(running.end_ms(), None);
    }

    #[test]
    fn only_a_root_span_carries_the_trace_meta() {
        let meta = TraceMeta {
            user: Some("u".into()),
            session: None,
        };
        let root = RawValue::from_string(r#"{"span_id":"AQ=="}"#.into()).expect("raw");
        let child = RawValue::from_string(r#"{"span_id":"AQ==","parent_span_id":"Ag=="}"#.into())
            .expect("raw");
        let r: Value =
            serde_json::from_str(item("tr-1", &root, &meta).expect("item").get()).expect("json");
        assert_eq!(r["trace"]["user"], "u");
        assert_eq!(r["span"]["span_id"], "AQ==");
        let c: Value =
            serde_json::from_str(item("tr-1", &child, &meta).expect("item").get()).expect("json");
        assert!(c.get("trace").is_none());
    }
}
