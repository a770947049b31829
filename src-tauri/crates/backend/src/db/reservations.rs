//! Budget reservations: an agent asks before spending, the hard caps the console edits are
//! checked against what runs spent plus what live reservations hold, and the reservation is
//! taken in the same transaction as the check, so agents racing one cap never exceed it.
//! Unsettled reservations stop holding money when they expire. A reservation may name its run
//! (at reserve or settle): once a run with that id is reported, the run's own record counts
//! and the run's reservations no longer do, and several reservations of one run count as one
//! run against a run-count cap, so a run is never counted twice (once as a run and once as a
//! reservation, or once per reservation). On PostgreSQL the check and the insert run under
//! one advisory lock ([`LOCK`]), so server processes sharing the database take turns too.

use super::load_budgets;
use super::sql::{Conn, Sql, args, for_update, lock_key};
use crate::Error;
use crate::generate::period_bounds;
use chrono::{DateTime, Duration, Utc};
use countersign_core::{Budget, BudgetScope, Enforcement, Micros, Period, ScopeKind};

/// The lock reservations and cap edits take turns under.
pub(crate) const LOCK: &str = "countersign:budget";

/// What an agent asks to spend.
#[derive(Clone, Debug)]
pub(crate) struct Ask<'a> {
    /// The asking agent.
    pub agent: &'a str,
    /// Workflow.
    pub workflow: &'a str,
    /// Team, if any.
    pub team: Option<&'a str>,
    /// User.
    pub user_id: &'a str,
    /// Estimated cost.
    pub estimate: Micros,
    /// Estimated tool calls.
    pub tool_calls: u32,
    /// The run the spend is for, if the agent names it.
    pub run_id: Option<&'a str>,
    /// How long the reservation holds unless settled.
    pub ttl: Duration,
}

/// The answer to a reservation request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Reserved under this id until `expires_at`.
    Allowed {
        /// Reservation id.
        reservation_id: String,
        /// When it stops holding money unless settled.
        expires_at: DateTime<Utc>,
    },
    /// A hard cap refused it.
    Stopped(Stop),
}

/// The cap that stopped a request and by how much.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stop {
    /// The cap.
    pub budget_id: String,
    /// `max_cost_micros`, `max_runs` or `max_tool_calls`.
    pub limit: &'static str,
    /// The limit's value (micros for cost).
    pub max: i64,
    /// Already used in the period (spent + held), same unit.
    pub used: i64,
    /// Asked for, same unit.
    pub requested: i64,
    /// The cap's period.
    pub period: Period,
}

/// Whether a cap's scope covers an ask.
fn covers(scope: &BudgetScope, ask: &Ask<'_>) -> bool {
    let v = scope.value.as_deref();
    match scope.kind {
        ScopeKind::Backend => true,
        ScopeKind::Workflow => v == Some(ask.workflow),
        ScopeKind::Team => v.is_some() && v == ask.team,
        ScopeKind::User => v == Some(ask.user_id),
    }
}

/// The column and value that select a cap's scope in `runs` and `reservations`.
fn scope_filter(scope: &BudgetScope) -> (&'static str, String) {
    match scope.kind {
        // A text literal on both sides: `1 = '1'` would be false in SQLite.
        ScopeKind::Backend => ("CAST('all' AS TEXT)", "all".into()),
        ScopeKind::Workflow => ("workflow", scope.value.clone().unwrap_or_default()),
        ScopeKind::Team => ("team", scope.value.clone().unwrap_or_default()),
        ScopeKind::User => ("user_id", scope.value.clone().unwrap_or_default()),
    }
}

/// Which reservations still count against a cap (SQL condition): held and unexpired, or
/// settled, and in both cases only while no run with their run id has been reported.
const LIVE: &str = "((state = 'held' AND expires_ms > ?4) OR state = 'settled')
               AND (run_id IS NULL OR run_id NOT IN (SELECT run_id FROM runs))";

