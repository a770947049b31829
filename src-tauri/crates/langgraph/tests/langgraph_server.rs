//! The LangGraph connector against a real `langgraph dev` serving the deterministic fixture
//! graph (fixtures/graph/graph.py): sync, approve / edit / deny reaching the graph, a decision
//! sent twice resuming once, threads resolved outside the console, a server that goes down,
//! and paged or killed syncs converging to a full one.

mod support;

use countersign_core::review::{ReviewError, check_review};
use countersign_core::{ActionStatus, DecisionKind, FieldKind, Outcome, Role};
use countersign_langgraph::map::{DECIDED_OUTSIDE, split_action_id};
use countersign_store::health::HealthState;
use countersign_store::outbox::EntryState;
use countersign_store::{Store, audit, health, outbox, runs};
use countersign_sync::decide::{open_review, queue_decision};
use serde_json::json;
use std::collections::BTreeMap;
use support::*;

fn action_of(path: &std::path::Path, backend: &str, tid: &str) -> countersign_core::PendingAction {
    let mut list = actions_of(path, backend, tid);
    assert_eq!(list.len(), 1, "one action for thread {tid}: {list:?}");
    list.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_turns_interrupted_threads_into_reviewable_actions_and_runs() {
    let server = Server::start();
    eprintln!("langgraph dev answered after {:?}", server.started_in);
    let url = server.url.clone();
    let refund = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1001"})).await;
    let close = start_thread(&url, json!({"kind": "close", "ticket_id": "T-9"})).await;
    let c = client(&url);
    let info = countersign_langgraph::probe(&c).await.expect("probe");
    assert_eq!(info.graphs, vec!["refunds".to_string()]);
    assert!(info.api_version.is_some());

    let (_d, path, backend) = store_with_backend(
        &url,
        json!({"confirm_fields": {"close_ticket": ["ticket_id"]}}),
    );
    let report = sync_all(&path, &backend, &c).await;
    assert_eq!(report.error, None);
    assert_eq!((report.runs, report.actions), (2, 2));

    let a = action_of(&path, &backend, &refund);
    assert_eq!(a.kind, "issue_refund");
    assert_eq!(a.title, "Issue refund");
    assert_eq!(a.status, ActionStatus::Pending);
    assert_eq!(a.target.record_id, "ord_1001");
    assert_eq!(a.rationale, "Refund 120.00 EUR on order ord_1001");
    assert_eq!(a.tenant, "acme");
    let (tid, iid) = split_action_id(&a.action_id).expect("action id");
    assert_eq!(tid, refund);
    assert_eq!(
        pending_interrupts(&url, &refund).await,
        vec![iid.to_string()]
    );
    // issue_refund is not configured: every argument must be confirmed, kinds inferred.
    let kinds: BTreeMap<&str, (FieldKind, &str, bool)> = a
        .fields
        .iter()
        .map(|f| (f.name.as_str(), (f.kind, f.value.as_str(), f.editable)))
        .collect();
    assert_eq!(kinds["amount"], (FieldKind::Money, "120.00", true));
    assert_eq!(kinds["currency"], (FieldKind::Currency, "EUR", true));
    assert_eq!(kinds["region"], (FieldKind::Region, "DE", true));
    assert_eq!(kinds["order_id"], (FieldKind::Identifier, "ord_1001", true));
    assert_eq!(
        a.allowed_decisions,
        vec![
            DecisionKind::Approve,
            DecisionKind::ApproveWithEdits,
            DecisionKind::Deny,
            DecisionKind::Escalate
        ]
    );

    // close_ticket: only ticket_id is configured; no edits allowed by the interrupt.
    let ct = action_of(&path, &backend, &close);
    assert_eq!(ct.kind, "close_ticket");
    assert_eq!(
        ct.fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        vec!["ticket_id"]
    );
    assert!(
        ct.fields
            .iter()
            .any(|f| f.name == "resolution" && !f.required),
        "unlisted args are review fields that need no confirmation"
    );
    assert_eq!(
        ct.proposed["args"]["resolution"], "resolved",
        "unlisted args still shown"
    );
    assert_eq!(
        ct.allowed_decisions,
        vec![
            DecisionKind::Approve,
            DecisionKind::Deny,
            DecisionKind::Escalate
        ]
    );
    let mut edit = review(
        &ct,
        DecisionKind::ApproveWithEdits,
        &[("ticket_id", "T-1")],
        None,
    );
    edit.decision = Some(DecisionKind::ApproveWithEdits);
    assert_eq!(
        check_review(
            &ct,
            &ct.field_rules,
            &edit,
            CONSOLE,
            chrono::Utc::now(),
            "k".into()
        ),
        Err(ReviewError::NotAllowed(DecisionKind::ApproveWithEdits))
    );
    let mut partial = review(&a, DecisionKind::Approve, &[], None);
    partial.fields.remove("region");
    assert_eq!(
        check_review(
            &a,
            &a.field_rules,
            &partial,
            CONSOLE,
            chrono::Utc::now(),
            "k".into()
        ),
        Err(ReviewError::Unconfirmed("region".into()))
    );

    // The thread's history is the run's trace.
    let store = Store::open(&path).expect("store");
    let run = runs::get(store.conn(), &backend, &refund)
        .expect("get run")
        .expect("run stored");
    assert_eq!(run.outcome, Outcome::Pending);
    assert_eq!(run.workflow, "refunds");
    // Today's thread metadata keys (`user_id`, `tenant`) keep naming user and tenant.
    assert_eq!(run.user_id, "support-bot");
    assert_eq!(run.tenant, "acme");
    assert_eq!(run.inputs["ticket"]["order_id"], "ord_1001");
    let tools: Vec<&str> = run.tool_calls.iter().map(|t| t.tool.as_str()).collect();
    assert_eq!(tools, vec!["lookup_order", "draft_refund", "review_refund"]);
    let last = run.tool_calls.last().expect("review step");
    assert_eq!(
        last.result_summary.as_deref(),
        Some("waiting for review: issue_refund")
    );
    assert_eq!(last.arguments["args"]["amount"], "120.00");
    assert!(last.ended_at.is_none());
    assert!(run.ended_at.is_none());

    // Idempotent: nothing changed on the server, nothing changes in the store.
    let before = snapshot(&path);
    let again = sync_all(&path, &backend, &c).await;
    assert_eq!(again.error, None);
    assert_eq!((again.runs, again.actions), (0, 0));
    assert_eq!(snapshot(&path), before);
    assert_eq!(
        health::get(store.conn(), &backend).expect("health").state,
        HealthState::Healthy
    );
}

/// The backend's identity keys name user and tenant from the thread's metadata (set on
/// creation) and from the run's metadata (which the server writes into the checkpoints).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_keys_read_thread_and_run_metadata_on_a_real_server() {
    let server = Server::start();
    let url = server.url.clone();
    let t = post(&url, "/threads", json!({"metadata": {"org": "initech"}})).await;
    let tid = t["thread_id"].as_str().expect("thread id").to_string();
    post(
        &url,
        &format!("/threads/{tid}/runs/wait"),
        json!({"assistant_id": "refunds", "metadata": {"customer": "c-5"},
               "input": {"ticket": {"kind": "refund", "order_id": "ord_1002"}}}),
    )
    .await;
    let (_d, path, backend) = store_with_backend(
        &url,
        json!({"identity": {"user_keys": ["customer"], "tenant_keys": ["org"]}}),
    );
    let report = sync_all(&path, &backend, &client(&url)).await;
    assert_eq!(report.error, None);
    let store = Store::open(&path).expect("store");
    let run = runs::get(store.conn(), &backend, &tid)
        .expect("get run")
        .expect("run stored");
    assert_eq!(
        (run.user_id.as_str(), run.tenant.as_str()),
        ("c-5", "initech")
    );
    assert_eq!(action_of(&path, &backend, &tid).tenant, "initech");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_edit_then_approve_and_deny_each_reach_the_graph() {
    let server = Server::start();
    let url = server.url.clone();
    let t_ok = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1001"})).await;
    let t_edit = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1002"})).await;
    let t_deny = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1003"})).await;
    let c = client(&url);
    let (_d, path, backend) = store_with_backend(
        &url,
        json!({"confirm_fields": {"issue_refund": ["amount", "currency", "region"]}}),
    );
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);

    let a_ok = action_of(&path, &backend, &t_ok);
    let a_edit = action_of(&path, &backend, &t_edit);
    let a_deny = action_of(&path, &backend, &t_deny);
    assert_eq!(
        a_ok.fields.iter().filter(|f| f.required).count(),
        3,
        "order_id is shown, not required"
    );
    assert!(
        a_ok.fields
            .iter()
            .any(|f| f.name == "order_id" && !f.required)
    );
    decide(
        &path,
        &backend,
        &a_ok.action_id,
        &review(&a_ok, DecisionKind::Approve, &[], None),
        "rita",
    );
    decide(
        &path,
        &backend,
        &a_edit.action_id,
        &review(
            &a_edit,
            DecisionKind::ApproveWithEdits,
            &[("amount", "40.00")],
            None,
        ),
        "rita",
    );
    decide(
        &path,
        &backend,
        &a_deny.action_id,
        &review(
            &a_deny,
            DecisionKind::Deny,
            &[],
            Some("above the refund policy limit"),
        ),
        "sam",
    );
    let report = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(
        (
            report.delivered,
            report.conflicts,
            report.rejected,
            report.waiting
        ),
        (3, 0, 0, 0),
        "{report:?}"
    );

    let ok = state_values(&url, &t_ok).await;
    assert_eq!(
        ok["refunds_executed"],
        json!([{"order_id": "ord_1001", "amount": "120.00", "currency": "EUR", "region": "DE"}])
    );
    assert_eq!(ok["outcome"], "refunded");
    let edited = state_values(&url, &t_edit).await;
    assert_eq!(
        edited["refunds_executed"],
        json!([{"order_id": "ord_1002", "amount": "40.00", "currency": "USD", "region": "US"}]),
        "the corrected amount is what the graph executed"
    );
    assert_eq!(edited["outcome"], "refunded_with_edits");
    let denied = state_values(&url, &t_deny).await;
    assert_eq!(denied["refunds_executed"], json!([]));
    assert_eq!(denied["denied_reason"], "above the refund policy limit");
    assert_eq!(denied["outcome"], "denied");
    for t in [&t_ok, &t_edit, &t_deny] {
        assert!(pending_interrupts(&url, t).await.is_empty());
    }

    // The store follows at once (from the delivery), and a sync agrees.
    let status = |tid: &str| action_of(&path, &backend, tid);
    assert_eq!(status(&t_ok).status, ActionStatus::Executed);
    assert_eq!(status(&t_ok).decided_by.as_deref(), Some("rita"));
    assert_eq!(status(&t_edit).status, ActionStatus::Executed);
    assert_eq!(status(&t_deny).status, ActionStatus::Denied);
    assert_eq!(status(&t_deny).decided_by.as_deref(), Some("sam"));
    let after_delivery = snapshot(&path);
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    assert_eq!(snapshot(&path), after_delivery);
    let store = Store::open(&path).expect("store");
    let outcome = |tid: &str| {
        runs::get(store.conn(), &backend, tid)
            .expect("run")
            .expect("stored")
            .outcome
    };
    assert_eq!(outcome(&t_ok), Outcome::Success);
    assert_eq!(outcome(&t_edit), Outcome::Success);
    assert_eq!(outcome(&t_deny), Outcome::Denied);
    let run = runs::get(store.conn(), &backend, &t_ok)
        .expect("run")
        .expect("stored");
    let tools: Vec<&str> = run.tool_calls.iter().map(|t| t.tool.as_str()).collect();
    assert_eq!(
        tools,
        vec![
            "lookup_order",
            "draft_refund",
            "review_refund",
            "notify_customer"
        ]
    );
    assert!(run.ended_at.is_some());
    let delivered: Vec<_> = outbox::list(store.conn(), None, 10)
        .expect("outbox")
        .into_iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(delivered, vec![EntryState::Delivered; 3]);
}

