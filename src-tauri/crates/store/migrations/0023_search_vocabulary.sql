-- The full-text index's vocabulary, one row per indexed word: a search spells a typed prefix
-- out into the words that start with it (search.rs, `fts_match`), which the index answers
-- lazily, instead of FTS5 merging every such word's rows before the first page.
CREATE VIRTUAL TABLE run_fts_terms USING fts5vocab(run_fts, row);

-- Index writes buffer up to 32 MiB of new entries per transaction before flushing a segment
-- (FTS5's default is 1 MiB, a segment every few thousand runs): bulk indexing then writes
-- fewer, larger segments, with less merging behind it and fewer segments for a search to read.
INSERT INTO run_fts (run_fts, rank) VALUES ('hashsize', 33554432);
