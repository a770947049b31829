//! The sync engine writes the audit trail: a `quarantine` event per page that refused records
//! and a `sync_failure` event per failed sync, chained and committed with what they record.

use countersign_core::audit::kinds;
use countersign_store::{Store, audit, health};
use countersign_sync::{Cancel, Client, SyncOptions, sync_backend};
use countersign_tests::{fast_retries, register, rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantining_pages_are_audited() {
    let rig = rig(|c| {
        c.seed_runs = 300;
        c.hostile = true;
    })
    .await;
    let report = rig.sync(100).await;
    assert_eq!(report.error, None);
    assert!(
        report.quarantined > 0,
        "hostile data set has malformed records"
    );
    let store = Store::open(&rig.store_path).expect("store");
    let events = audit::all_in_range(store.conn(), None, None).expect("events");
    let quarantines: Vec<_> = events
        .iter()
        .filter(|e| e.kind == kinds::QUARANTINE)
        .collect();
    assert!(!quarantines.is_empty());
    let mut counted = 0;
    for e in &quarantines {
        assert_eq!(e.actor, "sync");
        assert_eq!(e.subject, rig.backend_id);
        let count = e.details["count"].as_u64().expect("count");
        let reasons = e.details["reasons"].as_array().expect("reasons");
        assert!(count > 0);
        assert_eq!(reasons.len() as u64, count.min(5));
        assert!(
            reasons
                .iter()
                .all(|r| r.as_str().is_some_and(|r| !r.is_empty()))
        );
        assert!(matches!(
            e.details["stream"].as_str(),
            Some("runs" | "actions")
        ));
        counted += count;
    }
    assert_eq!(
        counted, report.quarantined,
        "one event per page, counts add up"
    );
    assert_eq!(audit::verify(store.conn()).expect("read"), Ok(()));
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_syncs_are_audited_with_their_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("store.db");
    // Nothing listens on port 1.
    let backend_id = register(&path, "http://127.0.0.1:1");
    let mut opts = fast_retries();
    opts.backoff.attempts = 2;
    let client = Client::new("http://127.0.0.1:1", None, opts).expect("client");
    for _ in 0..2 {
        let report = sync_backend(
            &path,
            &backend_id,
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
    let store = Store::open(&path).expect("store");
    let events = audit::all_in_range(store.conn(), None, None).expect("events");
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_eq!(e.kind, kinds::SYNC_FAILURE);
        assert_eq!(e.actor, "sync");
        assert_eq!(e.subject, backend_id);
        assert_eq!(e.details["code"], "backend_unreachable");
        assert!(e.details["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let h = health::get(store.conn(), &backend_id).expect("health");
    assert_eq!(h.consecutive_failures, 2);
    assert_eq!(audit::verify(store.conn()).expect("read"), Ok(()));
}
