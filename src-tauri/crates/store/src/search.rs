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
/// transaction, repeatedly, until it returns 0. A run's text is its searchable words plus the
/// markers of its filter values ([`crate::search_filters::markers`]).
pub fn index_pending(conn: &rusqlite::Connection, max: u32) -> crate::Result<usize> {
    let mut st = conn.prepare_cached(
        "SELECT q.rid, r.body, r.backend_id, r.tenant, r.workflow, r.outcome, r.model,
                r.user_id, r.cost_micros, r.started_at_ms, r.policy_failures, r.citation_warnings
         FROM fts_queue q JOIN runs r ON r.rid = q.rid ORDER BY q.rid LIMIT ?1",
    )?;
    let mut insert = conn.prepare_cached("INSERT INTO run_fts (rowid, text) VALUES (?1, ?2)")?;
    let mut rows = st.query([max])?;
    let mut last = None;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let rid: i64 = r.get(0)?;
        let run: Run = serde_json::from_str(text_at(r, 1)?)?;
        let mut text = run_text(&run);
        text.push_str(&crate::search_filters::markers(
            &crate::search_filters::RunFacets {
                backend_id: text_at(r, 2)?,
                tenant: text_at(r, 3)?,
                workflow: text_at(r, 4)?,
                outcome: text_at(r, 5)?,
                model: text_at(r, 6)?,
                user_id: text_at(r, 7)?,
                cost_micros: r.get(8)?,
                started_at_ms: r.get(9)?,
                policy_failures: r.get(10)?,
                citation_warnings: r.get(11)?,
            },
        ));
        insert.execute(rusqlite::params![rid, text])?;
        last = Some(rid);
        n += 1;
    }
    // The batch is the queue's oldest `n` rows: one range delete instead of one per run.
    if let Some(last) = last {
        conn.prepare_cached("DELETE FROM fts_queue WHERE rid <= ?1")?
            .execute([last])?;
    }
    Ok(n)
}

/// A text column borrowed from the row (no copy).
fn text_at<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'a str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
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

/// Shortest last word that is also matched as a prefix: one or two letters start too many
/// words for that to be useful (or fast on a million runs).
pub const PREFIX_MIN_CHARS: usize = 3;

/// Turns typed text into an FTS5 query — the one definition of search semantics, used by the
/// app's run list and the CLI alike (both through [`crate::runs::list`]): every word must
/// appear somewhere in the run; the last word, from [`PREFIX_MIN_CHARS`] characters on, also
/// matches words starting with it (as you type: `escalat` finds "escalated"); a word ending in
/// `*` is a prefix wherever it stands (`refund*`). FTS syntax is neutralised by quoting; words
/// are split where the index's tokenizer splits them. `None` when there is nothing to search.
pub fn fts_query(input: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    let words: Vec<&str> = input.split_whitespace().collect();
    for (w, raw) in words.iter().enumerate() {
        let asked = raw.ends_with('*');
        let tokens: Vec<&str> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let last = tokens.len().saturating_sub(1);
        for (i, t) in tokens.iter().enumerate() {
            let typing = w + 1 == words.len() && t.chars().count() >= PREFIX_MIN_CHARS;
            let star = if i == last && (asked || typing) {
                "*"
            } else {
                ""
            };
            terms.push(format!("\"{}\"{star}", t.replace('"', "\"\"")));
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_and_the_last_word_is_a_prefix() {
        assert_eq!(
            fts_query("refund policy").as_deref(),
            Some("\"refund\" \"policy\"*")
        );
        assert_eq!(fts_query("escalat").as_deref(), Some("\"escalat\"*"));
        assert_eq!(
            fts_query("refund* EU").as_deref(),
            Some("\"refund\"* \"EU\"")
        );
        assert_eq!(fts_query("  ").as_deref(), None);
        assert_eq!(
            fts_query("a\"b OR c*").as_deref(),
            Some("\"a\" \"b\" \"OR\" \"c\"*")
        );
        assert_eq!(
            fts_query("zd_883190").as_deref(),
            Some("\"zd\" \"883190\"*")
        );
        assert_eq!(
            fts_query("ord-1.5*").as_deref(),
            Some("\"ord\" \"1\" \"5\"*")
        );
        assert_eq!(fts_query("14 da").as_deref(), Some("\"14\" \"da\""));
    }
}
