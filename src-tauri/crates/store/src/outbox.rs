//! The `outbox` table: decisions and rollbacks waiting to reach their backend.

use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

/// Where an outbox entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "OutboxState")]
pub enum EntryState {
    /// Waiting to send (or to be answered).
    Queued,
    /// The backend accepted it.
    Delivered,
    /// The backend said the action was already decided or expired.
    Conflict,
    /// The backend refused it (invalid values, no permission).
    Rejected,
}

impl EntryState {
    fn as_str(self) -> &'static str {
        match self {
            EntryState::Queued => "queued",
            EntryState::Delivered => "delivered",
            EntryState::Conflict => "conflict",
            EntryState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> EntryState {
        match s {
            "delivered" => EntryState::Delivered,
            "conflict" => EntryState::Conflict,
            "rejected" => EntryState::Rejected,
            _ => EntryState::Queued,
        }
    }
}

/// An outbox entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "OutboxEntry")]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// Backend.
    pub backend_id: String,
    /// Action.
    pub action_id: String,
    /// `decision` or `rollback`.
    pub op: String,
    /// Idempotency key sent with it.
    pub idempotency_key: String,
    /// The JSON body sent.
    pub body: serde_json::Value,
    /// Who decided.
    pub actor: String,
    /// State.
    pub state: EntryState,
    /// Send attempts so far.
    pub attempts: i64,
    /// Last error (while queued) or the backend's answer (conflict/rejected).
    pub last_error: Option<String>,
    /// The backend's answer, when it answered; while queued, why the console holds it back,
    /// when it does (`{"held": "batch", "waiting_for", "size"}`: a LangGraph batched interrupt
    /// is resumed once, when every request of it is decided).
    pub response: Option<serde_json::Value>,
    /// When the reviewer opened the item.
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was queued (the decision time).
    pub queued_at: DateTime<Utc>,
    /// When the backend answered.
    pub answered_at: Option<DateTime<Utc>>,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let body: String = r.get("body")?;
    let response: Option<String> = r.get("response")?;
    Ok(Entry {
        id: r.get("id")?,
        backend_id: r.get("backend_id")?,
        action_id: r.get("action_id")?,
        op: r.get("op")?,
        idempotency_key: r.get("idempotency_key")?,
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        actor: r.get("actor")?,
        state: EntryState::parse(&r.get::<_, String>("state")?),
        attempts: r.get("attempts")?,
        last_error: r.get("last_error")?,
        response: response.and_then(|s| serde_json::from_str(&s).ok()),
        opened_at: r.get::<_, Option<i64>>("opened_at_ms")?.map(from_ms),
        queued_at: from_ms(r.get("queued_at_ms")?),
        answered_at: r.get::<_, Option<i64>>("answered_at_ms")?.map(from_ms),
    })
}

/// What to queue.
pub struct NewEntry<'a> {
    /// Backend.
    pub backend_id: &'a str,
    /// Action.
    pub action_id: &'a str,
    /// `decision` or `rollback`.
    pub op: &'a str,
    /// Idempotency key.
    pub idempotency_key: &'a str,
    /// JSON body.
    pub body: &'a serde_json::Value,
    /// Who.
    pub actor: &'a str,
    /// When the reviewer opened the item.
    pub opened_at: Option<DateTime<Utc>>,
    /// Decision time.
    pub at: DateTime<Utc>,
}

/// Queues an entry; call inside the transaction that also appends its audit event. Refused
/// while another entry for the same action and op is still queued.
pub fn enqueue(conn: &Connection, e: &NewEntry<'_>) -> Result<i64> {
    let res = conn.execute(
        "INSERT INTO outbox (backend_id, action_id, op, idempotency_key, body, actor, state,
             opened_at_ms, queued_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8)",
        params![
            e.backend_id,
            e.action_id,
            e.op,
            e.idempotency_key,
            serde_json::to_string(e.body)?,
            e.actor,
            e.opened_at.map(to_ms),
            to_ms(e.at)
        ],
    );
    match res {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(StoreError::Invalid(format!(
                "a {} for action {} is already waiting to send",
                e.op, e.action_id
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Entries still waiting for a backend's answer, oldest first.
pub fn queued(conn: &Connection, backend_id: &str) -> Result<Vec<Entry>> {
    let mut st = conn.prepare_cached(
        "SELECT * FROM outbox WHERE state = 'queued' AND backend_id = ?1 ORDER BY id",
    )?;
    let v = st
        .query_map([backend_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// Recent entries (all states), newest first, optionally for one action.
pub fn list(conn: &Connection, action: Option<(&str, &str)>, limit: u32) -> Result<Vec<Entry>> {
    let (b, a) = action.unzip();
    let mut st = conn.prepare_cached(
        "SELECT * FROM outbox WHERE (?1 IS NULL OR (backend_id = ?1 AND action_id = ?2))
         ORDER BY id DESC LIMIT ?3",
    )?;
    let v = st
        .query_map(params![b, a, limit], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// One entry.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Entry>> {
    Ok(conn
        .query_row("SELECT * FROM outbox WHERE id = ?1", [id], from_row)
        .optional()?)
}

/// Records a failed send attempt (the entry stays queued).
pub fn attempt_failed(conn: &Connection, id: i64, error: &str) -> Result<()> {
    conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
        params![id, error],
    )?;
    Ok(())
}

/// Holds a queued entry back on purpose (no attempt counted): `note` says why, `response` says
/// it in JSON. Returns whether anything changed.
pub fn hold(conn: &Connection, id: i64, note: &str, response: &serde_json::Value) -> Result<bool> {
    let n = conn.execute(
        "UPDATE outbox SET last_error = ?2, response = ?3
         WHERE id = ?1 AND state = 'queued'
           AND (last_error IS NOT ?2 OR response IS NOT ?3)",
        params![id, note, serde_json::to_string(response)?],
    )?;
    Ok(n > 0)
}

/// Records the backend's final answer.
pub fn answered(
    conn: &Connection,
    id: i64,
    state: EntryState,
    response: &serde_json::Value,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "UPDATE outbox SET state = ?2, response = ?3, last_error = ?4, answered_at_ms = ?5,
             attempts = attempts + 1 WHERE id = ?1",
        params![
            id,
            state.as_str(),
            serde_json::to_string(response)?,
            error,
            to_ms(at)
        ],
    )?;
    Ok(())
}

/// Entries waiting to send, across backends.
pub fn count_queued(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE state = 'queued'",
        [],
        |r| r.get(0),
    )?)
}
