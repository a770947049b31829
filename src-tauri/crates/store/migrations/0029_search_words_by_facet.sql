-- The search vocabulary by facet: which words occur in runs of which workflow ('w:<workflow>')
-- and of which outcome ('o:<outcome>'). A search filtered on either spells a typed prefix out
-- into the words of those runs only, and knows at once that a word they never contain matches
-- nothing there (FTS5 would intersect two long row lists to find that out). Filled as runs
-- are indexed. Words are never removed, so a pair may outlive its runs: it only widens a
-- query, never loses a run.
CREATE TABLE run_word_facets (
    facet TEXT NOT NULL,
    term  TEXT NOT NULL,
    PRIMARY KEY (facet, term)
) STRICT, WITHOUT ROWID;

-- Runs indexed before the table existed are read into it by a background pass
-- (`search_words::backfill_by_facet`), from `next_rid` up to `to_rid`; the table is used only
-- once that row is gone.
CREATE TABLE run_word_facets_backfill (
    next_rid INTEGER NOT NULL,
    to_rid   INTEGER NOT NULL
) STRICT;
INSERT INTO run_word_facets_backfill (next_rid, to_rid)
SELECT 0, max(rid) FROM runs HAVING max(rid) IS NOT NULL;
