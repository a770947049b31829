//! Schema migrations of both engines: numbered SQL files under `migrations/<engine>/`,
//! applied in order, each once, in one transaction with the budgets a fresh backend starts
//! with. SQLite tracks the version in `PRAGMA user_version`; PostgreSQL in
//! `schema_migrations`, under an advisory lock so server processes starting together on one
//! database migrate it once.

use super::pg::PgConn;
use super::sql::{Sql, Tx, args};
use crate::Error;

/// One step of the schema.
pub(crate) struct Migration {
    /// Its number, counting from 1.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// The SQL script.
    pub sql: &'static str,
}

/// Both engines' steps from one list of (number, name, file): the file is read from
/// `migrations/sqlite/` for [`SQLITE`] and `migrations/postgres/` for [`POSTGRES`], so the two
/// always have the same numbers and names.
macro_rules! steps {
    ($(($version:literal, $name:literal, $file:literal)),* $(,)?) => {
        /// SQLite's steps.
        pub(crate) const SQLITE: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("migrations/sqlite/", $file)),
        }),*];
        /// PostgreSQL's steps.
        pub(crate) const POSTGRES: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("migrations/postgres/", $file)),
        }),*];
    };
}

steps![
    (1, "init", "0001_init.sql"),
    (2, "agent_hub", "0002_agent_hub.sql"),
    (3, "workflow_autonomy", "0003_workflow_autonomy.sql"),
    (4, "evals", "0004_evals.sql"),
];

/// Refuses a database a newer build migrated.
fn check_known(found: i64, steps: &[Migration]) -> Result<(), Error> {
    let known = steps.last().map_or(0, |m| m.version);
    if found > known {
        return Err(Error::Invalid(format!(
            "the database is at schema version {found}, newer than this build's {known}"
        )));
    }
    Ok(())
}

/// Brings a SQLite database up to date.
pub(crate) fn sqlite(conn: &mut rusqlite::Connection) -> Result<(), Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    check_known(found, SQLITE)?;
    for m in SQLITE.iter().filter(|m| m.version > found) {
        tx.execute_batch(m.sql)?;
        tx.pragma_update(None, "user_version", m.version)?;
    }
    let mut tx = Tx::Sqlite(tx);
    seed_budgets(&mut tx)?;
    tx.commit()
}

/// Key of the advisory lock migrations are applied under.
const MIGRATION_LOCK: i64 = 0x0063_6f75_6e74_6572;

/// Brings a PostgreSQL database up to date.
pub(crate) fn postgres(conn: &mut PgConn) -> Result<(), Error> {
    let (mut tx, cache) = conn.transaction()?;
    tx.batch_execute(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
         CREATE TABLE IF NOT EXISTS schema_migrations(
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());"
    ))?;
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .try_get(0)?;
    check_known(found, POSTGRES)?;
    for m in POSTGRES.iter().filter(|m| m.version > found) {
        tx.batch_execute(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations(version, name) VALUES($1, $2)",
            &[&m.version, &m.name],
        )?;
    }
    let mut tx = Tx::Pg(tx, cache);
    seed_budgets(&mut tx)?;
    tx.commit()
}

/// Puts the default caps in place once in a database's life.
fn seed_budgets(tx: &mut dyn Sql) -> Result<(), Error> {
    let seeded = tx
        .row(
            "SELECT value FROM meta WHERE key = 'budgets_seeded'",
            args![],
        )?
        .is_some();
    if !seeded {
        super::replace_budgets(tx, &super::default_budgets())?;
        tx.exec(
            "INSERT INTO meta(key, value) VALUES('budgets_seeded', '1')",
            args![],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_have_the_same_numbered_steps() {
        let steps = |m: &[Migration]| m.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(steps(SQLITE), steps(POSTGRES));
        // Numbers rise (a number reserved by a branch not merged yet may be missing).
        assert_eq!(SQLITE.first().map(|m| m.version), Some(1));
        assert!(SQLITE.windows(2).all(|w| w[0].version < w[1].version));
    }

    #[test]
    fn sqlite_migrates_once_and_refuses_a_newer_schema() -> Result<(), Error> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        sqlite(&mut conn)?;
        sqlite(&mut conn)?;
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(v, SQLITE.last().map_or(0, |m| m.version));
        let budgets: i64 = conn.query_row("SELECT COUNT(*) FROM budgets", [], |r| r.get(0))?;
        assert_eq!(budgets, 2);
        conn.pragma_update(None, "user_version", 99)?;
        assert!(sqlite(&mut conn).is_err());
        Ok(())
    }

    #[test]
    fn decisions_sent_before_0002_are_not_sent_again() -> Result<(), Error> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        conn.execute_batch(SQLITE[0].sql)?;
        conn.pragma_update(None, "user_version", 1)?;
        conn.execute_batch(
            "INSERT INTO actions(action_id, seq, run_id, status, expires_ms, json)
                 VALUES('act_old', 1, 'r', 'denied', 0, '{}'), ('act_open', 2, 'r', 'pending', 0, '{}');
             INSERT INTO agent_actions(action_id, agent, idempotency_key, request_hash, webhook_url)
                 VALUES('act_old', 'a', 'k1', 'h', 'http://127.0.0.1:1/h'),
                       ('act_open', 'a', 'k2', 'h', 'http://127.0.0.1:1/h');",
        )?;
        sqlite(&mut conn)?;
        let rows: Vec<(String, String, String)> = conn
            .prepare("SELECT action_id, event, state FROM webhook_deliveries")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        assert_eq!(
            rows,
            vec![(
                "act_old".into(),
                "decision.denied".into(),
                "delivered".into()
            )]
        );
        Ok(())
    }
}
