//! The `sources` table: knowledge sources each backend reports.

use crate::error::Result;
use crate::snapshot::{self, Table};
use countersign_core::KnowledgeSource;
use rusqlite::Connection;

const TABLE: Table = Table {
    name: "sources",
    id_col: "source_id",
};

/// Replaces a backend's sources with what it reported; returns whether they changed.
pub fn replace_all(
    conn: &Connection,
    backend_id: &str,
    sources: &[KnowledgeSource],
) -> Result<bool> {
    snapshot::replace(
        conn,
        &TABLE,
        backend_id,
        sources.iter().map(|s| (s.source_id.as_str(), s)),
    )
}

/// Every source, as (backend id, source).
pub fn list(conn: &Connection) -> Result<Vec<(String, KnowledgeSource)>> {
    snapshot::list(conn, &TABLE)
}
