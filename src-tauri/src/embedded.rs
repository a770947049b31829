//! The embedded reference backend in demo mode: started in-process so the app works out of the
//! box with realistic seeded data, over the same HTTP protocol as any other backend.
//!
//! Only a build with the `demo` feature (what `scripts/run.sh` builds) contains it: its demo
//! token holds every role, so a build that does not ask for the demo carries neither.

use crate::state::AppState;
#[cfg(feature = "demo")]
use crate::state::with_store;
use std::sync::Arc;

/// A running embedded reference backend.
pub struct Embedded {
    /// Its base URL on loopback.
    pub url: String,
    #[cfg(feature = "demo")]
    _handle: countersign_backend::Handle,
}

/// Console-side id of the embedded backend, stable across launches.
#[cfg(feature = "demo")]
const BACKEND_ID: &str = "embedded";

/// Starts the embedded backend (data under the store's folder), registers it in the store,
/// keeps its token in the state's session tokens (memory only) and records it in
/// [`AppState::embedded`]. Runs after the window is up, so seeding a fresh demo never holds the
/// first paint; `Ok(false)` when `COUNTERSIGN_EMBEDDED=0`.
/// `COUNTERSIGN_EMBEDDED_TRICKLE` (runs a second) and `COUNTERSIGN_EMBEDDED_SEED_RUNS` (history
/// seeded on first start) override the demo's; the start-up bench seeds 100,000 runs that way.
#[cfg(feature = "demo")]
pub async fn start(state: &Arc<AppState>) -> Result<bool, Box<dyn std::error::Error>> {
    if std::env::var("COUNTERSIGN_EMBEDDED").as_deref() == Ok("0") {
        return Ok(false);
    }
    let demo = countersign_backend::Config::demo();
    let trickle = std::env::var("COUNTERSIGN_EMBEDDED_TRICKLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(demo.trickle);
    let seed_runs = std::env::var("COUNTERSIGN_EMBEDDED_SEED_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(demo.seed_runs);
    let config = countersign_backend::Config {
        listen: ([127, 0, 0, 1], 0).into(),
        data_dir: state.data_dir.join("reference-backend"),
        trickle,
        seed_runs,
        ..demo
    };
    let handle = countersign_backend::start(config).await?;
    tracing::info!(url = %handle.url, "embedded reference backend started");
    let url = handle.url.clone();
    let row = with_store(state, move |s| {
        Ok(countersign_store::backends::upsert_with_id(
            s.conn(),
            BACKEND_ID,
            "Reference backend (embedded)",
            &url,
            "countersign",
            true,
        )?)
    })
    .await
    .map_err(|e| e.message)?;
    state
        .session_tokens
        .lock()
        .map_err(|e| e.to_string())?
        .insert(row.backend_id, handle.token.clone());
    let embedded = Embedded {
        url: handle.url.clone(),
        _handle: handle,
    };
    if state.embedded.set(embedded).is_err() {
        tracing::warn!("embedded reference backend started twice");
    }
    Ok(true)
}

/// Built without the `demo` feature: there is no embedded backend to start.
#[cfg(not(feature = "demo"))]
pub async fn start(_state: &Arc<AppState>) -> Result<bool, Box<dyn std::error::Error>> {
    tracing::info!("built without the demo feature: no embedded reference backend");
    Ok(false)
}
