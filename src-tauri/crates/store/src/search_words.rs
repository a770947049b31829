//! The vocabulary of the full-text index, kept beside it (`run_words`): the words a typed
//! prefix is spelled out into (see [`crate::search::fts_match`]).
//!
//! FTS5's own vocabulary table (`fts5vocab`) counts every listed word's rows as it lists them,
//! so spelling out "escalat" over a million runs read the row lists of "escalated" and
//! "escalation" (tens of ms). This table holds just the words, so the lookup is one short
//! range scan.
//!
//! Words are gathered when runs are indexed: ASCII chunks of the text are split and folded
//! here exactly as the index's `unicode61` tokenizer does (every ASCII character that is not
//! a letter or digit separates words); chunks with other characters go through that tokenizer
//! itself, in a temporary index, so accents fold the same way. Only words with a letter are
//! kept: a typed number stays an FTS5 prefix, and run, ticket and amount numbers would make
//! most of the table. Words are never removed: a word whose runs are gone spells out to
//! nothing.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};

/// The distinct words of a batch of indexed texts, by the workflow of their run.
#[derive(Default)]
pub struct Words {
    by_workflow: HashMap<String, Chunks>,
}

/// One workflow's words: ASCII ones folded here, the others as found (folded when stored).
#[derive(Default)]
struct Chunks {
    ascii: HashSet<String>,
    other: HashSet<String>,
}

impl Words {
    /// Adds the words of `text`, the indexed text of a run of `workflow`.
    pub fn add(&mut self, workflow: &str, text: &str) {
        let chunks = match self.by_workflow.get_mut(workflow) {
            Some(c) => c,
            None => self.by_workflow.entry(workflow.to_string()).or_default(),
        };
        for chunk in text.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()) {
            if chunk.is_empty() {
                continue;
            }
            if !chunk.is_ascii() {
                if !chunks.other.contains(chunk) {
                    chunks.other.insert(chunk.to_string());
                }
            } else if chunk.bytes().any(|b| b.is_ascii_alphabetic()) {
                if chunk.bytes().any(|b| b.is_ascii_uppercase()) {
                    chunks.ascii.insert(chunk.to_ascii_lowercase());
                } else if !chunks.ascii.contains(chunk) {
                    chunks.ascii.insert(chunk.to_string());
                }
            }
        }
    }

    /// Adds the words to the vocabulary and to their workflows' vocabularies, in the caller's
    /// transaction.
    pub fn store(&self, conn: &Connection) -> Result<()> {
        let mut word = conn.prepare_cached("INSERT OR IGNORE INTO run_words (term) VALUES (?1)")?;
        let mut pair = conn.prepare_cached(
            "INSERT OR IGNORE INTO run_word_workflows (workflow, term) VALUES (?1, ?2)",
        )?;
        let mut seen: HashSet<&str> = HashSet::new();
        for (workflow, chunks) in &self.by_workflow {
            for w in &chunks.ascii {
                if seen.insert(w) {
                    word.execute([w])?;
                }
                pair.execute([workflow, w])?;
            }
            if !chunks.other.is_empty() {
                fold_through_tokenizer(conn, workflow, &chunks.other)?;
            }
        }
        Ok(())
    }

    /// Adds only the workflows' vocabularies (for runs whose words are in `run_words` already).
    fn store_by_workflow(&self, conn: &Connection) -> Result<()> {
        let mut pair = conn.prepare_cached(
            "INSERT OR IGNORE INTO run_word_workflows (workflow, term) VALUES (?1, ?2)",
        )?;
        for (workflow, chunks) in &self.by_workflow {
            for w in &chunks.ascii {
                pair.execute([workflow, w])?;
            }
            if !chunks.other.is_empty() {
                fold_through_tokenizer(conn, workflow, &chunks.other)?;
            }
        }
        Ok(())
    }
}

/// Words of chunks with non-ASCII characters, as the index's tokenizer makes them (split on
/// Unicode separators, accents removed, lower case): indexed in a temporary table and read
/// back from its vocabulary into both vocabularies. Words that stay non-ASCII are not kept (a
/// typed non-ASCII word is matched by FTS5's own prefix).
fn fold_through_tokenizer(
    conn: &Connection,
    workflow: &str,
    chunks: &HashSet<String>,
) -> Result<()> {
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_batch USING fts5(
             text, detail = none, tokenize = 'unicode61 remove_diacritics 2');
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_batch_terms
             USING fts5vocab(temp, word_batch, row);",
    )?;
    let text = chunks
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    conn.prepare_cached("INSERT INTO temp.word_batch (text) VALUES (?1)")?
        .execute([text])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO run_words (term)
         SELECT term FROM temp.word_batch_terms
         WHERE term GLOB '*[a-z]*' AND NOT term GLOB '*[^a-z0-9]*'",
    )?
    .execute([])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO run_word_workflows (workflow, term)
         SELECT ?1, term FROM temp.word_batch_terms
         WHERE term GLOB '*[a-z]*' AND NOT term GLOB '*[^a-z0-9]*'",
    )?
    .execute([workflow])?;
    conn.prepare_cached("DELETE FROM temp.word_batch")?
        .execute([])?;
    Ok(())
}

