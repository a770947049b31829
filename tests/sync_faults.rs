//! Sync against a backend that misbehaves: faults, hostile and malformed records, a backend
//! that is down, and cancellation. Nothing is lost, nothing doubled, health tells the truth.

use countersign_backend::Config;
use countersign_store::{Store, health, quarantine};
use countersign_sync::{Cancel, Client, SyncOptions, sync_backend};
use countersign_tests::{fast_retries, register, rig, store_revisions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_backend_loses_nothing_and_doubles_nothing() {
    // Seed and read the truth from a well-behaved server, then serve the same data with faults.
    let honest = rig(|c| c.seed_runs = 300).await;
    let truth = honest.backend_runs().await;
    let data_dir = honest.backend.data_dir().to_path_buf();
    honest.backend.shutdown().await;

    let faulty = countersign_backend::start(Config {
        data_dir,
        faults: 0.3,
        seed: 5,
        seed_runs: 0,
        ..Default::default()
    })
    .await
    .expect("faulty backend");
    let store_path = honest.dir.path().join("faulty-store.db");
    let id = register(&store_path, &faulty.url);
    let client =
        Client::new(&faulty.url, Some(faulty.token.clone()), fast_retries()).expect("client");
    let opts = SyncOptions {
        page_size: 40,
        ..Default::default()
    };
    let report = sync_backend(
        &store_path,
        &id,
        &client,
        &opts,
        &Cancel::default(),
        &|_| {},
    )
    .await;
    assert_eq!(report.error, None, "retries ride out 30% faults");
    assert_eq!(store_revisions(&store_path, "runs", "run_id"), truth);
    let store = Store::open(&store_path).expect("store");
    assert_eq!(
        health::get(store.conn(), &id).expect("health").state,
        health::HealthState::Healthy
    );
    faulty.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_records_are_quarantined_and_the_rest_applied() {
    let rig = rig(|c| {
        c.seed_runs = 400;
        c.hostile = true;
    })
    .await;
    let report = rig.sync(100).await;
    assert_eq!(report.error, None);
    assert!(
        report.quarantined > 0,
        "hostile data set has malformed records"
    );
    let served =
        countersign_tests::get(&rig.backend.url, &rig.backend.token, "/v1/runs?limit=1000").await;
    let items = served["items"].as_array().cloned().unwrap_or_default();
    let stored = rig.store_runs();
    let store = Store::open(&rig.store_path).expect("store");
    let q = quarantine::list(store.conn(), Some(&rig.backend_id), 1000).expect("quarantine");
    assert_eq!(
        stored.len() + q.iter().filter(|r| r.stream == "runs").count(),
        items.len(),
        "every record is stored or quarantined"
    );
    assert!(q.iter().all(|r| !r.reason.is_empty() && r.raw_len > 0));
    // Hostile-but-valid text is stored verbatim (it is rendered as text, never as markup).
    let hostile = items
        .iter()
        .filter(|i| i.to_string().contains("<script>"))
        .count();
    assert!(hostile > 0, "hostile text is in the data set");
    // Syncing again does not duplicate quarantine rows.
    let again = rig.sync(100).await;
    assert_eq!(again.error, None);
    let q2 = quarantine::list(store.conn(), Some(&rig.backend_id), 1000).expect("quarantine");
    assert_eq!(q.len(), q2.len());
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_goes_down_keeps_what_was_stored_and_reports_it() {
    let rig = rig(|c| c.seed_runs = 50).await;
    assert_eq!(rig.sync(100).await.error, None);
    let stored = rig.store_runs();
    let (url, token) = (rig.backend.url.clone(), rig.backend.token.clone());
    rig.backend.shutdown().await;

    let mut opts = fast_retries();
    opts.backoff.attempts = 3;
    let client = Client::new(&url, Some(token), opts).expect("client");
    for _ in 0..3 {
        let report = sync_backend(
            &rig.store_path,
            &rig.backend_id,
            &client,
            &SyncOptions::default(),
            &Cancel::default(),
            &|_| {},
        )
        .await;
        assert_eq!(
            report.error.as_ref().map(|e| e.code.as_str()),
            Some("backend_unreachable")
        );
    }
    assert_eq!(
        store_revisions(&rig.store_path, "runs", "run_id"),
        stored,
        "nothing stored is lost"
    );
    let store = Store::open(&rig.store_path).expect("store");
    let h = health::get(store.conn(), &rig.backend_id).expect("health");
    assert_eq!(h.state, health::HealthState::Down);
    assert!(h.last_success_at.is_some() && h.last_error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_unauthorized_and_cancel_stops_between_pages() {
    let rig = rig(|c| c.seed_runs = 30).await;
    let bad =
        Client::new(&rig.backend.url, Some("not-a-token".into()), fast_retries()).expect("client");
    let r = sync_backend(
        &rig.store_path,
        &rig.backend_id,
        &bad,
        &SyncOptions::default(),
        &Cancel::default(),
        &|_| {},
    )
    .await;
    assert_eq!(r.error.map(|e| e.code), Some("unauthorized".to_string()));

    let cancel = Cancel::default();
    let c2 = cancel.clone();
    let opts = SyncOptions {
        page_size: 5,
        ..Default::default()
    };
    let r = sync_backend(
        &rig.store_path,
        &rig.backend_id,
        &rig.client(fast_retries()),
        &opts,
        &cancel,
        &move |p| {
            if p.pages == 2 {
                c2.cancel();
            }
        },
    )
    .await;
    assert_eq!(r.error.map(|e| e.code), Some("cancelled".to_string()));
    assert_eq!(
        rig.store_runs().len(),
        10,
        "the two applied pages stay applied"
    );
    // Resuming finishes the job from the saved cursor.
    assert_eq!(rig.sync(5).await.runs, 20);
    assert_eq!(rig.store_runs(), rig.backend_runs().await);
    rig.backend.shutdown().await;
}
