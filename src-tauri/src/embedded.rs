//! The embedded reference backend in demo mode: started in-process so the app works out of the
//! box with realistic seeded data, over the same HTTP protocol as any other backend.
//!
//! Only a build with the `demo` feature (what `scripts/run.sh` builds) contains it: its demo
//! token holds every role, so a build that does not ask for the demo carries neither.

use std::collections::HashMap;
use std::path::Path;

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

/// Starts the embedded backend with its data under `data_dir`, registers it in the store and
/// keeps its token in `session_tokens` (memory only). `None` when `COUNTERSIGN_EMBEDDED=0`.
/// `COUNTERSIGN_EMBEDDED_TRICKLE` (runs a second) and `COUNTERSIGN_EMBEDDED_SEED_RUNS` (history
/// seeded on first start) override the demo's; the start-up bench seeds 100,000 runs that way.
#[cfg(feature = "demo")]
pub fn start(
    store: &countersign_store::Store,
    data_dir: &Path,
    session_tokens: &mut HashMap<String, String>,
) -> Result<Option<Embedded>, Box<dyn std::error::Error>> {
    if std::env::var("COUNTERSIGN_EMBEDDED").as_deref() == Ok("0") {
        return Ok(None);
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
    let handle = tauri::async_runtime::block_on(countersign_backend::start(config))?;
    tracing::info!(url = %handle.url, "embedded reference backend started");
    let row = countersign_store::backends::upsert_with_id(
        store.conn(),
        BACKEND_ID,
        "Reference backend (embedded)",
        &handle.url,
        "countersign",
        true,
    )?;
    session_tokens.insert(row.backend_id, handle.token.clone());
    Ok(Some(Embedded {
        url: handle.url.clone(),
        _handle: handle,
    }))
}

/// Built without the `demo` feature: there is no embedded backend to start.
#[cfg(not(feature = "demo"))]
pub fn start(
    _store: &countersign_store::Store,
    _data_dir: &Path,
    _session_tokens: &mut HashMap<String, String>,
) -> Result<Option<Embedded>, Box<dyn std::error::Error>> {
    tracing::info!("built without the demo feature: no embedded reference backend");
    Ok(None)
}
