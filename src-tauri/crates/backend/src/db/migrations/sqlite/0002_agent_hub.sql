-- Keys can be bound to one tenant and revoked (a revoked key is refused at once).
ALTER TABLE api_keys ADD COLUMN tenant TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
-- Registered webhooks: where an agent's decisions are POSTed. The signing secret is not
-- stored: it is derived from the server's `webhook-key` file and the webhook id.
CREATE TABLE IF NOT EXISTS webhooks(
    webhook_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
ALTER TABLE agent_actions ADD COLUMN webhook_id TEXT;
-- The delivery worker's sweep reads only actions that have a webhook.
CREATE INDEX IF NOT EXISTS agent_actions_webhooked ON agent_actions(action_id)
    WHERE webhook_id IS NOT NULL OR webhook_url IS NOT NULL;
-- One delivery per decision of an action (the unique event), retried with backoff until
-- taken or out of attempts; a server holds a lease on it while sending.
CREATE TABLE IF NOT EXISTS webhook_deliveries(
    delivery_id TEXT PRIMARY KEY,
    webhook_id TEXT,
    url TEXT NOT NULL,
    action_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE(action_id, event)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(state, next_ms);
-- Rollback of a write an agent executed itself: the console asks, the agent undoes it and
-- confirms (or reports that it could not).
ALTER TABLE agent_actions ADD COLUMN rollback_state TEXT;
ALTER TABLE agent_actions ADD COLUMN rollback_request TEXT;
ALTER TABLE agent_actions ADD COLUMN rollback_result TEXT;
-- Decisions made before deliveries were kept here were sent by the earlier in-memory sender:
-- recorded as delivered, so the delivery worker does not send them again.
INSERT INTO webhook_deliveries(delivery_id, webhook_id, url, action_id, event, body, attempts,
                               next_ms, state, created_at)
SELECT 'dlv_migrated_' || g.action_id, NULL, g.webhook_url, g.action_id, 'decision.' || a.status,
       '{}', 0, 0, 'delivered', 'migration 0002'
FROM agent_actions g JOIN actions a ON a.action_id = g.action_id
WHERE g.webhook_url IS NOT NULL AND a.status IN ('approved', 'denied', 'expired');
