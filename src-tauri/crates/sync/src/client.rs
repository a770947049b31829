//! HTTP client of the backend protocol (`/v1`): bearer auth, connect and read timeouts,
//! bounded bodies, retries with backoff and jitter that honour Retry-After. The other
//! connectors (LangGraph, Phoenix, Langfuse) send their requests through it too, with their own
//! [`Auth`].

use crate::error::SyncError;
use crate::retry::Backoff;
use crate::transport;
use countersign_core::{AutonomySetting, Budget, KnowledgeSource, Whoami, WorkflowAutonomy};
use rand::Rng;
use reqwest::{Method, StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::time::Duration;

/// Limits and timeouts of a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, body included.
    pub request_timeout: Duration,
    /// Largest response body accepted.
    pub max_body_bytes: usize,
    /// Retry policy.
    pub backoff: Backoff,
    /// The admin allowed this backend's credentials over plain http to a host that is not
    /// this machine (see [`crate::transport::require_tls`]). Off by default.
    pub allow_plain_http: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 64 << 20,
            backoff: Backoff::default(),
            allow_plain_http: false,
        }
    }
}

/// A page as it arrives: items kept as raw JSON so each can be judged on its own.
#[derive(Debug, Deserialize)]
pub struct RawPage {
    /// Items in change order.
    pub items: Vec<Box<RawValue>>,
    /// Cursor to resume after this page.
    pub next_cursor: String,
    /// More changes wait.
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

/// How requests authenticate. The secret lives only in memory; `Debug` never prints it.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Bearer <token>` (the native protocol, a Phoenix API key).
    Bearer(String),
    /// `x-api-key: <key>` (LangGraph / LangSmith deployments).
    ApiKey(String),
    /// `Authorization: Basic base64(user:password)` (Langfuse public key : secret key).
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(<redacted>)",
            Auth::ApiKey(_) => "ApiKey(<redacted>)",
            Auth::Basic { .. } => "Basic(<redacted>)",
        })
    }
}

impl Auth {
    fn apply(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::ApiKey(k) => req.header("x-api-key", k),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
        }
    }
}

/// Whether a request that failed in a transient way may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retries {
    /// Idempotent requests: retried with backoff.
    Yes,
    /// Sent once (a LangGraph resume, which the server does not make idempotent).
    No,
}

/// The base URL without a `#fragment` (which only tells backend rows apart) and without a
/// trailing slash.
pub fn base_of(url: &str) -> String {
    let u = url.trim();
    let u = u.split_once('#').map_or(u, |(b, _)| b);
    u.trim_end_matches('/').to_string()
}

/// A connection to one backend. The credentials live only in memory here; never logged.
#[derive(Clone)]
pub struct Client {
    base: String,
    auth: Auth,
    http: reqwest::Client,
    opts: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish()
    }
}

enum Attempt {
    Done(Vec<u8>),
    Retry(SyncError, Option<Duration>),
    Fail(SyncError),
}

impl Client {
    /// A client of the backend at `base_url` (`http://127.0.0.1:8080`) with a bearer token.
    pub fn new(
        base_url: &str,
        token: Option<String>,
        opts: ClientOptions,
    ) -> Result<Client, SyncError> {
        let auth = match token {
            Some(t) => Auth::Bearer(t),
            None => Auth::None,
        };
        Client::with_auth(base_url, auth, opts)
    }

