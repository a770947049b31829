-- Full-text indexing runs behind ingest: sync stores a run and queues its rid here; a
-- background pass indexes the queue. A run in this table is stored and browsable but not yet
-- in `run_fts`.
CREATE TABLE fts_queue (
    rid INTEGER PRIMARY KEY
) STRICT;

-- Only indexed runs have an FTS row to delete; queued ones just leave the queue.
DROP TRIGGER runs_fts_cleanup;
CREATE TRIGGER runs_fts_cleanup AFTER DELETE ON runs
BEGIN
    DELETE FROM run_fts WHERE rowid = old.rid
        AND NOT EXISTS (SELECT 1 FROM fts_queue WHERE rid = old.rid);
    DELETE FROM fts_queue WHERE rid = old.rid;
END;
