//! An agent reporting to a served backend, seen through the console's real sync: its run and
//! pending action land in the store like the seeded ones, and a decision made through the
//! console's outbox reaches the agent's long-poll; the result the agent reports syncs back.

use chrono::Utc;
use countersign_core::review::ReviewInput;
use countersign_core::{ActionStatus, DecisionKind, PendingAction, Role};
use countersign_store::{Store, actions};
use countersign_sync::decide::{Reviewer, open_review, queue_decision};
use countersign_sync::outbox::deliver;
use countersign_tests::{fast_retries, post, rig};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn reviewer() -> Reviewer<'static> {
    Reviewer {
        actor: "reviewer@test",
        roles: &[Role::Reviewer],
        min_review: Duration::from_secs(5),
    }
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

fn agent_run() -> Value {
    json!({
        "run_id": "agent-sync-run-1",
        "revision": 1,
        "tenant": "northwind-eu",
        "user_id": "u_42",
        "team": "support",
        "workflow": "refund_request",
        "model": "gpt-4.1-mini",
        "tool_calls": [{"call_id": "c1", "tool": "order_lookup", "arguments": {"order": "ord_9"},
                        "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T10:00:01Z"}],
        "cost_micros": 8300,
        "latency_ms": 2100,
        "outcome": "pending",
        "started_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:02Z"
    })
}

fn agent_action() -> Value {
    json!({
        "idempotency_key": "sync-refund-1",
        "run_id": "agent-sync-run-1",
        "tenant": "northwind-eu",
        "kind": "issue_refund",
        "title": "Issue refund",
        "target": {"system": "billing", "record_id": "ord_9"},
        "risk": "high",
        "fields": [
            {"name": "amount", "label": "Refund amount", "kind": "money", "value": "64.00", "confirm": "reenter"},
            {"name": "currency", "label": "Currency", "kind": "currency", "value": "EUR", "confirm": "tick"}
        ],
        "proposed": {"order_id": "ord_9", "amount": "64.00", "currency": "EUR"},
        "expires_in_secs": 900
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_run_and_action_sync_and_the_consoles_decision_reaches_its_long_poll() {
    let rig = rig(|c| c.seed_runs = 20).await;
    let (_, key) = countersign_backend::create_key(
        rig.backend.data_dir(),
        "refund-agent",
        countersign_backend::Scope::Ingest,
    )
    .expect("key");
    let url = rig.backend.url.clone();
    let (s, body) = post(&url, &key, "/v1/runs", agent_run()).await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = post(&url, &key, "/v1/actions", agent_action()).await;
    assert_eq!(s, 201, "{body}");
    let action_id = body["action"]["action_id"]
        .as_str()
        .expect("id")
        .to_string();

    let report = rig.sync(200).await;
    assert_eq!(report.error, None);
    assert_eq!(rig.store_runs().get("agent-sync-run-1"), Some(&1));
    let mut store = Store::open(&rig.store_path).expect("store");
    let a = actions::get(store.conn(), &rig.backend_id, &action_id)
        .expect("get")
        .expect("the agent's action is in the store");
    assert_eq!(a.status, ActionStatus::Pending);
    assert_eq!(a.fields[0].value, "64.00");

    // The agent waits; the reviewer decides in the console; the outbox delivers.
    let path = format!("{url}/v1/actions/{action_id}/decision?wait=30");
    let agent_key = key.clone();
    let waiter = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .get(path)
            .bearer_auth(agent_key)
            .send()
            .await
            .expect("long-poll");
        (r.json::<Value>().await.expect("json"), Instant::now())
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while rig.backend.actions_waited_on() == 0 {
        assert!(Instant::now() < deadline, "the agent never waited");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let opened_at = Utc::now() - chrono::Duration::seconds(30);
    open_review(
        &mut store,
        &rig.backend_id,
        &action_id,
        &reviewer(),
        opened_at,
    )
    .expect("opened");
    queue_decision(
        &mut store,
        &rig.backend_id,
        &action_id,
        &approve_all(&a),
        &reviewer(),
        Utc::now(),
    )
    .expect("queued");
    let delivered_from = Instant::now();
    let report = deliver(
        &rig.store_path,
        &rig.backend_id,
        &rig.client(fast_retries()),
    )
    .await
    .expect("deliver");
    assert_eq!((report.delivered, report.waiting), (1, 0));
    let (view, answered) = waiter.await.expect("waiter");
    assert!(answered >= delivered_from);
    assert_eq!(view["status"], "approved", "{view}");
    assert_eq!(
        view["fields"],
        json!({"amount": "64.00", "currency": "EUR"})
    );

    // The agent executes and reports once; the console syncs the result.
    let result = json!({"status": "executed", "detail": {"refund_id": "rf_9"}});
    let (s, body) = post(
        &url,
        &key,
        &format!("/v1/actions/{action_id}/result"),
        result,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(rig.sync(200).await.error, None);
    let a = actions::get(store.conn(), &rig.backend_id, &action_id)
        .expect("get")
        .expect("action");
    assert_eq!(a.status, ActionStatus::Executed);
    rig.backend.shutdown().await;
}
