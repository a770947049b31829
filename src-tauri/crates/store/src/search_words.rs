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
//!
//! Beside it, the vocabulary by facet (`run_word_facets`): which words occur in runs of which
//! workflow, and of which outcome. A search filtered on either spells a prefix out into the
//! words of those runs only, and knows at once that a word they never contain matches nothing.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// The facet key of runs whose workflow is `workflow`.
pub fn workflow_facet(workflow: &str) -> String {
    format!("w:{workflow}")
}

/// The facet key of runs whose outcome is `outcome`.
pub fn outcome_facet(outcome: &str) -> String {
    format!("o:{outcome}")
}

/// The distinct words of a batch of indexed texts, by the facets (workflow, outcome) of their
/// run.
#[derive(Default)]
pub struct Words {
    by_facet: HashMap<String, Chunks>,
    key: String,
}

/// One facet's words: ASCII ones folded here, the others as found (folded when stored).
#[derive(Default)]
struct Chunks {
    ascii: HashSet<String>,
    other: HashSet<String>,
}

impl Chunks {
    fn add(&mut self, chunk: &str) {
        if !chunk.is_ascii() {
            if !self.other.contains(chunk) {
                self.other.insert(chunk.to_string());
            }
        } else if chunk.bytes().any(|b| b.is_ascii_alphabetic()) {
            if chunk.bytes().any(|b| b.is_ascii_uppercase()) {
                self.ascii.insert(chunk.to_ascii_lowercase());
            } else if !self.ascii.contains(chunk) {
                self.ascii.insert(chunk.to_string());
            }
        }
    }
}

impl Words {
    /// Adds the words of `text`, the indexed text of a run of `workflow` with `outcome`.
    pub fn add(&mut self, workflow: &str, outcome: &str, text: &str) {
        let chunks: Vec<&str> = text
            .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
            .filter(|c| !c.is_empty())
            .collect();
        for (kind, value) in [("w:", workflow), ("o:", outcome)] {
            self.key.clear();
            self.key.push_str(kind);
            self.key.push_str(value);
            let facet = match self.by_facet.get_mut(self.key.as_str()) {
                Some(f) => f,
                None => self.by_facet.entry(self.key.clone()).or_default(),
            };
            for chunk in &chunks {
                facet.add(chunk);
            }
        }
    }

    /// Adds the words to the vocabulary and to their facets' vocabularies, in the caller's
    /// transaction.
    pub fn store(&self, conn: &Connection) -> Result<()> {
        let mut word = conn.prepare_cached("INSERT OR IGNORE INTO run_words (term) VALUES (?1)")?;
        let mut seen: HashSet<&str> = HashSet::default();
        for chunks in self.by_facet.values() {
            for w in &chunks.ascii {
                if seen.insert(w) {
                    word.execute([w])?;
                }
            }
        }
        self.store_by_facet(conn)
    }

    /// Adds only the facets' vocabularies (and the non-ASCII words to both).
    fn store_by_facet(&self, conn: &Connection) -> Result<()> {
        let mut pair = conn.prepare_cached(
            "INSERT OR IGNORE INTO run_word_facets (facet, term) VALUES (?1, ?2)",
        )?;
        for (facet, chunks) in &self.by_facet {
            for w in &chunks.ascii {
                pair.execute([facet, w])?;
            }
            if !chunks.other.is_empty() {
                fold_through_tokenizer(conn, facet, &chunks.other)?;
            }
        }
        Ok(())
    }
}

/// Words of chunks with non-ASCII characters, as the index's tokenizer makes them (split on
/// Unicode separators, accents removed, lower case): indexed in a temporary table and read
/// back from its vocabulary into the vocabulary and `facet`'s. Words that stay non-ASCII are
/// not kept (a typed non-ASCII word is matched by FTS5's own prefix).
fn fold_through_tokenizer(conn: &Connection, facet: &str, chunks: &HashSet<String>) -> Result<()> {
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
        "INSERT OR IGNORE INTO run_word_facets (facet, term)
         SELECT ?1, term FROM temp.word_batch_terms
         WHERE term GLOB '*[a-z]*' AND NOT term GLOB '*[^a-z0-9]*'",
    )?
    .execute([facet])?;
    conn.prepare_cached("DELETE FROM temp.word_batch")?
        .execute([])?;
    Ok(())
}

/// Whether the facets' vocabularies hold every indexed run's words: false while runs indexed
/// before they existed are still being read in ([`backfill_by_facet`]).
pub fn by_facet_ready(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM run_word_facets_backfill")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_none())
}

/// Whether runs of `facet` contain the word `folded` (lower-case ASCII).
pub fn in_facet(conn: &Connection, facet: &str, folded: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM run_word_facets WHERE facet = ?1 AND term = ?2")?
        .query_row([facet, folded], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The words that start with `folded` (lower-case ASCII), itself included, and occur in runs
/// of every one of `facets` (at least one), in order; `None` when the first facet has more
/// than `limit` of them.
pub fn starting_in_facets(
    conn: &Connection,
    facets: &[String],
    folded: &str,
    limit: usize,
) -> Result<Option<Vec<String>>> {
    let Some((first, rest)) = facets.split_first() else {
        return Ok(None);
    };
    let mut st = conn.prepare_cached(
        "SELECT term FROM run_word_facets
         WHERE facet = ?1 AND term >= ?2 AND term < ?3 LIMIT ?4",
    )?;
    let words = st
        .query_map(
            rusqlite::params![first, folded, after_prefix(folded), limit as i64 + 1],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if words.len() > limit {
        return Ok(None);
    }
    let mut kept = Vec::with_capacity(words.len());
    'word: for w in words {
        for f in rest {
            if !in_facet(conn, f, &w)? {
                continue 'word;
            }
        }
        kept.push(w);
    }
    Ok(Some(kept))
}

/// Reads up to `max` runs indexed before the facets' vocabularies existed into them, oldest
/// first; call in a transaction, repeatedly, until it returns 0 (then [`by_facet_ready`]).
pub fn backfill_by_facet(conn: &Connection, max: u32) -> Result<usize> {
    let Some((next, to)) = conn
        .prepare_cached("SELECT next_rid, to_rid FROM run_word_facets_backfill")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?
    else {
        return Ok(0);
    };
    let mut words = Words::default();
    let mut last = None;
    let mut n = 0;
    let runs = crate::search::Runs::Rids { from: next, to };
    crate::search::indexed_texts(conn, runs, max, |rid, facets, text| {
        words.add(facets.workflow, facets.outcome, text);
        last = Some(rid);
        n += 1;
    })?;
    words.store_by_facet(conn)?;
    match last {
        Some(last) if last < to => {
            conn.prepare_cached("UPDATE run_word_facets_backfill SET next_rid = ?1")?
                .execute([last])?;
        }
        _ => {
            conn.prepare_cached("DELETE FROM run_word_facets_backfill")?
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
        w.add("refund_request", "success", text);
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
