//! Anchoring the audit chain outside the desktop: the chain head goes to each native backend
//! for a checkpoint receipt before each export and at least every
//! `COUNTERSIGN_CHECKPOINT_INTERVAL_S` seconds (default one hour) while the app runs. A failed
//! checkpoint never blocks anything: it is logged, reported, and retried sooner.

use crate::state::{AppState, with_store};
use countersign_connect::{CheckpointOutcome, Kind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Environment variable shortening (or lengthening) the checkpoint interval, in seconds.
pub const INTERVAL_ENV: &str = "COUNTERSIGN_CHECKPOINT_INTERVAL_S";

const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// How often each native backend gets the chain head.
pub fn interval() -> Duration {
    std::env::var(INTERVAL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(DEFAULT_INTERVAL, Duration::from_secs)
}

/// When each backend is next due for a checkpoint (absent: now).
#[derive(Default)]
pub struct Schedule {
    next: Mutex<HashMap<String, Instant>>,
}

impl Schedule {
    fn due(&self, backend_id: &str, now: Instant) -> bool {
        self.next
            .lock()
            .map(|m| m.get(backend_id).is_none_or(|t| *t <= now))
            .unwrap_or(true)
    }

    fn set(&self, backend_id: &str, at: Instant) {
        if let Ok(mut m) = self.next.lock() {
            m.insert(backend_id.to_string(), at);
        }
    }
}

/// Checkpoints every native backend (only those due when `only_due`), one at a time. Returns a
/// warning per backend that failed, naming it; never fails itself.
pub async fn checkpoint_all(state: &Arc<AppState>, only_due: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    let backends =
        match with_store(state, |s| Ok(countersign_store::backends::list(s.conn())?)).await {
            Ok(b) => b,
            Err(e) => return vec![format!("checkpoints skipped: {}", e.message)],
        };
    let native: Vec<_> = backends
        .into_iter()
        .filter(|b| Kind::parse(&b.kind) == Some(Kind::Countersign))
        .filter(|b| !only_due || state.checkpoints.due(&b.backend_id, Instant::now()))
        .collect();
    if native.is_empty() {
        return warnings;
    }
    let key = match state.signing_key() {
        Ok(k) => k,
        Err(e) => return vec![format!("checkpoints skipped: {}", e.message)],
    };
    let every = interval();
    for b in native {
        let token = state.token(&b.backend_id).ok().flatten();
        let result = countersign_connect::checkpoint(&state.store_path, &b, token, &key).await;
        let next = match &result {
            Err(_) => RETRY_AFTER_FAILURE.min(every),
            Ok(_) => every,
        };
        state.checkpoints.set(&b.backend_id, Instant::now() + next);
        match result {
            Ok(CheckpointOutcome::Receipted { receipt, pinned }) => {
                tracing::info!(backend = %b.backend_id, seq = receipt.seq, pinned, "checkpoint receipted");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(backend = %b.backend_id, code = e.code(), error = %e, "checkpoint failed");
                warnings.push(format!("checkpoint with {} failed: {e}", b.name));
            }
        }
    }
    warnings
}
