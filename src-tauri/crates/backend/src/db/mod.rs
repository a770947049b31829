//! The backend's storage: runs and actions in change order, decisions, the system-of-record
//! tables writes are executed against, and budgets; what agents report lives in the submodules.
//!
//! Everything is written once against [`sql::Sql`], which SQLite (one file, the default, what
//! the app embeds) and PostgreSQL (a database several server processes share) both implement;
//! [`Db`] is the engine a server runs on. The engines differ only where they must: schema
//! ([`migrate`]), locking ([`sql::lock_key`], [`sql::for_update`]) and change order ([`page`]).

pub(crate) mod agent;
pub(crate) mod autonomy;
pub(crate) mod evals;
pub(crate) mod keys;
pub(crate) mod migrate;
pub(crate) mod pg;
pub(crate) mod reservations;
pub(crate) mod seeding;
pub(crate) mod spans;
pub(crate) mod sql;
pub(crate) mod webhooks;

pub(crate) use seeding::{SimTweak, seed, simulate, simulate_with};

use crate::{Database, Error};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{
    ActionStatus, Budget, BudgetLimits, BudgetScope, Enforcement, Micros, PendingAction, Period,
    Run, ScopeKind,
};
use sql::{Conn, Engine, Sql, args, for_update};
use std::path::Path;
use std::sync::Mutex;

/// The storage a server runs on.
pub(crate) enum Db {
    /// One SQLite connection, taken in turns.
    Sqlite(Mutex<rusqlite::Connection>),
    /// A pool of PostgreSQL connections.
    Postgres(pg::Pool),
}

/// Connections a server process keeps to PostgreSQL at most.
pub(crate) const PG_POOL_SIZE: u32 = 16;

impl Db {
    /// Opens (creating and migrating if needed) the database.
    pub(crate) fn open(database: &Database) -> Result<Db, Error> {
        Ok(match database {
            Database::Sqlite(path) => Db::Sqlite(Mutex::new(open_sqlite(path)?)),
            Database::Postgres(url) => {
                let pool = pg::pool(url, PG_POOL_SIZE)?;
                let mut conn = pool.get()?;
                migrate::postgres(&mut conn)?;
                drop(conn);
                Db::Postgres(pool)
            }
        })
    }

    /// The engine.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Runs `f` on a connection (blocking: call it from `spawn_blocking`).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Conn<'_>) -> T) -> Result<T, Error> {
        match self {
            Db::Sqlite(m) => {
                let mut c = m
                    .lock()
                    .map_err(|_| Error::Task("database lock poisoned".into()))?;
                Ok(f(&mut Conn::Sqlite(&mut c)))
            }
            Db::Postgres(pool) => {
                let mut c = pool.get()?;
                Ok(f(&mut Conn::Pg(&mut c)))
            }
        }
    }
}

/// Opens (creating if needed) a SQLite file and migrates it.
pub(crate) fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(128);
    // Not memory-mapped: embedded in the app, a mapped database counts every page a sync has
    // read in the app's resident memory (about 465 MiB at 100,000 runs), while serving pages
    // through read(2) costs the backend about 1.0 s of CPU per 100,000 runs synced (0.75 s
    // mapped), and the sync's time is the same.
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
    migrate::sqlite(&mut conn)?;
    Ok(conn)
}

