//! OpenTelemetry spans agents export to the server, kept per trace so a trace that arrives in
//! several exports is rebuilt whole into one run each time a span of it arrives.

use crate::Error;
use rusqlite::{Connection, params};
use serde_json::Value;

/// Spans by trace (portable SQL).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS otel_spans(
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY(trace_id, span_id)
);
";

/// Stores one span (a `ResourceSpans` document holding just it); a span sent again replaces
/// its earlier copy. Returns whether anything changed.
pub(crate) fn put(
    conn: &Connection,
    trace_id: &str,
    span_id: &str,
    body: &str,
) -> Result<bool, Error> {
    let n = conn.execute(
        "INSERT INTO otel_spans(trace_id, span_id, body) VALUES(?1, ?2, ?3)
         ON CONFLICT(trace_id, span_id) DO UPDATE SET body = excluded.body
         WHERE otel_spans.body <> excluded.body",
        params![trace_id, span_id, body],
    )?;
    Ok(n > 0)
}

/// Every stored span of a trace, as `ResourceSpans` documents.
pub(crate) fn of_trace(conn: &Connection, trace_id: &str) -> Result<Vec<Value>, Error> {
    let mut st =
        conn.prepare("SELECT body FROM otel_spans WHERE trace_id = ?1 ORDER BY span_id")?;
    let rows = st.query_map([trace_id], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(serde_json::from_str(&r?)?);
    }
    Ok(out)
}
