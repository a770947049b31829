//! Full-text search: what text of a run is indexed, and turning what a person types into a
//! safe FTS5 query.

use countersign_core::Run;
use serde_json::Value;

/// The searchable text of a run: ids, decision and rationale, inputs, outputs, tool names,
/// arguments, results and errors, and cited titles and passages. JSON contributes its string
/// and number leaves, so a phrase inside a tool result matches as written.
pub fn run_text(run: &Run) -> String {
    let mut out = String::with_capacity(1024);
    for s in [
        &run.run_id,
        &run.user_id,
        &run.workflow,
        &run.model,
        &run.decision,
        &run.tenant,
    ] {
        push(&mut out, s);
    }
    if let Some(r) = &run.rationale {
        push(&mut out, r);
    }
    leaves(&run.inputs, &mut out);
    leaves(&run.outputs, &mut out);
    for c in &run.tool_calls {
        push(&mut out, &c.tool);
        leaves(&c.arguments, &mut out);
        if let Some(s) = &c.result_summary {
            push(&mut out, s);
        }
        if let Some(r) = &c.result {
            leaves(r, &mut out);
        }
        if let Some(e) = &c.error {
            push(&mut out, e);
        }
        for d in &c.documents {
            push(&mut out, d);
        }
    }
    for c in &run.citations {
        push(&mut out, &c.doc_id);
        push(&mut out, &c.title);
        push(&mut out, &c.passage);
    }
    out
}

fn push(out: &mut String, s: &str) {
    if !s.is_empty() {
        out.push_str(s);
        out.push('\n');
    }
}

fn leaves(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => push(out, s),
        Value::Number(n) => push(out, &n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Object(o) => o.values().for_each(|x| leaves(x, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Indexes up to `max` queued runs (oldest first) and returns how many; call in a
/// transaction, repeatedly, until it returns 0.
pub fn index_pending(conn: &rusqlite::Connection, max: u32) -> crate::Result<usize> {
    let mut st = conn.prepare_cached(
        "SELECT q.rid, r.body FROM fts_queue q JOIN runs r ON r.rid = q.rid ORDER BY q.rid LIMIT ?1",
    )?;
    let batch = st
        .query_map([max], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut insert = conn.prepare_cached("INSERT INTO run_fts (rowid, text) VALUES (?1, ?2)")?;
    let mut done = conn.prepare_cached("DELETE FROM fts_queue WHERE rid = ?1")?;
    for (rid, body) in &batch {
        let run: Run = serde_json::from_str(body)?;
        insert.execute(rusqlite::params![rid, run_text(&run)])?;
        done.execute([rid])?;
    }
    Ok(batch.len())
}

/// Runs stored but not yet searchable.
pub fn pending(conn: &rusqlite::Connection) -> crate::Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM fts_queue", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// Merges the full-text index into one segment; worth it after a large sync (search over a
/// million runs then reads one doclist per word instead of dozens).
pub fn optimize(conn: &rusqlite::Connection) -> crate::Result<()> {
    conn.execute("INSERT INTO run_fts(run_fts) VALUES ('optimize')", [])?;
    Ok(())
}

/// Turns typed text into an FTS5 query: every word must appear somewhere in the run; a word
/// ending in `*` matches words starting with it (`refund*` finds "refunds"). Exact words are
/// what makes search fast on a million runs (a prefix reads the doclists of every word it
/// starts), so prefixes are asked for, not implied. FTS syntax is neutralised by quoting;
/// words are split where the index's tokenizer splits them. `None` when there is nothing to
/// search.
pub fn fts_query(input: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    for raw in input.split_whitespace() {
        let prefix = raw.ends_with('*');
        let tokens: Vec<&str> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let last = tokens.len().saturating_sub(1);
        for (i, t) in tokens.iter().enumerate() {
            let star = if prefix && i == last { "*" } else { "" };
            terms.push(format!("\"{}\"{star}", t.replace('"', "\"\"")));
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_and_prefixes_are_explicit() {
        assert_eq!(
            fts_query("refund policy").as_deref(),
            Some("\"refund\" \"policy\"")
        );
        assert_eq!(fts_query("refund*").as_deref(), Some("\"refund\"*"));
        assert_eq!(fts_query("  ").as_deref(), None);
        assert_eq!(
            fts_query("a\"b OR c*").as_deref(),
            Some("\"a\" \"b\" \"OR\" \"c\"*")
        );
        assert_eq!(fts_query("zd_883190").as_deref(), Some("\"zd\" \"883190\""));
        assert_eq!(
            fts_query("ord-1.5*").as_deref(),
            Some("\"ord\" \"1\" \"5\"*")
        );
    }
}
