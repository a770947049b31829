//! Opening the store: pragmas and migrations.

use crate::error::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};
use std::path::Path;
use std::time::Duration;

/// The schema's migrations, in order: (number, SQL). Append only: never edit a released file.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_audit.sql")),
    (3, include_str!("../migrations/0003_run_search.sql")),
    (4, include_str!("../migrations/0004_outbox.sql")),
    (5, include_str!("../migrations/0005_search_queue.sql")),
    (6, include_str!("../migrations/0006_connectors.sql")),
    (7, include_str!("../migrations/0007_audit_trust.sql")),
    (8, include_str!("../migrations/0008_backend_allow_http.sql")),
    (9, include_str!("../migrations/0009_review_opens.sql")),
    (13, include_str!("../migrations/0013_trust.sql")),
    (14, include_str!("../migrations/0014_trust_indexes.sql")),
    (15, include_str!("../migrations/0015_failure_review.sql")),
    (16, include_str!("../migrations/0016_backend_outages.sql")),
    (17, include_str!("../migrations/0017_workflow_autonomy.sql")),
    (18, include_str!("../migrations/0018_trust_rollup.sql")),
    (
        19,
        include_str!("../migrations/0019_search_filter_markers.sql"),
    ),
    (22, include_str!("../migrations/0022_golden_sets.sql")),
    (23, include_str!("../migrations/0023_search_vocabulary.sql")),
    (
        24,
        include_str!("../migrations/0024_trust_autonomy_and_indexes.sql"),
    ),
    (
        25,
        include_str!("../migrations/0025_prompt_retrieval_labels.sql"),
    ),
    (
        26,
        include_str!("../migrations/0026_run_writes_without_triggers.sql"),
    ),
    (27, include_str!("../migrations/0027_search_words.sql")),
    (
        28,
        include_str!("../migrations/0028_local_setting_writes.sql"),
    ),
    (
        29,
        include_str!("../migrations/0029_search_words_by_facet.sql"),
    ),
];

/// The schema's migrations as `rusqlite_migration` sees them, for its `validate()` check.
/// Opening a store applies the same list through [`migrate`].
pub fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// The schema version (`PRAGMA user_version`) this build writes: the number of migrations.
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the store to the latest schema, safely when several processes open a new store at
/// once: the version is checked, and if migrations are due they run in one `BEGIN IMMEDIATE`
/// transaction that re-reads the version first, so one process migrates while the others
/// wait (busy timeout) and then find nothing left to do. A store written by a newer build is
/// refused with a sentence saying so.
fn migrate(conn: &mut Connection, path: &str) -> Result<()> {
    let latest = schema_version();
    let version = |c: &Connection| -> Result<i64> {
        Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    };
    let too_new = |found: i64| StoreError::NewerSchema {
        path: path.to_string(),
        found,
        known: latest,
    };
    let v = version(conn)?;
    if v == latest {
        return Ok(());
    }
    if v > latest {
        return Err(too_new(v));
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let v = version(&tx)?;
    if v > latest {
        return Err(too_new(v));
    }
    for (number, sql) in &MIGRATIONS[v as usize..] {
        tx.execute_batch(sql).map_err(|e| {
            StoreError::Migration(format!("migration {number:04} failed: {}", reason(&e)))
        })?;
    }
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(())
}

/// SQLite's reason alone, on one line (rusqlite's message quotes the whole failing SQL).
fn reason(e: &rusqlite::Error) -> String {
    let text = match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        e => e.to_string(),
    };
    text.lines().next().unwrap_or_default().to_string()
}

/// How long a connection waits for another one holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An exclusive advisory lock on `<store>-setup.lock` beside the store, held while a
/// connection is set up. A separate file, because closing any descriptor of the database
/// file itself would drop SQLite's own POSIX locks in this process. When the lock file cannot
/// be made (a read-only folder holding an existing store) set-up goes on unlocked: only a
/// store's creation or migration races, and neither can happen there.
struct SetupLock(Option<std::fs::File>);

