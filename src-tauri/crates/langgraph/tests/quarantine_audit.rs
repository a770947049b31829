//! A LangGraph sync that quarantines records writes the same `quarantine` audit event as the
//! native sync (it used to store them unaudited): one per page, with stream, count and reasons,
//! in the page's transaction. Served by an in-process fake of `/threads/search`, so no Python.

use axum::Json;
use axum::routing::post;
use countersign_core::audit::kinds;
use countersign_langgraph::{Auth, LangGraphClient, sync::STREAM};
use countersign_store::{Store, audit, backends, quarantine};
use countersign_sync::{Cancel, ClientOptions, SyncOptions};
use serde_json::{Value, json};

/// Serves one page of three items that are not usable threads.
async fn fake_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/threads/search",
        post(|| async {
            Json(json!([
                42,
                {"thread_id": "", "updated_at": "2026-01-01T00:00:00Z"},
                {"thread_id": "t1"},
            ]))
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn quarantined_threads_are_audited_like_native_records() {
    let url = fake_server().await;
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("s.db");
    let row = {
        let s = Store::open(&path).expect("store");
        backends::upsert(s.conn(), "LG", &url, countersign_langgraph::KIND, false).expect("row")
    };
    let client = LangGraphClient::new(&url, Auth::None, ClientOptions::default()).expect("client");
    let report = countersign_langgraph::sync(
        &path,
        &row.backend_id,
        &client,
        &SyncOptions::default(),
        &Cancel::default(),
        &|_| {},
    )
    .await;
    assert_eq!(report.error, None);
    assert_eq!((report.pages, report.quarantined), (1, 3));

    let store = Store::open(&path).expect("store");
    let rows = quarantine::list(store.conn(), Some(&row.backend_id), 10).expect("rows");
    assert_eq!(rows.len(), 3);
    let events = audit::all_in_range(store.conn(), None, None).expect("events");
    let audited: Vec<&Value> = events
        .iter()
        .filter(|e| e.kind == kinds::QUARANTINE)
        .map(|e| {
            assert_eq!(
                (e.actor.as_str(), e.subject.as_str()),
                ("sync", row.backend_id.as_str())
            );
            &e.details
        })
        .collect();
    assert_eq!(audited.len(), 1, "one event for the page");
    assert_eq!(audited[0]["stream"], STREAM);
    assert_eq!(audited[0]["count"], 3);
    let reasons = audited[0]["reasons"].as_array().expect("reasons");
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str() == Some("thread_id is empty"))
    );
    assert_eq!(audit::verify(store.conn()).expect("read"), Ok(()));
}
