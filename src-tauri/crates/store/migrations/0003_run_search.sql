-- Run inspection at scale: filter columns, full-text search and a daily roll-up for charts.

ALTER TABLE runs ADD COLUMN team TEXT NOT NULL DEFAULT '';
-- One index per filter a person narrows by, each ordered by time, so a first page never sorts.
CREATE INDEX runs_by_user_time ON runs(user_id, started_at_ms DESC);
CREATE INDEX runs_by_tenant_time ON runs(tenant, started_at_ms DESC);
CREATE INDEX runs_by_model_time ON runs(model, started_at_ms DESC);
CREATE INDEX runs_by_backend_time ON runs(backend_id, started_at_ms DESC);
-- Carries the flags a reviewer adds to workflow + outcome, so walking it needs no table reads.
CREATE INDEX runs_by_workflow_outcome_time
    ON runs(workflow, outcome, started_at_ms DESC, backend_id, citation_warnings, policy_failures);
CREATE INDEX runs_policy_failed ON runs(started_at_ms DESC) WHERE policy_failures > 0;
CREATE INDEX runs_citing_stale ON runs(started_at_ms DESC) WHERE citation_warnings > 0;

-- Full-text index over a run's inputs, outputs, tool arguments and results, and cited
-- passages. Contentless (the text is in runs.body); rowid = runs.rid. `detail = none` keeps
-- it small and fast to write: queries match words (and word prefixes), not positions.
CREATE VIRTUAL TABLE run_fts USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Per UTC day, backend, workflow, model and outcome: runs, cost and stale citations. Kept in
-- step with `runs` by the store's upsert, so charts never scan the run table.
CREATE TABLE run_daily (
    day_ms           INTEGER NOT NULL,
    backend_id       TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    workflow         TEXT NOT NULL,
    model            TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    runs             INTEGER NOT NULL,
    cost_micros      INTEGER NOT NULL,
    stale_citations  INTEGER NOT NULL,
    PRIMARY KEY (day_ms, backend_id, workflow, model, outcome)
) STRICT, WITHOUT ROWID;

-- FTS rows have no foreign key: clear them when a run row goes (backend removed).
CREATE TRIGGER runs_fts_cleanup AFTER DELETE ON runs
BEGIN
    DELETE FROM run_fts WHERE rowid = old.rid;
END;
