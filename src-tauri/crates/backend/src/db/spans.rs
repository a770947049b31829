//! OpenTelemetry spans agents export to the server, kept per trace so a trace that arrives in
//! several exports is rebuilt whole into one run each time a span of it arrives.

use super::sql::{Sql, args};
use crate::Error;
use serde_json::Value;

/// Stores one span (a `ResourceSpans` document holding just it); a span sent again replaces
/// its earlier copy. Returns whether anything changed.
pub(crate) fn put(
    c: &mut dyn Sql,
    trace_id: &str,
    span_id: &str,
    body: &str,
) -> Result<bool, Error> {
    let n = c.exec(
        "INSERT INTO otel_spans(trace_id, span_id, body) VALUES(?1, ?2, ?3)
         ON CONFLICT(trace_id, span_id) DO UPDATE SET body = excluded.body
         WHERE otel_spans.body <> excluded.body",
        args![trace_id, span_id, body],
    )?;
    Ok(n > 0)
}

/// Every stored span of a trace, as `ResourceSpans` documents.
pub(crate) fn of_trace(c: &mut dyn Sql, trace_id: &str) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for mut r in c.rows(
        "SELECT body FROM otel_spans WHERE trace_id = ?1 ORDER BY span_id",
        args![trace_id],
    )? {
        out.push(serde_json::from_str(&r.text(0)?)?);
    }
    Ok(out)
}
