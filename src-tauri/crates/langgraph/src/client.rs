//! HTTP client of a LangGraph Server: API key or bearer token, connect and request timeouts,
//! bounded bodies, retries with backoff for reads (never for a resume, which is not idempotent
//! on the server's side: the console's before/after checks make it safe instead).

use crate::wire::{HistoryState, RunInfo, ServerInfo, Thread};
use countersign_sync::client::Retries;
use countersign_sync::{Client, ClientOptions, SyncError};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// How the console authenticates to the server: `ApiKey` (`x-api-key`, LangSmith
/// deployments), `Bearer` (custom auth) or `None` (a local `langgraph dev`).
pub use countersign_sync::client::Auth;

/// A connection to one LangGraph Server.
#[derive(Clone, Debug)]
pub struct LangGraphClient {
    http: Client,
}

/// What `probe` found: the server answers, the credentials work, and which graphs it serves.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProbeInfo {
    /// langgraph-api version, when the server reports it.
    pub api_version: Option<String>,
    /// langgraph (Python) version, when reported.
    pub langgraph_version: Option<String>,
    /// Graph ids of the server's assistants.
    pub graphs: Vec<String>,
}

/// Longest history walked per thread (checkpoints); older steps are left out of the trace.
pub const MAX_HISTORY: usize = 1000;
const HISTORY_PAGE: usize = 100;
/// Most runs of a thread read when looking for the resume that answered an interrupt.
pub const MAX_RUNS: usize = 1000;

impl LangGraphClient {
    /// A client of the server at `base_url` (`http://127.0.0.1:2024`).
    pub fn new(
        base_url: &str,
        auth: Auth,
        opts: ClientOptions,
    ) -> Result<LangGraphClient, SyncError> {
        Ok(LangGraphClient {
            http: Client::with_auth(base_url, auth, opts)?,
        })
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retries: Retries,
    ) -> Result<Vec<u8>, SyncError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        self.http
            .send_with(method, path, &[], body.as_deref(), retries)
            .await
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, SyncError> {
        let bytes = self.send(method, path, body, Retries::Yes).await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    }

    /// `GET /ok`: the server is up.
    pub async fn ok(&self) -> Result<(), SyncError> {
        self.send(Method::GET, "/ok", None, Retries::Yes).await?;
        Ok(())
    }

    /// `GET /info`.
    pub async fn info(&self) -> Result<ServerInfo, SyncError> {
        self.json(Method::GET, "/info", None).await
    }

