//! Writing an import into the store: a pseudo-backend per source, runs upserted and rejects
//! quarantined in one transaction. Importing the same file again changes nothing.

use crate::{ImportError, PriceTable, identity_keys, import_otlp_json_with};
use chrono::Utc;
use countersign_store::runs::Applied;
use countersign_store::{Store, backends, health, quarantine, runs};
use serde::Serialize;
use std::path::Path;

/// Backend kind of imported sources.
pub const KIND: &str = "otel";

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportCounts {
    /// The pseudo-backend the runs were stored under.
    pub backend_id: String,
    /// Its URL (`http://import.localhost/<source>`).
    pub backend_url: String,
    /// Runs new to the store.
    pub inserted: u64,
    /// Runs that replaced an earlier record.
    pub updated: u64,
    /// Runs the store already had.
    pub unchanged: u64,
    /// Traces refused (each quarantined once).
    pub rejected: u64,
    /// Run ids imported (inserted, updated or unchanged), in file order.
    pub run_ids: Vec<String>,
    /// Warnings from the mapping (models without a price, ...).
    pub warnings: Vec<String>,
}

/// The pseudo-backend URL an import of `source` is stored under.
pub fn source_url(source: &str) -> String {
    format!("http://import.localhost/{}", slug(source))
}

/// A URL path segment from a source name: ASCII letters, digits, `-`, `_`, `.`; the rest `-`.
fn slug(source: &str) -> String {
    let s: String = source
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "import".into() } else { s }
}

/// Imports an OTLP/JSON document under the pseudo-backend `http://import.localhost/<source>`
/// named `name` (the source when empty), recording the time of the import as its last
/// success. User, tenant and session are read with the identity
/// keys the store's settings hold ([`identity_keys::load`]).
pub fn import_bytes(
    store: &mut Store,
    bytes: &[u8],
    source: &str,
    name: &str,
    prices: &PriceTable,
) -> Result<ImportCounts, ImportError> {
    let (keys, _) = identity_keys::load(store.conn())?;
    let result = import_otlp_json_with(bytes, prices, &keys)?;
    let url = source_url(source);
    let name = if name.trim().is_empty() {
        format!("OTel import: {source}")
    } else {
        name.to_string()
    };
    let tx = store.write()?;
    let backend = backends::upsert(&tx, &name, &url, KIND, false)?;
    let now = Utc::now();
    let mut counts = ImportCounts {
        backend_id: backend.backend_id.clone(),
        backend_url: backend.url.clone(),
        warnings: result.warnings,
        ..Default::default()
    };
    for run in &result.runs {
        match runs::upsert(&tx, &backend.backend_id, run, now, backend.freshness_days)? {
            Applied::Inserted => counts.inserted += 1,
            Applied::Updated => counts.updated += 1,
            Applied::Unchanged => counts.unchanged += 1,
        }
        counts.run_ids.push(run.run_id.clone());
    }
    for r in &result.rejected {
        quarantine::insert(&tx, &backend.backend_id, "runs", &r.reason, &r.raw)?;
        counts.rejected += 1;
    }
    // When it was imported (or last received): what the UI says instead of a sync time.
    health::record_success(&tx, &backend.backend_id, now)?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(counts)
}

/// Imports an OTLP/JSON file; the source is the file stem, the name `source_name` (the file
/// name when empty).
pub fn import_file(
    store: &mut Store,
    path: &Path,
    source_name: &str,
    prices: &PriceTable,
) -> Result<ImportCounts, ImportError> {
    let bytes =
        std::fs::read(path).map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let name = if source_name.trim().is_empty() {
        path.file_name()
            .map(|s| format!("OTel import: {}", s.to_string_lossy()))
            .unwrap_or_default()
    } else {
        source_name.to_string()
    };
    import_bytes(store, &bytes, &stem, &name, prices)
}
