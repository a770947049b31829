//! The `backend_outages` table: stretches of consecutive failed syncs per backend, kept by
//! trigger from `sync_health` (migration 0016).

use crate::error::Result;
use crate::health::DOWN_AFTER;
use crate::time::from_ms;
use countersign_core::failure::Outage;
use rusqlite::Connection;

/// A backend's outages, oldest first: stretches of at least [`DOWN_AFTER`] consecutive failed
/// syncs (shorter ones are a degraded backend, not a down one).
pub fn for_backend(conn: &Connection, backend_id: &str) -> Result<Vec<Outage>> {
    let mut st = conn.prepare_cached(
        "SELECT from_ms, until_ms, last_error FROM backend_outages
         WHERE backend_id = ?1 AND failures >= ?2 ORDER BY from_ms",
    )?;
    let rows = st
        .query_map(rusqlite::params![backend_id, DOWN_AFTER], |r| {
            Ok(Outage {
                from: from_ms(r.get(0)?),
                until: r.get::<_, Option<i64>>(1)?.map(from_ms),
                last_error: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, backends, health};
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn three_failures_in_a_row_make_an_outage_closed_by_the_next_success() -> Result<()> {
        let store = Store::open_in_memory()?;
        let c = store.conn();
        let b = backends::upsert(c, "a", "http://127.0.0.1:1", "countersign", false)?;
        let id = b.backend_id.as_str();
        health::record_success(c, id, at("2026-04-15T09:00:00Z"))?;
        // Two failures, then a success: degraded, not down.
        health::record_failure(c, id, at("2026-04-15T09:01:00Z"), "x", "refused")?;
        health::record_failure(c, id, at("2026-04-15T09:02:00Z"), "x", "refused")?;
        health::record_success(c, id, at("2026-04-15T09:03:00Z"))?;
        assert_eq!(for_backend(c, id)?, vec![]);
        for m in 4..=6 {
            let t = at(&format!("2026-04-15T09:0{m}:00Z"));
            health::record_failure(c, id, t, "backend_unreachable", "connection refused")?;
        }
        let open = for_backend(c, id)?;
        assert_eq!(
            open,
            vec![Outage {
                from: at("2026-04-15T09:04:00Z"),
                until: None,
                last_error: Some("connection refused".into()),
            }]
        );
        health::record_success(c, id, at("2026-04-15T09:30:00Z"))?;
        assert_eq!(
            for_backend(c, id)?[0].until,
            Some(at("2026-04-15T09:30:00Z"))
        );
        Ok(())
    }

    #[test]
    fn a_backend_failing_from_its_first_sync_opens_an_outage() -> Result<()> {
        let store = Store::open_in_memory()?;
        let c = store.conn();
        let b = backends::upsert(c, "a", "http://127.0.0.1:1", "countersign", false)?;
        for m in 1..=3 {
            let t = at(&format!("2026-04-15T09:0{m}:00Z"));
            health::record_failure(c, &b.backend_id, t, "x", "down")?;
        }
        let o = for_backend(c, &b.backend_id)?;
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].from, at("2026-04-15T09:01:00Z"));
        Ok(())
    }
}
