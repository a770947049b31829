//! The backend's own SQLite: runs and actions in change order, decisions, the system-of-record
//! tables writes are executed against, and budgets; what agents report lives in the submodules.
//!
//! Every function here takes a `rusqlite::Connection` and speaks plain SQL (text, integers,
//! `ON CONFLICT`, no SQLite-only types), so a second storage engine is a second implementation
//! of these functions behind the same signatures.

pub(crate) mod agent;
pub(crate) mod keys;
pub(crate) mod reservations;
pub(crate) mod spans;

use crate::Error;
use crate::generate::{self, GenRun, Mode};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{
    ActionStatus, Budget, BudgetLimits, BudgetScope, Enforcement, Micros, PendingAction, Period,
    Run, ScopeKind,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
";

/// Opens (creating if needed) `backend.db` in `data_dir` and applies the schema.
pub(crate) fn open(data_dir: &Path) -> Result<Connection, Error> {
    std::fs::create_dir_all(data_dir)?;
    let conn = Connection::open(data_dir.join("backend.db"))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Pages are served straight from the mapped file rather than copied by read(2) into a
    // small page cache: listing runs is the hot path of every console sync.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;",
    )?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(crate::api::CHECKPOINTS_SCHEMA)?;
    for schema in [
        keys::SCHEMA,
        agent::SCHEMA,
        reservations::SCHEMA,
        spans::SCHEMA,
    ] {
        conn.execute_batch(schema)?;
    }
    let has_budgets: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM meta WHERE key='budgets_seeded')",
        [],
        |r| r.get(0),
    )?;
    if !has_budgets {
        let tx = conn.unchecked_transaction()?;
        replace_budgets(&tx, &default_budgets())?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES('budgets_seeded', '1')",
            [],
        )?;
        tx.commit()?;
    }
    Ok(conn)
}

/// The caps a fresh backend starts with.
pub(crate) fn default_budgets() -> Vec<Budget> {
    let at = generate::base_time() - Duration::days(90);
    vec![
        Budget {
            budget_id: "bud_backend_daily".into(),
            scope: BudgetScope {
                kind: ScopeKind::Backend,
                value: None,
            },
            period: Period::Day,
            time_zone: "UTC".into(),
            limits: BudgetLimits {
                max_cost_micros: Some(Micros::from_usd(25)),
                ..Default::default()
            },
            enforcement: Enforcement::Soft,
            alert_at_percent: 80,
            updated_at: at,
        },
        Budget {
            budget_id: "bud_refund_per_run".into(),
            scope: BudgetScope {
                kind: ScopeKind::Workflow,
                value: Some("refund_request".into()),
            },
            period: Period::Run,
            time_zone: "UTC".into(),
            limits: BudgetLimits {
                max_cost_micros: Some(Micros(30_000)),
                max_tool_calls: Some(6),
                ..Default::default()
            },
            enforcement: Enforcement::Hard,
            alert_at_percent: 80,
            updated_at: at,
        },
    ]
}

pub(crate) fn load_budgets(conn: &Connection) -> Result<Vec<Budget>, Error> {
    let mut st = conn.prepare("SELECT json FROM budgets ORDER BY pos")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for j in rows {
        out.push(serde_json::from_str(&j?)?);
    }
    Ok(out)
}

pub(crate) fn replace_budgets(tx: &Transaction<'_>, budgets: &[Budget]) -> Result<(), Error> {
    tx.execute("DELETE FROM budgets", [])?;
    let mut st = tx.prepare("INSERT INTO budgets(budget_id, pos, json) VALUES(?1, ?2, ?3)")?;
    for (i, b) in budgets.iter().enumerate() {
        st.execute(params![b.budget_id, i as i64, serde_json::to_string(b)?])?;
    }
    Ok(())
}

pub(crate) fn next_seq(conn: &Connection, table: &str) -> Result<i64, Error> {
    let sql = format!("SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}");
    Ok(conn.query_row(&sql, [], |r| r.get(0))?)
}

fn next_index(conn: &Connection) -> Result<u64, Error> {
    let v: i64 = conn.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM runs", [], |r| {
        r.get(0)
    })?;
    Ok(v as u64)
}

pub(crate) fn run_count(conn: &Connection) -> Result<u64, Error> {
    let v: i64 = conn.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
    Ok(v as u64)
}

