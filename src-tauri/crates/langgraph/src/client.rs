//! HTTP client of a LangGraph Server: API key or bearer token, connect and request timeouts,
//! bounded bodies, retries with backoff for reads (never for a resume, which is not idempotent
//! on the server's side: the console's before/after checks make it safe instead).

use crate::wire::{HistoryState, RunInfo, ServerInfo, Thread};
use countersign_sync::client::{describe, read_bounded};
use countersign_sync::{ClientOptions, SyncError};
use rand::Rng;
use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

/// How the console authenticates to the server. The secret lives only in memory and is never
/// logged (`Debug` redacts it).
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials (a local `langgraph dev`).
    #[default]
    None,
    /// `x-api-key: ...` (LangSmith deployments).
    ApiKey(String),
    /// `Authorization: Bearer ...` (custom auth).
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::ApiKey(_) => "ApiKey(<redacted>)",
            Auth::Bearer(_) => "Bearer(<redacted>)",
        })
    }
}

/// A connection to one LangGraph Server.
#[derive(Clone)]
pub struct LangGraphClient {
    base: String,
    auth: Auth,
    http: reqwest::Client,
    opts: ClientOptions,
}

impl std::fmt::Debug for LangGraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangGraphClient")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish()
    }
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

enum Attempt {
    Done(Vec<u8>),
    Retry(SyncError, Option<Duration>),
    Fail(SyncError),
}

/// Whether a failed request may be sent again.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    Yes,
    No,
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
        let http = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .user_agent(concat!("countersign/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Protocol(format!("http client: {e}")))?;
        Ok(LangGraphClient {
            base: base_url.trim().trim_end_matches('/').to_string(),
            auth,
            http,
            opts,
        })
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn attempt(&self, method: &Method, path: &str, body: Option<&[u8]>) -> Attempt {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        match &self.auth {
            Auth::None => {}
            Auth::ApiKey(k) => req = req.header("x-api-key", k),
            Auth::Bearer(t) => req = req.bearer_auth(t),
        }
        if let Some(b) = body {
            req = req
                .header(header::CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(SyncError::Unreachable(describe(&e)), None),
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if let Some(len) = resp.content_length()
            && len as usize > self.opts.max_body_bytes
        {
            return Attempt::Fail(SyncError::Protocol(format!(
                "response of {len} bytes exceeds the {}-byte limit",
                self.opts.max_body_bytes
            )));
        }
        let bytes = match read_bounded(resp, self.opts.max_body_bytes).await {
            Ok(b) => b,
            Err(e @ SyncError::Protocol(_)) => return Attempt::Fail(e),
            Err(e) => return Attempt::Retry(e, None),
        };
        if status.is_success() {
            return Attempt::Done(bytes);
        }
        let detail = detail(&bytes);
        let err = SyncError::Status {
            status: status.as_u16(),
            detail: detail.clone(),
        };
        match status {
            StatusCode::UNAUTHORIZED => Attempt::Fail(SyncError::Unauthorized(detail)),
            StatusCode::FORBIDDEN => Attempt::Fail(SyncError::Forbidden(detail)),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
                Attempt::Retry(err, retry_after)
            }
            s if s.is_server_error() => Attempt::Retry(err, retry_after),
            _ => Attempt::Fail(err),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Vec<u8>, SyncError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let mut n = 0;
        loop {
            match self.attempt(&method, path, body.as_deref()).await {
                Attempt::Done(b) => return Ok(b),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, after) => {
                    if retry == Retry::No || n + 1 >= self.opts.backoff.attempts {
                        return Err(e);
                    }
                    let jitter: f64 = rand::rng().random();
                    let wait = self.opts.backoff.delay(n, after, jitter);
                    tracing::debug!(path, retry = n, ?wait, error = %e, "retrying");
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
            }
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, SyncError> {
        let bytes = self.send(method, path, body, Retry::Yes).await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    }

    /// `GET /ok`: the server is up.
    pub async fn ok(&self) -> Result<(), SyncError> {
        self.send(Method::GET, "/ok", None, Retry::Yes).await?;
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
            .send(Method::POST, &path, Some(&body), Retry::No)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    }

    /// Waits for a run to finish (`GET /threads/{id}/runs/{run}/join`), within the request
    /// timeout.
    pub async fn join(&self, thread_id: &str, run_id: &str) -> Result<(), SyncError> {
        let path = format!("/threads/{}/runs/{}/join", seg(thread_id), seg(run_id));
        self.send(Method::GET, &path, None, Retry::Yes).await?;
        Ok(())
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

/// The server's `detail` (FastAPI/Starlette errors), else a short excerpt of the body.
fn detail(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(d) = v.get("detail")
    {
        return match d.as_str() {
            Some(s) => s.chars().take(300).collect(),
            None => d.to_string().chars().take(300).collect(),
        };
    }
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}
