-- The reference backend's tables on SQLite. Written with IF NOT EXISTS so a database created
-- before migrations were tracked (user_version 0, same tables) takes this step unchanged.
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Runs and actions in change order: `seq` is reassigned at every change.
CREATE TABLE IF NOT EXISTS runs(
    run_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    idx INTEGER NOT NULL,
    workflow TEXT NOT NULL,
    team TEXT,
    user_id TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    cost_micros INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_ms);
CREATE TABLE IF NOT EXISTS actions(
    action_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_open ON actions(status, expires_ms);
CREATE TABLE IF NOT EXISTS decisions(
    op TEXT NOT NULL,
    action_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    response TEXT NOT NULL,
    reason TEXT,
    decided_at TEXT NOT NULL,
    PRIMARY KEY(op, action_id, idempotency_key)
);
-- The system-of-record tables approved writes are executed against.
CREATE TABLE IF NOT EXISTS executions(
    action_id TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds(
    refund_id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    amount_micros INTEGER NOT NULL,
    currency TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS crm_fields(
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY(record_id, field)
);
CREATE TABLE IF NOT EXISTS tickets(ticket_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budgets(budget_id TEXT PRIMARY KEY, pos INTEGER NOT NULL, json TEXT NOT NULL);
-- Countersigned audit checkpoints.
CREATE TABLE IF NOT EXISTS audit_checkpoints(
    installation_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    received_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    receipt TEXT NOT NULL,
    PRIMARY KEY(installation_key, seq)
);
-- Keys, stored as their SHA-256 only.
CREATE TABLE IF NOT EXISTS api_keys(
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- What agents report: who produced which run, and the agent side of actions.
CREATE TABLE IF NOT EXISTS run_sources(
    run_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_actions(
    action_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    webhook_url TEXT,
    rollback TEXT,
    approved_fields TEXT,
    result TEXT,
    UNIQUE(agent, idempotency_key)
);
CREATE TABLE IF NOT EXISTS reservations(
    reservation_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    workflow TEXT NOT NULL,
    team TEXT,
    user_id TEXT NOT NULL,
    estimate_micros INTEGER NOT NULL,
    tool_calls INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    final_micros INTEGER,
    run_id TEXT,
    settled_at TEXT
);
CREATE INDEX IF NOT EXISTS reservations_period ON reservations(created_ms);
CREATE TABLE IF NOT EXISTS otel_spans(
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY(trace_id, span_id)
);
