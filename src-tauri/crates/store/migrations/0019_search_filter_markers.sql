-- A search combined with filters is answered by the full-text index: each run's filter values
-- are indexed as marker words beside its text (see search_filters.rs). Runs indexed before
-- have none, so the index is emptied and every run queued to be indexed again (sync and the
-- app's background pass catch up; until then the run list says how many are pending).
INSERT INTO run_fts (run_fts) VALUES ('delete-all');
INSERT OR IGNORE INTO fts_queue (rid) SELECT rid FROM runs;
