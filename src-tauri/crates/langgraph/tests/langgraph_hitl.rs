//! Every interrupt shape against a real `langgraph dev` serving fixtures/graph/agents.py: a
//! LangChain v1 `create_agent` with `HumanInTheLoopMiddleware` (a scripted chat model, no
//! network) in batched and per-call mode, and a graph with an `interrupt()` payload of its own.
//!
//! - batched: two tool calls in ONE interrupt are two actions decided one by one; the first
//!   decision is held until the second is in, then the thread is resumed once and the tools ran
//!   with what the reviewers decided (edits, a rejection's reason);
//! - a batched decision replayed, raced in one console or raced between two consoles resumes
//!   the thread once;
//! - per-call: one decision per interrupt, approve, edit and reject, kinds from the tool's
//!   argument schema the interrupt publishes;
//! - custom payload: pending, never quarantined, escalation only until the admin configures a
//!   resume template, then answered with it.

mod support;

use countersign_core::review::{ReviewError, check_review};
use countersign_core::{ActionStatus, DecisionKind, FieldKind, KindSource, PendingAction};
use countersign_langgraph::map::{NO_TEMPLATE_CHECK, parse_action_id};
use countersign_store::outbox::EntryState;
use countersign_store::{Store, audit, backends, outbox, quarantine};
use serde_json::json;
use support::*;

/// The actions of a thread, in batch order (then by id).
fn actions_in_order(path: &std::path::Path, backend: &str, tid: &str) -> Vec<PendingAction> {
    let mut list = actions_of(path, backend, tid);
    list.sort_by_key(|a| {
        (
            a.batch.as_ref().map(|b| b.index).unwrap_or_default(),
            a.action_id.clone(),
        )
    });
    list
}

fn entry(path: &std::path::Path, id: i64) -> outbox::Entry {
    let store = Store::open(path).expect("store");
    outbox::get(store.conn(), id)
        .expect("entry")
        .expect("exists")
}

/// What the tool `issue_refund` of agents.py returns for these arguments.
fn refund_result(amount: &str) -> String {
    format!(
        "{{\"amount\": \"{amount}\", \"currency\": \"EUR\", \"notify\": true, \"order_id\": \"ord_1001\", \"tool\": \"issue_refund\"}}"
    )
}

