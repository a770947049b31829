-- The autonomy level each workflow runs at (a workflow with no row is at approve_every_write),
-- who set it and why, and the writes the level refused.
CREATE TABLE workflow_autonomy(
    workflow TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    sample_percent BIGINT NOT NULL DEFAULT 0,
    set_by TEXT,
    requested_by TEXT,
    justification TEXT,
    updated_at TEXT,
    refused_writes BIGINT NOT NULL DEFAULT 0,
    last_refused_at TEXT
);
