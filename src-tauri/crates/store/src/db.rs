//! Opening the store: pragmas and migrations.

use crate::error::Result;
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};
use std::path::Path;
use std::time::Duration;

/// The schema's migrations, in order. Append only: never edit a released file.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_init.sql")),
        M::up(include_str!("../migrations/0002_audit.sql")),
        M::up(include_str!("../migrations/0003_run_search.sql")),
        M::up(include_str!("../migrations/0004_outbox.sql")),
        M::up(include_str!("../migrations/0005_search_queue.sql")),
        M::up(include_str!("../migrations/0006_connectors.sql")),
        M::up(include_str!("../migrations/0007_audit_trust.sql")),
        M::up(include_str!("../migrations/0008_backend_allow_http.sql")),
        M::up(include_str!("../migrations/0009_review_opens.sql")),
        M::up(include_str!("../migrations/0013_trust.sql")),
        M::up(include_str!("../migrations/0014_trust_indexes.sql")),
        M::up(include_str!("../migrations/0015_failure_review.sql")),
        M::up(include_str!("../migrations/0016_backend_outages.sql")),
        M::up(include_str!("../migrations/0018_trust_rollup.sql")),
    ])
}

/// An open store: one SQLite connection with WAL, foreign keys and a busy timeout, migrated to
/// the latest schema. Open one per thread that needs it; SQLite serialises writers.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if missing) the store file at `path`, creating parent folders.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| crate::StoreError::Invalid(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        // Runs are a few KiB of JSON each: 16 KiB pages keep a run on one page instead of
        // spilling into overflow chains. Only takes effect when the file is created.
        conn.pragma_update(None, "page_size", 32_768)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // 64 MiB page cache: index maintenance on a million-run table stays in memory.
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Reads map the file instead of copying pages through read(2): run lists, details
        // and the existence checks of every synced record.
        conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
        Self::prepare(conn)
    }

    /// A private in-memory store, for tests.
    pub fn open_in_memory() -> Result<Store> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations().to_latest(&mut conn)?;
        Ok(Store { conn })
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
}
