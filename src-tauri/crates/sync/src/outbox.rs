//! Delivering queued decisions and rollbacks: each is sent with its idempotency key until the
//! backend answers. A backend that is down leaves the entry queued ("waiting to send"); a
//! conflict (decided elsewhere, expired) refreshes the action from the backend and says so.

use crate::client::Client;
use crate::error::SyncError;
use chrono::Utc;
use countersign_core::PendingAction;
use countersign_store::outbox::{self, EntryState};
use countersign_store::{Store, actions, audit};
use reqwest::Method;
use serde::Serialize;
use std::path::Path;

/// What one delivery pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Accepted by the backend.
    pub delivered: u32,
    /// Refused as already decided or expired.
    pub conflicts: u32,
    /// Refused as invalid or not allowed.
    pub rejected: u32,
    /// Still waiting (backend unreachable, or held until the other decisions of a batch are in).
    pub waiting: u32,
    /// Of those waiting, entries newly held back on purpose, or whose hold changed (a LangGraph
    /// batched interrupt waiting for its other requests' decisions): the console shows why.
    pub held: u32,
    /// Why entries are still waiting.
    pub last_error: Option<String>,
}

/// Percent-encodes one path segment.
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs `f` on a fresh store connection on a blocking thread (one store use between awaits).
pub fn blocking<R: Send + 'static>(
    path: &Path,
    f: impl FnOnce(&mut Store) -> Result<R, SyncError> + Send + 'static,
) -> impl std::future::Future<Output = Result<R, SyncError>> {
    let path = path.to_path_buf();
    async move {
        tokio::task::spawn_blocking(move || {
            let mut s = Store::open(&path)?;
            f(&mut s)
        })
        .await
        .map_err(|e| SyncError::Protocol(format!("store task failed: {e}")))?
    }
}

/// Sends every queued entry of a backend, oldest first. Stops at the first entry the backend
/// cannot be reached for (the rest stay queued, in order).
pub async fn deliver(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
) -> Result<DeliveryReport, SyncError> {
    let id = backend_id.to_string();
    let entries = blocking(store_path, move |s| Ok(outbox::queued(s.conn(), &id)?)).await?;
    let mut report = DeliveryReport::default();
    for (i, e) in entries.iter().enumerate() {
        let path = match e.op.as_str() {
            "rollback" => format!("/v1/actions/{}/rollback", segment(&e.action_id)),
            _ => format!("/v1/actions/{}/decision", segment(&e.action_id)),
        };
        let body =
            serde_json::to_vec(&e.body).map_err(|err| SyncError::Protocol(err.to_string()))?;
        let result = client.send(Method::POST, &path, &[], Some(&body)).await;
        let (state, response, error) = match result {
            Ok(bytes) => {
                let v: serde_json::Value =
                    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
                (EntryState::Delivered, v, None)
            }
            Err(err @ SyncError::Status { status: 409, .. }) => (
                EntryState::Conflict,
                serde_json::json!({"code": err.code(), "message": err.to_string()}),
                Some(err.to_string()),
            ),
            Err(
                err @ (SyncError::Status {
                    status: 400 | 403 | 404 | 422,
                    ..
                }
                | SyncError::Forbidden(_)),
            ) => (
                EntryState::Rejected,
                serde_json::json!({"code": err.code(), "message": err.to_string()}),
                Some(err.to_string()),
            ),
            Err(err) => {
                let (eid, msg) = (e.id, err.to_string());
                blocking(store_path, move |s| {
                    Ok(outbox::attempt_failed(s.conn(), eid, &msg)?)
                })
                .await?;
                report.waiting = (entries.len() - i) as u32;
                report.last_error = Some(err.to_string());
                tracing::warn!(action = %e.action_id, error = %err, "decision waiting to send");
                return Ok(report);
            }
        };
        // The action as the backend now has it: from the answer, or fetched after a conflict.
        let fresh: Option<PendingAction> = match state {
            EntryState::Delivered => serde_json::from_value(response["action"].clone()).ok(),
            _ => {
                let p = format!("/v1/actions/{}", segment(&e.action_id));
                match client.send(Method::GET, &p, &[], None).await {
                    Ok(b) => serde_json::from_slice(&b).ok(),
                    Err(_) => None,
                }
            }
        };
        match state {
            EntryState::Delivered => report.delivered += 1,
            EntryState::Conflict => report.conflicts += 1,
            _ => report.rejected += 1,
        }
        let (entry, bid) = (e.clone(), backend_id.to_string());
        blocking(store_path, move |s| {
            let now = Utc::now();
            let tx = s.write()?;
            outbox::answered(&tx, entry.id, state, &response, error.as_deref(), now)?;
            if let Some(a) = &fresh {
                actions::upsert(&tx, &bid, a)?;
            }
            audit::append(
                &tx,
                &entry.actor,
                countersign_core::audit::kinds::DECISION_DELIVERY,
                &format!("{bid}/{}", entry.action_id),
                serde_json::json!({
                    "op": entry.op,
                    "idempotency_key": entry.idempotency_key,
                    "outcome": match state { EntryState::Delivered => "delivered", EntryState::Conflict => "conflict", _ => "rejected" },
                    "error": error,
                    "replayed": response.get("replayed").cloned().unwrap_or(serde_json::Value::Null),
                    "action_status": fresh.as_ref().map(|a| a.status.as_str()),
                }),
                now,
            )?;
            tx.commit().map_err(countersign_store::StoreError::from)?;
            Ok(())
        })
        .await?;
    }
    Ok(report)
}
