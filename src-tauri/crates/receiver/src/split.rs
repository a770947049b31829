//! An OTLP/JSON export read once, measured ([`Export::shape`]) before anything is copied, and
//! split into one `ResourceSpans` document per span, written straight from borrowed parts (the
//! resource and scope are serialized into each span's document, never cloned as values).

use crate::span_count::Shape;
use countersign_otel::{otlp, surrogates};
use serde::Serialize;
use serde_json::Value;

/// A parsed export: its documents (one, or one per JSON line) and how many lone surrogate
/// escapes were repaired to read it.
pub struct Export {
    docs: Vec<Value>,
    /// Lone UTF-16 surrogate escapes replaced with U+FFFD.
    pub repaired: usize,
}

/// One span alone in a `ResourceSpans` document.
pub struct OneSpan {
    /// Trace and span id (lowercase hex) when both could be read.
    pub ids: Option<(String, String)>,
    /// `{"resource": ..., "scopeSpans": [{"scope": ..., "spans": [span]}]}`.
    pub body: Vec<u8>,
    /// U+FFFD characters in the span, its resource and scope (after a repair).
    pub replacements: usize,
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
    spans: [&'a Value; 1],
}

/// Counts bytes written.
struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes of `v` as JSON, without writing it anywhere.
fn json_len(v: &Value) -> u64 {
    let mut c = Counter(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| v.get(*n))
        .filter(|v| !v.is_null())
}

const EMPTY: Value = Value::Null;

/// `(resource, [(scope, [span])])` of every `ResourceSpans` in the documents.
fn blocks(docs: &[Value]) -> impl Iterator<Item = (&Value, Vec<(&Value, &[Value])>)> {
    docs.iter()
        .filter_map(|doc| {
            field(doc, &["resourceSpans", "resource_spans"]).and_then(Value::as_array)
        })
        .flatten()
        .map(|rs| {
            let resource = field(rs, &["resource"]).unwrap_or(&EMPTY);
            let scopes = field(
                rs,
                &["scopeSpans", "scope_spans", "instrumentationLibrarySpans"],
            )
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|ss| {
                let scope = field(ss, &["scope", "instrumentationLibrary"]).unwrap_or(&EMPTY);
                let spans = field(ss, &["spans"])
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                (scope, spans)
            })
            .collect();
            (resource, scopes)
        })
}

impl Export {
    /// Reads an OTLP/JSON export (one document or JSON lines), replacing lone UTF-16 surrogate
    /// escapes with U+FFFD first. The error is the reason it is not OTLP/JSON.
    pub fn parse(json: &[u8]) -> Result<Export, String> {
        let fixed = surrogates::repair(json);
        let repaired = fixed.as_ref().map_or(0, |r| r.count);
        let text = fixed.as_ref().map_or(json, |r| r.bytes.as_slice());
        let docs: Vec<Value> = match serde_json::from_slice::<Value>(text) {
            Ok(v) => vec![v],
            Err(whole) => std::str::from_utf8(text)
                .ok()
                .and_then(|t| {
                    let lines: Vec<&str> = t.lines().filter(|l| !l.trim().is_empty()).collect();
                    (lines.len() > 1).then_some(lines)
                })
                .ok_or_else(|| format!("not OTLP/JSON: {whole}"))?
                .iter()
                .map(|l| serde_json::from_str(l))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("not OTLP/JSON: {e}"))?,
        };
        if !docs
            .iter()
            .any(|d| field(d, &["resourceSpans", "resource_spans"]).is_some_and(Value::is_array))
        {
            return Err(countersign_otel::ImportError::NoResourceSpans.to_string());
        }
        Ok(Export { docs, repaired })
    }

    /// Spans, and the bytes of the export once split per span; nothing is copied to find out.
    pub fn shape(&self) -> Shape {
        let mut shape = Shape::default();
        for (resource, scopes) in blocks(&self.docs) {
            let r = json_len(resource);
            for (scope, spans) in scopes {
                let s = json_len(scope);
                for span in spans {
                    shape.spans += 1;
                    shape.expanded_bytes = shape
                        .expanded_bytes
                        .saturating_add(r + s + json_len(span) + 40);
                }
            }
        }
        shape
    }

    /// The spans one by one, each alone in its document (made when asked for).
    pub fn spans(&self) -> impl Iterator<Item = OneSpan> + '_ {
        let repaired = self.repaired > 0;
        blocks(&self.docs).flat_map(move |(resource, scopes)| {
            let in_resource = if repaired {
                surrogates::count_replacements(resource)
            } else {
                0
            };
            scopes.into_iter().flat_map(move |(scope, spans)| {
                let in_scope = if repaired {
                    surrogates::count_replacements(scope)
                } else {
                    0
                };
                spans.iter().map(move |span| {
                    let id = |names: &[&str], bytes| {
                        field(span, names)
                            .and_then(Value::as_str)
                            .and_then(|t| otlp::decode_id(t, bytes))
                    };
                    let ids = id(&["traceId", "trace_id"], 16).zip(id(&["spanId", "span_id"], 8));
                    let body = serde_json::to_vec(&ResourceSpansOut {
                        resource: if resource.is_null() {
                            &EMPTY_OBJECT
                        } else {
                            resource
                        },
                        scope_spans: [ScopeSpansOut {
                            scope: if scope.is_null() {
                                &EMPTY_OBJECT
                            } else {
                                scope
                            },
                            spans: [span],
                        }],
                    })
                    .unwrap_or_default();
                    let replacements = if repaired {
                        in_resource + in_scope + surrogates::count_replacements(span)
                    } else {
                        0
                    };
                    OneSpan {
                        ids,
                        body,
                        replacements,
                    }
                })
            })
        })
    }
}

static EMPTY_OBJECT: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::Object(serde_json::Map::new()));