    /// A client of `base_url` (a `#fragment` is dropped) authenticating with `auth`. Refused
    /// ([`SyncError::PlainHttp`]) when a credential would go over plain http to a host that is
    /// not this machine and `opts.allow_plain_http` is off. Redirects are followed only within
    /// the origin of `base_url`.
    pub fn with_auth(base_url: &str, auth: Auth, opts: ClientOptions) -> Result<Client, SyncError> {
        let base = base_of(base_url);
        if !matches!(auth, Auth::None) {
            transport::require_tls(&base, opts.allow_plain_http)?;
        }
        let http = reqwest::Client::builder()
            .redirect(transport::redirect_policy())
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .user_agent(concat!("countersign/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Protocol(format!("http client: {e}")))?;
        Ok(Client {
            base,
            auth,
            http,
            opts,
        })
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Attempt {
        let mut req = self.auth.apply(
            self.http
                .request(method.clone(), format!("{}{path}", self.base))
                .query(query)
                .header(header::ACCEPT, "application/json"),
        );
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
        let location: Option<String> = resp.headers().get(header::LOCATION).map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(200)
                .collect()
        });
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
            // Too large: asking again gets the same answer.
            Err(e @ SyncError::Protocol(_)) => return Attempt::Fail(e),
            Err(e) => return Attempt::Retry(e, None),
        };
        if status.is_success() {
            return Attempt::Done(bytes);
        }
        if status.is_redirection() {
            return Attempt::Fail(self.redirected(status, location.as_deref()));
        }
        let detail = error_detail(&bytes);
        match status {
            StatusCode::UNAUTHORIZED => Attempt::Fail(SyncError::Unauthorized(detail)),
            StatusCode::FORBIDDEN => Attempt::Fail(SyncError::Forbidden(detail)),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => Attempt::Retry(
                SyncError::Status {
                    status: status.as_u16(),
                    detail,
                },
                retry_after,
            ),
            s if s.is_server_error() => Attempt::Retry(
                SyncError::Status {
                    status: s.as_u16(),
                    detail,
                },
                retry_after,
            ),
            s => Attempt::Fail(SyncError::Status {
                status: s.as_u16(),
                detail,
            }),
        }
    }

    /// The error for a redirect the policy did not follow (to another origin, or too many).
    fn redirected(&self, status: StatusCode, location: Option<&str>) -> SyncError {
        SyncError::Redirected(format!(
            "{} answered {} redirecting to {}; redirects are only followed within {} so its \
             credentials never reach another origin — use the final address as the backend URL",
            self.base,
            status.as_u16(),
            countersign_core::text::plain(location.unwrap_or("(no Location)"), 200),
            self.base,
        ))
    }

