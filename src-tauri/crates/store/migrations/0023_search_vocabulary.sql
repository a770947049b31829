-- The full-text index's vocabulary, one row per indexed word: a search spells a typed prefix
-- out into the words that start with it (search.rs, `fts_match`), which the index answers
-- lazily, instead of FTS5 merging every such word's rows before the first page.
CREATE VIRTUAL TABLE run_fts_terms USING fts5vocab(run_fts, row);
