//! Credentials stay with their origin: real servers on 127.0.0.1 (port 0). The backend
//! redirects to a second server on another port, which records every request it receives and
//! asserts that no credential arrives; same-origin redirects are still followed.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use countersign_sync::client::Auth;
use countersign_sync::{Client, ClientOptions, SyncError};
use std::sync::{Arc, Mutex};

const WHOAMI: &str =
    r#"{"subject":"u1","display_name":"U One","roles":["reviewer"],"tenants":["t"]}"#;

/// Headers that carry a credential, whatever the scheme.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "x-api-key",
    "cookie",
    "proxy-authorization",
];

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<HeaderMap>>>);

impl Seen {
    fn all(&self) -> Vec<HeaderMap> {
        self.0.lock().expect("lock").clone()
    }
}

async fn record(State(seen): State<Seen>, headers: HeaderMap) -> Response {
    let leaked: Vec<&str> = CREDENTIAL_HEADERS
        .into_iter()
        .filter(|h| headers.contains_key(*h))
        .collect();
    seen.0.lock().expect("lock").push(headers);
    if leaked.is_empty() {
        ([(header::CONTENT_TYPE, "application/json")], WHOAMI).into_response()
    } else {
        // The assertion of the receiving side: a credential arrived here.
        (
            StatusCode::IM_A_TEAPOT,
            format!("credential leaked: {leaked:?}"),
        )
            .into_response()
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The server on the other origin: records what it receives.
async fn other_origin() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new().fallback(get(record)).with_state(seen.clone());
    (serve(app).await, seen)
}

/// The backend: `/v1/whoami` redirects with `status` to `target`; `/same/whoami` answers with
/// the headers it saw recorded in `seen`.
async fn backend(status: StatusCode, target: String, seen: Seen) -> String {
    let app = Router::new()
        .route(
            "/v1/whoami",
            get(move || {
                let target = target.clone();
                async move { (status, [(header::LOCATION, target)]).into_response() }
            }),
        )
        .route("/same/whoami", get(record))
        .with_state(seen);
    serve(app).await
}

fn auths() -> Vec<Auth> {
    vec![
        Auth::Bearer("bearer-secret".into()),
        Auth::ApiKey("api-key-secret".into()),
        Auth::Basic {
            user: "pk".into(),
            password: "sk-secret".into(),
        },
    ]
}

#[tokio::test]
async fn no_credential_follows_a_redirect_to_another_origin() {
    for status in [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ] {
        let (other, received) = other_origin().await;
        let base = backend(status, format!("{other}/v1/whoami"), Seen::default()).await;
        for auth in auths() {
            let client =
                Client::with_auth(&base, auth.clone(), ClientOptions::default()).expect("client");
            let err = client
                .whoami()
                .await
                .expect_err("cross-origin redirect refused");
            assert_eq!(err.code(), "redirect_refused", "{status} {auth:?}: {err}");
            assert!(err.to_string().contains(&other), "{err}");
        }
        let got = received.all();
        for h in &got {
            for c in CREDENTIAL_HEADERS {
                assert!(!h.contains_key(c), "{status}: {c} reached the other origin");
            }
        }
        assert!(
            got.is_empty(),
            "{status}: the other origin was not even asked"
        );
    }
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_its_credential() {
    let seen = Seen::default();
    let base = backend(
        StatusCode::TEMPORARY_REDIRECT,
        "/same/whoami".into(),
        seen.clone(),
    )
    .await;
    let client = Client::with_auth(
        &base,
        Auth::ApiKey("api-key-secret".into()),
        ClientOptions::default(),
    )
    .expect("client");
    let err = client
        .whoami()
        .await
        .expect_err("the same origin gets the key");
    // The recording handler answers 418 when a credential arrives: here it must.
    assert!(
        matches!(err, SyncError::Status { status: 418, .. }),
        "{err}"
    );
    let got = seen.all();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].get("x-api-key").and_then(|v| v.to_str().ok()),
        Some("api-key-secret")
    );
}

#[tokio::test]
async fn a_token_needs_https_off_this_machine_unless_allowed() {
    for auth in auths() {
        let err = Client::with_auth(
            "http://backend.invalid:8080",
            auth.clone(),
            ClientOptions::default(),
        )
        .expect_err("plain http to another host refused");
        assert_eq!(err.code(), "plain_http_refused");
        let allowed = ClientOptions {
            allow_plain_http: true,
            ..Default::default()
        };
        assert!(Client::with_auth("http://backend.invalid:8080", auth.clone(), allowed).is_ok());
        assert!(
            Client::with_auth(
                "https://backend.invalid",
                auth.clone(),
                ClientOptions::default()
            )
            .is_ok()
        );
        assert!(
            Client::with_auth("http://127.0.0.1:9", auth, ClientOptions::default()).is_ok(),
            "loopback may be plain http"
        );
    }
    assert!(
        Client::with_auth(
            "http://backend.invalid",
            Auth::None,
            ClientOptions::default()
        )
        .is_ok(),
        "no credential, nothing to protect"
    );
}