    /// Sends a request, retrying transient failures, and returns the body bytes. Only
    /// idempotent requests may be retried; the protocol makes decisions idempotent by key.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, SyncError> {
        self.send_with(method, path, query, body, Retries::Yes)
            .await
    }

    /// Sends a request, retried on transient failures only when `retries` says so.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        retries: Retries,
    ) -> Result<Vec<u8>, SyncError> {
        let mut retry = 0;
        loop {
            match self.attempt(&method, path, query, body).await {
                Attempt::Done(b) => return Ok(b),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, after) => {
                    if retries == Retries::No || retry + 1 >= self.opts.backoff.attempts {
                        return Err(e);
                    }
                    let jitter: f64 = rand::rng().random();
                    let wait = self.opts.backoff.delay(retry, after, jitter);
                    tracing::debug!(path, retry, ?wait, error = %e, "retrying");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
            }
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, SyncError> {
        let bytes = self.send(Method::GET, path, query, None).await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    }

    /// Who the token belongs to.
    pub async fn whoami(&self) -> Result<Whoami, SyncError> {
        self.get("/v1/whoami", &[]).await
    }

    /// One page of a stream (`runs` or `actions`) after `cursor`. A body that cannot be read as
    /// a page (cut off mid-way, not JSON) is retried like a dropped connection.
    pub async fn page(
        &self,
        stream: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RawPage, SyncError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let path = format!("/v1/{stream}");
        let mut tries = 0;
        loop {
            let bytes = self.send(Method::GET, &path, &query, None).await?;
            match serde_json::from_slice::<RawPage>(&bytes) {
                Ok(p) => return Ok(p),
                Err(e) if tries + 1 < self.opts.backoff.attempts => {
                    tracing::warn!(path, error = %e, "unreadable page, fetching again");
                    tries += 1;
                }
                Err(e) => return Err(SyncError::Protocol(format!("{path}: unreadable page: {e}"))),
            }
        }
    }

    /// Budgets in force.
    pub async fn budgets(&self) -> Result<Vec<Budget>, SyncError> {
        Ok(self.get::<Items<Budget>>("/v1/budgets", &[]).await?.items)
    }

    /// Replaces the caps the backend enforces and returns what it now has in force.
    pub async fn put_budgets(&self, budgets: &[Budget]) -> Result<Vec<Budget>, SyncError> {
        let body = serde_json::to_vec(&serde_json::json!({ "items": budgets }))
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let bytes = self
            .send(Method::PUT, "/v1/budgets", &[], Some(&body))
            .await?;
        let items: Items<Budget> = serde_json::from_slice(&bytes)
            .map_err(|e| SyncError::Protocol(format!("/v1/budgets: {e}")))?;
        Ok(items.items)
    }

    /// The autonomy level of every workflow with one set (`None`: a backend older than the
    /// endpoint, which enforces no level).
    pub async fn autonomy_levels(&self) -> Result<Option<Vec<WorkflowAutonomy>>, SyncError> {
        match self
            .get::<Items<WorkflowAutonomy>>("/v1/workflows/autonomy", &[])
            .await
        {
            Ok(i) => Ok(Some(i.items)),
            Err(SyncError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets workflow `workflow`'s autonomy level (admin); answers (before, after).
    pub async fn put_autonomy(
        &self,
        workflow: &str,
        setting: &AutonomySetting,
        who: &str,
        justification: Option<&str>,
    ) -> Result<(WorkflowAutonomy, WorkflowAutonomy), SyncError> {
        #[derive(serde::Deserialize)]
        struct Changed {
            before: WorkflowAutonomy,
            after: WorkflowAutonomy,
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "level": setting.level,
            "sample_percent": setting.sample_percent,
            "who": who,
            "justification": justification,
        }))
        .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let path = format!("/v1/workflows/{}/autonomy", urlencoding_path(workflow));
        let bytes = self.send(Method::PUT, &path, &[], Some(&body)).await?;
        let c: Changed = serde_json::from_slice(&bytes)
            .map_err(|e| SyncError::Protocol(format!("{path}: {e}")))?;
        Ok((c.before, c.after))
    }

    /// Connected knowledge sources.
    pub async fn sources(&self) -> Result<Vec<KnowledgeSource>, SyncError> {
        Ok(self
            .get::<Items<KnowledgeSource>>("/v1/sources", &[])
            .await?
            .items)
    }
}

/// Reads a response body of at most `max` bytes; a longer one is refused, one cut off mid-way
/// is reported as unreachable (so it is retried). Shared by every connector's client.
pub async fn read_bounded(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, SyncError> {
    // One allocation for a body of announced length (pages are megabytes).
    let announced = resp.content_length().unwrap_or(0) as usize;
    let mut out = Vec::with_capacity(announced.min(max));
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > max {
                    return Err(SyncError::Protocol(format!(
                        "response exceeds the {max}-byte limit"
                    )));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(SyncError::Unreachable(format!(
                    "body cut off: {}",
                    describe(&e)
                )));
            }
        }
    }
}

/// An HTTP error with its chain of causes (`error sending request: connection refused`).
pub fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// What an error body says: `detail` (problem+json, FastAPI: text or JSON), `message`,
/// `error` or `title` of a JSON body, else the start of the body; at most 300 characters.
fn error_detail(body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(v)) = serde_json::from_slice::<serde_json::Value>(body) {
        for k in ["detail", "message", "error", "title"] {
            match v.get(k) {
                Some(serde_json::Value::String(s)) => return s.chars().take(300).collect(),
                Some(serde_json::Value::Null) | None => {}
                Some(other) => return other.to_string().chars().take(300).collect(),
            }
        }
    }
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// A path segment with everything but unreserved characters percent-encoded.
fn urlencoding_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
