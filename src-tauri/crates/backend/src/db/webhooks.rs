//! Webhooks agents register and the deliveries owed to them, both kept in the database so
//! they survive a restart: one delivery per decision of an action (unique on the action and
//! the decision), claimed under a lease by whichever server process sends it, retried with
//! backoff until taken or out of attempts.

use super::sql::{Conn, Engine, Sql, args};
use crate::Error;
use chrono::{DateTime, Utc};

/// A registered webhook (its secret is derived, never stored).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Webhook {
    /// Public id (`wh_…`).
    pub webhook_id: String,
    /// The agent that registered it.
    #[serde(skip)]
    pub agent: String,
    /// Where decisions are POSTed.
    pub url: String,
    /// When it was registered (RFC 3339).
    pub created_at: String,
}

/// Registers a webhook of `agent`.
pub(crate) fn register(c: &mut dyn Sql, w: &Webhook) -> Result<(), Error> {
    c.exec(
        "INSERT INTO webhooks(webhook_id, agent, url, created_at) VALUES(?1, ?2, ?3, ?4)",
        args![w.webhook_id, w.agent, w.url, w.created_at],
    )?;
    Ok(())
}

/// The agent's webhooks still in use, oldest first.
pub(crate) fn list(c: &mut dyn Sql, agent: &str) -> Result<Vec<Webhook>, Error> {
    let mut out = Vec::new();
    for mut r in c.rows(
        "SELECT webhook_id, agent, url, created_at FROM webhooks
         WHERE agent = ?1 AND deleted_at IS NULL ORDER BY created_at, webhook_id",
        args![agent],
    )? {
        out.push(Webhook {
            webhook_id: r.text(0)?,
            agent: r.text(1)?,
            url: r.text(2)?,
            created_at: r.text(3)?,
        });
    }
    Ok(out)
}

/// Webhook `id` of `agent`, if registered and not deleted.
pub(crate) fn get(c: &mut dyn Sql, agent: &str, id: &str) -> Result<Option<Webhook>, Error> {
    Ok(list(c, agent)?.into_iter().find(|w| w.webhook_id == id))
}

/// Deletes webhook `id` of `agent` (its pending deliveries are dropped); whether it existed.
pub(crate) fn delete(
    c: &mut dyn Sql,
    agent: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = c.exec(
        "UPDATE webhooks SET deleted_at = ?3 WHERE webhook_id = ?1 AND agent = ?2 AND deleted_at IS NULL",
        args![id, agent, now.to_rfc3339()],
    )?;
    c.exec(
        "UPDATE webhook_deliveries SET state = 'dropped' WHERE webhook_id = ?1 AND state = 'pending'",
        args![id],
    )?;
    Ok(n > 0)
}

/// A delivery to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Its id (sent as `Countersign-Delivery`, for the receiver to drop repeats).
    pub delivery_id: String,
    /// The webhook whose secret signs it (`None`: an action's plain `webhook_url`, unsigned).
    pub webhook_id: Option<String>,
    /// Where to POST it.
    pub url: String,
    /// The action it is about.
    pub action_id: String,
    /// What happened (`decision.approved`, `decision.expired`, …).
    pub event: String,
    /// The JSON body, fixed when the delivery was owed.
    pub body: String,
    /// Attempts made so far, this one included once claimed.
    pub attempts: i64,
}

/// Owes a delivery unless one is owed (or made) for this action and event already; whether
/// it is new.
pub(crate) fn enqueue(c: &mut dyn Sql, d: &Delivery, now: DateTime<Utc>) -> Result<bool, Error> {
    let n = c.exec(
        "INSERT INTO webhook_deliveries(delivery_id, webhook_id, url, action_id, event, body,
                                        attempts, next_ms, state, created_at)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, 'pending', ?8)
         ON CONFLICT(action_id, event) DO NOTHING",
        args![
            d.delivery_id,
            d.webhook_id,
            d.url,
            d.action_id,
            d.event,
            d.body,
            now.timestamp_millis(),
            now.to_rfc3339()
        ],
    )?;
    Ok(n > 0)
}

