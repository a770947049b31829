//! The `trace_spans` table: every span received from a trace store (Phoenix, Langfuse), so a
//! trace whose spans arrive over several pages or syncs can be rebuilt into one whole run.

use crate::error::Result;
use rusqlite::{Connection, params};

/// Stores one span's body (the connector's own JSON). Returns whether anything changed (a new
/// span, or a body different from the one stored).
pub fn put(
    conn: &Connection,
    backend_id: &str,
    trace_id: &str,
    span_id: &str,
    body: &[u8],
) -> Result<bool> {
    Ok(conn.execute(
        "INSERT INTO trace_spans (backend_id, trace_id, span_id, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(backend_id, trace_id, span_id) DO UPDATE SET body = excluded.body
         WHERE body IS NOT excluded.body",
        params![backend_id, trace_id, span_id, body],
    )? > 0)
}

/// Every stored span body of one trace, by span id.
pub fn for_trace(conn: &Connection, backend_id: &str, trace_id: &str) -> Result<Vec<Vec<u8>>> {
    let mut st = conn.prepare_cached(
        "SELECT body FROM trace_spans WHERE backend_id = ?1 AND trace_id = ?2 ORDER BY span_id",
    )?;
    let rows = st
        .query_map(params![backend_id, trace_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, backends};

    #[test]
    fn spans_collect_per_trace_and_same_body_is_no_change() -> Result<()> {
        let store = Store::open_in_memory()?;
        let b = backends::upsert(store.conn(), "P", "http://127.0.0.1:6006", "phoenix", false)?;
        let id = b.backend_id.as_str();
        assert!(put(store.conn(), id, "t1", "s2", b"{\"n\":2}")?);
        assert!(put(store.conn(), id, "t1", "s1", b"{\"n\":1}")?);
        assert!(!put(store.conn(), id, "t1", "s1", b"{\"n\":1}")?);
        assert!(put(store.conn(), id, "t1", "s1", b"{\"n\":3}")?);
        assert!(put(store.conn(), id, "t2", "s1", b"{}")?);
        let spans = for_trace(store.conn(), id, "t1")?;
        assert_eq!(spans, vec![b"{\"n\":3}".to_vec(), b"{\"n\":2}".to_vec()]);
        assert!(backends::remove(store.conn(), id)?);
        assert!(for_trace(store.conn(), id, "t1")?.is_empty());
        Ok(())
    }
}