/// The caps a fresh backend starts with.
pub(crate) fn default_budgets() -> Vec<Budget> {
    let at = crate::generate::base_time() - Duration::days(90);
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

/// The caps in force, in their order.
pub(crate) fn load_budgets(c: &mut dyn Sql) -> Result<Vec<Budget>, Error> {
    let mut out = Vec::new();
    for mut r in c.rows("SELECT json FROM budgets ORDER BY pos", args![])? {
        out.push(serde_json::from_str(&r.text(0)?)?);
    }
    Ok(out)
}

/// Replaces every cap (in a transaction of the caller's), taking turns with reservations.
pub(crate) fn replace_budgets(tx: &mut dyn Sql, budgets: &[Budget]) -> Result<(), Error> {
    sql::lock_key(tx, reservations::LOCK)?;
    tx.exec("DELETE FROM budgets", args![])?;
    for (i, b) in budgets.iter().enumerate() {
        tx.exec(
            "INSERT INTO budgets(budget_id, pos, json) VALUES(?1, ?2, ?3)",
            args![b.budget_id, i as i64, serde_json::to_string(b)?],
        )?;
    }
    Ok(())
}

/// The change number the next change of `table` takes on SQLite (`MAX(seq) + 1`, inside the
/// writer's transaction). On PostgreSQL a trigger numbers every change from a sequence and
/// stamps its transaction (see [`page`]), so this is a placeholder (0) it overwrites.
pub(crate) fn next_seq(c: &mut dyn Sql, table: &str) -> Result<i64, Error> {
    match c.engine() {
        Engine::Sqlite => c.int(
            &format!("SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}"),
            args![],
        ),
        Engine::Postgres => Ok(0),
    }
}

/// Marks pending actions whose deadline passed as expired (a new change each). On
/// PostgreSQL the due rows are locked as they are read, and a row another transaction
/// decided or expired meanwhile is re-checked and skipped, so each expires once.
pub(crate) fn expire_due(conn: &mut Conn<'_>, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut tx = conn.begin()?;
    let sql = format!(
        "SELECT json FROM actions WHERE status = 'pending' AND expires_ms <= ?1 ORDER BY seq{}",
        for_update(&tx)
    );
    let due = tx.rows(&sql, args![now.timestamp_millis()])?;
    let n = due.len();
    for mut row in due {
        let mut a: PendingAction = serde_json::from_str(&row.text(0)?)?;
        a.status = ActionStatus::Expired;
        a.revision += 1;
        a.updated_at = now.max(a.expires_at);
        save_action(&mut tx, &a)?;
        expire_run_of(&mut tx, &a, now)?;
    }
    tx.commit()?;
    Ok(n)
}

/// Stores a new state of an action (a new change).
pub(crate) fn save_action(c: &mut dyn Sql, a: &PendingAction) -> Result<(), Error> {
    let seq = next_seq(c, "actions")?;
    c.exec(
        "UPDATE actions SET seq = ?2, status = ?3, json = ?4 WHERE action_id = ?1",
        args![
            a.action_id,
            seq,
            a.status.as_str(),
            serde_json::to_string(a)?
        ],
    )?;
    Ok(())
}

/// Stores a new state of a run (a new change).
pub(crate) fn save_run(c: &mut dyn Sql, r: &Run) -> Result<(), Error> {
    let seq = next_seq(c, "runs")?;
    c.exec(
        "UPDATE runs SET seq = ?2, cost_micros = ?3, json = ?4 WHERE run_id = ?1",
        args![r.run_id, seq, r.cost_micros.0, serde_json::to_string(r)?],
    )?;
    Ok(())
}

/// The stored JSON of run or action `id` (`table` is `runs` or `actions`).
pub(crate) fn get_json(c: &mut dyn Sql, table: &str, id: &str) -> Result<Option<String>, Error> {
    get_json_with(c, table, id, "")
}

/// [`get_json`] that also locks the row until the transaction ends (PostgreSQL), so
/// decisions, results and rollbacks of one action take turns across server processes.
pub(crate) fn get_json_for_update(
    c: &mut dyn Sql,
    table: &str,
    id: &str,
) -> Result<Option<String>, Error> {
    let lock = for_update(c);
    get_json_with(c, table, id, lock)
}

fn get_json_with(
    c: &mut dyn Sql,
    table: &str,
    id: &str,
    suffix: &str,
) -> Result<Option<String>, Error> {
    let key = if table == "runs" {
        "run_id"
    } else {
        "action_id"
    };
    c.text(
        &format!("SELECT json FROM {table} WHERE {key} = ?1{suffix}"),
        args![id],
    )
}

/// The commit-ordered watermark of a change feed on PostgreSQL: the oldest transaction id
/// still running in the reader's snapshot, leaving out transactions that `pg_stat_activity`
/// shows belong to another database of the cluster (they never write these tables, and a
/// long one would otherwise hold every feed back); the snapshot's `xmax` when none runs.
/// Leaving a transaction out only ever follows from its own row in `pg_stat_activity`, so
/// when in doubt it counts (comparisons are on the low 32 bits, which `backend_xid` holds).
const PG_WATERMARK: &str = "(SELECT COALESCE(
        (SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
         WHERE (x::text::bigint & 4294967295) NOT IN (
             SELECT backend_xid::text::bigint FROM pg_stat_activity
             WHERE backend_xid IS NOT NULL AND datname IS NOT NULL
               AND datname <> current_database())),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint))";

