//! HTTP client of a trace store: Bearer (Phoenix API key) or Basic (Langfuse public:secret)
//! auth, connect and request timeouts, bounded bodies, retries with backoff and jitter that
//! honour Retry-After. The credentials live only in memory here and are never logged.

use base64::Engine;
use countersign_sync::client::{describe, read_bounded};
use countersign_sync::{ClientOptions, SyncError};
use rand::Rng;
use reqwest::{StatusCode, header};
use std::time::Duration;

/// How requests authenticate.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials (a Phoenix without auth).
    #[default]
    None,
    /// `Authorization: Bearer <token>` (a Phoenix API key).
    Bearer(String),
    /// `Authorization: Basic base64(user:password)` (Langfuse public key : secret key).
    Basic {
        /// User name (the Langfuse public key, `pk-lf-…`).
        user: String,
        /// Password (the Langfuse secret key, `sk-lf-…`).
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(<redacted>)",
            Auth::Basic { .. } => "Basic(<redacted>)",
        })
    }
}

impl Auth {
    /// Reads the one secret string stored for a Langfuse backend: `PUBLIC_KEY:SECRET_KEY`
    /// (`pk-lf-…:sk-lf-…`), split at the first `:`. Both halves must be non-empty.
    pub fn langfuse_keys(secret: &str) -> Result<Auth, SyncError> {
        match secret.trim().split_once(':') {
            Some((user, password)) if !user.trim().is_empty() && !password.trim().is_empty() => {
                Ok(Auth::Basic {
                    user: user.trim().to_string(),
                    password: password.trim().to_string(),
                })
            }
            _ => Err(SyncError::Unauthorized(
                "Langfuse credentials must be stored as PUBLIC_KEY:SECRET_KEY (pk-lf-…:sk-lf-…)"
                    .into(),
            )),
        }
    }

    fn header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer(t) => Some(format!("Bearer {t}")),
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
        }
    }
}

/// A connection to one trace store.
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

/// The base URL without a `#fragment` (which only tells backend rows apart, see
/// [`crate::project_of`]) and without a trailing slash.
pub fn base_of(url: &str) -> String {
    let u = url.trim();
    let u = u.split_once('#').map_or(u, |(b, _)| b);
    u.trim_end_matches('/').to_string()
}

impl Client {
    /// A client of the trace store at `base_url` (`http://127.0.0.1:6006`); a `#fragment` in
    /// the URL is dropped.
    pub fn new(base_url: &str, auth: Auth, opts: ClientOptions) -> Result<Client, SyncError> {
        let http = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .user_agent(concat!("countersign/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Protocol(format!("http client: {e}")))?;
        Ok(Client {
            base: base_of(base_url),
            auth,
            http,
            opts,
        })
    }

    /// A Phoenix client: Bearer auth with the API key when there is one.
    pub fn phoenix(
        base_url: &str,
        api_key: Option<String>,
        opts: ClientOptions,
    ) -> Result<Client, SyncError> {
        let auth = match api_key {
            Some(k) if !k.trim().is_empty() => Auth::Bearer(k.trim().to_string()),
            _ => Auth::None,
        };
        Client::new(base_url, auth, opts)
    }

    /// A Langfuse client from the stored secret `PUBLIC_KEY:SECRET_KEY` (Basic auth).
    pub fn langfuse(
        base_url: &str,
        secret: &str,
        opts: ClientOptions,
    ) -> Result<Client, SyncError> {
        Client::new(base_url, Auth::langfuse_keys(secret)?, opts)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn attempt(&self, path: &str, query: &[(&str, String)]) -> Attempt {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .header(header::ACCEPT, "application/json");
        if let Some(h) = self.auth.header() {
            req = req.header(header::AUTHORIZATION, h);
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
        let max = self.opts.max_body_bytes;
        if let Some(len) = resp.content_length()
            && len as usize > max
        {
            return Attempt::Fail(SyncError::Protocol(format!(
                "response of {len} bytes exceeds the {max}-byte limit"
            )));
        }
        let bytes = match read_bounded(resp, max).await {
            Ok(b) => b,
            Err(e @ SyncError::Protocol(_)) => return Attempt::Fail(e),
            Err(e) => return Attempt::Retry(e, None),
        };
        if status.is_success() {
            return Attempt::Done(bytes);
        }
        let detail = excerpt(&bytes);
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

    /// GETs `path` (with `query`), retrying transient failures; returns the body bytes.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<u8>, SyncError> {
        let mut retry = 0;
        loop {
            match self.attempt(path, query).await {
                Attempt::Done(b) => return Ok(b),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, after) => {
                    if retry + 1 >= self.opts.backoff.attempts {
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
}

/// A short excerpt of an error body: `detail` / `message` / `error` of a JSON body, else text.
fn excerpt(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        for k in ["detail", "message", "error"] {
            if let Some(s) = v.get(k).and_then(serde_json::Value::as_str) {
                return s.chars().take(300).collect();
            }
        }
    }
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// Percent-encodes one URL path segment (RFC 3986 unreserved characters kept).
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn langfuse_keys_split_at_the_first_colon_and_never_print() {
        let a = Auth::langfuse_keys(" pk-lf-1:sk-lf-2:x ").expect("two halves");
        match &a {
            Auth::Basic { user, password } => {
                assert_eq!(user, "pk-lf-1");
                assert_eq!(password, "sk-lf-2:x");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(format!("{a:?}"), "Basic(<redacted>)");
        assert_eq!(
            a.header().as_deref(),
            Some("Basic cGstbGYtMTpzay1sZi0yOng=")
        );
        assert!(Auth::langfuse_keys("pk-only").is_err());
        assert!(Auth::langfuse_keys(":sk").is_err());
    }

    #[test]
    fn fragments_and_slashes_leave_the_base() {
        assert_eq!(
            base_of("http://127.0.0.1:6006/#project=evals"),
            "http://127.0.0.1:6006"
        );
        assert_eq!(path_segment("my project/ü"), "my%20project%2F%C3%BC");
    }
}
