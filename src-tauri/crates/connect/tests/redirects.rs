//! Every connector kind keeps its credential within the backend's origin: each backend below
//! redirects every request to a server on another port of 127.0.0.1, which records what it
//! receives; no probe may deliver a credential there.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use countersign_connect::{Kind, probe};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<HeaderMap>>>;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn no_kind_follows_a_redirect_to_another_origin() {
    let seen: Seen = Arc::default();
    let record = |State(seen): State<Seen>, headers: HeaderMap| async move {
        let leaked = ["authorization", "x-api-key"]
            .iter()
            .any(|h| headers.contains_key(*h));
        seen.lock().expect("lock").push(headers);
        if leaked {
            (StatusCode::IM_A_TEAPOT, "credential leaked").into_response()
        } else {
            (StatusCode::OK, "{}").into_response()
        }
    };
    let other = serve(Router::new().fallback(record).with_state(seen.clone())).await;
    let target = other.clone();
    let redirect = move |uri: Uri| {
        let to = format!("{target}{uri}");
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response() }
    };
    let backend = serve(Router::new().fallback(redirect)).await;
    for kind in Kind::ALL {
        let token = Some("pk-secret:sk-secret".to_string());
        let err = probe(kind, &backend, &serde_json::json!({}), token, false)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), "redirect_refused", "{kind:?}: {err}");
        assert!(err.to_string().contains(&other), "{kind:?}: {err}");
    }
    let got = seen.lock().expect("lock");
    assert!(
        got.is_empty(),
        "the other origin received {} requests",
        got.len()
    );
}
