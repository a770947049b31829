//! What the app holds while it runs: the store (behind a mutex, used from blocking tasks), the
//! secret store, tokens of this session's embedded backend, and the sync gate.

use crate::embedded::Embedded;
use crate::error::{CmdError, CmdResult};
use crate::secrets::{self, SecretStore};
use countersign_store::Store;
use countersign_sync::Cancel;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Page cache of the UI's store connection, MiB.
const UI_CACHE_MIB: i64 = 16;

/// Shared app state.
pub struct AppState {
    /// The store file's folder (signing key, secrets file, exports).
    pub data_dir: PathBuf,
    /// This installation's audit signing key.
    pub signing_key: countersign_audit::SigningKey,
    /// Path of the store file.
    pub store_path: PathBuf,
    /// The UI's connection to the store. Never held across an `.await`.
    pub store: Mutex<Store>,
    /// Where backend tokens are kept.
    pub secrets: Box<dyn SecretStore>,
    /// Tokens that live only for this session (the embedded backend's).
    pub session_tokens: Mutex<HashMap<String, String>>,
    /// The embedded reference backend, once started and registered
    /// ([`crate::embedded::register`]).
    pub embedded: std::sync::OnceLock<Embedded>,
    /// One sync at a time.
    pub sync_gate: tokio::sync::Mutex<()>,
    /// Cancels the sync in flight.
    pub cancel: Mutex<Cancel>,
    /// Desktop notifications already shown.
    pub announced: crate::announced::Announced,
    /// The OTLP/HTTP trace receiver, when the user enabled it.
    pub receiver: tokio::sync::Mutex<crate::receiver_slot::ReceiverSlot>,
    /// When each native backend is next due for an audit checkpoint.
    pub checkpoints: crate::checkpoints::Schedule,
}

impl AppState {
    /// The folder of the store at `store_path`: the signing key, the secrets file and the
    /// embedded backend's data live there.
    pub fn data_dir(store_path: &std::path::Path) -> PathBuf {
        store_path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Opens the store at `store_path` (`countersign_store::paths::default_store_path`: the file
    /// Tauri's app-data directory names, and the CLI's), picks the secret store and makes sure
    /// this installation's signing key exists and is a trusted key. Needs no window: `main` runs
    /// it on its own thread while Tauri brings the window up.
    pub fn init(store_path: PathBuf) -> Result<AppState, String> {
        Self::open(store_path).map_err(|e| e.to_string())
    }

    fn open(store_path: PathBuf) -> Result<AppState, Box<dyn std::error::Error>> {
        let data_dir = Self::data_dir(&store_path);
        let mut store = Store::open(&store_path)?;
        // The UI's connection lives as long as the app: bounded, so memory stays flat however
        // big the store and however much the views read (`node benches/startup.mjs`). Syncs
        // and the CLI open their own, mapped connections.
        store.bound_memory(UI_CACHE_MIB)?;
        tracing::info!(store = %store_path.display(), "store open");
        let key = countersign_audit::load_or_create_key(&data_dir)?;
        if crate::trust::trust_this_installation(&mut store, &key)? {
            tracing::info!("this installation's signing key is now a trusted key");
        }
        let secrets = secrets::from_env(&data_dir);
        Ok(AppState {
            data_dir,
            signing_key: key,
            store_path,
            store: Mutex::new(store),
            secrets,
            session_tokens: Mutex::new(HashMap::new()),
            embedded: std::sync::OnceLock::new(),
            sync_gate: tokio::sync::Mutex::new(()),
            cancel: Mutex::new(Cancel::default()),
            announced: crate::announced::Announced::default(),
            receiver: tokio::sync::Mutex::default(),
            checkpoints: crate::checkpoints::Schedule::default(),
        })
    }

    /// The folder holding the installation's signing key: the store file's folder.
    pub fn key_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// This installation's signing key (loaded, or created, once at start-up).
    pub fn signing_key(&self) -> CmdResult<countersign_audit::SigningKey> {
        Ok(self.signing_key.clone())
    }

    /// The token for a backend: this session's, else the secret store's.
    pub fn token(&self, backend_id: &str) -> Result<Option<String>, String> {
        if let Some(t) = self
            .session_tokens
            .lock()
            .map_err(|e| e.to_string())?
            .get(backend_id)
        {
            return Ok(Some(t.clone()));
        }
        self.secrets.get(backend_id)
    }
}

/// Runs `f` with the store on a blocking thread.
pub async fn with_store<R: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&mut Store) -> CmdResult<R> + Send + 'static,
) -> CmdResult<R> {
    let st = state.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut store = st
            .store
            .lock()
            .map_err(|e| CmdError::new("internal", e.to_string()))?;
        f(&mut store)
    })
    .await
    .map_err(|e| CmdError::new("internal", e.to_string()))?
}
