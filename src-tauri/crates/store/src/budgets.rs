//! The `budgets` table: the caps each backend reports in force.

use crate::error::Result;
use crate::setting_writes;
use crate::snapshot::{self, Table};
use chrono::{DateTime, Utc};
use countersign_core::Budget;
use rusqlite::{Connection, params};

const TABLE: Table = Table {
    name: "budgets",
    id_col: "budget_id",
};

/// Replaces a backend's caps with `budgets`; returns whether they changed.
pub fn replace_all(conn: &Connection, backend_id: &str, budgets: &[Budget]) -> Result<bool> {
    snapshot::replace(
        conn,
        &TABLE,
        backend_id,
        budgets.iter().map(|b| (b.budget_id.as_str(), b)),
    )
}

/// Stores the caps this console just set on a backend (after it confirmed them), and marks
/// the change so a sync snapshot fetched before it does not put the old caps back.
pub fn set_here(
    conn: &Connection,
    backend_id: &str,
    budgets: &[Budget],
    at: DateTime<Utc>,
) -> Result<()> {
    replace_all(conn, backend_id, budgets)?;
    setting_writes::mark(conn, backend_id, setting_writes::BUDGETS, at)
}

/// Replaces a backend's caps with what a sync read at `fetched_at`, unless this console changed
/// them since (then the snapshot may predate the change and is left for the next sync).
/// Returns whether the stored caps changed.
pub fn replace_synced(
    conn: &Connection,
    backend_id: &str,
    budgets: &[Budget],
    fetched_at: DateTime<Utc>,
) -> Result<bool> {
    if setting_writes::changed_since(conn, backend_id, fetched_at)?
        .contains(setting_writes::BUDGETS)
    {
        return Ok(false);
    }
    replace_all(conn, backend_id, budgets)
}

/// Every cap, as (backend id, budget).
pub fn list(conn: &Connection) -> Result<Vec<(String, Budget)>> {
    snapshot::list(conn, &TABLE)
}

/// Spend against one cap in its current period.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(rename = "BudgetSpend")]
pub struct Spend {
    /// Start of the period (for per-run caps: of the 30-day window looked at).
    pub period_start: chrono::DateTime<chrono::Utc>,
    /// End of the period.
    pub period_end: chrono::DateTime<chrono::Utc>,
    /// Cost of runs in scope started in the period.
    pub cost_micros: countersign_core::Micros,
    /// Runs in scope started in the period.
    pub runs: i64,
    /// Runs the backend stopped at a cap.
    pub stopped_runs: i64,
    /// The most expensive single run (what a per-run cap is measured against).
    pub max_run_cost_micros: countersign_core::Micros,
    /// Spend at period end if the burn rate so far continues (calendar periods only).
    pub forecast_micros: Option<countersign_core::Micros>,
    /// Spend (or, per run, the largest run) as a share of the cost limit, in percent.
    pub used_percent: Option<f64>,
}

/// Spend against `b` for runs of `backend_id` as of `now`.
pub fn spend(
    conn: &Connection,
    backend_id: &str,
    b: &Budget,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Spend> {
    use countersign_core::{Micros, Period, ScopeKind};
    let (start, end) = countersign_core::budget::period_bounds(b, now)
        .unwrap_or((now - chrono::Duration::days(30), now));
    let (col, val) = match (b.scope.kind, b.scope.value.as_deref()) {
        (ScopeKind::Workflow, Some(v)) => ("workflow", v),
        (ScopeKind::Team, Some(v)) => ("team", v),
        (ScopeKind::User, Some(v)) => ("user_id", v),
        _ => ("''", ""),
    };
    let (cost, runs, stopped, max): (i64, i64, i64, i64) = conn.query_row(
        &format!(
            "SELECT coalesce(sum(cost_micros), 0), count(*), coalesce(sum(outcome = 'budget_stopped'), 0),
                    coalesce(max(cost_micros), 0)
             FROM runs WHERE backend_id = ?1 AND started_at_ms >= ?2 AND started_at_ms < ?3 AND {col} = ?4"
        ),
        params![backend_id, start.timestamp_millis(), end.timestamp_millis(), val],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let elapsed = (now.min(end) - start).num_milliseconds().max(1);
    let total = (end - start).num_milliseconds();
    let forecast = (b.period != Period::Run)
        .then(|| Micros((i128::from(cost) * i128::from(total) / i128::from(elapsed)) as i64));
    let measured = if b.period == Period::Run { max } else { cost };
    let used_percent = b
        .limits
        .max_cost_micros
        .filter(|m| m.0 > 0)
        .map(|m| measured as f64 * 100.0 / m.0 as f64);
    Ok(Spend {
        period_start: start,
        period_end: end,
        cost_micros: Micros(cost),
        runs,
        stopped_runs: stopped,
        max_run_cost_micros: Micros(max),
        forecast_micros: forecast,
        used_percent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use countersign_core::{BudgetLimits, BudgetScope, Enforcement, Micros, Period, ScopeKind};

    fn cap(id: &str, dollars: i64) -> Budget {
        Budget {
            budget_id: id.into(),
            scope: BudgetScope {
                kind: ScopeKind::Backend,
                value: None,
            },
            period: Period::Day,
            time_zone: "UTC".into(),
            limits: BudgetLimits {
                max_cost_micros: Some(Micros(dollars * 1_000_000)),
                ..Default::default()
            },
            enforcement: Enforcement::Hard,
            alert_at_percent: 80,
            updated_at: "2026-11-01T00:00:00Z".parse().expect("time"),
        }
    }

    fn caps(c: &Connection) -> Result<Vec<Budget>> {
        Ok(list(c)?.into_iter().map(|(_, b)| b).collect())
    }

    #[test]
    fn a_sync_snapshot_older_than_caps_set_here_leaves_them() -> Result<()> {
        let s = Store::open_in_memory()?;
        let c = s.conn();
        let b =
            crate::backends::upsert(c, "b", "http://localhost:1", "countersign", false)?.backend_id;
        let t = Utc::now();
        assert!(replace_synced(c, &b, &[cap("day", 10)], t)?);
        assert!(
            !replace_synced(c, &b, &[cap("day", 10)], t)?,
            "same caps: no change"
        );
        // Finance sets $50 here; a sync that read the backend just before puts back nothing.
        let set_at = t + chrono::Duration::milliseconds(20);
        set_here(c, &b, &[cap("day", 50)], set_at)?;
        assert!(!replace_synced(c, &b, &[cap("day", 10)], set_at)?);
        assert_eq!(caps(c)?, vec![cap("day", 50)]);
        // A snapshot read after the change replaces as usual, including removing a cap.
        let later = set_at + chrono::Duration::milliseconds(1);
        assert!(replace_synced(c, &b, &[], later)?);
        assert!(caps(c)?.is_empty());
        Ok(())
    }
}
