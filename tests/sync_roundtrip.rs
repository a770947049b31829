//! The sync engine against the real reference backend over HTTP: full and incremental sync,
//! runs that change after they were first synced, and the store matching the backend exactly.

use countersign_store::{Store, actions, budgets, health, sources};
use countersign_tests::{rig, store_revisions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_sync_stores_every_run_once() {
    let rig = rig(|c| c.seed_runs = 230).await;
    let report = rig.sync(50).await;
    assert_eq!(report.error, None);
    let backend = rig.backend_runs().await;
    assert_eq!(backend.len(), 230);
    assert_eq!(
        rig.store_runs(),
        backend,
        "store equals backend: ids and revisions"
    );
    assert_eq!(report.runs, 230);
    assert!(report.pages >= 5, "paged through {} pages", report.pages);
    assert!(report.budgets > 0 && report.sources > 0);

    let store = Store::open(&rig.store_path).expect("store");
    let pending = actions::list(store.conn(), None, None).expect("actions");
    let served = countersign_tests::backend_revisions(
        &rig.backend.url,
        &rig.backend.token,
        "actions",
        "action_id",
    )
    .await;
    assert_eq!(pending.len(), served.len(), "every action synced");
    assert_eq!(
        budgets::list(store.conn()).expect("budgets").len() as u64,
        report.budgets
    );
    assert_eq!(
        sources::list(store.conn()).expect("sources").len() as u64,
        report.sources
    );
    let h = health::get(store.conn(), &rig.backend_id).expect("health");
    assert_eq!(h.state, health::HealthState::Healthy);
    // The native sync indexes runs for search as it stores them: nothing is left queued, and
    // a run is found by its id (a word only its own text holds) before any indexing pass.
    assert_eq!(
        countersign_store::search::pending(store.conn()).expect("queue"),
        0
    );
    let some = backend.keys().nth(117).expect("a run").clone();
    let found = countersign_store::runs::list(
        store.conn(),
        &countersign_store::runs::RunQuery {
            search: Some(some.clone()),
            ..Default::default()
        },
    )
    .expect("search");
    let found: Vec<_> = found.items.into_iter().map(|r| r.run_id).collect();
    assert_eq!(found, [some]);

    // A second sync with nothing new changes nothing.
    let again = rig.sync(50).await;
    assert_eq!((again.runs, again.actions, again.error), (0, 0, None));
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_sync_picks_up_new_runs_only() {
    let rig = rig(|c| c.seed_runs = 40).await;
    assert_eq!(rig.sync(25).await.runs, 40);
    let (status, body) = rig.post("/v1/admin/simulate", json!({"runs": 7})).await;
    assert_eq!(status, 200, "{body}");
    let created = body["created"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(created, 7);
    let report = rig.sync(25).await;
    assert_eq!(report.error, None);
    assert_eq!(report.runs, 7, "only the new runs are applied");
    assert_eq!(rig.store_runs(), rig.backend_runs().await);
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_changed_after_sync_is_replaced_by_its_later_revision() {
    let rig = rig(|c| c.seed_runs = 60).await;
    assert_eq!(rig.sync(100).await.error, None);
    // Find a pending action that has not expired and approve it with exactly its values.
    let (status, body) = rig.post("/v1/admin/simulate", json!({"runs": 24})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rig.sync(100).await.error, None);
    let store = Store::open(&rig.store_path).expect("store");
    let now = chrono::Utc::now();
    let (_, action) = actions::list(store.conn(), Some("pending"), None)
        .expect("actions")
        .into_iter()
        .find(|(_, a)| a.expires_at > now)
        .expect("a live pending action in the seed");
    let before = store_revisions(&rig.store_path, "runs", "run_id")[&action.run_id];
    let fields: serde_json::Map<String, serde_json::Value> = action
        .fields
        .iter()
        .map(|f| (f.name.clone(), json!(f.value)))
        .collect();
    let (status, body) = rig
        .post(
            &format!("/v1/actions/{}/decision", action.action_id),
            json!({"decision": "approve", "fields": fields, "idempotency_key": "k-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let report = rig.sync(100).await;
    assert_eq!(report.error, None);
    assert!(report.runs >= 1 && report.actions >= 1, "{report:?}");
    let after = store_revisions(&rig.store_path, "runs", "run_id")[&action.run_id];
    assert!(after > before, "revision {before} → {after}");
    let run = countersign_store::runs::get(store.conn(), &rig.backend_id, &action.run_id)
        .expect("read")
        .expect("run stored");
    assert_eq!(run.outcome, countersign_core::Outcome::Success);
    let stored = actions::for_run(store.conn(), &rig.backend_id, &action.run_id).expect("actions");
    assert_eq!(stored[0].status, countersign_core::ActionStatus::Executed);
    assert_eq!(rig.store_runs(), rig.backend_runs().await);
    rig.backend.shutdown().await;
}
