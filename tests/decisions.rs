//! Decisions end to end against the real reference backend: queued in the outbox with their
//! audit event, delivered with an idempotency key, never lost when the backend is down, never
//! executed twice, conflicts reported plainly, rollback recorded.

use chrono::Utc;
use countersign_core::Role;
use countersign_core::review::ReviewInput;
use countersign_core::{ActionStatus, DecisionKind, PendingAction};
use countersign_store::outbox::EntryState;
use countersign_store::{Store, actions, audit, outbox};
use countersign_sync::decide::{Reviewer, open_review, queue_decision, queue_rollback};
use countersign_sync::outbox::deliver;
use countersign_tests::{Rig, fast_retries, rig};
use serde_json::json;
use std::time::Duration;

/// Sends the rig's queued decisions now.
async fn deliver_now(rig: &Rig) -> countersign_sync::outbox::DeliveryReport {
    deliver(
        &rig.store_path,
        &rig.backend_id,
        &rig.client(fast_retries()),
    )
    .await
    .expect("deliver")
}

fn reviewer() -> Reviewer<'static> {
    Reviewer {
        actor: "reviewer@test",
        roles: &[Role::Reviewer],
        min_review: Duration::from_secs(5),
    }
}

/// Records that [`reviewer`] opened `a` half a minute ago (what the review panel asks for).
fn opened(store: &mut Store, rig: &Rig, a: &PendingAction) {
    let at = Utc::now() - chrono::Duration::seconds(30);
    open_review(store, &rig.backend_id, &a.action_id, &reviewer(), at).expect("opened");
}

/// A live pending refund: simulated now at the backend (seeded ones are in the past), synced.
async fn live_refund(rig: &Rig) -> PendingAction {
    let (status, body) = rig.post("/v1/admin/simulate", json!({"runs": 24})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rig.sync(200).await.error, None);
    let store = Store::open(&rig.store_path).expect("store");
    actions::list(store.conn(), Some("pending"), None)
        .expect("actions")
        .into_iter()
        .map(|(_, a)| a)
        .find(|a| {
            a.kind == "issue_refund" && a.expires_at > Utc::now() + chrono::Duration::minutes(5)
        })
        .expect("a live pending refund in the seed")
}

fn approve_all(a: &PendingAction) -> ReviewInput {
    ReviewInput {
        decision: Some(DecisionKind::Approve),
        fields: a
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect(),
        acknowledged: countersign_core::review::review_warnings(
            &a.fields,
            &Default::default(),
            &a.field_rules,
        )
        .into_iter()
        .map(|w| format!("{}:{}", w.field, w.code))
        .collect(),
        reason: None,
        escalate_to: None,
    }
}

