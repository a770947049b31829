//! The Langfuse connector against a local server that answers `GET /api/public/v2/observations`
//! and `GET /api/public/projects` with recorded observations shaped like the documented API
//! (`fixtures/langfuse/README.md`). No real Langfuse runs here: this checks the connector
//! against the documented contract (Basic auth, field groups, `fromStartTime`, opaque
//! `meta.cursor` pagination), not against Langfuse itself.

mod support;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use countersign_core::{Micros, Outcome};
use countersign_store::health::HealthState;
use countersign_store::{Store, health, quarantine};
use countersign_sync::{SyncOptions, SyncReport};
use countersign_tracestore::{Cancel, Client, langfuse};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use support::*;

const PUBLIC: &str = "pk-lf-test-1234";
const SECRET: &str = "sk-lf-test-5678";

fn keys() -> String {
    format!("{PUBLIC}:{SECRET}")
}

/// What the fake Langfuse holds and saw.
#[derive(Default)]
struct Lf {
    visible: Vec<Value>,
    requests: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<Lf>>;

/// A local Langfuse stand-in on 127.0.0.1, on its own runtime (so a worker process can use it
/// while the test thread blocks).
struct FakeLangfuse {
    url: String,
    state: Shared,
    rt: Option<tokio::runtime::Runtime>,
}

impl FakeLangfuse {
    fn start() -> FakeLangfuse {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let state: Shared = Arc::default();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = axum::Router::new()
            .route("/api/public/v2/observations", get(observations))
            .route("/api/public/projects", get(projects))
            .with_state(state.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
        FakeLangfuse {
            url,
            state,
            rt: Some(rt),
        }
    }

    fn publish(&self, obs: &[Value]) {
        self.state
            .lock()
            .expect("state")
            .visible
            .extend_from_slice(obs);
    }

    fn requests(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().expect("state").requests.clone()
    }

    fn stop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for FakeLangfuse {
    fn drop(&mut self) {
        self.stop();
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC}:{SECRET}"))
    );
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == want)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "Invalid authorization header"})),
    )
        .into_response()
}

async fn projects(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    axum::Json(
        json!({"data": [{"id": "cm-proj-support", "name": "support-agents",
        "metadata": {}, "retentionDays": null}]}),
    )
    .into_response()
}

/// Langfuse's documented behaviour: `startTime >= fromStartTime`, newest first, at most
/// `limit` (default 50, max 1000), an opaque base64 `meta.cursor` while more remain.
async fn observations(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let mut lf = state.lock().expect("state");
    lf.requests.push(q.clone());
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .clamp(1, 1000);
    let from = q.get("fromStartTime").cloned().unwrap_or_default();
    let start = |o: &Value| o["startTime"].as_str().unwrap_or_default().to_string();
    let mut rows: Vec<&Value> = lf
        .visible
        .iter()
        .filter(|o| from.is_empty() || start(o) >= from)
        .collect();
    rows.sort_by_key(|o| std::cmp::Reverse((start(o), o["id"].as_str().unwrap_or("").to_string())));
    let offset: usize = match q.get("cursor") {
        Some(c) => match base64::engine::general_purpose::STANDARD
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["offset"].as_u64())
        {
            Some(o) => o as usize,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"message": "Invalid cursor"})),
                )
                    .into_response();
            }
        },
        None => 0,
    };
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|o| (*o).clone())
        .collect();
    let mut meta = json!({});
    if offset + limit < rows.len() {
        meta["cursor"] = json!(
            base64::engine::general_purpose::STANDARD
                .encode(json!({"offset": offset + limit}).to_string())
        );
    }
    axum::Json(json!({"data": page, "meta": meta})).into_response()
}

fn recorded() -> (Vec<Value>, Vec<Value>) {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/langfuse/observations.json");
    let v: Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture JSON");
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    (list("first"), list("later"))
}

/// Not a test of its own: the sync process the kill test SIGKILLs.
#[test]
fn sync_worker() {
    worker_main();
}

fn sync(store: &Path, backend: &str, url: &str, secret: &str, opts: &SyncOptions) -> SyncReport {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = Client::langfuse(url, secret, client_opts()).expect("client");
    rt.block_on(langfuse::sync(
        store,
        backend,
        &client,
        opts,
        &Cancel::default(),
        &|_| {},
    ))
}

