//! Where the store lives by default; shared by the app and the CLI so both open the same file.

use std::path::PathBuf;

/// The app's bundle identifier; Tauri's app-data directory is named after it.
pub const APP_IDENTIFIER: &str = "dev.countersign.console";

/// Environment variable that overrides the store path for the app and the CLI.
pub const STORE_ENV: &str = "COUNTERSIGN_STORE";

/// The default store: `$COUNTERSIGN_STORE`, else `<platform data dir>/dev.countersign.console/
/// countersign.db` (on Linux `~/.local/share/...`), the same file the desktop app uses.
pub fn default_store_path() -> PathBuf {
    if let Some(p) = std::env::var_os(STORE_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(APP_IDENTIFIER)
        .join("countersign.db")
}
