//! Reading OTLP/JSON: resource → scope → spans, attribute values, ids in hex or base64.

use crate::{ImportError, Rejected, surrogates};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One span, with its attributes as plain JSON values.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Trace id, lowercase hex (32 digits).
    pub trace_id: String,
    /// Span id, lowercase hex (16 digits).
    pub span_id: String,
    /// Parent span id, lowercase hex; `None` for a root.
    pub parent_span_id: Option<String>,
    /// Span name.
    pub name: String,
    /// Start, in nanoseconds since the Unix epoch.
    pub start_ns: u64,
    /// End, in nanoseconds since the Unix epoch (`None` when absent or zero).
    pub end_ns: Option<u64>,
    /// Attributes: string, integer, double, bool, arrays and key/value lists as JSON.
    pub attrs: BTreeMap<String, Value>,
    /// The status is ERROR; the message, possibly empty.
    pub error: Option<String>,
    /// Span events in order.
    pub events: Vec<Event>,
    /// Attributes of the resource that produced the span (`service.name`, ...), shared by all
    /// the spans of that resource (never copied per span).
    pub resource: Arc<BTreeMap<String, Value>>,
    /// The span exactly as it arrived, for quarantine (its resource and scope are kept beside it).
    pub raw: Value,
    raw_resource: Arc<Value>,
    raw_scope: Arc<Value>,
}

/// A span event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Event name (`exception`, ...).
    pub name: String,
    /// When, in nanoseconds since the Unix epoch (0 when absent).
    pub time_ns: u64,
    /// Event attributes.
    pub attrs: BTreeMap<String, Value>,
}

impl Span {
    /// A string attribute (numbers and bools are rendered as text).
    pub fn str_attr(&self, key: &str) -> Option<String> {
        match self.attrs.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }
    }

    /// An integer attribute (an int, or a string or double holding a whole number).
    pub fn u64_attr(&self, key: &str) -> Option<u64> {
        match self.attrs.get(key)? {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Start time as UTC.
    pub fn start(&self) -> DateTime<Utc> {
        from_nanos(self.start_ns)
    }

    /// End time as UTC.
    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.end_ns.map(from_nanos)
    }
}

/// UTC time from nanoseconds since the epoch.
pub fn from_nanos(ns: u64) -> DateTime<Utc> {
    let secs = (ns / 1_000_000_000) as i64;
    let nanos = (ns % 1_000_000_000) as u32;
    DateTime::from_timestamp(secs, nanos).unwrap_or_default()
}

/// All the spans of one trace, in order of arrival.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Trace id, lowercase hex.
    pub trace_id: String,
    /// Its spans.
    pub spans: Vec<Span>,
    /// Spans of this trace that could not be read (why), which make the trace invalid.
    pub errors: Vec<String>,
    raw_bad: Vec<RawSpan>,
}

/// A span as it arrived with its (shared) resource and scope.
#[derive(Clone, Debug, PartialEq)]
struct RawSpan {
    resource: Arc<Value>,
    scope: Arc<Value>,
    span: Value,
}

/// `{"resourceSpans": [...]}` written from borrowed parts.
#[derive(Serialize)]
struct DocOut<'a> {
    #[serde(rename = "resourceSpans")]
    resource_spans: Vec<ResourceSpansOut<'a>>,
}

#[derive(Serialize)]
struct ResourceSpansOut<'a> {
    resource: &'a Value,
    #[serde(rename = "scopeSpans")]
    scope_spans: [ScopeSpansOut<'a>; 1],
}

#[derive(Serialize)]
struct ScopeSpansOut<'a> {
    scope: &'a Value,
    spans: Vec<&'a Value>,
}

/// Spans with their resource and scope as one OTLP/JSON document; consecutive spans of the
/// same resource and scope share one `resourceSpans` entry, so a big resource is written once
/// per group, not once per span.
fn grouped_json<'a>(
    spans: impl Iterator<Item = (&'a Arc<Value>, &'a Arc<Value>, &'a Value)>,
) -> Vec<u8> {
    let mut groups: Vec<(&Arc<Value>, &Arc<Value>, Vec<&Value>)> = Vec::new();
    for (resource, scope, span) in spans {
        match groups.last_mut() {
            Some((r, s, list)) if Arc::ptr_eq(r, resource) && Arc::ptr_eq(s, scope) => {
                list.push(span)
            }
            _ => groups.push((resource, scope, vec![span])),
        }
    }
    let doc = DocOut {
        resource_spans: groups
            .into_iter()
            .map(|(resource, scope, spans)| ResourceSpansOut {
                resource,
                scope_spans: [ScopeSpansOut { scope, spans }],
            })
            .collect(),
    };
    serde_json::to_vec(&doc).unwrap_or_default()
}

