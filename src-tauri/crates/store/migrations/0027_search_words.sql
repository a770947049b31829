-- The index's vocabulary without counts (search_words.rs): a typed prefix is spelled out into
-- the words that start with it by one range scan, where FTS5's vocabulary table (0023) read
-- each listed word's rows to count them. Words with a letter, ASCII; filled from the index
-- once here, then as runs are indexed.
CREATE TABLE run_words (
    term TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

INSERT INTO run_words (term)
SELECT term FROM run_fts_terms
WHERE term GLOB '*[a-z]*' AND NOT term GLOB '*[^a-z0-9]*';
