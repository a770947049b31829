-- Decisions and rollbacks waiting to reach their backend. A row is written in the same
-- transaction as the audit event that records the decision, before anything is sent; it is
-- sent with its idempotency key until the backend answers, so a decision is never lost and
-- never executed twice.

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    backend_id       TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    action_id        TEXT NOT NULL,
    op               TEXT NOT NULL CHECK (op IN ('decision', 'rollback')),
    idempotency_key  TEXT NOT NULL UNIQUE,
    body             TEXT NOT NULL,
    actor            TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'conflict', 'rejected')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    response         TEXT,
    opened_at_ms     INTEGER,
    queued_at_ms     INTEGER NOT NULL,
    answered_at_ms   INTEGER
) STRICT;
CREATE INDEX outbox_waiting ON outbox(state, backend_id) WHERE state = 'queued';
-- One live decision per action: a second is refused until the first is answered.
CREATE UNIQUE INDEX outbox_one_queued_per_action ON outbox(backend_id, action_id, op) WHERE state = 'queued';