/// Cost and run count used in `[from, to)` under a cap's scope: runs that started then, plus
/// reservations taken then that still count ([`LIVE`]); the reservations of one run count as
/// one run.
fn used(
    c: &mut dyn Sql,
    b: &Budget,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(i64, i64), Error> {
    let (col, val) = scope_filter(&b.scope);
    let runs = c
        .row(
            &format!(
                "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT), COUNT(*) FROM runs
                 WHERE started_ms >= ?1 AND started_ms < ?2 AND {col} = ?3"
            ),
            args![from.timestamp_millis(), to.timestamp_millis(), val],
        )?
        .unwrap_or_default();
    let held = c.row(
        &format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'held' THEN estimate_micros ELSE final_micros END), 0) AS BIGINT),
                    CAST(COUNT(DISTINCT run_id) + COALESCE(SUM(CASE WHEN run_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM reservations
             WHERE created_ms >= ?1 AND created_ms < ?2 AND {col} = ?3 AND {LIVE}"
        ),
        args![
            from.timestamp_millis(),
            to.timestamp_millis(),
            val,
            now.timestamp_millis()
        ],
    )?
    .unwrap_or_default();
    Ok((runs.int(0)? + held.int(0)?, runs.int(1)? + held.int(1)?))
}

/// Whether run `run_id` already counts as a run under a cap's scope in `[from, to)`: reported
/// then, or named by a reservation taken then that still counts.
fn run_counted(
    c: &mut dyn Sql,
    b: &Budget,
    run_id: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let (col, val) = scope_filter(&b.scope);
    let n = c.int(
        &format!(
            "SELECT (SELECT COUNT(*) FROM runs
                     WHERE run_id = ?5 AND started_ms >= ?1 AND started_ms < ?2 AND {col} = ?3)
                  + (SELECT COUNT(*) FROM reservations
                     WHERE run_id = ?5 AND created_ms >= ?1 AND created_ms < ?2 AND {col} = ?3
                       AND {LIVE})"
        ),
        args![
            from.timestamp_millis(),
            to.timestamp_millis(),
            val,
            now.timestamp_millis(),
            run_id
        ],
    )?;
    Ok(n > 0)
}

/// Cost and tool calls run `run_id` already used (for per-run caps): its reported record once
/// reported, else what its reservations that still count hold.
fn run_used(c: &mut dyn Sql, run_id: &str, now: DateTime<Utc>) -> Result<(i64, i64), Error> {
    if let Some(json) = c.text("SELECT json FROM runs WHERE run_id = ?1", args![run_id])? {
        let run: countersign_core::Run = serde_json::from_str(&json)?;
        return Ok((run.cost_micros.0, run.tool_calls.len() as i64));
    }
    let r = c.row(
        "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'held' THEN estimate_micros ELSE final_micros END), 0) AS BIGINT),
                CAST(COALESCE(SUM(tool_calls), 0) AS BIGINT)
         FROM reservations
         WHERE run_id = ?1 AND ((state = 'held' AND expires_ms > ?2) OR state = 'settled')",
        args![run_id, now.timestamp_millis()],
    )?;
    match r {
        Some(r) => Ok((r.int(0)?, r.int(1)?)),
        None => Ok((0, 0)),
    }
}