impl Trace {
    /// The trace's spans as an OTLP/JSON document (what gets quarantined).
    pub fn raw_json(&self) -> Vec<u8> {
        grouped_json(
            self.spans
                .iter()
                .map(|s| (&s.raw_resource, &s.raw_scope, &s.raw))
                .chain(
                    self.raw_bad
                        .iter()
                        .map(|b| (&b.resource, &b.scope, &b.span)),
                ),
        )
    }

    /// Ids of this trace's spans whose text holds U+FFFD, with how many in all (used to flag
    /// the spans a lone-surrogate repair touched).
    pub fn replacement_spans(&self) -> (Vec<String>, usize) {
        let mut ids = Vec::new();
        let mut total = 0;
        for s in &self.spans {
            let n = surrogates::count_replacements(&s.raw);
            if n > 0 {
                ids.push(s.span_id.clone());
                total += n;
            }
        }
        for b in &self.raw_bad {
            total += surrogates::count_replacements(&b.span);
        }
        if total == 0 {
            // The replacement sits in the resource or scope the spans share.
            let shared = self
                .spans
                .first()
                .map(|s| {
                    surrogates::count_replacements(&s.raw_resource)
                        + surrogates::count_replacements(&s.raw_scope)
                })
                .unwrap_or(0);
            if shared > 0 {
                ids = self.spans.iter().map(|s| s.span_id.clone()).collect();
                total = shared;
            }
        }
        (ids, total)
    }
}

/// A parsed document: traces by id, plus spans whose trace could not even be identified.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// Traces in order of first appearance.
    pub traces: Vec<Trace>,
    /// Spans without a readable trace id, rejected as they are (one entry per scope block).
    pub unreadable: Vec<Rejected>,
    /// Lone UTF-16 surrogate escapes replaced with U+FFFD before the text could be read
    /// (see [`crate::surrogates`]).
    pub repaired: usize,
}

fn field<'a>(o: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| o.get(*n))
        .filter(|v| !v.is_null())
}

/// Decodes an id of `bytes` bytes written as hex or base64 into lowercase hex.
pub fn decode_id(text: &str, bytes: usize) -> Option<String> {
    let t = text.trim();
    if t.len() == bytes * 2 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(t.to_ascii_lowercase());
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(t).ok())
        .filter(|b| b.len() == bytes)
        .map(hex::encode)
}

fn nanos(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// Converts an OTLP `AnyValue` to plain JSON.
pub fn any_value(v: &Value) -> Value {
    if let Some(s) = v.get("stringValue") {
        return s.clone();
    }
    if let Some(i) = v.get("intValue") {
        return match i {
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| i.clone()),
            other => other.clone(),
        };
    }
    if let Some(d) = v.get("doubleValue") {
        return d.clone();
    }
    if let Some(b) = v.get("boolValue") {
        return b.clone();
    }
    if let Some(a) = v.get("arrayValue") {
        let items = a.get("values").and_then(Value::as_array);
        return Value::Array(
            items
                .map(|xs| xs.iter().map(any_value).collect())
                .unwrap_or_default(),
        );
    }
    if let Some(kv) = v.get("kvlistValue") {
        let items = kv.get("values").and_then(Value::as_array);
        let mut m = Map::new();
        for item in items.into_iter().flatten() {
            if let Some(k) = item.get("key").and_then(Value::as_str) {
                m.insert(
                    k.to_string(),
                    item.get("value").map(any_value).unwrap_or_default(),
                );
            }
        }
        return Value::Object(m);
    }
    if let Some(b) = v.get("bytesValue") {
        return b.clone();
    }
    Value::Null
}

/// Attributes (`[{key, value}]`) as a map.
pub fn attributes(list: Option<&Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for kv in list.and_then(Value::as_array).into_iter().flatten() {
        if let Some(k) = kv.get("key").and_then(Value::as_str) {
            out.insert(
                k.to_string(),
                kv.get("value").map(any_value).unwrap_or_default(),
            );
        }
    }
    out
}

