//! What every connector's sync shares: a store used from blocking threads between network
//! awaits ([`Applier`]), and recording how a sync ended in the backend's health ([`finish`]).

use crate::error::SyncError;
use crate::kit::types::SyncReport;
use chrono::Utc;
use countersign_core::audit::kinds;
use countersign_store::{Store, StoreError, audit, health};
use std::path::{Path, PathBuf};

/// The store a sync writes to, opened on first use and kept open across pages; every use runs
/// on a blocking thread so the async side keeps downloading meanwhile.
pub struct Applier {
    path: PathBuf,
    store: Option<Store>,
}

impl Applier {
    /// An applier of the store at `path` (opened on first use).
    pub fn new(path: &Path) -> Applier {
        Applier {
            path: path.to_path_buf(),
            store: None,
        }
    }

    /// Runs `f` with the store on a blocking thread.
    pub async fn with<R: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<R, SyncError> + Send + 'static,
    ) -> Result<R, SyncError> {
        let store = self.store.take();
        let path = self.path.clone();
        let (store, result) = tokio::task::spawn_blocking(move || {
            let mut store = match store {
                Some(s) => s,
                None => match Store::open(&path) {
                    Ok(s) => s,
                    Err(e) => return (None, Err(SyncError::Store(e))),
                },
            };
            let r = f(&mut store);
            (Some(store), r)
        })
        .await
        .map_err(|e| SyncError::Protocol(format!("store task failed: {e}")))?;
        self.store = store;
        result
    }
}

/// A report for a sync of `backend_id` that has not applied anything yet.
pub fn new_report(backend_id: &str) -> SyncReport {
    SyncReport {
        backend_id: backend_id.to_string(),
        ..Default::default()
    }
}

/// Ends a sync: records success, or the failure with its audit event (committed together), in
/// the backend's health, and returns the report with the error and finish time set. Pages
/// applied before a failure stay applied.
pub async fn finish(
    applier: &mut Applier,
    mut report: SyncReport,
    result: Result<(), SyncError>,
) -> SyncReport {
    let id = report.backend_id.clone();
    let now = Utc::now();
    let outcome = match &result {
        Ok(()) => {
            let id = id.clone();
            applier
                .with(move |s| Ok(health::record_success(s.conn(), &id, now)?))
                .await
        }
        Err(e) => {
            tracing::warn!(backend = %id, code = e.code(), error = %e, "sync failed");
            let (code, msg, id) = (e.code(), e.to_string(), id.clone());
            applier
                .with(move |s| {
                    let tx = s.write()?;
                    health::record_failure(&tx, &id, now, code, &msg)?;
                    let details = serde_json::json!({"code": code, "message": msg});
                    audit::append(&tx, "sync", kinds::SYNC_FAILURE, &id, details, now)?;
                    tx.commit().map_err(StoreError::from)?;
                    Ok(())
                })
                .await
        }
    };
    if let Err(e) = outcome {
        tracing::error!(backend = %id, error = %e, "could not record sync health");
    }
    report.error = result.err().map(|e| e.view());
    report.finished_at = Some(Utc::now());
    report
}