impl SetupLock {
    fn take(store: &Path) -> SetupLock {
        let mut name = store.as_os_str().to_owned();
        name.push("-setup.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&name)
            .ok();
        SetupLock(file.filter(|f| f.lock().is_ok()))
    }
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

/// An open store: one SQLite connection with WAL, foreign keys and a busy timeout, migrated to
/// the latest schema. Open one per thread that needs it; SQLite serialises writers.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if missing) the store file at `path`, creating parent folders. Safe
    /// when several processes open the same new store at once (one migrates, the others wait).
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| crate::StoreError::Invalid(format!("{}: {e}", dir.display())))?;
        }
        Self::open_file(path, OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens the store file at `path` only if it exists (for commands that only read): a
    /// mistyped path is an error naming it, and no file or folder is created.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        Self::open_file(path, OpenFlags::empty()).map_err(|e| match e {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::CannotOpen =>
            {
                StoreError::Missing(path.display().to_string())
            }
            e => e,
        })
    }

    fn open_file(path: &Path, create: OpenFlags) -> Result<Store> {
        // SQLite's switch to WAL on a new file does not wait on the busy handler: two
        // processes creating the same store at once fail with "database is locked" (or an
        // I/O error). The whole set-up (WAL, pragmas, migrations) is serialised instead.
        let _setup = SetupLock::take(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | create;
        let conn = Connection::open_with_flags(path, flags)?;
        // Before anything that may wait on another process (the switch to WAL, migrations).
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Runs are a few KiB of JSON each: 32 KiB pages keep a run on one page instead of
        // spilling into overflow chains. Only takes effect when the file is created.
        conn.pragma_update(None, "page_size", 32_768)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // 64 MiB page cache: index maintenance on a million-run table stays in memory.
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Reads map the file instead of copying pages through read(2): run lists, details
        // and the existence checks of every synced record.
        conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
        Self::prepare(conn, &path.display().to_string())
    }

    /// A private in-memory store, for tests.
    pub fn open_in_memory() -> Result<Store> {
        Self::prepare(Connection::open_in_memory()?, ":memory:")
    }

    fn prepare(mut conn: Connection, path: &str) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn, path)?;
        Ok(Store { conn })
    }

    /// Bounds what this connection holds in memory, for one that lives as long as the app: it
    /// reads through SQLite's page cache, at most `cache_mib` MiB, instead of mapping the file.
    /// A mapped file stays resident as far as queries have read it (views over a big store read
    /// most of it), so the app's memory would grow with the store and with use.
    pub fn bound_memory(&self, cache_mib: i64) -> Result<()> {
        self.conn.pragma_update(None, "mmap_size", 0)?;
        self.conn
            .pragma_update(None, "cache_size", -cache_mib * 1024)?;
        Ok(())
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Starts an immediate write transaction (takes the write lock up front, so two writers
    /// never deadlock upgrading a read lock).
    pub fn write(&mut self) -> Result<rusqlite::Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_connection_maps_nothing_and_caches_at_most_what_it_was_given() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = super::Store::open(&dir.path().join("s.db")).expect("store");
        let pragma = |name: &str| -> i64 {
            store
                .conn()
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .expect("pragma")
        };
        assert_eq!(pragma("mmap_size"), 1 << 30);
        store.bound_memory(16).expect("bounded");
        assert_eq!(pragma("mmap_size"), 0);
        assert_eq!(pragma("cache_size"), -16 * 1024);
        // Still a working store.
        assert_eq!(
            crate::runs::count(store.conn(), "none").expect("count"),
            0,
            "queries still answer"
        );
    }

    fn migrations_count() -> i64 {
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .map(|d| d.count() as i64)
            .unwrap_or(0)
    }

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn opens_file_with_wal_and_foreign_keys() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
        let store = Store::open(&dir.path().join("nested/countersign.db"))?;
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
        assert_eq!(version, migrations_count());
        // FTS5 is compiled in (bundled SQLite).
        store
            .conn()
            .execute_batch("CREATE VIRTUAL TABLE t USING fts5(x)")?;
        Ok(())
    }

    /// A store made before migration 0025 holding runs whose bodies name a prompt or a
    /// retrieval label: opening it reads them into the new columns and the configurations.
    #[test]
    fn labels_sent_before_0025_are_read_back_from_the_bodies() -> Result<()> {
        let dir = tmp()?;
        let path = dir.path().join("old.db");
        {
            let mut conn = store_before(&path, 25)?;
            let tx = conn.transaction()?;
            for (id, body, at) in [
                ("r1", r#"{"prompt": "refund-v7", "retrieval": "kb-10"}"#, 1),
                ("r2", r#"{"prompt": "refund-v8"}"#, 2),
                ("r3", r#"{"prompt": 8, "note": "no labels"}"#, 3),
            ] {
                tx.execute(
                    "INSERT INTO runs (backend_id, run_id, revision, tenant, workflow,
                         workflow_version, user_id, model, outcome, decision, cost_micros,
                         latency_ms, tool_calls, policy_failures, citation_warnings,
                         started_at_ms, updated_at_ms, body)
                     VALUES ('b', ?1, 1, 't', 'refunds', 'v3', 'u', 'm1', 'success', '', 0, 1,
                         0, 0, 0, ?2, ?2, ?3)",
                    rusqlite::params![id, at, body],
                )?;
            }
            tx.commit()?;
        }
        let store = Store::open(&path)?;
        let cols: Vec<(String, String, String)> = store
            .conn()
            .prepare("SELECT run_id, prompt, retrieval FROM runs ORDER BY run_id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let own = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            cols,
            vec![
                own("r1", "refund-v7", "kb-10"),
                own("r2", "refund-v8", ""),
                own("r3", "", "")
            ]
        );
        let configs: i64 =
            store
                .conn()
                .query_row("SELECT count(*) FROM workflow_configs", [], |r| r.get(0))?;
        assert_eq!(configs, 3, "one configuration per label set");
        let g = crate::golden::gate(store.conn(), "refunds")?;
        assert_eq!(g.current.map(|c| c.prompt), Some(String::new()));
        assert_eq!(g.previous.map(|c| c.prompt), Some("refund-v8".to_string()));
        Ok(())
    }

    /// A store made before migration 0029 holding runs: the facets' search vocabulary is
    /// not used until the background pass has read those runs in; a new store uses it at once.
    #[test]
    fn runs_stored_before_0029_are_read_into_the_facet_vocabulary() -> Result<()> {
        use crate::search_words;
        assert!(search_words::by_facet_ready(
            Store::open_in_memory()?.conn()
        )?);
        let dir = tmp()?;
        let path = dir.path().join("old.db");
        {
            let mut conn = store_before(&path, 29)?;
            let tx = conn.transaction()?;
            for (id, workflow, body) in [
                ("r1", "kyc", r#"{"inputs": {"doc": "Passport scan"}}"#),
                ("r2", "refunds", r#"{"inputs": {"note": "refund café"}}"#),
                ("r3", "kyc", r#"{"outputs": {"ok": "verified"}}"#),
            ] {
                tx.execute(
                    "INSERT INTO runs (backend_id, run_id, revision, tenant, workflow,
                         workflow_version, user_id, model, outcome, decision, cost_micros,
                         latency_ms, tool_calls, policy_failures, citation_warnings,
                         started_at_ms, updated_at_ms, body)
                     VALUES ('b', ?1, 1, 't', ?2, 'v3', 'u', 'm1', 'success', '', 0, 1,
                         0, 0, 0, 1, 1, ?3)",
                    rusqlite::params![id, workflow, body],
                )?;
            }
            tx.commit()?;
        }
        let mut store = Store::open(&path)?;
        assert!(!search_words::by_facet_ready(store.conn())?);
        let tx = store.write()?;
        assert_eq!(search_words::backfill_by_facet(&tx, 2)?, 2);
        assert!(!search_words::by_facet_ready(&tx)?);
        assert_eq!(search_words::backfill_by_facet(&tx, 2)?, 1);
        assert_eq!(search_words::backfill_by_facet(&tx, 2)?, 0);
        assert!(search_words::by_facet_ready(&tx)?);
        let success = search_words::outcome_facet("success");
        assert!(search_words::in_facet(&tx, &success, "passport")?);
        assert!(!search_words::in_facet(
            &tx,
            &search_words::outcome_facet("fail"),
            "passport"
        )?);
        for (workflow, word, present) in [
            ("kyc", "passport", true),
            ("kyc", "verified", true),
            ("refunds", "passport", false),
            ("refunds", "cafe", true),
        ] {
            assert_eq!(
                search_words::in_facet(&tx, &search_words::workflow_facet(workflow), word)?,
                present,
                "{word} in {workflow}"
            );
        }
        tx.commit()?;
        Ok(())
    }

    /// A store at `path` with the migrations before `migration` applied and backend `b`.
    fn store_before(path: &Path, migration: u32) -> Result<Connection> {
        let before = MIGRATIONS
            .iter()
            .position(|(n, _)| *n == migration)
            .ok_or_else(|| crate::StoreError::Invalid(format!("no migration {migration}")))?;
        let conn = Connection::open(path)?;
        for (_, sql) in &MIGRATIONS[..before] {
            conn.execute_batch(sql)?;
        }
        conn.pragma_update(None, "user_version", before as i64)?;
        conn.execute(
            "INSERT INTO backends (backend_id, name, url, kind, added_at_ms)
             VALUES ('b', 'b', 'http://127.0.0.1:1', 'countersign', 0)",
            [],
        )?;
        Ok(conn)
    }

    fn tmp() -> Result<tempfile::TempDir> {
        tempfile::tempdir().map_err(|e| crate::StoreError::Invalid(e.to_string()))
    }

    #[test]
    fn migration_numbers_match_the_files_in_order() {
        let mut files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
        files.sort();
        let numbers: Vec<u32> = files
            .iter()
            .filter_map(|f| f.get(..4)?.parse().ok())
            .collect();
        let listed: Vec<u32> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, listed);
    }

    /// Many threads, each with its own connection, open the same new store at once: every
    /// open succeeds and the schema is applied once.
    #[test]
    fn concurrent_opens_of_a_new_store_migrate_once() -> Result<()> {
        let dir = tmp()?;
        for round in 0..8 {
            let path = dir.path().join(format!("new-{round}.db"));
            let gate = std::sync::Arc::new(std::sync::Barrier::new(4));
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let (path, gate) = (path.clone(), gate.clone());
                    std::thread::spawn(move || {
                        gate.wait();
                        Store::open(&path).map(|s| {
                            s.conn()
                                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                        })
                    })
                })
                .collect();
            for h in handles {
                let version = h
                    .join()
                    .map_err(|_| crate::StoreError::Invalid("thread panicked".into()))???;
                assert_eq!(version, schema_version());
            }
            let s = Store::open_existing(&path)?;
            let backends_tables: i64 = s.conn().query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'backends'",
                [],
                |r| r.get(0),
            )?;
            assert_eq!(backends_tables, 1);
        }
        Ok(())
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused_in_one_sentence() -> Result<()> {
        let dir = tmp()?;
        let path = dir.path().join("future.db");
        let s = Store::open(&path)?;
        s.conn()
            .pragma_update(None, "user_version", schema_version() + 3)?;
        drop(s);
        let err = Store::open(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("newer Countersign"), "{err}");
        assert!(
            err.contains(&format!("schema version {}", schema_version() + 3)),
            "{err}"
        );
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(!err.contains('\n'), "{err}");
        Ok(())
    }

    #[test]
    fn opening_an_existing_store_never_creates_one() -> Result<()> {
        let dir = tmp()?;
        let path = dir.path().join("mistyped/dir/s.db");
        let err = Store::open_existing(&path).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.starts_with("no store at"), "{err}");
        assert!(!dir.path().join("mistyped").exists());
        // A folder is not a store either.
        assert!(Store::open_existing(dir.path()).is_err());
        Store::open(&dir.path().join("real.db"))?;
        assert!(Store::open_existing(&dir.path().join("real.db")).is_ok());
        Ok(())
    }

    #[test]
    fn a_failing_migration_is_one_line_with_its_number() -> Result<()> {
        let dir = tmp()?;
        let path = dir.path().join("clash.db");
        // A table the first migration creates is already there.
        Connection::open(&path)?.execute_batch("CREATE TABLE backends (x)")?;
        let err = Store::open(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("migration 0001 failed"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        Ok(())
    }
}