/// Whether the workflows' vocabularies hold every indexed run's words: false while runs
/// indexed before they existed are still being read in ([`backfill_by_workflow`]).
pub fn by_workflow_ready(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM run_word_workflows_backfill")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_none())
}

/// Whether runs of `workflow` contain the word `folded` (lower-case ASCII).
pub fn in_workflow(conn: &Connection, workflow: &str, folded: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM run_word_workflows WHERE workflow = ?1 AND term = ?2")?
        .query_row([workflow, folded], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The words of `workflow`'s runs that start with `folded` (lower-case ASCII), itself
/// included, at most `limit`.
pub fn starting_in_workflow(
    conn: &Connection,
    workflow: &str,
    folded: &str,
    limit: usize,
) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT term FROM run_word_workflows
         WHERE workflow = ?1 AND term >= ?2 AND term < ?3 LIMIT ?4",
    )?;
    let words = st
        .query_map(
            rusqlite::params![workflow, folded, after_prefix(folded), limit as i64],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(words)
}

/// Reads up to `max` runs indexed before the workflows' vocabularies existed into them, oldest
/// first; call in a transaction, repeatedly, until it returns 0 (then [`by_workflow_ready`]).
pub fn backfill_by_workflow(conn: &Connection, max: u32) -> Result<usize> {
    let Some((next, to)) = conn
        .prepare_cached("SELECT next_rid, to_rid FROM run_word_workflows_backfill")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?
    else {
        return Ok(0);
    };
    let mut words = Words::default();
    let mut last = None;
    let mut n = 0;
    crate::search::indexed_texts(conn, (next, to), max, |rid, workflow, text| {
        words.add(workflow, text);
        last = Some(rid);
        n += 1;
    })?;
    words.store_by_workflow(conn)?;
    match last {
        Some(last) if last < to => {
            conn.prepare_cached("UPDATE run_word_workflows_backfill SET next_rid = ?1")?
                .execute([last])?;
        }
        _ => {
            conn.prepare_cached("DELETE FROM run_word_workflows_backfill")?
                .execute([])?;
        }
    }
    Ok(n)
}

/// The first string after every string starting with `folded` (ASCII letters and digits).
fn after_prefix(folded: &str) -> String {
    let mut end = folded.as_bytes().to_vec();
    // ASCII letters and digits: the next byte value is still ASCII.
    if let Some(b) = end.last_mut() {
        *b += 1;
    }
    String::from_utf8(end).unwrap_or_default()
}

/// The words of the vocabulary that start with `folded` (lower-case ASCII) and are longer
/// than it, at most `limit`.
pub fn longer_than(conn: &Connection, folded: &str, limit: usize) -> Result<Vec<String>> {
    let mut st =
        conn.prepare_cached("SELECT term FROM run_words WHERE term > ?1 AND term < ?2 LIMIT ?3")?;
    let words = st
        .query_map(
            rusqlite::params![folded, after_prefix(folded), limit as i64],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn vocabulary(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT term FROM run_words ORDER BY term")
            .unwrap_or_else(|e| panic!("{e}"));
        st.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn words_are_split_and_folded_as_the_index_tokenizer_does() -> Result<()> {
        let store = Store::open_in_memory()?;
        let conn = store.conn();
        let text = "Refund_request ESCALATED zd_883190 Ünïcode café—naïve don’t 42 x9 kb-101";
        let mut w = Words::default();
        w.add("refund_request", text);
        w.store(conn)?;
        // The index's own words for the same text (letters, ASCII): the vocabulary matches.
        conn.execute_batch(
            "CREATE VIRTUAL TABLE temp.check_fts USING fts5(text, detail = none,
                 tokenize = 'unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE temp.check_terms USING fts5vocab(temp, check_fts, row);",
        )?;
        conn.execute("INSERT INTO temp.check_fts (text) VALUES (?1)", [text])?;
        let mut st = conn.prepare(
            "SELECT term FROM temp.check_terms
             WHERE term GLOB '*[a-z]*' AND NOT term GLOB '*[^a-z0-9]*' ORDER BY term",
        )?;
        let expected = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        assert_eq!(vocabulary(conn), expected);
        assert!(expected.contains(&"unicode".to_string()), "{expected:?}");
        assert!(
            !expected.contains(&"883190".to_string()),
            "numbers are left out"
        );
        assert_eq!(
            longer_than(conn, "esc", 10)?,
            vec!["escalated".to_string()],
            "a prefix finds its longer words"
        );
        assert!(longer_than(conn, "escalated", 10)?.is_empty(), "not itself");
        Ok(())
    }
}
