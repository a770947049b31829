//! The `sync_health` table: how each backend's sync is going.

use crate::error::Result;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A backend's connector health as the UI shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Last sync succeeded.
    Healthy,
    /// Recent failures, but a success within the last few attempts.
    Degraded,
    /// Several consecutive failures.
    Down,
    /// Never synced yet.
    NeverSynced,
}

/// Sync health of one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "BackendHealth")]
pub struct Health {
    /// Derived state.
    pub state: HealthState,
    /// Last successful sync.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Last attempt.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Last error message.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: i64,
}

/// Consecutive failures after which a backend counts as down.
pub const DOWN_AFTER: i64 = 3;

/// Health of a backend (never-synced when there is no row yet).
pub fn get(conn: &Connection, backend_id: &str) -> Result<Health> {
    let row = conn
        .query_row(
            "SELECT last_success_ms, last_attempt_ms, last_error, consecutive_failures
             FROM sync_health WHERE backend_id = ?1",
            [backend_id],
            |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((ok, attempt, err, fails)) = row else {
        return Ok(Health {
            state: HealthState::NeverSynced,
            last_success_at: None,
            last_attempt_at: None,
            last_error: None,
            consecutive_failures: 0,
        });
    };
    let state = match (ok, fails) {
        (_, f) if f >= DOWN_AFTER => HealthState::Down,
        (None, f) if f > 0 => HealthState::Down,
        (_, 0) => HealthState::Healthy,
        _ => HealthState::Degraded,
    };
    Ok(Health {
        state,
        last_success_at: ok.map(from_ms),
        last_attempt_at: attempt.map(from_ms),
        last_error: err,
        consecutive_failures: fails,
    })
}

/// Records a successful sync.
pub fn record_success(conn: &Connection, backend_id: &str, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_health (backend_id, last_success_ms, last_attempt_ms, consecutive_failures)
         VALUES (?1, ?2, ?2, 0)
         ON CONFLICT(backend_id) DO UPDATE SET last_success_ms = ?2, last_attempt_ms = ?2,
             consecutive_failures = 0, last_error = NULL, last_error_code = NULL",
        params![backend_id, to_ms(at)],
    )?;
    Ok(())
}

/// Records a failed sync with its error.
pub fn record_failure(
    conn: &Connection,
    backend_id: &str,
    at: DateTime<Utc>,
    code: &str,
    message: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_health (backend_id, last_attempt_ms, last_error, last_error_code,
             consecutive_failures) VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT(backend_id) DO UPDATE SET last_attempt_ms = ?2, last_error = ?3,
             last_error_code = ?4, consecutive_failures = consecutive_failures + 1",
        params![backend_id, to_ms(at), message, code],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, backends};

    #[test]
    fn health_moves_from_healthy_to_degraded_to_down() -> Result<()> {
        let store = Store::open_in_memory()?;
        let b = backends::upsert(
            store.conn(),
            "a",
            "http://127.0.0.1:1",
            "countersign",
            false,
        )?;
        let c = store.conn();
        assert_eq!(get(c, &b.backend_id)?.state, HealthState::NeverSynced);
        record_success(c, &b.backend_id, Utc::now())?;
        assert_eq!(get(c, &b.backend_id)?.state, HealthState::Healthy);
        record_failure(
            c,
            &b.backend_id,
            Utc::now(),
            "backend_unreachable",
            "refused",
        )?;
        assert_eq!(get(c, &b.backend_id)?.state, HealthState::Degraded);
        record_failure(
            c,
            &b.backend_id,
            Utc::now(),
            "backend_unreachable",
            "refused",
        )?;
        record_failure(
            c,
            &b.backend_id,
            Utc::now(),
            "backend_unreachable",
            "refused",
        )?;
        let h = get(c, &b.backend_id)?;
        assert_eq!(h.state, HealthState::Down);
        assert_eq!(h.last_error.as_deref(), Some("refused"));
        assert!(h.last_success_at.is_some());
        Ok(())
    }
}
