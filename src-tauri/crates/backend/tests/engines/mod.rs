//! Runs each test of a file on both storage engines: `on_both!(test_a, test_b)` turns the
//! plain `async fn test_a() -> R` of the file into `sqlite::test_a` and `postgres::test_a`.
//! Servers the test starts through [`configure`] use the engine under test: their SQLite file
//! in the data folder, or a fresh database of the test process's throwaway PostgreSQL cluster
//! (`countersign_pgtest::shared`). The few tests that look into the database directly do it
//! through the helpers here.

#![allow(dead_code)]

use countersign_backend::{Config, Database};

/// The engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// A SQLite file in the server's data folder.
    Sqlite,
    /// A fresh database of the shared throwaway PostgreSQL cluster.
    Postgres,
}

tokio::task_local! {
    /// The engine of the running test.
    pub static ENGINE: Engine;
}

/// The engine of the running test (set by [`on_both!`]).
pub fn engine() -> Engine {
    ENGINE
        .try_with(|e| *e)
        .expect("the test runs inside on_both!, in its own task")
}

/// A new database for the engine under test; `dir` is the server's data folder.
pub fn database(dir: &std::path::Path) -> Database {
    match engine() {
        Engine::Sqlite => Database::in_dir(dir),
        Engine::Postgres => Database::Postgres(
            countersign_pgtest::shared()
                .and_then(|c| c.fresh_database())
                .unwrap_or_else(|e| panic!("PostgreSQL for tests: {e}")),
        ),
    }
}

/// Points `cfg` at a new database of the engine under test (in `cfg.data_dir` for SQLite).
pub fn configure(cfg: &mut Config) {
    cfg.database = Some(database(&cfg.data_dir));
}

/// Runs one statement with one text argument (`?1`) directly on the database, bypassing the
/// server: `sqlite_sql` on SQLite, `pg_sql` on PostgreSQL (`$1`). Returns the rows changed.
pub async fn execute(db: &Database, sqlite_sql: &str, pg_sql: &str, arg: &str) -> u64 {
    let (db, s, p, a) = (
        db.clone(),
        sqlite_sql.to_string(),
        pg_sql.to_string(),
        arg.to_string(),
    );
    tokio::task::spawn_blocking(move || match db {
        Database::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).expect("open the SQLite file");
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .expect("busy timeout");
            conn.execute(&s, [&a]).expect("statement runs") as u64
        }
        Database::Postgres(url) => {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            c.execute(&p, &[&a]).expect("statement runs")
        }
    })
    .await
    .expect("task")
}

/// The integer the query (the same on both engines) answers.
pub async fn query_int(db: &Database, sql: &str) -> i64 {
    let (db, sql) = (db.clone(), sql.to_string());
    tokio::task::spawn_blocking(move || match db {
        Database::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).expect("open the SQLite file");
            conn.query_row(&sql, [], |r| r.get(0)).expect("query runs")
        }
        Database::Postgres(url) => {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            c.query_one(&sql, &[]).expect("query runs").get(0)
        }
    })
    .await
    .expect("task")
}

/// Every byte the database keeps: the SQLite file and its WAL side files, or a `pg_dump`
/// of the PostgreSQL database.
pub async fn stored_bytes(db: &Database) -> Vec<(String, Vec<u8>)> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || match db {
        Database::Sqlite(path) => {
            let mut out = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{}{suffix}", path.display());
                if let Ok(bytes) = std::fs::read(&p) {
                    out.push((p, bytes));
                }
            }
            out
        }
        Database::Postgres(url) => {
            let bin = countersign_pgtest::bin_dir().expect("PostgreSQL binaries");
            let dump = std::process::Command::new(bin.join("pg_dump"))
                .args(["--data-only", &url])
                .output()
                .expect("pg_dump runs");
            assert!(dump.status.success(), "pg_dump failed");
            vec![("pg_dump".to_string(), dump.stdout)]
        }
    })
    .await
    .expect("task")
}

/// Turns `async fn name() -> R` test bodies of the file into a test per engine.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::R {
                    $crate::engines::ENGINE
                        .scope($crate::engines::Engine::Sqlite, super::$name())
                        .await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::R {
                    $crate::engines::ENGINE
                        .scope($crate::engines::Engine::Postgres, super::$name())
                        .await
                }
            )*
        }
    };
}
