-- The autonomy level per (backend, workflow): as last pushed to or read from a backend that
-- enforces it (enforced = 1), or kept here only for a backend that cannot (enforced = 0:
-- advisory). Workflows without a row are at approve_every_write.
CREATE TABLE workflow_autonomy (
    backend_id      TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    workflow        TEXT NOT NULL,
    level           TEXT NOT NULL,
    sample_percent  INTEGER NOT NULL DEFAULT 0,
    enforced        INTEGER NOT NULL,
    set_by          TEXT,
    justification   TEXT,
    updated_at      TEXT,
    refused_writes  INTEGER NOT NULL DEFAULT 0,
    last_refused_at TEXT,
    seen_at_ms      INTEGER NOT NULL,
    PRIMARY KEY (backend_id, workflow)
) WITHOUT ROWID;