/// Prepared inserts shared by bulk seeding and live generation.
struct Inserter<'c> {
    run: rusqlite::Statement<'c>,
    action: rusqlite::Statement<'c>,
    ticket: rusqlite::Statement<'c>,
    refund: rusqlite::Statement<'c>,
    crm: rusqlite::Statement<'c>,
    execution: rusqlite::Statement<'c>,
    run_seq: i64,
    action_seq: i64,
}

impl<'c> Inserter<'c> {
    fn new(tx: &'c Connection) -> Result<Self, Error> {
        Ok(Inserter {
            run: tx.prepare(
                "INSERT INTO runs(run_id, seq, idx, workflow, team, user_id, started_ms, cost_micros, json)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            action: tx.prepare(
                "INSERT INTO actions(action_id, seq, run_id, status, expires_ms, json)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            ticket: tx.prepare(
                "INSERT INTO tickets(ticket_id, status, updated_at) VALUES(?1, ?2, ?3)
                 ON CONFLICT(ticket_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            )?,
            refund: tx.prepare(
                "INSERT OR REPLACE INTO refunds(refund_id, action_id, order_id, amount_micros, currency, region, created_at)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            crm: tx.prepare(
                "INSERT INTO crm_fields(record_id, field, value, updated_at) VALUES(?1, ?2, ?3, ?4)
                 ON CONFLICT(record_id, field) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )?,
            execution: tx.prepare(
                "INSERT OR REPLACE INTO executions(action_id, system, record_id, field, before, after)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            run_seq: next_seq(tx, "runs")?,
            action_seq: next_seq(tx, "actions")?,
        })
    }

    fn insert(&mut self, idx: u64, g: &GenRun) -> Result<(), Error> {
        let r = &g.run;
        self.run.execute(params![
            r.run_id,
            self.run_seq,
            idx as i64,
            r.workflow,
            r.team,
            r.user_id,
            r.started_at.timestamp_millis(),
            r.cost_micros.0,
            g.json
        ])?;
        self.run_seq += 1;
        if let Some(a) = &g.action {
            self.action.execute(params![
                a.action_id,
                self.action_seq,
                a.run_id,
                a.status.as_str(),
                a.expires_at.timestamp_millis(),
                serde_json::to_string(a)?
            ])?;
            self.action_seq += 1;
        }
        if let (Some(a), Some(ch)) = (&g.action, &g.execution) {
            let at = a.decided_at.unwrap_or(a.updated_at).to_rfc3339();
            let field = |name: &str| {
                a.fields
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.value.clone())
                    .unwrap_or_default()
            };
            if a.kind == "issue_refund" {
                let amount = Micros::parse_usd(&field("amount")).unwrap_or_default();
                self.refund.execute(params![
                    format!("rf_{}", a.action_id),
                    a.action_id,
                    field("order_id"),
                    amount.0,
                    field("currency"),
                    field("region"),
                    at
                ])?;
            } else {
                self.crm.execute(params![
                    field("record_id"),
                    field("field"),
                    field("value"),
                    at
                ])?;
            }
            self.execution.execute(params![
                a.action_id,
                ch.system,
                ch.record_id,
                ch.field,
                ch.before.to_string(),
                ch.after.to_string()
            ])?;
        }
        if let Some((tid, status)) = &g.ticket {
            self.ticket
                .execute(params![tid, status, r.updated_at.to_rfc3339()])?;
        }
        Ok(())
    }
}

/// Key of an in-memory usage tally: budget id and period start.
type UsageKey = (String, i64);

fn tally(budgets: &[Budget], tallies: &mut HashMap<UsageKey, (i64, u32)>, run: &Run) {
    for b in budgets {
        if b.period == Period::Run || !generate::scope_matches(&b.scope, run) {
            continue;
        }
        let (from, _) = generate::period_bounds(b, run.started_at);
        let e = tallies
            .entry((b.budget_id.clone(), from.timestamp()))
            .or_insert((0, 0));
        e.0 += run.cost_micros.0;
        e.1 += 1;
    }
}

/// Seeds `n` historical runs spread over the 60 days before the base time, in one transaction.
pub(crate) fn seed(conn: &mut Connection, n: u64, seed: u64, hostile: bool) -> Result<u64, Error> {
    let budgets = load_budgets(conn)?;
    let tx = conn.transaction()?;
    {
        let first = next_index(&tx)?;
        let mut ins = Inserter::new(&tx)?;
        let span_ms: i64 = 60 * 24 * 3600 * 1000;
        let begin = generate::base_time() - Duration::milliseconds(span_ms);
        let mut tallies: HashMap<UsageKey, (i64, u32)> = HashMap::new();
        for i in 0..n {
            let idx = first + i;
            let offset = (i as i128 * span_ms as i128 / n.max(1) as i128) as i64;
            let started = begin + Duration::milliseconds(offset);
            let g = {
                let t = &tallies;
                let mut usage = |b: &Budget, from: DateTime<Utc>, _to: DateTime<Utc>| {
                    t.get(&(b.budget_id.clone(), from.timestamp()))
                        .copied()
                        .unwrap_or((0, 0))
                };
                generate::generate(
                    seed,
                    idx,
                    started,
                    Mode::Seeded,
                    hostile,
                    &budgets,
                    &mut usage,
                )
            };
            tally(&budgets, &mut tallies, &g.run);
            ins.insert(idx, &g)?;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// Generates `n` live runs starting now; returns their ids.
/// Adjustments tests can ask of simulated runs.
#[derive(Default)]
pub(crate) struct SimTweak {
    /// Actions expire this many seconds from now.
    pub expires_in_secs: Option<i64>,
    /// Actions carry a look-alike region ("ЕU" with a Cyrillic Е).
    pub homoglyph_region: bool,
    /// The policy maximum on the amount is stated in this currency (e.g. "USD" while the
    /// refund is in EUR): the reviewer must see the maximum could not be compared.
    pub policy_max_currency: Option<String>,
}

pub(crate) fn simulate(
    conn: &mut Connection,
    n: u64,
    seed: u64,
    hostile: bool,
) -> Result<Vec<String>, Error> {
    simulate_with(conn, n, seed, hostile, &SimTweak::default())
}

pub(crate) fn simulate_with(
    conn: &mut Connection,
    n: u64,
    seed: u64,
    hostile: bool,
    tweak: &SimTweak,
) -> Result<Vec<String>, Error> {
    let budgets = load_budgets(conn)?;
    let tx = conn.transaction()?;
    let mut ids = Vec::new();
    {
        let mut ins = Inserter::new(&tx)?;
        let first = next_index(&tx)?;
        for i in 0..n {
            let idx = first + i;
            let started = Utc::now();
            let g = {
                let t: &Connection = &tx;
                let mut usage = |b: &Budget, from: DateTime<Utc>, to: DateTime<Utc>| {
                    period_usage(t, b, from, to).unwrap_or((i64::MAX / 4, u32::MAX))
                };
                generate::generate(
                    seed,
                    idx,
                    started,
                    Mode::Live,
                    hostile,
                    &budgets,
                    &mut usage,
                )
            };
            let mut g = g;
            if let Some(a) = g.action.as_mut() {
                if let Some(secs) = tweak.expires_in_secs {
                    a.expires_at = a.requested_at + Duration::seconds(secs);
                }
                if let (Some(cur), Some(rule)) = (
                    tweak.policy_max_currency.as_ref(),
                    a.field_rules.get_mut("amount"),
                ) {
                    rule.currency = Some(cur.clone());
                }
                if tweak.homoglyph_region {
                    for f in a.fields.iter_mut().filter(|f| f.name == "region") {
                        f.value = "\u{0415}U".into();
                    }
                    if let Some(o) = a
                        .proposed
                        .as_object_mut()
                        .filter(|o| o.contains_key("region"))
                    {
                        o.insert("region".into(), serde_json::json!("\u{0415}U"));
                    }
                }
            }
            ins.insert(idx, &g)?;
            ids.push(g.run.run_id.clone());
        }
    }
    tx.commit()?;
    Ok(ids)
}

fn period_usage(
    conn: &Connection,
    b: &Budget,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, u32), Error> {
    let (col, val) = match b.scope.kind {
        // A text literal on both sides: `1 = '1'` would be false in SQLite.
        ScopeKind::Backend => ("'all'", String::from("all")),
        ScopeKind::Workflow => ("workflow", b.scope.value.clone().unwrap_or_default()),
        ScopeKind::Team => ("team", b.scope.value.clone().unwrap_or_default()),
        ScopeKind::User => ("user_id", b.scope.value.clone().unwrap_or_default()),
    };
    let sql = format!(
        "SELECT COALESCE(SUM(cost_micros), 0), COUNT(*) FROM runs
         WHERE started_ms >= ?1 AND started_ms < ?2 AND {col} = ?3"
    );
    let (c, n): (i64, i64) = conn.query_row(
        &sql,
        params![from.timestamp_millis(), to.timestamp_millis(), val],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((c, n as u32))
}

/// Marks pending actions whose deadline passed as expired (a new change each).
pub(crate) fn expire_due(conn: &mut Connection, now: DateTime<Utc>) -> Result<usize, Error> {
    let tx = conn.transaction()?;
    let due: Vec<(String, String)> = {
        let mut st = tx.prepare(
            "SELECT action_id, json FROM actions WHERE status = 'pending' AND expires_ms <= ?1 ORDER BY seq",
        )?;
        st.query_map([now.timestamp_millis()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let n = due.len();
    for (id, json) in due {
        let mut a: PendingAction = serde_json::from_str(&json)?;
        a.status = ActionStatus::Expired;
        a.revision += 1;
        a.updated_at = now.max(a.expires_at);
        save_action(&tx, &a)?;
        expire_run_of(&tx, &a, now)?;
        let _ = id;
    }
    tx.commit()?;
    Ok(n)
}

pub(crate) fn save_action(conn: &Connection, a: &PendingAction) -> Result<(), Error> {
    let seq = next_seq(conn, "actions")?;
    conn.execute(
        "UPDATE actions SET seq = ?2, status = ?3, json = ?4 WHERE action_id = ?1",
        params![
            a.action_id,
            seq,
            a.status.as_str(),
            serde_json::to_string(a)?
        ],
    )?;
    Ok(())
}

pub(crate) fn save_run(conn: &Connection, r: &Run) -> Result<(), Error> {
    let seq = next_seq(conn, "runs")?;
    conn.execute(
        "UPDATE runs SET seq = ?2, cost_micros = ?3, json = ?4 WHERE run_id = ?1",
        params![r.run_id, seq, r.cost_micros.0, serde_json::to_string(r)?],
    )?;
    Ok(())
}

pub(crate) fn get_json(conn: &Connection, table: &str, id: &str) -> Result<Option<String>, Error> {
    let key = if table == "runs" {
        "run_id"
    } else {
        "action_id"
    };
    let sql = format!("SELECT json FROM {table} WHERE {key} = ?1");
    Ok(conn.query_row(&sql, [id], |r| r.get(0)).optional()?)
}

/// One page of raw JSON items after `after`: (items, last seq, has_more).
pub(crate) fn page(
    conn: &Connection,
    table: &str,
    after: i64,
    limit: usize,
) -> Result<(Vec<String>, i64, bool), Error> {
    let sql = format!("SELECT seq, json FROM {table} WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params![after, (limit + 1) as i64])?;
    let mut items = Vec::with_capacity(limit.min(1024));
    let mut last = after;
    let mut more = false;
    while let Some(row) = rows.next()? {
        if items.len() == limit {
            more = true;
            break;
        }
        last = row.get(0)?;
        items.push(row.get(1)?);
    }
    Ok((items, last, more))
}

/// Bulk seeding entry point (used by [`crate::seed_runs_direct`]).
pub(crate) fn seed_direct(data_dir: &Path, n: u64, seed_value: u64) -> Result<u64, Error> {
    let mut conn = open(data_dir)?;
    // A bigger page cache keeps the index B-trees in memory during a large bulk insert.
    // A rollback journal instead of WAL for the bulk insert: new pages need no journaling,
    // while WAL would write every page twice (log, then checkpoint).
    conn.execute_batch("PRAGMA cache_size = -262144;")?;
    // Best effort: another open connection (a running server) keeps the database in WAL.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .unwrap_or_else(|_| "wal".into());
    let n = seed(&mut conn, n, seed_value, false)?;
    if mode != "wal" {
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    }
    Ok(n)
}

/// Marks the run of an expired action as escalated (a new change of the run). A run an agent
/// reported is the agent's to revise, so it is left as reported.
pub(crate) fn expire_run_of(
    conn: &Connection,
    a: &PendingAction,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if agent::run_owner(conn, &a.run_id)?.is_some() {
        return Ok(());
    }
    let Some(json) = get_json(conn, "runs", &a.run_id)? else {
        return Ok(());
    };
    let Ok(mut run) = serde_json::from_str::<Run>(&json) else {
        return Ok(());
    };
    if run.outcome == countersign_core::Outcome::Pending {
        generate::expire_run(&mut run, a.expires_at, now);
        save_run(conn, &run)?;
    }
    Ok(())
}
