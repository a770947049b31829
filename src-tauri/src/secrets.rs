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
    /// Why the store cannot be used right now (a token file other users may read), if so.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Picks the store from `COUNTERSIGN_SECRET_STORE` (`keychain`, the default, or `file`).
pub fn from_env(app_data: &std::path::Path) -> Box<dyn SecretStore> {
    match std::env::var("COUNTERSIGN_SECRET_STORE").as_deref() {
        Ok("file") => {
            let path = app_data.join("secrets.json");
            tracing::warn!(path = %path.display(), "backend tokens are kept in a file (COUNTERSIGN_SECRET_STORE=file), not the OS keychain");
            let store = FileStore::new(path);
            if let Err(e) = store.check() {
                tracing::error!(error = %e, "token file refused");
            }
            Box::new(store)
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

/// Tokens in a JSON file readable only by the user: written with mode 0600 (set when created,
/// set again and verified after each write), and refused when its mode lets anyone else read
/// or write it.
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store in the file at `path` (created on the first token).
    pub fn new(path: PathBuf) -> FileStore {
        FileStore { path }
    }

    fn load(&self) -> Result<BTreeMap<String, String>, String> {
        use std::io::Read;
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        // The mode of the file opened, not of whatever the path names a moment later.
        let meta = f
            .metadata()
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.refuse_loose(&meta)
            .inspect_err(|e| tracing::error!(error = %e, "token file refused"))?;
        let mut b = Vec::new();
        f.read_to_end(&mut b)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    #[cfg(unix)]
    fn refuse_loose(&self, meta: &std::fs::Metadata) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "token file {} has mode {mode:04o}, so other users could read backend tokens; \
                 it is not used until only you can read it (chmod 600 {})",
                self.path.display(),
                self.path.display()
            ));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn refuse_loose(&self, _meta: &std::fs::Metadata) -> Result<(), String> {
        Ok(())
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), String> {
        use std::io::Write;
        let tmp = self.path.with_extension("tmp");
        let io = |p: &std::path::Path, e: std::io::Error| format!("{}: {e}", p.display());
        // A leftover from an interrupted write keeps its mode when opened: start afresh.
        if let Err(e) = std::fs::remove_file(&tmp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(io(&tmp, e));
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let body = serde_json::to_vec(map).map_err(|e| e.to_string())?;
        let mut f = opts.open(&tmp).map_err(|e| io(&tmp, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The umask may have taken bits off: exactly 0600, before any token is written.
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io(&tmp, e))?;
        }
        f.write_all(&body)
            .and_then(|()| f.sync_all())
            .map_err(|e| io(&tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(|e| io(&self.path, e))?;
        self.verify_written()
    }

    /// After a write: the file is exactly 0600.
    #[cfg(unix)]
    fn verify_written(&self) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode != 0o600 {
            return Err(format!(
                "token file {} was written with mode {mode:04o}, not 0600",
                self.path.display()
            ));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn verify_written(&self) -> Result<(), String> {
        Ok(())
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
    fn check(&self) -> Result<(), String> {
        self.load().map(|_| ())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
    }

    fn chmod(p: &std::path::Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
    }

    #[test]
    fn the_token_file_is_0600_whenever_written() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("secrets.json");
        let store = FileStore::new(path.clone());
        // A leftover temporary file open to everyone does not lend its mode.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, b"{}").expect("leftover");
        chmod(&tmp, 0o666);
        store.set("be-1", "t1").expect("set");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(store.get("be-1").expect("get").as_deref(), Some("t1"));
        // Stricter than 0600 is readable and rewritten as 0600.
        chmod(&path, 0o400);
        store.set("be-2", "t2").expect("set");
        assert_eq!(mode(&path), 0o600);
        store.delete("be-1").expect("delete");
        assert_eq!(mode(&path), 0o600);
        assert!(store.check().is_ok());
    }

    #[test]
    fn a_token_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("secrets.json");
        let store = FileStore::new(path.clone());
        store.set("be-1", "t1").expect("set");
        for loose in [0o644, 0o640, 0o604, 0o660, 0o606] {
            chmod(&path, loose);
            let err = store.get("be-1").expect_err("refused");
            assert!(err.contains(&format!("{loose:04o}")), "{err}");
            assert!(err.contains("chmod 600"), "{err}");
            assert!(store.set("be-2", "t2").is_err(), "not rewritten either");
            assert!(store.check().is_err());
            assert_eq!(mode(&path), loose, "left for the user to fix");
        }
        chmod(&path, 0o600);
        assert_eq!(store.get("be-1").expect("get").as_deref(), Some("t1"));
    }
}
