//! HTTP client of a trace store: Bearer (Phoenix API key) or Basic (Langfuse public:secret)
//! auth over the sync crate's client (timeouts, bounded bodies, retries with backoff and jitter
//! that honour Retry-After). The credentials live only in memory here and are never logged.

use countersign_sync::{ClientOptions, SyncError};
use reqwest::Method;

/// How requests authenticate (`Bearer` for a Phoenix API key, `Basic` for Langfuse keys).
pub use countersign_sync::client::Auth;
/// The base URL without a `#fragment` (which only tells backend rows apart, see
/// [`crate::project_of`]) and without a trailing slash.
pub use countersign_sync::client::base_of;
/// Percent-encodes one URL path segment (RFC 3986 unreserved characters kept).
pub(crate) use countersign_sync::outbox::segment as path_segment;

/// Reads the one secret string stored for a Langfuse backend: `PUBLIC_KEY:SECRET_KEY`
/// (`pk-lf-…:sk-lf-…`), split at the first `:`. Both halves must be non-empty.
pub fn langfuse_auth(secret: &str) -> Result<Auth, SyncError> {
    match secret.trim().split_once(':') {
        Some((user, password)) if !user.trim().is_empty() && !password.trim().is_empty() => {
            Ok(Auth::Basic {
                user: user.trim().to_string(),
                password: password.trim().to_string(),
            })
        }
        _ => Err(SyncError::Unauthorized(
            "Langfuse credentials must be stored as PUBLIC_KEY:SECRET_KEY (pk-lf-…:sk-lf-…)".into(),
        )),
    }
}

/// Reads the one secret string stored for an MLflow server: `USER:PASSWORD` (split at the first
/// `:`) is Basic auth, as MLflow's basic-auth app takes it; anything else is a Bearer token
/// (`MLFLOW_TRACKING_TOKEN`, a reverse proxy's token); nothing is no auth.
pub fn mlflow_auth(secret: Option<&str>) -> Auth {
    let Some(secret) = secret.map(str::trim).filter(|s| !s.is_empty()) else {
        return Auth::None;
    };
    match secret.split_once(':') {
        Some((user, password)) if !user.trim().is_empty() && !password.is_empty() => Auth::Basic {
            user: user.trim().to_string(),
            password: password.to_string(),
        },
        _ => Auth::Bearer(secret.to_string()),
    }
}

/// A connection to one trace store.
#[derive(Clone, Debug)]
pub struct Client {
    http: countersign_sync::Client,
}

impl Client {
    /// A client of the trace store at `base_url` (`http://127.0.0.1:6006`); a `#fragment` in
    /// the URL is dropped.
    pub fn new(base_url: &str, auth: Auth, opts: ClientOptions) -> Result<Client, SyncError> {
        Ok(Client {
            http: countersign_sync::Client::with_auth(base_url, auth, opts)?,
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
        Client::new(base_url, langfuse_auth(secret)?, opts)
    }

    /// An MLflow client: Basic auth for a `USER:PASSWORD` secret, else Bearer (see
    /// [`mlflow_auth`]).
    pub fn mlflow(
        base_url: &str,
        secret: Option<String>,
        opts: ClientOptions,
    ) -> Result<Client, SyncError> {
        Client::new(base_url, mlflow_auth(secret.as_deref()), opts)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// GETs `path` (with `query`), retrying transient failures; returns the body bytes.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<u8>, SyncError> {
        self.http.send(Method::GET, path, query, None).await
    }

    /// POSTs `body` as JSON to `path`, retrying transient failures; returns the body bytes.
    /// Only for reads (a search): a retried POST must change nothing.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, SyncError> {
        let bytes = serde_json::to_vec(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        self.http.send(Method::POST, path, &[], Some(&bytes)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn langfuse_keys_split_at_the_first_colon_and_never_print() {
        let a = langfuse_auth(" pk-lf-1:sk-lf-2:x ").expect("two halves");
        match &a {
            Auth::Basic { user, password } => {
                assert_eq!(user, "pk-lf-1");
                assert_eq!(password, "sk-lf-2:x");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(format!("{a:?}"), "Basic(<redacted>)");
        assert!(langfuse_auth("pk-only").is_err());
        assert!(langfuse_auth(":sk").is_err());
    }

    #[test]
    fn mlflow_secrets_are_basic_with_a_colon_else_bearer() {
        assert!(matches!(mlflow_auth(None), Auth::None));
        assert!(matches!(mlflow_auth(Some("  ")), Auth::None));
        match mlflow_auth(Some("admin:pa:ss")) {
            Auth::Basic { user, password } => {
                assert_eq!((user.as_str(), password.as_str()), ("admin", "pa:ss"))
            }
            other => panic!("{other:?}"),
        }
        match mlflow_auth(Some(" dapi-123 ")) {
            Auth::Bearer(t) => assert_eq!(t, "dapi-123"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(mlflow_auth(Some(":x")), Auth::Bearer(_)));
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