/// Where a reader of a change feed is: after the change `seq` of transaction `xid` (`xid` is
/// always 0 on SQLite, whose writers take turns, so change numbers are commit order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The transaction (PostgreSQL).
    pub xid: i64,
    /// The change number.
    pub seq: i64,
}

/// One page of raw JSON items after `after`: (items, cursor after the last, has_more).
///
/// On PostgreSQL change numbers are taken at insert, not at commit, so they alone would let a
/// reader skip a change committed late under a lower number. Rows are served in (transaction
/// id, number) order, and only those whose transaction is older than every transaction of
/// this database still running when the reader's snapshot was taken ([`PG_WATERMARK`]): those
/// are all committed (or rolled back), and every transaction to come has a higher id, so
/// nothing can later appear before a row already served.
pub(crate) fn page(
    c: &mut dyn Sql,
    table: &str,
    after: Cursor,
    limit: usize,
) -> Result<(Vec<String>, Cursor, bool), Error> {
    let rows = match c.engine() {
        Engine::Sqlite => c.rows(
            &format!("SELECT 0, seq, json FROM {table} WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            args![after.seq, (limit + 1) as i64],
        )?,
        Engine::Postgres => c.rows(
            &format!(
                "SELECT xid, seq, json FROM {table}
                 WHERE (xid, seq) > (?1, ?2) AND xid < {PG_WATERMARK}
                 ORDER BY xid, seq LIMIT ?3"
            ),
            args![after.xid, after.seq, (limit + 1) as i64],
        )?,
    };
    let more = rows.len() > limit;
    let mut items = Vec::with_capacity(rows.len().min(limit));
    let mut last = after;
    for mut row in rows.into_iter().take(limit) {
        last = Cursor {
            xid: row.int(0)?,
            seq: row.int(1)?,
        };
        items.push(row.text(2)?);
    }
    Ok((items, last, more))
}

/// Bulk seeding entry point (used by [`crate::seed_runs_direct`]).
pub(crate) fn seed_direct(database: &Database, n: u64, seed_value: u64) -> Result<u64, Error> {
    let Database::Sqlite(path) = database else {
        let db = Db::open(database)?;
        return db.with(|c| seed(c, n, seed_value, false, false, Utc::now()))?;
    };
    let mut conn = open_sqlite(path)?;
    // A bigger page cache keeps the index B-trees in memory during a large bulk insert.
    // A rollback journal instead of WAL for the bulk insert: new pages need no journaling,
    // while WAL would write every page twice (log, then checkpoint).
    conn.execute_batch("PRAGMA cache_size = -262144;")?;
    // Best effort: another open connection (a running server) keeps the database in WAL.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .unwrap_or_else(|_| "wal".into());
    let n = seed(
        &mut Conn::Sqlite(&mut conn),
        n,
        seed_value,
        false,
        false,
        Utc::now(),
    )?;
    if mode != "wal" {
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    }
    Ok(n)
}

/// Marks the run of an expired action as escalated (a new change of the run). A run an agent
/// reported is the agent's to revise, so it is left as reported.
pub(crate) fn expire_run_of(
    c: &mut dyn Sql,
    a: &PendingAction,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if agent::run_owner(c, &a.run_id)?.is_some() {
        return Ok(());
    }
    let Some(json) = get_json(c, "runs", &a.run_id)? else {
        return Ok(());
    };
    let Ok(mut run) = serde_json::from_str::<Run>(&json) else {
        return Ok(());
    };
    if run.outcome == countersign_core::Outcome::Pending {
        crate::generate::expire_run(&mut run, a.expires_at, now);
        save_run(c, &run)?;
    }
    Ok(())
}
