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

/// The same words as [`run_text`] (as a bag of lines, in the record's own order), read
/// straight from a run's stored JSON `body`: only the indexed fields are visited and their
/// string and number leaves appended, without building the run or any JSON tree. The search
/// indexer's hot path (parsing whole runs cost more than indexing them).
pub fn run_text_json(body: &str) -> crate::Result<String> {
    use serde::Deserializer as _;
    let mut out = String::with_capacity(body.len() / 2);
    let mut de = serde_json::Deserializer::from_str(body);
    de.deserialize_map(text_json::Fields {
        out: &mut out,
        keys: text_json::RUN,
    })?;
    de.end()?;
    Ok(out)
}

/// Serde visitors behind [`run_text_json`].
mod text_json {
    use super::push;
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// What a field of a record contributes to the text.
    #[derive(Clone, Copy)]
    pub enum Part {
        /// Every string and number leaf.
        Leaves,
        /// Each element is a record with these fields.
        Records(&'static [(&'static str, Part)]),
    }

    /// A tool call's indexed fields.
    const TOOL_CALL: &[(&str, Part)] = &[
        ("tool", Part::Leaves),
        ("arguments", Part::Leaves),
        ("result_summary", Part::Leaves),
        ("result", Part::Leaves),
        ("error", Part::Leaves),
        ("documents", Part::Leaves),
    ];
    /// A citation's indexed fields.
    const CITATION: &[(&str, Part)] = &[
        ("doc_id", Part::Leaves),
        ("title", Part::Leaves),
        ("passage", Part::Leaves),
    ];
    /// A run's indexed fields (as [`super::run_text`] reads them).
    pub const RUN: &[(&str, Part)] = &[
        ("run_id", Part::Leaves),
        ("user_id", Part::Leaves),
        ("workflow", Part::Leaves),
        ("model", Part::Leaves),
        ("decision", Part::Leaves),
        ("tenant", Part::Leaves),
        ("rationale", Part::Leaves),
        ("inputs", Part::Leaves),
        ("outputs", Part::Leaves),
        ("tool_calls", Part::Records(TOOL_CALL)),
        ("citations", Part::Records(CITATION)),
    ];

    /// A record's fields: the listed ones are read, the rest skipped.
    pub struct Fields<'o> {
        pub out: &'o mut String,
        pub keys: &'static [(&'static str, Part)],
    }

    /// Which listed field a key names (`None`: not indexed).
    struct Key(&'static [(&'static str, Part)]);

    impl<'de> DeserializeSeed<'de> for Key {
        type Value = Option<Part>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl Visitor<'_> for Key {
        type Value = Option<Part>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a field name")
        }
        fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Self::Value, E> {
            Ok(self.0.iter().find(|(name, _)| *name == k).map(|(_, p)| *p))
        }
    }

    impl<'de> Visitor<'de> for Fields<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a record")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(part) = map.next_key_seed(Key(self.keys))? {
                match part {
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    Some(part) => map.next_value_seed(Value {
                        out: self.out,
                        part,
                    })?,
                }
            }
            Ok(())
        }
    }

    /// One field's value, read as its [`Part`] says.
    struct Value<'o> {
        out: &'o mut String,
        part: Part,
    }

    impl<'de> DeserializeSeed<'de> for Value<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Value<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
            if let Part::Leaves = self.part {
                push(self.out, s);
            }
            Ok(())
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<(), E> {
            self.number(serde_json::Number::from(n))
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<(), E> {
            self.number(serde_json::Number::from(n))
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<(), E> {
            match serde_json::Number::from_f64(n) {
                Some(n) => self.number(n),
                None => Ok(()),
            }
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq
                .next_element_seed(Value {
                    out: self.out,
                    part: self.part,
                })?
                .is_some()
            {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            match self.part {
                Part::Leaves => {
                    while map.next_key::<IgnoredAny>()?.is_some() {
                        map.next_value_seed(Value {
                            out: self.out,
                            part: Part::Leaves,
                        })?;
                    }
                    Ok(())
                }
                Part::Records(keys) => Fields {
                    out: self.out,
                    keys,
                }
                .visit_map(map),
            }
        }
    }

    impl Value<'_> {
        /// A number leaf, written as `serde_json` writes it (as [`super::run_text`] does).
        fn number<E>(self, n: serde_json::Number) -> Result<(), E> {
            if let Part::Leaves = self.part {
                push(self.out, &n.to_string());
            }
            Ok(())
        }
    }
}

