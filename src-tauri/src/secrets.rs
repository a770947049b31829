//! Where backend tokens are kept: the OS keychain, or — only when the user or CI chooses it
//! with `COUNTERSIGN_SECRET_STORE=file` — a 0600 file in the app-data directory. Never SQLite,
//! never logs.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Storage for backend tokens, keyed by backend id.
pub trait SecretStore: Send + Sync {
    /// A short description for the UI and logs (`OS keychain`, `file …`).
    fn describe(&self) -> String;
    /// The token of a backend, if stored.
    fn get(&self, backend_id: &str) -> Result<Option<String>, String>;
    /// Stores a token.
    fn set(&self, backend_id: &str, token: &str) -> Result<(), String>;
    /// Forgets a token.
    fn delete(&self, backend_id: &str) -> Result<(), String>;
}

/// Picks the store from `COUNTERSIGN_SECRET_STORE` (`keychain`, the default, or `file`).
pub fn from_env(app_data: &std::path::Path) -> Box<dyn SecretStore> {
    match std::env::var("COUNTERSIGN_SECRET_STORE").as_deref() {
        Ok("file") => {
            let path = app_data.join("secrets.json");
            tracing::warn!(path = %path.display(), "backend tokens are kept in a file (COUNTERSIGN_SECRET_STORE=file), not the OS keychain");
            Box::new(FileStore { path })
        }
        _ => Box::new(Keychain),
    }
}

/// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
pub struct Keychain;

const SERVICE: &str = "dev.countersign.console";

impl Keychain {
    fn entry(backend_id: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(SERVICE, backend_id).map_err(|e| keychain_error(&e))
    }
}

fn keychain_error(e: &keyring::Error) -> String {
    format!(
        "OS keychain unavailable ({e}); start a Secret Service (e.g. gnome-keyring) or set \
         COUNTERSIGN_SECRET_STORE=file to keep tokens in a private file"
    )
}

impl SecretStore for Keychain {
    fn describe(&self) -> String {
        "OS keychain".into()
    }
    fn get(&self, backend_id: &str) -> Result<Option<String>, String> {
        match Self::entry(backend_id)?.get_password() {
            Ok(t) => Ok(Some(t)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(&e)),
        }
    }
    fn set(&self, backend_id: &str, token: &str) -> Result<(), String> {
        Self::entry(backend_id)?
            .set_password(token)
            .map_err(|e| keychain_error(&e))
    }
    fn delete(&self, backend_id: &str) -> Result<(), String> {
        match Self::entry(backend_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(&e)),
        }
    }
}

/// Tokens in a JSON file readable only by the user (mode 0600).
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    fn load(&self) -> Result<BTreeMap<String, String>, String> {
        match std::fs::read(&self.path) {
            Ok(b) => {
                serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", self.path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(format!("{}: {e}", self.path.display())),
        }
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), String> {
        use std::io::Write;
        let tmp = self.path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let body = serde_json::to_vec(map).map_err(|e| e.to_string())?;
        let mut f = opts
            .open(&tmp)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        f.write_all(&body)
            .and_then(|()| f.sync_all())
            .map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &self.path).map_err(|e| e.to_string())
    }
}

impl SecretStore for FileStore {
    fn describe(&self) -> String {
        format!(
            "file {} (mode 0600, chosen by COUNTERSIGN_SECRET_STORE=file)",
            self.path.display()
        )
    }
    fn get(&self, backend_id: &str) -> Result<Option<String>, String> {
        Ok(self.load()?.get(backend_id).cloned())
    }
    fn set(&self, backend_id: &str, token: &str) -> Result<(), String> {
        let mut m = self.load()?;
        m.insert(backend_id.to_string(), token.to_string());
        self.save(&m)
    }
    fn delete(&self, backend_id: &str) -> Result<(), String> {
        let mut m = self.load()?;
        m.remove(backend_id);
        self.save(&m)
    }
}