/// The first hard cap that refuses `ask` at `now`, if any.
fn first_stop(
    c: &mut dyn Sql,
    budgets: &[Budget],
    ask: &Ask<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Stop>, Error> {
    for b in budgets {
        if b.enforcement != Enforcement::Hard || !covers(&b.scope, ask) {
            continue;
        }
        let l = &b.limits;
        let stop = |limit, max: i64, used: i64, requested: i64| Stop {
            budget_id: b.budget_id.clone(),
            limit,
            max,
            used,
            requested,
            period: b.period,
        };
        if b.period == Period::Run {
            // What the named run already used counts with the ask (a run reported, or its
            // earlier reservations); an unnamed ask is a run of its own.
            let (cost, calls) = match ask.run_id {
                Some(id) => run_used(c, id, now)?,
                None => (0, 0),
            };
            if let Some(m) = l.max_tool_calls
                && calls + i64::from(ask.tool_calls) > i64::from(m)
            {
                return Ok(Some(stop(
                    "max_tool_calls",
                    i64::from(m),
                    calls,
                    i64::from(ask.tool_calls),
                )));
            }
            if let Some(m) = l.max_cost_micros
                && cost.saturating_add(ask.estimate.0) > m.0
            {
                return Ok(Some(stop("max_cost_micros", m.0, cost, ask.estimate.0)));
            }
            continue;
        }
        if let Some(m) = l.max_tool_calls
            && ask.tool_calls > m
        {
            return Ok(Some(stop(
                "max_tool_calls",
                i64::from(m),
                0,
                i64::from(ask.tool_calls),
            )));
        }
        let bounds = period_bounds(b, now);
        let (cost, runs) = used(c, b, bounds.0, bounds.1, now)?;
        // A run already counted (reported, or reserved for before) is not a new run.
        let new_run = match ask.run_id {
            Some(id) => !run_counted(c, b, id, bounds, now)?,
            None => true,
        };
        if let Some(m) = l.max_runs
            && new_run
            && runs + 1 > i64::from(m)
        {
            return Ok(Some(stop("max_runs", i64::from(m), runs, 1)));
        }
        if let Some(m) = l.max_cost_micros
            && cost.saturating_add(ask.estimate.0) > m.0
        {
            return Ok(Some(stop("max_cost_micros", m.0, cost, ask.estimate.0)));
        }
    }
    Ok(None)
}

/// Checks every hard cap covering `ask` and, when none refuses, takes the reservation — both
/// in one transaction that holds the write lock (SQLite: IMMEDIATE) or the budget lock
/// (PostgreSQL) from before the first read, so no other writer can reserve between the check
/// and the insert.
pub(crate) fn reserve(
    conn: &mut Conn<'_>,
    ask: &Ask<'_>,
    reservation_id: &str,
    now: DateTime<Utc>,
) -> Result<Verdict, Error> {
    let mut tx = conn.begin()?;
    lock_key(&mut tx, LOCK)?;
    tx.exec(
        "UPDATE reservations SET state = 'expired' WHERE state = 'held' AND expires_ms <= ?1",
        args![now.timestamp_millis()],
    )?;
    let budgets = load_budgets(&mut tx)?;
    if let Some(stop) = first_stop(&mut tx, &budgets, ask, now)? {
        tx.commit()?;
        return Ok(Verdict::Stopped(stop));
    }
    let expires_at = now + ask.ttl;
    tx.exec(
        "INSERT INTO reservations(reservation_id, agent, workflow, team, user_id, estimate_micros,
                                  tool_calls, created_ms, expires_ms, state, run_id)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'held', ?10)",
        args![
            reservation_id,
            ask.agent,
            ask.workflow,
            ask.team,
            ask.user_id,
            ask.estimate.0,
            i64::from(ask.tool_calls),
            now.timestamp_millis(),
            expires_at.timestamp_millis(),
            ask.run_id
        ],
    )?;
    tx.commit()?;
    Ok(Verdict::Allowed {
        reservation_id: reservation_id.into(),
        expires_at,
    })
}

/// What settling did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Settled now (the reservation had been held, or had expired unsettled).
    Now,
    /// Settled before with the same final cost.
    Replayed,
    /// Settled before with another final cost (given).
    Conflict(Micros),
    /// The reservation was taken for another run (given).
    OtherRun(String),
    /// No such reservation of this agent.
    Unknown,
}

/// Settles an agent's reservation with its final cost (and the run that spent it, if known).
pub(crate) fn settle(
    conn: &mut Conn<'_>,
    agent: &str,
    reservation_id: &str,
    final_cost: Micros,
    run_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Settled, Error> {
    let mut tx = conn.begin()?;
    let sql = format!(
        "SELECT state, final_micros, run_id FROM reservations WHERE reservation_id = ?1 AND agent = ?2{}",
        for_update(&tx)
    );
    let row = match tx.row(&sql, args![reservation_id, agent])? {
        Some(mut r) => Some((r.text(0)?, r.opt_int(1)?, r.opt_text(2)?)),
        None => None,
    };
    let out = match row {
        None => Settled::Unknown,
        Some((_, _, Some(reserved))) if run_id.is_some_and(|r| r != reserved) => {
            Settled::OtherRun(reserved)
        }
        Some((state, Some(f), _)) if state == "settled" => {
            if f == final_cost.0 {
                Settled::Replayed
            } else {
                Settled::Conflict(Micros(f))
            }
        }
        Some(_) => {
            tx.exec(
                "UPDATE reservations SET state = 'settled', final_micros = ?2,
                        run_id = COALESCE(run_id, ?3), settled_at = ?4
                 WHERE reservation_id = ?1",
                args![reservation_id, final_cost.0, run_id, now.to_rfc3339()],
            )?;
            Settled::Now
        }
    };
    tx.commit()?;
    Ok(out)
}