/// Runs' searchable texts gathered while a batch of runs is written, entered into the
/// full-text index together by [`Batch::store`], with their words by facet.
///
/// Kept apart from the runs' own writes on purpose: once the index has joined a transaction,
/// every later statement that opens a statement journal (an insert into `runs`, with its
/// unique key) makes FTS5 flush its pending terms as a new segment, so interleaved inserts
/// left a segment a run and spent the time merging them.
#[derive(Default)]
pub struct Batch {
    rows: Vec<(i64, String)>,
    words: crate::search_words::Words,
}

impl Batch {
    /// The batch's words: the caller adds each run's text words (by its workflow and outcome)
    /// here; the runs' filter markers are added as they are written.
    pub fn words(&mut self) -> &mut crate::search_words::Words {
        &mut self.words
    }

    /// Adds run `rid`'s indexed text (searchable words, then filter markers).
    pub(crate) fn push(&mut self, rid: i64, text: String) {
        self.rows.push((rid, text));
    }

    /// Enters the texts into the full-text index (a run written twice, its last text) and the
    /// words into the vocabulary, in the caller's transaction.
    pub fn store(&mut self, conn: &rusqlite::Connection) -> crate::Result<()> {
        let mut insert =
            conn.prepare_cached("INSERT INTO run_fts (rowid, text) VALUES (?1, ?2)")?;
        let mut seen = rustc_hash::FxHashSet::default();
        let rows = std::mem::take(&mut self.rows);
        let last: Vec<_> = rows
            .into_iter()
            .rev()
            .filter(|(rid, _)| seen.insert(*rid))
            .collect();
        for (rid, text) in last.iter().rev() {
            insert.execute(rusqlite::params![rid, text])?;
        }
        self.words.store(conn)
    }
}

/// Indexes up to `max` queued runs (oldest first) and returns how many; call in a
/// transaction, repeatedly, until it returns 0. A run's text is its searchable words plus the
/// markers of its filter values ([`crate::search_filters::markers`]).
pub fn index_pending(conn: &rusqlite::Connection, max: u32) -> crate::Result<usize> {
    let mut batch = Batch::default();
    let mut last = None;
    let mut n = 0;
    indexed_texts(conn, Runs::Queued, max, |rid, facets, text| {
        batch.words().add(facets.workflow, facets.outcome, text);
        batch.push(rid, text.to_string());
        last = Some(rid);
        n += 1;
    })?;
    batch.store(conn)?;
    // The batch is the queue's oldest `n` rows: one range delete instead of one per run.
    if let Some(last) = last {
        conn.prepare_cached("DELETE FROM fts_queue WHERE rid <= ?1")?
            .execute([last])?;
    }
    Ok(n)
}

/// Which runs [`indexed_texts`] reads.
pub(crate) enum Runs {
    /// Those queued for indexing.
    Queued,
    /// Those with `from < rid <= to`.
    Rids { from: i64, to: i64 },
}

/// The facets of a run the search vocabulary is kept by.
pub(crate) struct TextFacets<'a> {
    pub workflow: &'a str,
    pub outcome: &'a str,
}

