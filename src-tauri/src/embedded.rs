//! The embedded reference backend in demo mode: started in-process so the app works out of the
//! box with realistic seeded data, over the same HTTP protocol as any other backend.
//!
//! Only a build with the `demo` feature (what `scripts/run.sh` builds) contains it: its demo
//! token holds every role, so a build that does not ask for the demo carries neither.

use crate::state::AppState;
#[cfg(feature = "demo")]
use crate::state::with_store;
use std::path::Path;
use std::sync::Arc;

/// A running embedded reference backend.
pub struct Embedded {
    /// Its base URL on loopback.
    pub url: String,
    #[cfg(feature = "demo")]
    _handle: countersign_backend::Handle,
}

/// The embedded backend on its way up: launched by `main` before the window, so seeding a
/// fresh demo runs on the other core while the window and its web view start.
pub struct Launch {
    #[cfg(feature = "demo")]
    started: tauri::async_runtime::JoinHandle<Result<countersign_backend::Handle, String>>,
}

/// Console-side id of the embedded backend, stable across launches.
#[cfg(feature = "demo")]
const BACKEND_ID: &str = "embedded";

/// Starts the embedded backend (data under `data_dir`, the store's folder) on the async
/// runtime; `None` when `COUNTERSIGN_EMBEDDED=0`. `COUNTERSIGN_EMBEDDED_TRICKLE` (runs a
/// second) and `COUNTERSIGN_EMBEDDED_SEED_RUNS` (history seeded on first start) override the
/// demo's; the start-up bench seeds 100,000 runs that way.
#[cfg(feature = "demo")]
pub fn launch(data_dir: &Path) -> Option<Launch> {
    if std::env::var("COUNTERSIGN_EMBEDDED").as_deref() == Ok("0") {
        return None;
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
        data_dir: data_dir.join("reference-backend"),
        trickle,
        seed_runs,
        ..demo
    };
    let started = tauri::async_runtime::spawn(async move {
        countersign_backend::start(config)
            .await
            .map_err(|e| e.to_string())
    });
    Some(Launch { started })
}

/// Waits for the launched backend, registers it in the store, keeps its token in the state's
/// session tokens (memory only) and records it in [`AppState::embedded`]. `Ok(false)` when
/// none was launched.
#[cfg(feature = "demo")]
pub async fn register(
    state: &Arc<AppState>,
    launch: Option<Launch>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let Some(launch) = launch else {
        return Ok(false);
    };
    let handle = launch.started.await??;
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
pub fn launch(_data_dir: &Path) -> Option<Launch> {
    tracing::info!("built without the demo feature: no embedded reference backend");
    None
}

/// Built without the `demo` feature: nothing was launched.
#[cfg(not(feature = "demo"))]
pub async fn register(
    _state: &Arc<AppState>,
    _launch: Option<Launch>,
) -> Result<bool, Box<dyn std::error::Error>> {
    Ok(false)
}
