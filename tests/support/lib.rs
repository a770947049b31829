//! Harness for cross-crate integration tests: a real reference backend on 127.0.0.1 (port 0),
//! a real store file in a temp folder, and the real sync engine between them.

use countersign_backend::{Config, Handle};
use countersign_store::{Store, backends};
use countersign_sync::retry::Backoff;
use countersign_sync::{Cancel, Client, ClientOptions, SyncOptions, SyncReport, sync_backend};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;

/// A backend, a store and the folder holding both.
pub struct Rig {
    /// The running reference backend.
    pub backend: Handle,
    /// Temp folder (backend data in `backend/`, store in `store.db`).
    pub dir: TempDir,
    /// The store file.
    pub store_path: PathBuf,
    /// The backend's id in the store.
    pub backend_id: String,
}

/// Starts a reference backend with `tweak` applied to a fixed-data-set config, and registers
/// it in a fresh store.
pub async fn rig(tweak: impl FnOnce(&mut Config)) -> Rig {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        data_dir: dir.path().join("backend"),
        seed_runs: 120,
        trickle: 0.0,
        ..Default::default()
    };
    tweak(&mut config);
    let backend = countersign_backend::start(config)
        .await
        .expect("backend starts");
    let store_path = dir.path().join("store.db");
    let backend_id = register(&store_path, &backend.url);
    Rig {
        backend,
        dir,
        store_path,
        backend_id,
    }
}

/// Registers a backend URL in the store at `path` and returns its id.
pub fn register(path: &std::path::Path, url: &str) -> String {
    let store = Store::open(path).expect("store opens");
    backends::upsert(store.conn(), "ref", url, "countersign", false)
        .expect("backend registered")
        .backend_id
}

/// Client options that retry quickly, so fault tests stay short.
pub fn fast_retries() -> ClientOptions {
    ClientOptions {
        backoff: Backoff {
            attempts: 30,
            base: Duration::from_millis(5),
            cap: Duration::from_millis(100),
        },
        request_timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

impl Rig {
    /// A client of the backend with the demo token.
    pub fn client(&self, opts: ClientOptions) -> Client {
        Client::new(&self.backend.url, Some(self.backend.token.clone()), opts).expect("client")
    }

    /// One sync with the given page size.
    pub async fn sync(&self, page_size: u32) -> SyncReport {
        let opts = SyncOptions {
            page_size,
            ..Default::default()
        };
        sync_backend(
            &self.store_path,
            &self.backend_id,
            &self.client(fast_retries()),
            &opts,
            &Cancel::default(),
            &|_| {},
        )
        .await
    }

    /// POSTs JSON to the backend with the demo token.
    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        post(&self.backend.url, &self.backend.token, path, body).await
    }

    /// Every run the backend serves, as run id → revision (read independently of the engine).
    pub async fn backend_runs(&self) -> BTreeMap<String, u64> {
        backend_revisions(&self.backend.url, &self.backend.token, "runs", "run_id").await
    }

    /// Every run in the store, as run id → revision.
    pub fn store_runs(&self) -> BTreeMap<String, u64> {
        store_revisions(&self.store_path, "runs", "run_id")
    }
}

/// POSTs JSON with a bearer token; returns status and JSON body.
pub async fn post(
    url: &str,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// GETs JSON with a bearer token.
pub async fn get(url: &str, token: &str, path: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("json body")
}

/// Pages through a stream and returns id → revision of every item that has an id.
pub async fn backend_revisions(
    url: &str,
    token: &str,
    stream: &str,
    id_field: &str,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let page = get(
            url,
            token,
            &format!("/v1/{stream}?limit=1000&cursor={cursor}"),
        )
        .await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for it in &items {
            if let Some(id) = it[id_field].as_str() {
                out.insert(id.to_string(), it["revision"].as_u64().unwrap_or(0));
            }
        }
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        if !page["has_more"].as_bool().unwrap_or(false) || items.is_empty() {
            return out;
        }
    }
}

/// Rows of a store table as id → revision.
pub fn store_revisions(path: &std::path::Path, table: &str, id_col: &str) -> BTreeMap<String, u64> {
    let store = Store::open(path).expect("store opens");
    let mut st = store
        .conn()
        .prepare(&format!("SELECT {id_col}, revision FROM {table}"))
        .expect("query");
    st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("rows read")
}