    /// Graph ids of the server's assistants (`POST /assistants/search`).
    pub async fn graphs(&self) -> Result<Vec<String>, SyncError> {
        let list: Vec<Value> = self
            .json(
                Method::POST,
                "/assistants/search",
                Some(&json!({"limit": 100, "offset": 0})),
            )
            .await?;
        let mut ids: Vec<String> = list
            .iter()
            .filter_map(|a| a.get("graph_id").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// One page of threads of any status, oldest change first (`POST /threads/search` sorted by
    /// `updated_at` ascending), each kept as raw JSON so a bad one can be quarantined alone.
    pub async fn search_threads(
        &self,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Box<serde_json::value::RawValue>>, SyncError> {
        self.json(
            Method::POST,
            "/threads/search",
            Some(&json!({
                "limit": limit,
                "offset": offset,
                "sort_by": "updated_at",
                "sort_order": "asc",
            })),
        )
        .await
    }

    /// Pending-interrupt threads only (`status: interrupted`), newest change first.
    pub async fn interrupted_threads(&self, limit: usize) -> Result<Vec<Thread>, SyncError> {
        self.json(
            Method::POST,
            "/threads/search",
            Some(&json!({"status": "interrupted", "limit": limit, "offset": 0})),
        )
        .await
    }

    /// One thread; `None` when the server does not know it (deleted).
    pub async fn thread(&self, thread_id: &str) -> Result<Option<Thread>, SyncError> {
        let path = format!("/threads/{}", seg(thread_id));
        match self.json(Method::GET, &path, None).await {
            Ok(t) => Ok(Some(t)),
            Err(SyncError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The thread's current state (`GET /threads/{id}/state`).
    pub async fn state(&self, thread_id: &str) -> Result<Value, SyncError> {
        let path = format!("/threads/{}/state", seg(thread_id));
        self.json(Method::GET, &path, None).await
    }

    /// The thread's checkpoints, newest first, at most [`MAX_HISTORY`].
    pub async fn history(&self, thread_id: &str) -> Result<Vec<HistoryState>, SyncError> {
        let path = format!("/threads/{}/history", seg(thread_id));
        let mut out: Vec<HistoryState> = Vec::new();
        loop {
            let mut body = json!({"limit": HISTORY_PAGE});
            if let Some(last) = out.last() {
                body["before"] = json!({"configurable": {"checkpoint_id": last.id()}});
            }
            let page: Vec<HistoryState> = self.json(Method::POST, &path, Some(&body)).await?;
            let full = page.len() >= HISTORY_PAGE;
            let before = out.len();
            for s in page {
                if !out.iter().any(|o| o.id() == s.id()) {
                    out.push(s);
                }
            }
            if !full || out.len() == before || out.len() >= MAX_HISTORY {
                out.truncate(MAX_HISTORY);
                return Ok(out);
            }
        }
    }

    /// The thread's runs, oldest first, at most [`MAX_RUNS`].
    pub async fn runs(&self, thread_id: &str) -> Result<Vec<RunInfo>, SyncError> {
        let mut out: Vec<RunInfo> = Vec::new();
        loop {
            let path = format!(
                "/threads/{}/runs?limit=100&offset={}",
                seg(thread_id),
                out.len()
            );
            let page: Vec<RunInfo> = self.json(Method::GET, &path, None).await?;
            let n = page.len();
            out.extend(page);
            if n < 100 || out.len() >= MAX_RUNS {
                break;
            }
        }
        out.sort_by(|a, b| {
            (a.created_at, &a.run_id)
                .partial_cmp(&(b.created_at, &b.run_id))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(out)
    }

    /// Starts a run that resumes the thread with `resume` (`POST /threads/{id}/runs` with
    /// `command.resume`), refusing to queue behind a run in progress (`multitask_strategy:
    /// reject`, answered 409). Sent once, never retried: whether an unanswered attempt got
    /// through is found from the run's metadata later.
    pub async fn resume(
        &self,
        thread_id: &str,
        assistant_id: &str,
        resume: &Value,
        metadata: &Value,
    ) -> Result<RunInfo, SyncError> {
        let path = format!("/threads/{}/runs", seg(thread_id));
        let body = json!({
            "assistant_id": assistant_id,
            "command": {"resume": resume},
            "metadata": metadata,
            "multitask_strategy": "reject",
        });
        let bytes = self
            .send(Method::POST, &path, Some(&body), Retries::No)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    }

    /// Waits for a run to finish (`GET /threads/{id}/runs/{run}/join`), within the request
    /// timeout.
    pub async fn join(&self, thread_id: &str, run_id: &str) -> Result<(), SyncError> {
        let path = format!("/threads/{}/runs/{}/join", seg(thread_id), seg(run_id));
        self.send(Method::GET, &path, None, Retries::Yes).await?;
        Ok(())
    }
}

impl LangGraphClient {
    /// The versions of an assistant (`POST /assistants/{id}/versions`), at most 100, as the
    /// server sends them (`version`, `graph_id`, `config`, `context`, ...).
    pub async fn assistant_versions(&self, assistant_id: &str) -> Result<Vec<Value>, SyncError> {
        let path = format!("/assistants/{}/versions", seg(assistant_id));
        self.json(
            Method::POST,
            &path,
            Some(&json!({"limit": 100, "offset": 0})),
        )
        .await
    }

    /// Creates a thread with `metadata` (`POST /threads`); returns its id. Sent once.
    pub async fn create_thread(&self, metadata: &Value) -> Result<String, SyncError> {
        let body = json!({"metadata": metadata});
        let bytes = self
            .send(Method::POST, "/threads", Some(&body), Retries::No)
            .await?;
        let t: Thread = serde_json::from_slice(&bytes)
            .map_err(|e| SyncError::Protocol(format!("/threads: {e}")))?;
        if t.thread_id.is_empty() {
            return Err(SyncError::Protocol("/threads: no thread_id".into()));
        }
        Ok(t.thread_id)
    }

    /// Starts a run on a thread (`POST /threads/{id}/runs` with `body`). Sent once.
    pub async fn create_run(&self, thread_id: &str, body: &Value) -> Result<RunInfo, SyncError> {
        let path = format!("/threads/{}/runs", seg(thread_id));
        let bytes = self
            .send(Method::POST, &path, Some(body), Retries::No)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    }

    /// Cancels a run, undoing what it did (`POST .../cancel?action=rollback&wait=true`).
    pub async fn cancel_run(&self, thread_id: &str, run_id: &str) -> Result<(), SyncError> {
        let path = format!(
            "/threads/{}/runs/{}/cancel?action=rollback&wait=true",
            seg(thread_id),
            seg(run_id)
        );
        self.send(Method::POST, &path, None, Retries::Yes).await?;
        Ok(())
    }

    /// Deletes a thread (`DELETE /threads/{id}`); a thread already gone counts as deleted.
    pub async fn delete_thread(&self, thread_id: &str) -> Result<(), SyncError> {
        let path = format!("/threads/{}", seg(thread_id));
        match self.send(Method::DELETE, &path, None, Retries::Yes).await {
            Ok(_) | Err(SyncError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Checks that the server answers and the credentials work; used when a user adds the backend.
pub async fn probe(client: &LangGraphClient) -> Result<ProbeInfo, SyncError> {
    client.ok().await?;
    let info = client.info().await?;
    // /ok and /info may be open even where auth is on; a search needs the credentials.
    let graphs = client.graphs().await?;
    Ok(ProbeInfo {
        api_version: info.version,
        langgraph_version: info.langgraph_py_version,
        graphs,
    })
}

/// Percent-encodes one path segment.
fn seg(s: &str) -> String {
    countersign_sync::outbox::segment(s)
}