const CRM_RESULT: &str = "{\"customer_id\": \"cus_77\", \"note\": \"refund issued for ord_1001\", \"tool\": \"update_crm\"}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batched_interrupt_is_decided_request_by_request_and_resumed_once() {
    let server = Server::start_agents();
    let url = server.url.clone();
    let c = client(&url);
    let info = countersign_langgraph::probe(&c).await.expect("probe");
    assert!(info.graphs.contains(&"hitl_batched".to_string()));
    let t_edit = start_agent(&url, "hitl_batched").await;
    let t_reject = start_agent(&url, "hitl_batched").await;
    assert_eq!(
        pending_interrupts(&url, &t_edit).await.len(),
        1,
        "one interrupt"
    );
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    let report = sync_all(&path, &backend, &c).await;
    assert_eq!(report.error, None);
    assert_eq!(report.actions, 4, "{report:?}");

    let acts = actions_in_order(&path, &backend, &t_edit);
    assert_eq!(acts.len(), 2, "{acts:?}");
    let (refund, crm) = (&acts[0], &acts[1]);
    let iid = pending_interrupts(&url, &t_edit).await.remove(0);
    assert_eq!(
        parse_action_id(&refund.action_id),
        Some((t_edit.as_str(), iid.as_str(), Some(0)))
    );
    assert_eq!(refund.kind, "issue_refund");
    assert_eq!(
        refund.rationale,
        "Refunds move money: check the amount and currency."
    );
    let batch = refund.batch.as_ref().expect("batch");
    assert_eq!((batch.index, batch.size), (0, 2));
    assert_eq!(
        batch.members,
        vec![refund.action_id.clone(), crm.action_id.clone()]
    );
    assert_eq!(crm.kind, "update_crm");
    assert_eq!(crm.batch.as_ref().map(|b| b.index), Some(1));
    assert_eq!(
        refund.allowed_decisions,
        vec![
            DecisionKind::Approve,
            DecisionKind::ApproveWithEdits,
            DecisionKind::Deny,
            DecisionKind::Escalate
        ]
    );
    let kind = |a: &PendingAction, n: &str| a.fields.iter().find(|f| f.name == n).map(|f| f.kind);
    assert_eq!(kind(refund, "amount"), Some(FieldKind::Money));
    assert_eq!(kind(refund, "notify"), Some(FieldKind::Bool));
    assert_eq!(kind(crm, "customer_id"), Some(FieldKind::Identifier));

    // The first decision is held: nothing is sent until the other request is decided.
    let e0 = decide(
        &path,
        &backend,
        &refund.action_id,
        &review(
            refund,
            DecisionKind::ApproveWithEdits,
            &[("amount", "80.00")],
            None,
        ),
        "rita",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!((r.delivered, r.waiting, r.held), (0, 1, 1), "{r:?}");
    let held = entry(&path, e0.id);
    assert_eq!(held.state, EntryState::Queued);
    assert_eq!(held.attempts, 0, "a hold is not a failed attempt");
    assert_eq!(
        held.response,
        Some(json!({"held": "batch", "waiting_for": 1, "size": 2, "escalated": 0}))
    );
    assert!(
        held.last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("waiting for 1 other request of this interrupt")),
        "{held:?}"
    );
    assert_eq!(pending_interrupts(&url, &t_edit).await, vec![iid.clone()]);
    assert!(console_runs(&url, &t_edit).await.is_empty(), "nothing sent");
    let again = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(
        (again.waiting, again.held),
        (1, 0),
        "an unchanged hold is not news"
    );

    // The second decision completes the batch: one resume with both, in request order.
    let e1 = decide(
        &path,
        &backend,
        &crm.action_id,
        &review(crm, DecisionKind::Approve, &[], None),
        "sam",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(
        (r.delivered, r.conflicts, r.rejected, r.waiting),
        (2, 0, 0, 0),
        "{r:?}"
    );
    assert_eq!(settled_status(&url, &t_edit).await, "idle");
    let tools = tool_messages(&url, &t_edit).await;
    assert_eq!(tools.len(), 2, "{tools:?}");
    let refund_msg = &tools
        .iter()
        .find(|(n, _)| n == "issue_refund")
        .expect("refund")
        .1;
    assert!(
        refund_msg.ends_with(&refund_result("80.00")),
        "the tool ran with the edited amount: {refund_msg}"
    );
    assert!(refund_msg.contains("a human reviewer replaced this tool call"));
    let crm_msg = &tools
        .iter()
        .find(|(n, _)| n == "update_crm")
        .expect("crm")
        .1;
    assert_eq!(crm_msg, CRM_RESULT);
    let runs = console_runs(&url, &t_edit).await;
    assert_eq!(runs.len(), 1, "resumed once");
    let meta = &runs[0]["metadata"];
    assert_eq!(
        meta["countersign_keys"],
        json!([e0.idempotency_key, e1.idempotency_key])
    );
    assert_eq!(meta["countersign_actors"], json!(["rita", "sam"]));
    assert_eq!(
        meta["countersign_decisions"],
        json!(["approve_with_edits", "approve"])
    );
    assert_eq!(
        runs[0]["kwargs"]["command"]["resume"][&iid]["decisions"][0]["edited_action"]["args"]["amount"],
        "80.00"
    );
    for id in [e0.id, e1.id] {
        let e = entry(&path, id);
        assert_eq!(e.state, EntryState::Delivered);
        assert_eq!(
            e.response.as_ref().map(|r| r["batch"]["size"].clone()),
            Some(json!(2))
        );
    }
    let now = actions_in_order(&path, &backend, &t_edit);
    assert_eq!(
        now.iter()
            .map(|a| (a.status, a.decided_by.clone().unwrap_or_default()))
            .collect::<Vec<_>>(),
        vec![
            (ActionStatus::Executed, "rita".to_string()),
            (ActionStatus::Executed, "sam".to_string())
        ]
    );
    let after = snapshot(&path);
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    assert_eq!(snapshot(&path), after, "a sync agrees with the delivery");

    // Reject with a reason: the tool does not run and the model reads the reason.
    let acts = actions_in_order(&path, &backend, &t_reject);
    decide(
        &path,
        &backend,
        &acts[1].action_id,
        &review(&acts[1], DecisionKind::Approve, &[], None),
        "sam",
    );
    decide(
        &path,
        &backend,
        &acts[0].action_id,
        &review(
            &acts[0],
            DecisionKind::Deny,
            &[],
            Some("above the refund policy limit"),
        ),
        "rita",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!((r.delivered, r.waiting), (2, 0), "{r:?}");
    assert_eq!(settled_status(&url, &t_reject).await, "idle");
    let tools = tool_messages(&url, &t_reject).await;
    let refund_msg = &tools
        .iter()
        .find(|(n, _)| n == "issue_refund")
        .expect("refund")
        .1;
    assert_eq!(
        refund_msg,
        "User rejected the tool call for `issue_refund` with reason: above the refund policy limit"
    );
    let crm_msg = &tools
        .iter()
        .find(|(n, _)| n == "update_crm")
        .expect("crm")
        .1;
    assert_eq!(crm_msg, CRM_RESULT);
    let now = actions_in_order(&path, &backend, &t_reject);
    assert_eq!(
        now.iter().map(|a| a.status).collect::<Vec<_>>(),
        vec![ActionStatus::Denied, ActionStatus::Executed]
    );
    let store = Store::open(&path).expect("store");
    let deliveries = audit::list(store.conn(), None, None, 100)
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == "decision_delivery" && e.details["outcome"] == "delivered")
        .count();
    assert_eq!(deliveries, 4, "one audit event per decision");
    assert_eq!(quarantine::count(store.conn(), &backend).expect("count"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batched_decision_replayed_or_raced_resumes_once() {
    let server = Server::start_agents();
    let url = server.url.clone();
    let c = client(&url);
    let decide_all = |path: &std::path::Path, backend: &str, tid: &str, who: &str| {
        let acts = actions_in_order(path, backend, tid);
        assert_eq!(acts.len(), 2);
        acts.iter()
            .map(|a| {
                decide(
                    path,
                    backend,
                    &a.action_id,
                    &review(a, DecisionKind::Approve, &[], None),
                    who,
                )
            })
            .collect::<Vec<_>>()
    };

    // 1. Delivered, its answer lost in a crash, delivered again: nothing is sent twice.
    let t1 = start_agent(&url, "hitl_batched").await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let entries = decide_all(&path, &backend, &t1, "rita");
    let first = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(first.delivered, 2, "{first:?}");
    {
        let store = Store::open(&path).expect("store");
        for e in &entries {
            store
                .conn()
                .execute(
                    "UPDATE outbox SET state = 'queued', response = NULL, answered_at_ms = NULL WHERE id = ?1",
                    [e.id],
                )
                .expect("requeue");
        }
    }
    let second = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("redeliver");
    assert_eq!((second.delivered, second.conflicts), (2, 0), "{second:?}");
    for e in &entries {
        assert_eq!(
            entry(&path, e.id).response.map(|r| r["replayed"].clone()),
            Some(json!(true))
        );
    }
    assert_eq!(
        console_runs(&url, &t1).await.len(),
        1,
        "the replay sent nothing"
    );
    assert_eq!(tool_messages(&url, &t1).await.len(), 2);

    // 2. Two deliveries of one store racing: one resume.
    let t2 = start_agent(&url, "hitl_batched").await;
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    decide_all(&path, &backend, &t2, "rita");
    let (x, y) = tokio::join!(
        countersign_langgraph::deliver(&path, &backend, &c),
        countersign_langgraph::deliver(&path, &backend, &c)
    );
    let (x, y) = (x.expect("x"), y.expect("y"));
    assert_eq!(x.delivered + y.delivered, 2, "{x:?} {y:?}");
    assert_eq!(x.conflicts + y.conflicts, 0);
    assert_eq!(console_runs(&url, &t2).await.len(), 1);
    assert_eq!(tool_messages(&url, &t2).await.len(), 2);

    // 3. Two consoles decide the same batch and deliver at once: the thread is resumed once;
    // one console's decisions are delivered, the other's are conflicts, honestly reported.
    let t3 = start_agent(&url, "hitl_batched").await;
    let (_d2, other, other_backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    assert_eq!(sync_all(&other, &other_backend, &c).await.error, None);
    decide_all(&path, &backend, &t3, "rita");
    decide_all(&other, &other_backend, &t3, "olga");
    let (x, y) = tokio::join!(
        countersign_langgraph::deliver(&path, &backend, &c),
        countersign_langgraph::deliver(&other, &other_backend, &c)
    );
    let (mut x, mut y) = (x.expect("x"), y.expect("y"));
    // A console that found the thread busy with the other's resume tries again.
    for _ in 0..20 {
        if x.waiting + y.waiting == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if x.waiting > 0 {
            x = countersign_langgraph::deliver(&path, &backend, &c)
                .await
                .expect("x");
        }
        if y.waiting > 0 {
            y = countersign_langgraph::deliver(&other, &other_backend, &c)
                .await
                .expect("y");
        }
    }
    let outcomes = |p: &std::path::Path| {
        let store = Store::open(p).expect("store");
        outbox::list(store.conn(), None, 100)
            .expect("outbox")
            .into_iter()
            .filter(|e| parse_action_id(&e.action_id).is_some_and(|(t, _, _)| t == t3))
            .map(|e| e.state)
            .collect::<Vec<_>>()
    };
    let (mine, theirs) = (outcomes(&path), outcomes(&other));
    let delivered = |v: &[EntryState]| v.iter().filter(|s| **s == EntryState::Delivered).count();
    let conflicts = |v: &[EntryState]| v.iter().filter(|s| **s == EntryState::Conflict).count();
    assert_eq!(
        (
            delivered(&mine) + delivered(&theirs),
            conflicts(&mine) + conflicts(&theirs)
        ),
        (2, 2),
        "mine {mine:?}, theirs {theirs:?}"
    );
    assert!(
        delivered(&mine) == 2 || delivered(&theirs) == 2,
        "one console's batch went through whole"
    );
    assert_eq!(settled_status(&url, &t3).await, "idle");
    let tools = tool_messages(&url, &t3).await;
    assert_eq!(tools.len(), 2, "each tool ran once: {tools:?}");
    let winner = if delivered(&mine) == 2 {
        "rita"
    } else {
        "olga"
    };
    for p in [(&path, &backend), (&other, &other_backend)] {
        let acts = actions_in_order(p.0, p.1, &t3);
        for a in acts {
            assert_eq!(a.status, ActionStatus::Executed);
            assert_eq!(
                a.decided_by.as_deref(),
                Some(winner),
                "both show who really decided"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_call_approvals_are_answered_one_by_one() {
    let server = Server::start_agents();
    let url = server.url.clone();
    let c = client(&url);
    let t_mixed = start_agent(&url, "hitl_per_call").await;
    let t_ok = start_agent(&url, "hitl_per_call").await;
    assert_eq!(
        pending_interrupts(&url, &t_mixed).await.len(),
        2,
        "one per call"
    );
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let acts = actions_of(&path, &backend, &t_mixed);
    assert_eq!(acts.len(), 2);
    let refund = acts
        .iter()
        .find(|a| a.kind == "issue_refund")
        .expect("refund");
    let crm = acts.iter().find(|a| a.kind == "update_crm").expect("crm");
    assert_eq!(refund.batch, None);
    assert_eq!(parse_action_id(&refund.action_id).map(|p| p.2), Some(None));
    // The interrupt's response schema: the decisions each tool allows, and its arguments.
    assert_eq!(
        refund.allowed_decisions,
        vec![
            DecisionKind::Approve,
            DecisionKind::ApproveWithEdits,
            DecisionKind::Deny,
            DecisionKind::Escalate
        ]
    );
    let src = |n: &str| {
        refund
            .fields
            .iter()
            .find(|f| f.name == n)
            .map(|f| (f.kind, f.kind_source))
    };
    assert_eq!(src("notify"), Some((FieldKind::Bool, KindSource::Schema)));
    assert_eq!(src("amount"), Some((FieldKind::Money, KindSource::Schema)));
    assert_eq!(
        src("order_id"),
        Some((FieldKind::Identifier, KindSource::Inferred))
    );
    assert_eq!(
        refund.rationale,
        "Refunds move money: check the amount and currency."
    );

    // Edit the refund: only its interrupt is answered; the CRM call still waits.
    decide(
        &path,
        &backend,
        &refund.action_id,
        &review(
            refund,
            DecisionKind::ApproveWithEdits,
            &[("amount", "99.00")],
            None,
        ),
        "rita",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(r.delivered, 1, "{r:?}");
    assert_eq!(settled_status(&url, &t_mixed).await, "interrupted");
    let (_, crm_iid, _) = parse_action_id(&crm.action_id).expect("id");
    assert_eq!(
        pending_interrupts(&url, &t_mixed).await,
        vec![crm_iid.to_string()]
    );
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let status = |tid: &str, kind: &str| {
        actions_of(&path, &backend, tid)
            .into_iter()
            .find(|a| a.kind == kind)
            .map(|a| a.status)
    };
    assert_eq!(
        status(&t_mixed, "issue_refund"),
        Some(ActionStatus::Executed)
    );
    assert_eq!(status(&t_mixed, "update_crm"), Some(ActionStatus::Pending));

    // Reject the CRM call with a reason.
    decide(
        &path,
        &backend,
        &crm.action_id,
        &review(crm, DecisionKind::Deny, &[], Some("wrong customer")),
        "sam",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(r.delivered, 1, "{r:?}");
    assert_eq!(settled_status(&url, &t_mixed).await, "idle");
    let tools = tool_messages(&url, &t_mixed).await;
    let msg = |n: &str| {
        tools
            .iter()
            .find(|(t, _)| t == n)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    };
    assert!(
        msg("issue_refund").ends_with(&refund_result("99.00")),
        "{tools:?}"
    );
    assert_eq!(
        msg("update_crm"),
        "User rejected the tool call for `update_crm` with reason: wrong customer"
    );
    assert_eq!(status(&t_mixed, "update_crm"), Some(ActionStatus::Denied));
    let runs = console_runs(&url, &t_mixed).await;
    assert_eq!(runs.len(), 2, "one resume per interrupt");
    for run in &runs {
        let resume = run["kwargs"]["command"]["resume"]
            .as_object()
            .expect("keyed");
        assert_eq!(resume.len(), 1, "keyed by its own interrupt id: {resume:?}");
    }

    // Approve both calls of another thread in one delivery pass.
    for a in actions_of(&path, &backend, &t_ok) {
        decide(
            &path,
            &backend,
            &a.action_id,
            &review(&a, DecisionKind::Approve, &[], None),
            "rita",
        );
    }
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!((r.delivered, r.conflicts, r.waiting), (2, 0, 0), "{r:?}");
    assert_eq!(settled_status(&url, &t_ok).await, "idle");
    let tools = tool_messages(&url, &t_ok).await;
    let msg = |n: &str| {
        tools
            .iter()
            .find(|(t, _)| t == n)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    };
    assert_eq!(msg("issue_refund"), refund_result("120.00"));
    assert_eq!(msg("update_crm"), CRM_RESULT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_payload_is_escalation_only_until_a_template_answers_it() {
    let server = Server::start_agents();
    let url = server.url.clone();
    let c = client(&url);
    let t_ship = start_graph(&url, "custom_ask", json!({"order_id": "ord_1001"})).await;
    let t_hold = start_graph(&url, "custom_ask", json!({"order_id": "ord_1002"})).await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    let report = sync_all(&path, &backend, &c).await;
    assert_eq!(report.error, None);
    assert_eq!(report.quarantined, 0, "never quarantined: {report:?}");
    let a = actions_of(&path, &backend, &t_ship).remove(0);
    assert_eq!(a.kind, "ask_shipping");
    assert_eq!(a.title, "Ask shipping");
    assert_eq!(a.rationale, "Ship this order with express delivery?");
    assert_eq!(a.proposed["details"]["items"], json!(["book", "lamp"]));
    assert!(a.opaque_payload, "the whole payload is shown");
    assert_eq!(a.allowed_decisions, vec![DecisionKind::Escalate]);
    assert_eq!(a.policy_checks[0].name, NO_TEMPLATE_CHECK);
    assert!(
        a.policy_checks[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("Interrupt templates")),
        "{:?}",
        a.policy_checks
    );
    let fields: Vec<(&str, FieldKind)> =
        a.fields.iter().map(|f| (f.name.as_str(), f.kind)).collect();
    assert_eq!(
        fields,
        vec![
            ("amount", FieldKind::Money),
            ("carrier", FieldKind::Text),
            ("express", FieldKind::Bool),
            ("order_id", FieldKind::Identifier),
            ("question", FieldKind::Text)
        ]
    );
    assert_eq!(
        check_review(
            &a,
            &a.field_rules,
            &review(&a, DecisionKind::Approve, &[], None),
            CONSOLE,
            chrono::Utc::now(),
            "k".into()
        ),
        Err(ReviewError::NotAllowed(DecisionKind::Approve))
    );

    // The admin configures what approve and deny resume the node with; the next sync applies
    // it to the interrupt already waiting.
    {
        let store = Store::open(&path).expect("store");
        backends::set_config(
            store.conn(),
            &backend,
            &json!({"interrupt_templates": [{"graph": "custom_ask", "node": "ask_shipping",
                "decisions": {
                    "approve": {"ship": true, "by": "{{reviewer}}", "order": "{{field.order_id}}"},
                    "deny": {"ship": false, "reason": "{{reason}}", "by": "{{reviewer}}"}}}]}),
        )
        .expect("config");
    }
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a = actions_of(&path, &backend, &t_ship).remove(0);
    assert_eq!(
        a.allowed_decisions,
        vec![
            DecisionKind::Approve,
            DecisionKind::Deny,
            DecisionKind::Escalate
        ]
    );
    assert!(a.policy_checks.is_empty());
    let h = actions_of(&path, &backend, &t_hold).remove(0);
    decide(
        &path,
        &backend,
        &a.action_id,
        &review(&a, DecisionKind::Approve, &[], None),
        "rita",
    );
    decide(
        &path,
        &backend,
        &h.action_id,
        &review(&h, DecisionKind::Deny, &[], Some("address unclear")),
        "sam",
    );
    let r = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!((r.delivered, r.rejected), (2, 0), "{r:?}");
    assert_eq!(settled_status(&url, &t_ship).await, "idle");
    let ship = state_values(&url, &t_ship).await;
    assert_eq!(
        ship["answer"],
        json!({"ship": true, "by": "rita", "order": "ord_1001"})
    );
    assert_eq!(ship["shipped"], json!(true));
    let hold = state_values(&url, &t_hold).await;
    assert_eq!(
        hold["answer"],
        json!({"ship": false, "reason": "address unclear", "by": "sam"})
    );
    assert_eq!(hold["shipped"], json!(false));
    assert_eq!(
        actions_of(&path, &backend, &t_ship)[0].status,
        ActionStatus::Executed
    );
    assert_eq!(
        actions_of(&path, &backend, &t_hold)[0].status,
        ActionStatus::Denied
    );
    let after = snapshot(&path);
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    assert_eq!(snapshot(&path), after);
}