fn is_error(status: Option<&Value>) -> Option<String> {
    let s = status?;
    let code = field(s, &["code"])?;
    let err = match code {
        Value::String(c) => c == "STATUS_CODE_ERROR" || c == "2" || c.eq_ignore_ascii_case("error"),
        Value::Number(n) => n.as_u64() == Some(2),
        _ => false,
    };
    err.then(|| {
        field(s, &["message"])
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    })
}

/// Converts plain JSON to an OTLP `AnyValue` (the inverse of [`any_value`]): strings, bools,
/// integers (as `intValue` text, the OTLP/JSON int64 form), other numbers as `doubleValue`,
/// arrays and objects as `arrayValue` / `kvlistValue`; `null` as an empty value.
pub fn to_any_value(v: &Value) -> Value {
    match v {
        Value::Null => json!({}),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => json!({ "intValue": i.to_string() }),
            None => json!({ "doubleValue": n }),
        },
        Value::String(s) => json!({ "stringValue": s }),
        Value::Array(xs) => {
            json!({ "arrayValue": { "values": xs.iter().map(to_any_value).collect::<Vec<_>>() } })
        }
        Value::Object(m) => json!({ "kvlistValue": { "values": to_key_values(m) } }),
    }
}

/// Plain JSON attributes as an OTLP `[{key, value}]` list, in key order.
pub fn to_key_values(attrs: &Map<String, Value>) -> Vec<Value> {
    attrs
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": to_any_value(v) }))
        .collect()
}

/// Reads a document (or JSON lines of documents).
/// Lone UTF-16 surrogate escapes (`"\ud800"`) are replaced with U+FFFD first and counted in
/// [`Parsed::repaired`], so one such string does not cost the whole document.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let (bytes, repaired) = match surrogates::repair(bytes) {
        Some(r) => (Cow::Owned(r.bytes), r.count),
        None => (Cow::Borrowed(bytes), 0),
    };
    let mut parsed = parse_text(&bytes)?;
    parsed.repaired = repaired;
    Ok(parsed)
}

fn parse_text(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let docs: Vec<Value> = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => vec![v],
        Err(whole) => {
            let text = std::str::from_utf8(bytes).map_err(|e| ImportError::Json(e.to_string()))?;
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if lines.len() < 2 {
                return Err(ImportError::Json(whole.to_string()));
            }
            lines
                .iter()
                .map(|l| serde_json::from_str(l))
                .collect::<Result<_, _>>()
                .map_err(|e| ImportError::Json(e.to_string()))?
        }
    };
    parse_docs(&docs)
}