#[test]
fn langfuse_observations_become_runs_incrementally_with_basic_auth() {
    let mut lf = FakeLangfuse::start();
    let (first, later) = recorded();
    lf.publish(&first);
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let backend = register(&store, "Langfuse", &lf.url, langfuse::KIND, json!({}));
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    // Probe: the keys' project; wrong keys are refused and the sync says so.
    let client = Client::langfuse(&lf.url, &keys(), client_opts()).expect("client");
    let p = rt.block_on(langfuse::probe(&client)).expect("probe");
    assert_eq!(p.project_name, "support-agents");
    let bad = sync(
        &store,
        &backend,
        &lf.url,
        "pk-lf-test-1234:wrong",
        &paged(2),
    );
    assert_eq!(bad.error.map(|e| e.code).as_deref(), Some("unauthorized"));

    // First sync, two observations a page: every page follows meta.cursor.
    let r1 = sync(&store, &backend, &lf.url, &keys(), &paged(2));
    assert_eq!(r1.error, None, "{r1:?}");
    assert_eq!(r1.pages as usize, first.len().div_ceil(2));
    assert_eq!(
        r1.quarantined, 1,
        "the observation whose startTime is unreadable"
    );
    let reqs = lf.requests();
    let sweep: Vec<_> = reqs[reqs.len() - r1.pages as usize..].to_vec();
    assert!(
        sweep
            .iter()
            .all(|q| q.get("fields").map(String::as_str) == Some(langfuse::FIELDS))
    );
    assert!(
        sweep
            .iter()
            .all(|q| q.get("limit").map(String::as_str) == Some("2"))
    );
    assert!(!sweep[0].contains_key("cursor") && !sweep[0].contains_key("fromStartTime"));
    assert!(sweep[1..].iter().all(|q| q.contains_key("cursor")));

    let a = stored_run(&store, &backend, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(a.workflow, "support_triage");
    assert_eq!(a.model, "gpt-4o");
    assert_eq!(
        a.tool_calls
            .iter()
            .map(|t| t.tool.as_str())
            .collect::<Vec<_>>(),
        ["search_kb", "lookup_order"]
    );
    assert_eq!(a.tool_calls[0].arguments["query"], "refund window");
    assert_eq!((a.tokens.input, a.tokens.output), (2700, 205));
    // Reported costs preferred: $0.00385 + $0.00495.
    assert_eq!(a.cost_micros, Micros(8800));
    assert_eq!(a.citations.len(), 2);
    assert_eq!(a.citations[0].doc_id, "kb_102");
    assert_eq!(
        a.citations[0].url.as_deref(),
        Some("https://kb.example/kb_102")
    );
    assert_eq!(a.user_id, "u-7");
    assert_eq!(a.inputs["conversation_id"], "conv-support-1");
    assert_eq!(a.revision, 5, "five readable observations");

    let b_hex = langfuse::otlp_trace_id("refund-flow-7f3a");
    let b = stored_run(&store, &backend, &b_hex);
    assert_eq!(b.workflow, "refund-flow");
    assert!(b.tool_calls.is_empty(), "its tool call has not arrived yet");
    // Langfuse reported no cost (0): priced from the example table: 800 × $0.15/M + 40 × $0.60/M.
    assert_eq!(b.cost_micros, Micros(144));
    assert_eq!(b.revision, 2);
    let s = Store::open(&store).expect("store");
    let q = quarantine::list(s.conn(), Some(&backend), 10).expect("quarantine");
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("startTime"), "{}", q[0].reason);
    assert!(q[0].raw_preview.contains("garbled"));
    drop(s);

    // Later: trace B's tool call and a new trace. The next sweep starts `lookback` before the
    // latest start time seen, and only what changed is rewritten.
    lf.publish(&later);
    let before = runs_of(&store, &backend);
    let r2 = sync(&store, &backend, &lf.url, &keys(), &paged(2));
    assert_eq!(r2.error, None, "{r2:?}");
    assert_eq!(r2.runs, 2, "trace B grew, trace C is new");
    let q2 = &lf.requests()[reqs.len()];
    assert_eq!(
        q2.get("fromStartTime").map(String::as_str),
        Some("2026-11-20T08:50:00.200Z"),
        "15 minutes before the latest start seen (09:05:00.200)"
    );
    let b = stored_run(&store, &backend, &b_hex);
    assert_eq!(b.revision, 3, "revision grows with the spans");
    assert_eq!(b.tool_calls.len(), 1);
    assert_eq!(
        b.tool_calls[0].error.as_deref(),
        Some("refund service timed out")
    );
    assert_eq!(
        b.outcome,
        Outcome::Success,
        "a failed tool call alone does not fail the run"
    );
    let after = runs_of(&store, &backend);
    assert_eq!(after.len(), 3);
    let a_id = "otel-4bf92f3577b34da6a3ce929d0e0e4736";
    let row = |rows: &[(String, i64, String)]| rows.iter().find(|r| r.0 == a_id).cloned();
    assert_eq!(row(&before), row(&after), "trace A untouched");
    let c = stored_run(&store, &backend, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        (c.model.as_str(), c.cost_micros),
        ("claude-sonnet-4", Micros(1200))
    );

    // Re-sync: nothing changes.
    let spans = spans_of(&store, &backend);
    let r3 = sync(&store, &backend, &lf.url, &keys(), &paged(2));
    assert_eq!(
        (r3.error.clone(), r3.runs, r3.quarantined),
        (None, 0, 1),
        "{r3:?}"
    );
    assert_eq!(runs_of(&store, &backend), after);
    assert_eq!(spans_of(&store, &backend), spans);

    // One page at a time ends where whole syncs end.
    let store2 = dir.path().join("paged.db");
    let backend2 = register(&store2, "Langfuse", &lf.url, langfuse::KIND, json!({}));
    let one = SyncOptions {
        page_size: 3,
        max_pages: Some(1),
        ..Default::default()
    };
    for _ in 0..(first.len() + later.len()).div_ceil(3) + 1 {
        let r = sync(&store2, &backend2, &lf.url, &keys(), &one);
        assert_eq!(r.error, None, "{r:?}");
    }
    assert_eq!(runs_of(&store2, &backend2), after);
    assert_eq!(spans_of(&store2, &backend2), spans);

    // Down: health goes down; nothing stored is lost.
    lf.stop();
    for _ in 0..3 {
        let r = sync(&store, &backend, &lf.url, &keys(), &paged(2));
        assert_eq!(
            r.error.map(|e| e.code).as_deref(),
            Some("backend_unreachable")
        );
    }
    let s = Store::open(&store).expect("store");
    assert_eq!(
        health::get(s.conn(), &backend).expect("health").state,
        HealthState::Down
    );
    drop(s);
    assert_eq!(runs_of(&store, &backend), after);
    assert_eq!(spans_of(&store, &backend), spans);
}

