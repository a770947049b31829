-- The reference backend's tables on PostgreSQL: the same tables and columns as on SQLite
-- (integers are BIGINT), plus what several server processes on one database need.
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Change order. A sequence number taken at insert is not commit order: a transaction that
-- took seq 5 can commit after one that took seq 6, and a reader that saw 6 would skip 5.
-- So every change also records the id of the transaction that made it (`xid`), and readers
-- serve only rows whose transaction is older than every transaction of this database still
-- running (the snapshot's in-progress list), in (xid, seq) order: once a row is served, no
-- row can later appear before it. The trigger stamps both on every insert and update.
CREATE SEQUENCE runs_seq;
CREATE SEQUENCE actions_seq;
CREATE FUNCTION countersign_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := nextval(TG_ARGV[0]::regclass);
    NEW.xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$;

CREATE TABLE runs(
    run_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    xid BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    workflow TEXT NOT NULL,
    team TEXT,
    user_id TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX runs_started ON runs(started_ms);
CREATE INDEX runs_changes ON runs(xid, seq);
CREATE TRIGGER runs_change BEFORE INSERT OR UPDATE ON runs
    FOR EACH ROW EXECUTE FUNCTION countersign_stamp_change('runs_seq');

CREATE TABLE actions(
    action_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    xid BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX actions_open ON actions(status, expires_ms);
CREATE INDEX actions_changes ON actions(xid, seq);
CREATE TRIGGER actions_change BEFORE INSERT OR UPDATE ON actions
    FOR EACH ROW EXECUTE FUNCTION countersign_stamp_change('actions_seq');

CREATE TABLE decisions(
    op TEXT NOT NULL,
    action_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    response TEXT NOT NULL,
    reason TEXT,
    decided_at TEXT NOT NULL,
    PRIMARY KEY(op, action_id, idempotency_key)
);
CREATE TABLE executions(
    action_id TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL
);
CREATE TABLE refunds(
    refund_id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    amount_micros BIGINT NOT NULL,
    currency TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE crm_fields(
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY(record_id, field)
);
CREATE TABLE tickets(ticket_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE budgets(budget_id TEXT PRIMARY KEY, pos BIGINT NOT NULL, json TEXT NOT NULL);
CREATE TABLE audit_checkpoints(
    installation_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    received_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    receipt TEXT NOT NULL,
    PRIMARY KEY(installation_key, seq)
);
CREATE TABLE api_keys(
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE run_sources(
    run_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL
);
CREATE TABLE agent_actions(
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
CREATE TABLE reservations(
    reservation_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    workflow TEXT NOT NULL,
    team TEXT,
    user_id TEXT NOT NULL,
    estimate_micros BIGINT NOT NULL,
    tool_calls BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    final_micros BIGINT,
    run_id TEXT,
    settled_at TEXT
);
CREATE INDEX reservations_period ON reservations(created_ms);
CREATE TABLE otel_spans(
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY(trace_id, span_id)
);