/// Reads parsed OTLP/JSON documents (each `{"resourceSpans": [...]}`).
pub fn parse_docs(docs: &[Value]) -> Result<Parsed, ImportError> {
    let mut parsed = Parsed::default();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_any = false;
    for doc in docs {
        let Some(rss) = field(doc, &["resourceSpans", "resource_spans"]).and_then(Value::as_array)
        else {
            continue;
        };
        seen_any = true;
        for rs in rss {
            let raw_resource = Arc::new(field(rs, &["resource"]).cloned().unwrap_or(json!({})));
            let resource = Arc::new(attributes(raw_resource.get("attributes")));
            let scopes = field(
                rs,
                &["scopeSpans", "scope_spans", "instrumentationLibrarySpans"],
            )
            .and_then(Value::as_array);
            for ss in scopes.into_iter().flatten() {
                let raw_scope = Arc::new(
                    field(ss, &["scope", "instrumentationLibrary"])
                        .cloned()
                        .unwrap_or(json!({})),
                );
                let mut unreadable: Vec<&Value> = Vec::new();
                let mut first_bad_id = String::new();
                for raw in field(ss, &["spans"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let tid_text = field(raw, &["traceId", "trace_id"])
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let Some(trace_id) =
                        decode_id(tid_text, 16).filter(|t| t.bytes().any(|b| b != b'0'))
                    else {
                        if unreadable.is_empty() {
                            first_bad_id = tid_text.to_string();
                        }
                        unreadable.push(raw);
                        continue;
                    };
                    let at = *index.entry(trace_id.clone()).or_insert_with(|| {
                        parsed.traces.push(Trace {
                            trace_id: trace_id.clone(),
                            spans: Vec::new(),
                            errors: Vec::new(),
                            raw_bad: Vec::new(),
                        });
                        parsed.traces.len() - 1
                    });
                    let trace = &mut parsed.traces[at];
                    match read_span(raw, &trace_id, &resource) {
                        Ok(mut span) => {
                            span.raw_resource = raw_resource.clone();
                            span.raw_scope = raw_scope.clone();
                            trace.spans.push(span);
                        }
                        Err(why) => {
                            trace.errors.push(why);
                            trace.raw_bad.push(RawSpan {
                                resource: raw_resource.clone(),
                                scope: raw_scope.clone(),
                                span: raw.clone(),
                            });
                        }
                    }
                }
                if !unreadable.is_empty() {
                    // One quarantine entry per scope block: the resource is written once.
                    let reason = match unreadable.len() {
                        1 => format!("span has no readable trace id: {first_bad_id:?}"),
                        n => format!(
                            "{n} spans have no readable trace id (the first: {first_bad_id:?})"
                        ),
                    };
                    let raw = grouped_json(
                        unreadable
                            .into_iter()
                            .map(|span| (&raw_resource, &raw_scope, span)),
                    );
                    parsed.unreadable.push(Rejected {
                        trace_id: None,
                        reason,
                        raw,
                    });
                }
            }
        }
    }
    if !seen_any {
        return Err(ImportError::NoResourceSpans);
    }
    Ok(parsed)
}

fn read_span(
    raw: &Value,
    trace_id: &str,
    resource: &Arc<BTreeMap<String, Value>>,
) -> Result<Span, String> {
    let sid_text = field(raw, &["spanId", "span_id"])
        .and_then(Value::as_str)
        .unwrap_or_default();
    let span_id = decode_id(sid_text, 8)
        .ok_or_else(|| format!("span id {sid_text:?} is not 8 bytes of hex or base64"))?;
    let parent_span_id = match field(raw, &["parentSpanId", "parent_span_id"])
        .and_then(Value::as_str)
    {
        None => None,
        Some(p) if p.trim().is_empty() => None,
        Some(p) => Some(
            decode_id(p, 8)
                .ok_or_else(|| format!("parent span id {p:?} is not 8 bytes of hex or base64"))?,
        ),
    };
    let name = field(raw, &["name"])
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let start_ns = nanos(field(raw, &["startTimeUnixNano", "start_time_unix_nano"]))
        .ok_or_else(|| format!("span {span_id} ({name}) has no valid startTimeUnixNano"))?;
    let end_ns = nanos(field(raw, &["endTimeUnixNano", "end_time_unix_nano"]));
    let events = field(raw, &["events"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| Event {
            name: field(e, &["name"])
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            time_ns: nanos(field(e, &["timeUnixNano", "time_unix_nano"])).unwrap_or(0),
            attrs: attributes(e.get("attributes")),
        })
        .collect();
    Ok(Span {
        trace_id: trace_id.to_string(),
        span_id,
        parent_span_id,
        name,
        start_ns,
        end_ns,
        attrs: attributes(raw.get("attributes")),
        error: is_error(field(raw, &["status"])),
        events,
        resource: resource.clone(),
        raw: raw.clone(),
        raw_resource: Arc::new(Value::Null),
        raw_scope: Arc::new(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_hex_and_base64() {
        assert_eq!(
            decode_id("5B8EFFF798038103D269B633813FC60C", 16).as_deref(),
            Some("5b8efff798038103d269b633813fc60c")
        );
        assert_eq!(
            decode_id("W47/95gDgQPSabYzgT/GDA==", 16).as_deref(),
            Some("5b8efff798038103d269b633813fc60c")
        );
        assert_eq!(
            decode_id("kmJOVrllJMM=", 8).as_deref(),
            Some("92624e56b96524c3")
        );
        assert_eq!(decode_id("nope", 8), None);
        assert_eq!(decode_id("", 16), None);
    }

    #[test]
    fn any_values() {
        let v: Value = serde_json::from_str(
            r#"{"arrayValue":{"values":[{"intValue":"7"},{"boolValue":true},{"kvlistValue":{"values":[{"key":"a","value":{"doubleValue":0.5}}]}}]}}"#,
        )
        .unwrap_or_default();
        assert_eq!(any_value(&v), json!([7, true, {"a": 0.5}]));
    }

    #[test]
    fn plain_json_round_trips_through_any_value() {
        let plain =
            json!({"s": "x", "i": -3, "d": 0.25, "b": false, "a": [1, "two"], "o": {"k": "v"}});
        let m = plain.as_object().cloned().unwrap_or_default();
        let back = attributes(Some(&Value::Array(to_key_values(&m))));
        assert_eq!(Value::Object(back.into_iter().collect()), plain);
    }
}