/// The kill test for Langfuse: many observations, a sync process SIGKILLed at pseudo-random
/// points, then resumed; the store ends exactly as one uninterrupted sync leaves it.
#[test]
fn langfuse_sync_killed_at_random_points_resumes_exactly() {
    let lf = FakeLangfuse::start();
    let (first, later) = recorded();
    let mut all = Vec::new();
    for copy in 0..30 {
        for o in first.iter().chain(&later) {
            let mut o = o.clone();
            for key in ["id", "traceId", "parentObservationId"] {
                if let Some(v) = o[key].as_str() {
                    o[key] = json!(format!("{v}-copy{copy}"));
                }
            }
            all.push(o);
        }
    }
    lf.publish(&all);
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let backend = register(&store, "Langfuse", &lf.url, langfuse::KIND, json!({}));
    let readable = all.len() - 30;

    kill_rounds(
        &KillTarget {
            kind: langfuse::KIND,
            store: &store,
            backend_id: &backend,
            url: &lf.url,
            secret: &keys(),
            page: 3,
        },
        0x1f00,
        60,
    );
    let last = sync(&store, &backend, &lf.url, &keys(), &paged(3));
    assert_eq!(last.error, None, "{last:?}");

    let reference = dir.path().join("reference.db");
    let backend2 = register(&reference, "Langfuse", &lf.url, langfuse::KIND, json!({}));
    let full = sync(&reference, &backend2, &lf.url, &keys(), &paged(1000));
    assert_eq!(full.error, None, "{full:?}");
    assert_eq!(
        spans_of(&store, &backend).len(),
        readable,
        "every observation, once"
    );
    assert_eq!(runs_of(&store, &backend).len(), 3 * 30);
    assert_eq!(spans_of(&store, &backend), spans_of(&reference, &backend2));
    assert_eq!(runs_of(&store, &backend), runs_of(&reference, &backend2));
}

/// The backend row's `identity` keys say which metadata keys name user and tenant: a Langfuse
/// trace whose SDK metadata carries `customer` / `org` gets them, and never its service's name.
#[test]
fn identity_keys_of_the_backend_config_name_user_and_tenant() {
    let mut lf = FakeLangfuse::start();
    let obs = json!({
        "id": "obs-id-1", "traceId": "1af7651916cd43dd8448eb211c80319c",
        "startTime": "2026-11-21T09:10:00.000Z", "endTime": "2026-11-21T09:10:01.000Z",
        "projectId": "cm-proj-support", "parentObservationId": null, "type": "GENERATION",
        "name": "LangGraph", "level": "DEFAULT", "userId": null, "sessionId": null,
        "metadata": {"customer": "c-7", "org": "globex", "user_id": "u-default"},
        "providedModelName": "gpt-4o", "usageDetails": {"input": 10, "output": 2}
    });
    lf.publish(&[obs]);
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let config = json!({"identity": {"user_keys": ["customer"], "tenant_keys": ["org"]}});
    let backend = register(&store, "Langfuse", &lf.url, langfuse::KIND, config);
    let r = sync(&store, &backend, &lf.url, &keys(), &paged(50));
    assert_eq!(r.error, None, "{r:?}");
    let run = stored_run(&store, &backend, "1af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        (run.user_id.as_str(), run.tenant.as_str()),
        ("c-7", "globex")
    );

    // The same trace under the default keys: `user_id`, and no tenant.
    let store2 = dir.path().join("store2.db");
    let backend2 = register(&store2, "Langfuse", &lf.url, langfuse::KIND, json!({}));
    let r = sync(&store2, &backend2, &lf.url, &keys(), &paged(50));
    assert_eq!(r.error, None, "{r:?}");
    let run = stored_run(&store2, &backend2, "1af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        (run.user_id.as_str(), run.tenant.as_str()),
        ("u-default", "")
    );
    lf.stop();
}
