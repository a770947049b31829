//! The embedded reference backend: started in-process so the app works out of the box with
//! realistic seeded data, over the same HTTP protocol as any other backend.

use std::path::Path;

/// A running embedded reference backend.
pub struct Embedded {
    /// Its base URL on loopback.
    pub url: String,
    /// Its demo token (every role); kept in memory only.
    pub token: String,
    _handle: countersign_backend::Handle,
}

impl Embedded {
    /// Console-side id of the embedded backend, stable across launches.
    pub const BACKEND_ID: &'static str = "embedded";

    /// Starts it on a free loopback port with its data in `data_dir`.
    pub async fn start(data_dir: &Path) -> Result<Embedded, Box<dyn std::error::Error>> {
        let trickle = std::env::var("COUNTERSIGN_EMBEDDED_TRICKLE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.2);
        let config = countersign_backend::Config {
            listen: ([127, 0, 0, 1], 0).into(),
            data_dir: data_dir.to_path_buf(),
            trickle,
            ..Default::default()
        };
        let handle = countersign_backend::start(config).await?;
        tracing::info!(url = %handle.url, "embedded reference backend started");
        Ok(Embedded {
            url: handle.url.clone(),
            token: handle.token.clone(),
            _handle: handle,
        })
    }
}
