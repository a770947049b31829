-- Weekly failure review. A failed, escalated or denied run, or one whose approved write was
-- rolled back, is queued by trigger (ingest stays a plain insert); a background pass suggests
-- its bucket from the run record and what the store knows, and keeps it in `failure_reviews`
-- with the evidence. An operator's bucket (`bucket`) survives re-suggestion. `failure_weekly`
-- is kept in step by trigger so the trend never scans runs.

CREATE TABLE failure_queue (
    rid INTEGER PRIMARY KEY
) STRICT;

CREATE TABLE failure_reviews (
    rid             INTEGER PRIMARY KEY REFERENCES runs(rid) ON DELETE CASCADE,
    workflow        TEXT NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    week_ms         INTEGER NOT NULL,
    suggested       TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    bucket          TEXT,
    reviewed_by     TEXT,
    reviewed_at_ms  INTEGER
) STRICT;
CREATE INDEX failure_reviews_by_time ON failure_reviews(started_at_ms DESC);

-- Per review week (Monday 00:00 UTC), workflow and effective bucket (the operator's, else the
-- suggestion): runs, and how many of them an operator reviewed.
CREATE TABLE failure_weekly (
    week_ms   INTEGER NOT NULL,
    workflow  TEXT NOT NULL,
    bucket    TEXT NOT NULL,
    runs      INTEGER NOT NULL,
    reviewed  INTEGER NOT NULL,
    PRIMARY KEY (week_ms, workflow, bucket)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER failure_reviews_weekly_insert AFTER INSERT ON failure_reviews
BEGIN
    INSERT INTO failure_weekly (week_ms, workflow, bucket, runs, reviewed)
    VALUES (new.week_ms, new.workflow, coalesce(new.bucket, new.suggested), 1,
            new.bucket IS NOT NULL)
    ON CONFLICT DO UPDATE SET runs = runs + 1, reviewed = reviewed + excluded.reviewed;
END;
CREATE TRIGGER failure_reviews_weekly_delete AFTER DELETE ON failure_reviews
BEGIN
    UPDATE failure_weekly SET runs = runs - 1, reviewed = reviewed - (old.bucket IS NOT NULL)
    WHERE week_ms = old.week_ms AND workflow = old.workflow
      AND bucket = coalesce(old.bucket, old.suggested);
END;
CREATE TRIGGER failure_reviews_weekly_update AFTER UPDATE ON failure_reviews
BEGIN
    UPDATE failure_weekly SET runs = runs - 1, reviewed = reviewed - (old.bucket IS NOT NULL)
    WHERE week_ms = old.week_ms AND workflow = old.workflow
      AND bucket = coalesce(old.bucket, old.suggested);
    INSERT INTO failure_weekly (week_ms, workflow, bucket, runs, reviewed)
    VALUES (new.week_ms, new.workflow, coalesce(new.bucket, new.suggested), 1,
            new.bucket IS NOT NULL)
    ON CONFLICT DO UPDATE SET runs = runs + 1, reviewed = reviewed + excluded.reviewed;
END;

-- What enters the queue: runs that are (or were) reviewable, and runs of rolled-back writes.
CREATE TRIGGER runs_failure_queue_insert AFTER INSERT ON runs
WHEN new.outcome IN ('fail', 'escalated', 'denied')
  OR EXISTS (SELECT 1 FROM actions WHERE backend_id = new.backend_id
             AND run_id = new.run_id AND status = 'rolled_back')
BEGIN
    INSERT OR IGNORE INTO failure_queue (rid) VALUES (new.rid);
END;
CREATE TRIGGER runs_failure_queue_update AFTER UPDATE ON runs
WHEN new.outcome IN ('fail', 'escalated', 'denied')
  OR EXISTS (SELECT 1 FROM failure_reviews WHERE rid = new.rid)
  OR EXISTS (SELECT 1 FROM actions WHERE backend_id = new.backend_id
             AND run_id = new.run_id AND status = 'rolled_back')
BEGIN
    INSERT OR IGNORE INTO failure_queue (rid) VALUES (new.rid);
END;
CREATE TRIGGER actions_failure_queue_insert AFTER INSERT ON actions
WHEN new.status = 'rolled_back'
BEGIN
    INSERT OR IGNORE INTO failure_queue (rid)
    SELECT rid FROM runs WHERE backend_id = new.backend_id AND run_id = new.run_id;
END;
CREATE TRIGGER actions_failure_queue_update AFTER UPDATE OF status ON actions
WHEN new.status = 'rolled_back'
BEGIN
    INSERT OR IGNORE INTO failure_queue (rid)
    SELECT rid FROM runs WHERE backend_id = new.backend_id AND run_id = new.run_id;
END;
-- A removed run leaves the queue (its review goes by foreign key).
CREATE TRIGGER runs_failure_queue_cleanup AFTER DELETE ON runs
BEGIN
    DELETE FROM failure_queue WHERE rid = old.rid;
END;