/// Hands `each` the indexed text (searchable words and filter markers) of up to `max` runs,
/// by rid, with the run's facets, of the runs `which` names.
pub(crate) fn indexed_texts(
    conn: &rusqlite::Connection,
    which: Runs,
    max: u32,
    mut each: impl FnMut(i64, TextFacets<'_>, &str),
) -> crate::Result<()> {
    const COLUMNS: &str = "r.rid, r.body, r.backend_id, r.tenant, r.workflow, r.outcome, r.model,
        r.user_id, r.cost_micros, r.started_at_ms, r.policy_failures, r.citation_warnings";
    let (sql, bounds) = match which {
        Runs::Queued => (
            format!(
                "SELECT {COLUMNS} FROM fts_queue q JOIN runs r ON r.rid = q.rid
                 ORDER BY q.rid LIMIT ?1"
            ),
            None,
        ),
        Runs::Rids { from, to } => (
            format!(
                "SELECT {COLUMNS} FROM runs r WHERE r.rid > ?2 AND r.rid <= ?3
                 ORDER BY r.rid LIMIT ?1"
            ),
            Some((from, to)),
        ),
    };
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = match bounds {
        Some((from, to)) => st.query(rusqlite::params![max, from, to])?,
        None => st.query([max])?,
    };
    while let Some(r) = rows.next()? {
        let mut text = run_text_json(text_at(r, 1)?)?;
        let (workflow, outcome) = (text_at(r, 4)?, text_at(r, 5)?);
        text.push_str(&crate::search_filters::markers(
            &crate::search_filters::RunFacets {
                backend_id: text_at(r, 2)?,
                tenant: text_at(r, 3)?,
                workflow,
                outcome,
                model: text_at(r, 6)?,
                user_id: text_at(r, 7)?,
                cost_micros: r.get(8)?,
                started_at_ms: r.get(9)?,
                policy_failures: r.get(10)?,
                citation_warnings: r.get(11)?,
            },
        ));
        each(r.get(0)?, TextFacets { workflow, outcome }, &text);
    }
    Ok(())
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

/// One word of a search as the index matches it.
struct Term {
    /// The word as typed (the tokenizer folds case and diacritics).
    word: String,
    /// Also matches words that start with it.
    prefix: bool,
}

/// The words of typed text: every word must appear somewhere in the run; the last word, from
/// [`PREFIX_MIN_CHARS`] characters on, also matches words starting with it (as you type:
/// `escalat` finds "escalated"); a word ending in `*` is a prefix wherever it stands
/// (`refund*`). Words are split where the index's tokenizer splits them.
fn terms(input: &str) -> Vec<Term> {
    let mut terms = Vec::new();
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
            terms.push(Term {
                word: (*t).to_string(),
                prefix: i == last && (asked || typing),
            });
        }
    }
    terms
}