/// Claims up to `limit` due deliveries for `lease_ms` (another server process skips them
/// meanwhile; if this one dies, they fall due again when the lease ends), counting the
/// attempt about to be made.
pub(crate) fn claim_due(
    conn: &mut Conn<'_>,
    now: DateTime<Utc>,
    lease_ms: i64,
    limit: usize,
) -> Result<Vec<Delivery>, Error> {
    let mut tx = conn.begin()?;
    let skip = match tx.engine() {
        Engine::Sqlite => "",
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let rows = tx.rows(
        &format!(
            "SELECT delivery_id, webhook_id, url, action_id, event, body, attempts
             FROM webhook_deliveries WHERE state = 'pending' AND next_ms <= ?1
             ORDER BY next_ms LIMIT ?2{skip}"
        ),
        args![now.timestamp_millis(), limit as i64],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for mut r in rows {
        let d = Delivery {
            delivery_id: r.text(0)?,
            webhook_id: r.opt_text(1)?,
            url: r.text(2)?,
            action_id: r.text(3)?,
            event: r.text(4)?,
            body: r.text(5)?,
            attempts: r.int(6)? + 1,
        };
        tx.exec(
            "UPDATE webhook_deliveries SET attempts = ?2, next_ms = ?3 WHERE delivery_id = ?1",
            args![d.delivery_id, d.attempts, now.timestamp_millis() + lease_ms],
        )?;
        out.push(d);
    }
    tx.commit()?;
    Ok(out)
}

/// Records that delivery `id` was taken.
pub(crate) fn delivered(c: &mut dyn Sql, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
    c.exec(
        "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = ?2, last_error = NULL
         WHERE delivery_id = ?1 AND state = 'pending'",
        args![id, now.to_rfc3339()],
    )?;
    Ok(())
}

/// Records a failed attempt of delivery `id`: due again at `next` or, with no attempts left,
/// failed for good.
pub(crate) fn attempt_failed(
    c: &mut dyn Sql,
    id: &str,
    error: &str,
    next: Option<DateTime<Utc>>,
) -> Result<(), Error> {
    let error: String = error.chars().take(500).collect();
    match next {
        Some(t) => c.exec(
            "UPDATE webhook_deliveries SET next_ms = ?2, last_error = ?3
             WHERE delivery_id = ?1 AND state = 'pending'",
            args![id, t.timestamp_millis(), error],
        )?,
        None => c.exec(
            "UPDATE webhook_deliveries SET state = 'failed', last_error = ?2
             WHERE delivery_id = ?1 AND state = 'pending'",
            args![id, error],
        )?,
    };
    Ok(())
}

/// When the next pending delivery falls due, if any.
pub(crate) fn next_due_ms(c: &mut dyn Sql) -> Result<Option<i64>, Error> {
    let r = c.row(
        "SELECT MIN(next_ms) FROM webhook_deliveries WHERE state = 'pending'",
        args![],
    )?;
    match r {
        Some(r) => r.opt_int(0),
        None => Ok(None),
    }
}

/// Decided actions with a webhook whose decision is owed no delivery yet (what a server that
/// stopped between a decision and its delivery left behind), at most `limit`.
pub(crate) fn undelivered_decisions(c: &mut dyn Sql, limit: usize) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for mut r in c.rows(
        "SELECT g.action_id FROM agent_actions g JOIN actions a ON a.action_id = g.action_id
         WHERE (g.webhook_id IS NOT NULL OR g.webhook_url IS NOT NULL)
           AND a.status IN ('approved', 'denied', 'expired')
           AND (g.webhook_id IS NULL
                OR g.webhook_id IN (SELECT webhook_id FROM webhooks WHERE deleted_at IS NULL))
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                           WHERE d.action_id = g.action_id AND d.event = 'decision.' || a.status)
         LIMIT ?1",
        args![limit as i64],
    )? {
        out.push(r.text(0)?);
    }
    Ok(out)
}