async fn refunds_for(rig: &Rig, order: &str) -> usize {
    let rows =
        countersign_tests::get(&rig.backend.url, &rig.backend.token, "/v1/system/refunds").await;
    let items = rows["items"]
        .as_array()
        .or(rows.as_array())
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .filter(|r| r.to_string().contains(order))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_is_queued_with_its_audit_event_then_executed_once() {
    let rig = rig(|c| c.seed_runs = 80).await;
    assert_eq!(rig.sync(200).await.error, None);
    let a = live_refund(&rig).await;
    let mut store = Store::open(&rig.store_path).expect("store");
    opened(&mut store, &rig, &a);
    let entry = queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &approve_all(&a),
        &reviewer(),
        Utc::now(),
    )
    .expect("queued");
    assert_eq!(entry.state, EntryState::Queued);
    let head = audit::head(store.conn())
        .expect("head")
        .expect("an audit event");
    assert_eq!(head.kind, "decision");
    assert_eq!(head.details["too_fast"], json!(false));
    // A second decision on the same action while the first waits is refused.
    let again = queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &approve_all(&a),
        &reviewer(),
        Utc::now(),
    );
    assert_eq!(again.map_err(|e| e.code()).err(), Some("already_queued"));

    let sent = std::time::Instant::now();
    let report = deliver_now(&rig).await;
    println!(
        "measured: decision round trip (send, execute, record answer) {} ms",
        sent.elapsed().as_millis()
    );
    assert_eq!((report.delivered, report.waiting), (1, 0));
    let stored = actions::get(store.conn(), &rig.backend_id, &a.action_id)
        .expect("get")
        .expect("action");
    assert_eq!(stored.status, ActionStatus::Executed);
    assert_eq!(refunds_for(&rig, &a.target.record_id).await, 1);
    // Delivering again sends nothing; deciding again is refused locally (no longer pending).
    let report = deliver_now(&rig).await;
    assert_eq!(report.delivered, 0);
    let late = queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &approve_all(&a),
        &reviewer(),
        Utc::now(),
    );
    assert_eq!(late.map_err(|e| e.code()).err(), Some("conflict"));
    assert_eq!(refunds_for(&rig, &a.target.record_id).await, 1);
    assert!(
        audit::verify(store.conn()).expect("verify").is_ok(),
        "the audit chain holds"
    );

    // Rollback of the executed refund is itself a recorded decision.
    queue_rollback(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        "customer cancelled",
        &reviewer(),
        Utc::now(),
    )
    .expect("rollback queued");
    let report = deliver_now(&rig).await;
    assert_eq!(report.delivered, 1);
    let stored = actions::get(store.conn(), &rig.backend_id, &a.action_id)
        .expect("get")
        .expect("action");
    assert_eq!(stored.status, ActionStatus::RolledBack);
    assert_eq!(refunds_for(&rig, &a.target.record_id).await, 0);
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_down_the_decision_waits_then_lands_once() {
    let rig = rig(|c| c.seed_runs = 80).await;
    assert_eq!(rig.sync(200).await.error, None);
    let a = live_refund(&rig).await;
    let mut store = Store::open(&rig.store_path).expect("store");
    opened(&mut store, &rig, &a);
    queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &approve_all(&a),
        &reviewer(),
        Utc::now(),
    )
    .expect("queued");
    let (addr, data, url) = (
        rig.backend.addr(),
        rig.backend.data_dir().to_path_buf(),
        rig.backend.url.clone(),
    );
    let Rig {
        backend,
        dir,
        store_path,
        backend_id,
    } = rig;
    backend.shutdown().await;

    let mut opts = fast_retries();
    opts.backoff.attempts = 2;
    let down = countersign_sync::Client::new(&url, Some("unused".into()), opts).expect("client");
    let report = deliver(&store_path, &backend_id, &down)
        .await
        .expect("deliver");
    assert_eq!(
        (report.delivered, report.waiting),
        (0, 1),
        "waiting to send"
    );
    assert!(report.last_error.is_some());
    assert_eq!(outbox::count_queued(store.conn()).expect("count"), 1);

    // The backend comes back on the same address with the same data.
    let back = countersign_backend::start(countersign_backend::Config {
        listen: addr,
        data_dir: data,
        seed_runs: 0,
        ..Default::default()
    })
    .await
    .expect("backend restarts");
    let rig = Rig {
        backend: back,
        dir,
        store_path,
        backend_id,
    };
    let report = deliver_now(&rig).await;
    assert_eq!(report.delivered, 1);
    assert_eq!(refunds_for(&rig, &a.target.record_id).await, 1);
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_sending_resends_the_same_key_and_executes_once() {
    let rig = rig(|c| c.seed_runs = 80).await;
    assert_eq!(rig.sync(200).await.error, None);
    let a = live_refund(&rig).await;
    let mut store = Store::open(&rig.store_path).expect("store");
    opened(&mut store, &rig, &a);
    let entry = queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &approve_all(&a),
        &reviewer(),
        Utc::now(),
    )
    .expect("queued");
    // The app sent it and died before recording the answer: the backend executed it once.
    let (status, first) = rig
        .post(
            &format!("/v1/actions/{}/decision", a.action_id),
            entry.body.clone(),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    drop(store);
    // Restart: the outbox still holds it; delivering resends the same key → replayed, not re-run.
    let report = deliver_now(&rig).await;
    assert_eq!(report.delivered, 1);
    let store = Store::open(&rig.store_path).expect("store");
    let e = outbox::get(store.conn(), entry.id)
        .expect("get")
        .expect("entry");
    assert_eq!(
        e.response.as_ref().map(|r| r["replayed"].clone()),
        Some(json!(true))
    );
    assert_eq!(
        refunds_for(&rig, &a.target.record_id).await,
        1,
        "executed exactly once"
    );
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decided_elsewhere_is_a_plain_conflict_and_the_state_is_refreshed() {
    let rig = rig(|c| c.seed_runs = 80).await;
    assert_eq!(rig.sync(200).await.error, None);
    let a = live_refund(&rig).await;
    let mut store = Store::open(&rig.store_path).expect("store");
    let deny = ReviewInput {
        decision: Some(DecisionKind::Deny),
        reason: Some("duplicate request".into()),
        ..Default::default()
    };
    queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &deny,
        &reviewer(),
        Utc::now(),
    )
    .expect("queued");
    // Another console approves first.
    let fields: serde_json::Map<_, _> = a
        .fields
        .iter()
        .map(|f| (f.name.clone(), json!(f.value)))
        .collect();
    let (status, _) = rig
        .post(
            &format!("/v1/actions/{}/decision", a.action_id),
            json!({"decision": "approve", "fields": fields, "idempotency_key": "other-console"}),
        )
        .await;
    assert_eq!(status, 200);
    let report = deliver_now(&rig).await;
    assert_eq!((report.conflicts, report.delivered), (1, 0));
    let stored = actions::get(store.conn(), &rig.backend_id, &a.action_id)
        .expect("get")
        .expect("action");
    assert_eq!(
        stored.status,
        ActionStatus::Executed,
        "state updated from the backend"
    );
    assert_eq!(refunds_for(&rig, &a.target.record_id).await, 1);
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_hands_the_decision_to_another_role() {
    let rig = rig(|c| c.seed_runs = 40).await;
    assert_eq!(rig.sync(200).await.error, None);
    let a = live_refund(&rig).await;
    let mut store = Store::open(&rig.store_path).expect("store");
    let no_role = ReviewInput {
        decision: Some(DecisionKind::Escalate),
        reason: Some("amount above my limit".into()),
        ..Default::default()
    };
    let err = queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &no_role,
        &reviewer(),
        Utc::now(),
    );
    assert_eq!(
        err.map_err(|e| e.code()).err(),
        Some("review_incomplete"),
        "an escalation names a role"
    );
    let escalate = ReviewInput {
        escalate_to: Some(countersign_core::Role::Finance),
        ..no_role
    };
    queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &escalate,
        &reviewer(),
        Utc::now(),
    )
    .expect("queued");
    let report = deliver_now(&rig).await;
    assert_eq!(report.delivered, 1);
    let stored = actions::get(store.conn(), &rig.backend_id, &a.action_id)
        .expect("get")
        .expect("action");
    assert_eq!(
        stored.status,
        ActionStatus::Pending,
        "still pending, now for finance"
    );
    assert_eq!(stored.escalated_to, Some(countersign_core::Role::Finance));
    // A reviewer without the finance role is refused by the backend; finance (admin here) decides.
    let tokens = countersign_backend::tokens(rig.backend.data_dir()).expect("tokens");
    let reviewer_only = tokens
        .iter()
        .find(|(_, w)| w.subject == "reviewer-only")
        .map(|(t, _)| t.clone())
        .expect("token");
    let fields: serde_json::Map<_, _> = a
        .fields
        .iter()
        .map(|f| (f.name.clone(), json!(f.value)))
        .collect();
    let body = json!({"decision": "approve", "fields": fields, "idempotency_key": "by-reviewer"});
    let (status, _) = countersign_tests::post(
        &rig.backend.url,
        &reviewer_only,
        &format!("/v1/actions/{}/decision", a.action_id),
        body,
    )
    .await;
    assert_eq!(status, 403);
    // The console refuses it too, before anything is queued, for every decision kind: a
    // crafted review from a reviewer without finance never reaches the outbox.
    opened(&mut store, &rig, &a);
    let deny = ReviewInput {
        decision: Some(DecisionKind::Deny),
        reason: Some("not mine".into()),
        ..Default::default()
    };
    for review in [approve_all(&stored), deny] {
        let err = queue_decision(
            &mut store,
            &rig.backend_id,
            &a.action_id,
            &review,
            &reviewer(),
            Utc::now(),
        );
        assert_eq!(err.map_err(|e| e.code()).err(), Some("forbidden"));
    }
    assert_eq!(outbox::count_queued(store.conn()).expect("count"), 0);
    // Finance (with the reviewer role) decides through the console; the backend executes it.
    let finance = Reviewer {
        actor: "finance@test",
        roles: &[Role::Reviewer, Role::Finance],
        min_review: Duration::from_secs(5),
    };
    let at = Utc::now() - chrono::Duration::seconds(30);
    open_review(&mut store, &rig.backend_id, &a.action_id, &finance, at).expect("opened");
    queue_decision(
        &mut store,
        &rig.backend_id,
        &a.action_id,
        &approve_all(&stored),
        &finance,
        Utc::now(),
    )
    .expect("queued by finance");
    let report = deliver_now(&rig).await;
    assert_eq!(report.delivered, 1);
    assert_eq!(refunds_for(&rig, &a.target.record_id).await, 1);
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_above_the_cited_policy_is_a_trap_that_blocks_a_plain_approve() {
    let rig = rig(|c| c.seed_runs = 10).await;
    let (status, _) = rig.post("/v1/admin/simulate", json!({"runs": 120})).await;
    assert_eq!(status, 200);
    assert_eq!(rig.sync(500).await.error, None);
    let store = Store::open(&rig.store_path).expect("store");
    let over = actions::list(store.conn(), Some("pending"), None)
        .expect("actions")
        .into_iter()
        .map(|(_, a)| a)
        .find(|a| {
            a.kind == "issue_refund"
                && countersign_core::review::review_warnings(
                    &a.fields,
                    &Default::default(),
                    &a.field_rules,
                )
                .iter()
                .any(|w| w.code == "outside_policy")
        })
        .expect("a refund above the agent limit of its cited policy");
    let rule = &over.field_rules["amount"];
    assert!(rule.max.is_some() && rule.source.as_deref().is_some_and(|s| s.starts_with("kb_")));
    // Confirming every value without acknowledging the policy trap is refused locally.
    let mut input = approve_all(&over);
    input
        .acknowledged
        .retain(|k| !k.ends_with(":outside_policy"));
    let mut store = store;
    let err = queue_decision(
        &mut store,
        &rig.backend_id,
        &over.action_id,
        &input,
        &reviewer(),
        Utc::now(),
    );
    assert_eq!(err.map_err(|e| e.code()).err(), Some("review_incomplete"));
    rig.backend.shutdown().await;
}