/// A word as an FTS5 string (its syntax neutralised by quoting).
fn quoted(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// Turns typed text into an FTS5 query — the one definition of search semantics (see
/// [`terms`]), with prefixes left to FTS5 (`"escalat"*`). `None` when there is nothing to
/// search. The run list (app and CLI alike, both through [`crate::runs::list`]) asks
/// [`fts_match`], which answers the same rows faster.
pub fn fts_query(input: &str) -> Option<String> {
    let terms = terms(input);
    let parts: Vec<String> = terms
        .iter()
        .map(|t| format!("{}{}", quoted(&t.word), if t.prefix { "*" } else { "" }))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Most words a prefix is spelled out into by [`fts_match`]; beyond that FTS5 expands it.
pub const MAX_SPELLED_OUT: usize = 48;

/// [`fts_query`]'s rows, as an FTS5 query that the index answers newest-first without
/// reading every match: FTS5 answers a prefix (`"refund"*`) by merging the row lists of
/// every word that starts with it into one list before returning the first row (≈ 80 ms for
/// "refund" over 300,000 runs, with or without a filter), while an OR of whole words is walked
/// lazily and stops at the first page. So a prefix becomes the word itself OR the longer words
/// of the index that start with it (read from the index's vocabulary, [`MAX_SPELLED_OUT`] at
/// most; more, or a word the tokenizer would fold beyond ASCII case, stays an FTS5 prefix).
pub fn fts_match(conn: &rusqlite::Connection, input: &str) -> crate::Result<Option<String>> {
    Ok(match fts_match_in(conn, input, &[])? {
        Matched::Query(q) => Some(q),
        Matched::Nothing | Matched::NoRun => None,
    })
}

/// What a search asks of the full-text index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matched {
    /// Nothing typed to search for.
    Nothing,
    /// No run can match: a typed word that runs of the filtered workflow or outcome never
    /// contain.
    NoRun,
    /// This FTS5 query.
    Query(String),
}

/// [`fts_match`] for runs of the `facets` the run list filters on (see
/// [`crate::search_words::workflow_facet`], [`crate::search_words::outcome_facet`]): prefixes
/// are spelled out into the words those runs contain, and a word they never contain answers
/// [`Matched::NoRun`] at once. FTS5 would find that by intersecting the word's row list with the
/// filter's, both long when both are common (tens of ms over a million runs).
pub fn fts_match_in(
    conn: &rusqlite::Connection,
    input: &str,
    facets: &[String],
) -> crate::Result<Matched> {
    let terms = terms(input);
    let scoped = !facets.is_empty() && crate::search_words::by_facet_ready(conn)?;
    let mut parts = Vec::with_capacity(terms.len());
    for t in &terms {
        let word = quoted(&t.word);
        // Words the vocabulary holds: ASCII with a letter (see crate::search_words).
        let in_vocabulary = t.word.is_ascii() && t.word.bytes().any(|b| b.is_ascii_alphabetic());
        if scoped && in_vocabulary {
            let folded = t.word.to_ascii_lowercase();
            if !t.prefix {
                for f in facets {
                    if !crate::search_words::in_facet(conn, f, &folded)? {
                        return Ok(Matched::NoRun);
                    }
                }
                parts.push(word);
                continue;
            }
            match crate::search_words::starting_in_facets(
                conn,
                facets,
                &folded,
                MAX_SPELLED_OUT + 1,
            )? {
                Some(words) if words.is_empty() => return Ok(Matched::NoRun),
                Some(words) if words.len() == 1 => parts.push(quoted(&words[0])),
                Some(words) => {
                    let alternatives: Vec<String> = words.iter().map(|w| quoted(w)).collect();
                    parts.push(format!("({})", alternatives.join(" OR ")));
                }
                None => parts.push(format!("{word}*")),
            }
            continue;
        }
        if !t.prefix {
            parts.push(word);
            continue;
        }
        match longer_words(conn, &t.word)? {
            Some(longer) if longer.is_empty() => parts.push(word),
            Some(longer) => {
                let mut alternatives = vec![word];
                alternatives.extend(longer.iter().map(|w| quoted(w)));
                parts.push(format!("({})", alternatives.join(" OR ")));
            }
            None => parts.push(format!("{word}*")),
        }
    }
    // Explicit ANDs: an OR group beside an implicit AND would bind differently.
    Ok(if parts.is_empty() {
        Matched::Nothing
    } else {
        Matched::Query(parts.join(" AND "))
    })
}

/// The indexed words that start with `word` and are longer than it, or `None` when FTS5
/// should expand the prefix itself: a non-ASCII word, a word without a letter (numbers are
/// not in the vocabulary, see [`crate::search_words`]), or more than [`MAX_SPELLED_OUT`]
/// words.
fn longer_words(conn: &rusqlite::Connection, word: &str) -> crate::Result<Option<Vec<String>>> {
    if !word.is_ascii() || !word.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Ok(None);
    }
    let words =
        crate::search_words::longer_than(conn, &word.to_ascii_lowercase(), MAX_SPELLED_OUT + 1)?;
    Ok((words.len() <= MAX_SPELLED_OUT).then_some(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_read_from_json_has_the_words_of_the_parsed_run() -> crate::Result<()> {
        let body = serde_json::json!({
            "run_id": "run_0042", "revision": 3, "tenant": "acme", "user_id": "u_7",
            "team": "not indexed", "workflow": "refund_request", "workflow_version": "v2",
            "model": "gpt-4.1-mini",
            "inputs": {"ticket": "zd_883190", "amount": 12.5, "n": -3, "big": 1e21,
                "ok": true, "none": null, "nested": [{"q": "Ünïcode \"quoted\"\n"}, [7, "deep"]]},
            "tool_calls": [
                {"call_id": "c1", "tool": "kb_search", "arguments": {"query": "refund policy EU"},
                 "result_summary": "3 passages", "result": {"hits": [1, 2.25, "x"]},
                 "started_at": "2026-09-01T00:00:00Z", "cost_micros": 12,
                 "documents": ["kb_1", "kb_2"], "error": "timeout after 30 s"},
                {"call_id": "c2", "tool": "crm_write", "arguments": {},
                 "started_at": "2026-09-01T00:00:01Z"}
            ],
            "citations": [{"doc_id": "kb_9", "title": "Refunds", "passage": "within 14 days",
                "start": 1, "end": 5, "context": "not indexed", "url": "https://x.test/a"}],
            "outputs": {"reply": "Escalated to a human", "score": 0.75},
            "cost_micros": 1234, "latency_ms": 80, "outcome": "escalated",
            "decision": "escalated_to_human", "rationale": "confidence 0.41 below 0.6",
            "policy_checks": [{"name": "eu_refund_window", "passed": false,
                "detail": "not indexed"}],
            "started_at": "2026-09-01T00:00:00Z", "updated_at": "2026-09-01T00:00:02Z"
        })
        .to_string();
        let run: Run = serde_json::from_str(&body)?;
        let lines = |t: &str| {
            let mut v: Vec<String> = t.lines().map(String::from).collect();
            v.sort();
            v
        };
        let fast = run_text_json(&body)?;
        assert_eq!(lines(&fast), lines(&run_text(&run)));
        assert!(
            fast.contains("zd_883190") && fast.contains("12.5"),
            "{fast}"
        );
        assert!(!fast.contains("not indexed"), "{fast}");
        assert!(run_text_json("{\"run_id\": ").is_err());
        Ok(())
    }

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
