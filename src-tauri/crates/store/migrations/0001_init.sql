-- Countersign local store, schema v1. Times are epoch milliseconds UTC; money is integer
-- micro-dollars. Full records are kept as JSON in `body`; the columns beside them are what
-- the views filter and sort on. Backend tokens are never stored here.

CREATE TABLE backends (
    backend_id      TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    url             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'countersign',
    embedded        INTEGER NOT NULL DEFAULT 0,
    freshness_days  INTEGER NOT NULL DEFAULT 365,
    added_at_ms     INTEGER NOT NULL,
    whoami          TEXT
) STRICT;

CREATE TABLE runs (
    rid               INTEGER PRIMARY KEY,
    backend_id        TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    run_id            TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    tenant            TEXT NOT NULL,
    workflow          TEXT NOT NULL,
    workflow_version  TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    model             TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    decision          TEXT NOT NULL,
    cost_micros       INTEGER NOT NULL,
    latency_ms        INTEGER NOT NULL,
    tool_calls        INTEGER NOT NULL,
    policy_failures   INTEGER NOT NULL,
    citation_warnings INTEGER NOT NULL,
    started_at_ms     INTEGER NOT NULL,
    updated_at_ms     INTEGER NOT NULL,
    body              TEXT NOT NULL,
    UNIQUE (backend_id, run_id)
) STRICT;
CREATE INDEX runs_by_time ON runs(started_at_ms DESC);
CREATE INDEX runs_by_workflow_time ON runs(workflow, started_at_ms DESC);
CREATE INDEX runs_by_outcome_time ON runs(outcome, started_at_ms DESC);
CREATE INDEX runs_by_cost ON runs(cost_micros DESC);
CREATE INDEX runs_by_latency ON runs(latency_ms DESC);

CREATE TABLE actions (
    backend_id      TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    action_id       TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    run_id          TEXT NOT NULL,
    status          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    risk            TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    body            TEXT NOT NULL,
    PRIMARY KEY (backend_id, action_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX actions_by_status ON actions(status, requested_at_ms DESC);
CREATE INDEX actions_by_run ON actions(backend_id, run_id);

CREATE TABLE budgets (
    backend_id  TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    budget_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (backend_id, budget_id)
) STRICT;

CREATE TABLE sources (
    backend_id  TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    source_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (backend_id, source_id)
) STRICT;

-- Where each stream's incremental sync resumes; written in the same transaction as the page.
CREATE TABLE sync_cursors (
    backend_id    TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    stream        TEXT NOT NULL,
    cursor        TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (backend_id, stream)
) STRICT;

CREATE TABLE sync_health (
    backend_id           TEXT PRIMARY KEY REFERENCES backends(backend_id) ON DELETE CASCADE,
    last_success_ms      INTEGER,
    last_attempt_ms      INTEGER,
    last_error           TEXT,
    last_error_code      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Records a backend sent that could not be accepted, kept with the reason and the raw bytes.
CREATE TABLE quarantine (
    id             INTEGER PRIMARY KEY,
    backend_id     TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    stream         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    raw            BLOB NOT NULL,
    received_at_ms INTEGER NOT NULL,
    UNIQUE (backend_id, stream, raw)
) STRICT;