/// LangGraph has no users: the console holds reviewer and operator there, so an action
/// escalated to finance cannot be decided from it by any decision kind, and stays waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_to_finance_cannot_be_decided_from_the_console() {
    let server = Server::start();
    let url = server.url.clone();
    let tid = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1001"})).await;
    let c = client(&url);
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a = action_of(&path, &backend, &tid);
    let mut esc = review(&a, DecisionKind::Escalate, &[], Some("above my limit"));
    esc.escalate_to = Some(Role::Finance);
    decide(&path, &backend, &a.action_id, &esc, "rita");
    let report = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(report.delivered, 1);
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a = action_of(&path, &backend, &tid);
    assert_eq!(
        (a.status, a.escalated_to),
        (ActionStatus::Pending, Some(Role::Finance))
    );

    let mut store = Store::open(&path).expect("store");
    let who = console("rita");
    open_review(&mut store, &backend, &a.action_id, &who, chrono::Utc::now()).expect("open");
    for kind in [
        DecisionKind::Approve,
        DecisionKind::Deny,
        DecisionKind::Escalate,
    ] {
        let mut r = review(&a, kind, &[], Some("crafted"));
        r.escalate_to = Some(Role::Reviewer);
        let err = queue_decision(
            &mut store,
            &backend,
            &a.action_id,
            &r,
            &who,
            chrono::Utc::now(),
        );
        assert_eq!(
            err.map_err(|e| e.code()).err(),
            Some("forbidden"),
            "{kind:?}"
        );
    }
    assert_eq!(outbox::count_queued(store.conn()).expect("count"), 0);
    assert_eq!(
        pending_interrupts(&url, &tid).await.len(),
        1,
        "still waiting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_sent_twice_resumes_once() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);

    // 1. The same entry delivered again after a crash (its answer was never recorded).
    let t1 = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1001"})).await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a1 = action_of(&path, &backend, &t1);
    let entry = decide(
        &path,
        &backend,
        &a1.action_id,
        &review(&a1, DecisionKind::Approve, &[], None),
        "rita",
    );
    let first = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(first.delivered, 1, "{first:?}");
    {
        // The crash: the answer is lost, the entry is queued again.
        let store = Store::open(&path).expect("store");
        store
            .conn()
            .execute(
                "UPDATE outbox SET state = 'queued', response = NULL, answered_at_ms = NULL WHERE id = ?1",
                [entry.id],
            )
            .expect("requeue");
    }
    let second = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("redeliver");
    assert_eq!((second.delivered, second.conflicts), (1, 0), "{second:?}");
    let store = Store::open(&path).expect("store");
    let e = outbox::get(store.conn(), entry.id)
        .expect("entry")
        .expect("exists");
    assert_eq!(e.state, EntryState::Delivered);
    assert_eq!(
        e.response.as_ref().map(|r| r["replayed"].clone()),
        Some(json!(true))
    );
    let v = state_values(&url, &t1).await;
    assert_eq!(
        v["refunds_executed"].as_array().map(Vec::len),
        Some(1),
        "executed once: {v}"
    );
    let resumes = get(&url, &format!("/threads/{t1}/runs")).await;
    let ours = resumes
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["metadata"]["countersign_key"] == json!(entry.idempotency_key))
        .count();
    assert_eq!(ours, 1, "the replay sent nothing");

    // 2. Two deliveries of the same store racing.
    let t2 = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1002"})).await;
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a2 = action_of(&path, &backend, &t2);
    decide(
        &path,
        &backend,
        &a2.action_id,
        &review(&a2, DecisionKind::Approve, &[], None),
        "rita",
    );
    let (x, y) = tokio::join!(
        countersign_langgraph::deliver(&path, &backend, &c),
        countersign_langgraph::deliver(&path, &backend, &c)
    );
    let (x, y) = (x.expect("x"), y.expect("y"));
    assert_eq!(x.delivered + y.delivered, 1, "{x:?} {y:?}");
    assert_eq!(x.conflicts + y.conflicts, 0);
    let v = state_values(&url, &t2).await;
    assert_eq!(v["refunds_executed"].as_array().map(Vec::len), Some(1));

    // 3. Two consoles decide the same interrupt: the second is a conflict, honestly reported.
    let t3 = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1003"})).await;
    let (_d2, other, other_backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    assert_eq!(sync_all(&other, &other_backend, &c).await.error, None);
    let mine = action_of(&path, &backend, &t3);
    let theirs = action_of(&other, &other_backend, &t3);
    assert_eq!(mine.action_id, theirs.action_id);
    decide(
        &other,
        &other_backend,
        &theirs.action_id,
        &review(&theirs, DecisionKind::Approve, &[], None),
        "olga",
    );
    decide(
        &path,
        &backend,
        &mine.action_id,
        &review(&mine, DecisionKind::Deny, &[], Some("duplicate")),
        "rita",
    );
    let r_other = countersign_langgraph::deliver(&other, &other_backend, &c)
        .await
        .expect("other");
    assert_eq!(r_other.delivered, 1);
    let r_mine = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("mine");
    assert_eq!((r_mine.delivered, r_mine.conflicts), (0, 1), "{r_mine:?}");
    let v = state_values(&url, &t3).await;
    assert_eq!(v["refunds_executed"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["denials"], json!([]));
    let now_mine = action_of(&path, &backend, &t3);
    assert_eq!(
        now_mine.status,
        ActionStatus::Executed,
        "shows what really happened"
    );
    assert_eq!(now_mine.decided_by.as_deref(), Some("olga"));
    let store = Store::open(&path).expect("store");
    let conflict = outbox::list(store.conn(), Some((&backend, &mine.action_id)), 1)
        .expect("outbox")
        .remove(0);
    assert_eq!(conflict.state, EntryState::Conflict);
    assert!(
        conflict
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("already answered")),
        "{conflict:?}"
    );
    let events = audit::list(store.conn(), None, None, 100).expect("audit");
    assert!(events.iter().any(|e| e.kind == "decision_delivery"
        && e.details["outcome"] == "conflict"
        && e.subject.ends_with(&mine.action_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_resolved_outside_the_console_is_followed_and_a_queued_decision_conflicts() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let tid = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1002"})).await;
    let batch = start_thread(
        &url,
        json!({"kind": "batch", "order_ids": ["ord_1001", "ord_1003"]}),
    )
    .await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a = action_of(&path, &backend, &tid);
    assert_eq!(
        actions_of(&path, &backend, &batch).len(),
        2,
        "two interrupts pending at once"
    );

    // Someone answers in another tool (unkeyed resume, as Agent Inbox sends for one interrupt).
    post(
        &url,
        &format!("/threads/{tid}/runs/wait"),
        json!({"assistant_id": "refunds", "command": {"resume": [{"type": "response", "args": "handled by phone"}]}}),
    )
    .await;
    // Meanwhile a reviewer approves from a store that has not seen it yet.
    decide(
        &path,
        &backend,
        &a.action_id,
        &review(&a, DecisionKind::Approve, &[], None),
        "rita",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!((r.delivered, r.conflicts), (0, 1), "{r:?}");
    let v = state_values(&url, &tid).await;
    assert_eq!(
        v["refunds_executed"],
        json!([]),
        "the console did not execute it"
    );
    assert_eq!(v["denied_reason"], "handled by phone");
    let now = action_of(&path, &backend, &tid);
    assert_eq!(now.status, ActionStatus::Denied);
    assert_eq!(now.decided_by.as_deref(), Some(DECIDED_OUTSIDE));

    // One interrupt of the batch answered outside (keyed); the sync follows, the other stays.
    let batch_actions = actions_of(&path, &backend, &batch);
    let (_, first_iid) = split_action_id(&batch_actions[0].action_id).expect("id");
    post(
        &url,
        &format!("/threads/{batch}/runs/wait"),
        json!({"assistant_id": "refunds", "command": {"resume": {first_iid: [{"type": "accept", "args": null}]}}}),
    )
    .await;
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let after: BTreeMap<String, ActionStatus> = actions_of(&path, &backend, &batch)
        .into_iter()
        .map(|a| (a.action_id, a.status))
        .collect();
    assert_eq!(after[&batch_actions[0].action_id], ActionStatus::Executed);
    assert_eq!(after[&batch_actions[1].action_id], ActionStatus::Pending);
    // The remaining one is decided from the console, keyed by its interrupt id.
    let rest = actions_of(&path, &backend, &batch)
        .into_iter()
        .find(|a| a.status == ActionStatus::Pending)
        .expect("pending one");
    decide(
        &path,
        &backend,
        &rest.action_id,
        &review(&rest, DecisionKind::Deny, &[], Some("fraud risk")),
        "sam",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(r.delivered, 1, "{r:?}");
    let v = state_values(&url, &batch).await;
    assert_eq!(v["refunds_executed"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["denials"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["denials"][0]["reason"], "fraud risk");
    let store = Store::open(&path).expect("store");
    let run = runs::get(store.conn(), &backend, &tid)
        .expect("run")
        .expect("stored");
    assert_eq!(run.outcome, Outcome::Denied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_down_is_reported_and_nothing_is_lost() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let tid = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1001"})).await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a = action_of(&path, &backend, &tid);
    let entry = decide(
        &path,
        &backend,
        &a.action_id,
        &review(&a, DecisionKind::Approve, &[], None),
        "rita",
    );
    let before = snapshot(&path);

    // Graceful stop (the dev server persists its threads), then it is down.
    let dir = server.stop_gracefully();
    for _ in 0..3 {
        let r = sync_all(&path, &backend, &c).await;
        assert_eq!(
            r.error.as_ref().map(|e| e.code.as_str()),
            Some("backend_unreachable")
        );
    }
    let d = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!((d.delivered, d.waiting), (0, 1), "{d:?}");
    {
        let store = Store::open(&path).expect("store");
        let h = health::get(store.conn(), &backend).expect("health");
        assert_eq!(h.state, HealthState::Down);
        assert!(h.last_error.is_some());
        let e = outbox::get(store.conn(), entry.id)
            .expect("entry")
            .expect("exists");
        assert_eq!((e.state, e.attempts), (EntryState::Queued, 1));
        let failures = audit::list(store.conn(), None, None, 100)
            .expect("audit")
            .into_iter()
            .filter(|e| e.kind == "sync_failure" && e.subject == backend)
            .count();
        assert_eq!(failures, 3);
    }
    assert_eq!(snapshot(&path), before, "nothing synced was lost");

    // Back up (same threads, another port): the waiting decision goes through, health recovers.
    let server = Server::start_in(dir);
    let c = client(&server.url);
    assert_eq!(
        pending_interrupts(&server.url, &tid).await.len(),
        1,
        "threads persisted"
    );
    let d = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(d.delivered, 1, "{d:?}");
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let store = Store::open(&path).expect("store");
    assert_eq!(
        health::get(store.conn(), &backend).expect("health").state,
        HealthState::Healthy
    );
    let v = state_values(&server.url, &tid).await;
    assert_eq!(v["refunds_executed"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        action_of(&path, &backend, &tid).status,
        ActionStatus::Executed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncing_one_page_at_a_time_equals_a_full_sync_even_while_threads_move() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let mut threads = Vec::new();
    for (i, o) in ["ord_1001", "ord_1002", "ord_1003", "ord_1001", "ord_1002"]
        .iter()
        .enumerate()
    {
        let t = if i == 2 {
            start_thread(
                &url,
                json!({"kind": "close", "ticket_id": format!("T-{i}")}),
            )
            .await
        } else {
            start_thread(&url, json!({"kind": "refund", "order_id": o})).await
        };
        threads.push(t);
    }
    let (_d, paged, pb) = store_with_backend(&url, json!({}));
    // Two pages in, the oldest threads move on (to the end of the order).
    for _ in 0..2 {
        let r = sync_with(&paged, &pb, &c, 2, Some(1)).await;
        assert_eq!(r.error, None);
        assert_eq!(r.pages, 1);
    }
    for t in &threads[..2] {
        post(
            &url,
            &format!("/threads/{t}/runs/wait"),
            json!({"assistant_id": "refunds", "command": {"resume": [{"type": "accept", "args": null}]}}),
        )
        .await;
    }
    let extra = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1003"})).await;
    threads.push(extra);
    let mut rounds = 0;
    loop {
        let r = sync_with(&paged, &pb, &c, 2, Some(1)).await;
        assert_eq!(r.error, None);
        rounds += 1;
        if r.runs + r.actions == 0 && rounds > 8 {
            break;
        }
        assert!(rounds < 40, "paged sync does not converge");
    }
    let (_d2, full, fb) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&full, &fb, &c).await.error, None);
    let (pa, pr) = snapshot(&paged);
    let (fa, fr) = snapshot(&full);
    assert_eq!(pr, fr);
    assert_eq!(pa, fa);
    assert_eq!(pr.len(), threads.len());
    let executed = pa.iter().filter(|(_, _, s)| s == "executed").count();
    assert_eq!(executed, 2);
}

/// Not a test on its own: the child process of the kill-and-resume test below (it does
/// nothing unless that test started it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_of_the_kill_test() {
    let Ok(args) = std::env::var("COUNTERSIGN_LG_CHILD_SYNC") else {
        return;
    };
    let mut it = args.splitn(3, '|');
    let (Some(path), Some(backend), Some(url)) = (it.next(), it.next(), it.next()) else {
        panic!("bad COUNTERSIGN_LG_CHILD_SYNC");
    };
    let c = client(url);
    let r = sync_with(std::path::Path::new(path), backend, &c, 1, None).await;
    assert_eq!(r.error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_at_any_point_resumes_to_exactly_a_full_sync() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let orders = ["ord_1001", "ord_1002", "ord_1003"];
    for i in 0..12 {
        start_thread(&url, json!({"kind": "refund", "order_id": orders[i % 3]})).await;
    }
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    let exe = std::env::current_exe().expect("test binary");
    let count = |p: &std::path::Path| -> i64 {
        Store::open(p)
            .ok()
            .and_then(|s| {
                s.conn()
                    .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
                    .ok()
            })
            .unwrap_or(0)
    };
    let mut killed = 0;
    for kill_at in [2, 5, 9] {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "child_process_of_the_kill_test",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                "COUNTERSIGN_LG_CHILD_SYNC",
                format!("{}|{backend}|{url}", path.display()),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("child sync");
        let mut exited = false;
        // Fine-grained: the kill must land while the child is mid-sync.
        let progressed = poll_until(
            std::time::Duration::from_secs(60),
            std::time::Duration::from_millis(5),
            || {
                exited = matches!(child.try_wait(), Ok(Some(_)));
                exited || count(&path) >= kill_at
            },
        );
        assert!(progressed, "child sync made no progress");
        if !exited {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        let _ = child.wait();
    }
    assert!(killed >= 1, "at least one sync was killed mid-way");
    let r = sync_all(&path, &backend, &c).await;
    assert_eq!(r.error, None);
    let (_d2, full, fb) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&full, &fb, &c).await.error, None);
    assert_eq!(snapshot(&path), snapshot(&full));
    assert_eq!(snapshot(&path).1.len(), 12);
}
