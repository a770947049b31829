//! Crafted reviews sent straight to what `decide_action`, `open_review` and `rollback_action`
//! call, bypassing the UI: a role × decision matrix on every backend kind that has pending
//! actions (native `countersign` and LangGraph), escalated items decided by the wrong role,
//! decisions a backend does not accept, approvals never opened, and rollbacks.

use super::*;
use countersign_core::{DecisionKind, PendingAction};
use countersign_store::{actions, audit, outbox};
use serde_json::json;

const NATIVE: &str = "countersign";
const LANGGRAPH: &str = "langgraph";

fn t(secs: i64) -> DateTime<Utc> {
    let base: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap_or_default();
    base + chrono::Duration::seconds(secs)
}

/// A store with one backend of `kind` whose stored identity holds `roles`; returns its id.
fn store_with(kind: &str, roles: &[Role]) -> (Store, String) {
    let store = Store::open_in_memory().expect("store");
    let b =
        backends::upsert(store.conn(), "B", "http://backend.test", kind, false).expect("backend");
    let who = Whoami {
        subject: "alice".into(),
        display_name: "Alice".into(),
        roles: roles.to_vec(),
        tenants: vec![],
    };
    backends::set_whoami(store.conn(), &b.backend_id, &who).expect("whoami");
    (store, b.backend_id)
}

/// A stored action with one editable money field, as a backend of either kind gives it.
fn put_action(
    store: &Store,
    backend_id: &str,
    id: &str,
    escalated_to: Option<Role>,
    allowed: &[DecisionKind],
    status: &str,
    rollback_supported: bool,
) {
    let a: PendingAction = serde_json::from_value(json!({
        "action_id": id, "revision": 1, "run_id": "r1", "tenant": "t", "kind": "issue_refund",
        "title": "Refund", "target": {"system": "billing", "record_id": "ord_1"},
        "risk": "high", "proposed": null, "status": status,
        "fields": [{"name": "amount", "label": "Amount", "kind": "money", "value": "120.00",
                    "confirm": "tick", "editable": true, "required": true}],
        "escalated_to": escalated_to, "allowed_decisions": allowed,
        "rollback_supported": rollback_supported,
        "requested_at": t(-60).to_rfc3339(), "expires_at": t(3600).to_rfc3339(),
        "updated_at": t(-60).to_rfc3339(),
    }))
    .expect("action");
    actions::upsert(store.conn(), backend_id, &a).expect("upsert");
}

/// A complete review of each kind, as a crafted caller would send it.
fn reviews() -> Vec<ReviewInput> {
    let v = |review: serde_json::Value| -> ReviewInput {
        serde_json::from_value(review).expect("review")
    };
    vec![
        v(json!({"decision": "approve", "fields": {"amount": "120.00"}, "acknowledged": []})),
        v(
            json!({"decision": "approve_with_edits", "fields": {"amount": "100.00"},
                 "acknowledged": []}),
        ),
        v(json!({"decision": "deny", "fields": {}, "acknowledged": [], "reason": "no"})),
        v(
            json!({"decision": "escalate", "fields": {}, "acknowledged": [], "reason": "big",
                 "escalate_to": "finance"}),
        ),
    ]
}

const MIN: Duration = Duration::from_secs(4);

/// Opens then decides `review` ten seconds later through the command functions.
fn open_and_decide(s: &mut Store, bid: &str, id: &str, review: &ReviewInput) -> CmdResult<Entry> {
    open(s, bid, id, t(0))?;
    decide(s, bid, id, review, MIN, t(10))
}

/// Whether `roles` may decide an action escalated to `esc`, written out plainly.
fn may(roles: &[Role], esc: Option<Role>) -> bool {
    let admin = roles.contains(&Role::Admin);
    let reviewer = admin || roles.contains(&Role::Reviewer);
    let escalation = esc.is_none_or(|r| admin || roles.contains(&r));
    reviewer && escalation
}

#[test]
fn role_by_decision_matrix_on_every_backend_kind() {
    use Role::*;
    let role_sets: [&[Role]; 7] = [
        &[Reviewer],
        &[Reviewer, Operator],
        &[Reviewer, Finance],
        &[Finance],
        &[Operator],
        &[Admin],
        &[],
    ];
    let mut checked = 0;
    for kind in [NATIVE, LANGGRAPH] {
        for stored in role_sets {
            // A LangGraph server has no users: the console holds reviewer and operator there,
            // whatever identity is stored for it.
            let held: &[Role] = if kind == LANGGRAPH {
                &countersign_connect::CONSOLE_ROLES
            } else {
                stored
            };
            for esc in [None, Some(Reviewer), Some(Finance), Some(Admin)] {
                for (n, review) in reviews().iter().enumerate() {
                    let (mut s, bid) = store_with(kind, stored);
                    let id = format!("a{n}");
                    put_action(&s, &bid, &id, esc, &[], "pending", false);
                    let got = open_and_decide(&mut s, &bid, &id, review);
                    let case = format!("{kind} {stored:?} escalated to {esc:?}: {review:?}");
                    let queued = outbox::list(s.conn(), None, 10).expect("outbox");
                    if may(held, esc) {
                        let e = got.map_err(|e| format!("{}: {}", e.code, e.message));
                        assert!(e.is_ok(), "{case}: {e:?}");
                        assert_eq!(queued.len(), 1, "{case}");
                    } else {
                        assert_eq!(got.err().map(|e| e.code), Some("forbidden"), "{case}");
                        assert!(queued.is_empty(), "{case}: nothing queued");
                        let head = audit::head(s.conn()).expect("audit");
                        assert!(head.is_none_or(|h| h.kind != "decision"), "{case}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 7 * 4 * 4);
}

#[test]
fn decisions_the_backend_does_not_accept_are_refused_on_every_kind() {
    for kind in [NATIVE, LANGGRAPH] {
        let (mut s, bid) = store_with(kind, &[Role::Reviewer]);
        let allowed = [DecisionKind::Approve, DecisionKind::Escalate];
        for (n, review) in reviews().iter().enumerate() {
            let id = format!("a{n}");
            put_action(&s, &bid, &id, None, &allowed, "pending", false);
            let got = open_and_decide(&mut s, &bid, &id, review);
            let kind_of = review.decision.unwrap_or(DecisionKind::Approve);
            if allowed.contains(&kind_of) {
                assert!(got.is_ok(), "{kind} {kind_of:?}");
            } else {
                let e = got.err();
                assert_eq!(e.as_ref().map(|e| e.code), Some("review_incomplete"));
                assert!(
                    e.is_some_and(|e| e.message.contains("does not accept")),
                    "{kind} {kind_of:?}"
                );
            }
        }
    }
}

#[test]
fn an_approval_never_opened_is_refused_a_denial_is_recorded_without_a_time() {
    for kind in [NATIVE, LANGGRAPH] {
        let (mut s, bid) = store_with(kind, &[Role::Reviewer]);
        let all = reviews();
        for (n, review) in all.iter().enumerate() {
            let id = format!("a{n}");
            put_action(&s, &bid, &id, None, &[], "pending", false);
            let got = decide(&mut s, &bid, &id, review, MIN, t(10));
            match review.decision {
                Some(DecisionKind::Approve | DecisionKind::ApproveWithEdits) => {
                    assert_eq!(
                        got.err().map(|e| e.code),
                        Some("review_not_opened"),
                        "{kind}"
                    );
                }
                _ => {
                    let e = got.expect("deny and escalate need no opening");
                    assert_eq!(e.opened_at, None);
                    let head = audit::head(s.conn()).expect("audit").expect("event");
                    assert_eq!(head.details["time_to_decide_ms"], json!(null));
                }
            }
        }
    }
}

#[test]
fn the_opening_time_is_the_one_the_console_recorded_for_this_reviewer() {
    let (mut s, bid) = store_with(NATIVE, &[Role::Reviewer]);
    put_action(&s, &bid, "fast", None, &[], "pending", false);
    put_action(&s, &bid, "slow", None, &[], "pending", false);
    // A crafted review carrying its own opening time: the field is not part of a review.
    let crafted: ReviewInput = serde_json::from_value(json!({
        "decision": "approve", "fields": {"amount": "120.00"}, "acknowledged": [],
        "opened_at": t(-3600).to_rfc3339(),
    }))
    .expect("review");
    let opened = open(&mut s, &bid, "fast", t(0)).expect("open");
    assert_eq!(opened.opened_at, t(0));
    let e = decide(&mut s, &bid, "fast", &crafted, MIN, t(2)).expect("decided");
    assert_eq!(e.opened_at, Some(t(0)));
    let head = audit::head(s.conn()).expect("audit").expect("event");
    assert_eq!(head.details["time_to_decide_ms"], json!(2000));
    assert_eq!(head.details["too_fast"], json!(true), "still flagged");
    // Opening again restarts the clock.
    open(&mut s, &bid, "slow", t(0)).expect("open");
    open(&mut s, &bid, "slow", t(8)).expect("reopen");
    decide(&mut s, &bid, "slow", &crafted, MIN, t(13)).expect("decided");
    let head = audit::head(s.conn()).expect("audit").expect("event");
    assert_eq!(head.details["time_to_decide_ms"], json!(5000));
    assert_eq!(head.details["too_fast"], json!(false));
}

#[test]
fn another_identitys_opening_does_not_count() {
    let (mut s, bid) = store_with(NATIVE, &[Role::Reviewer]);
    put_action(&s, &bid, "a1", None, &[], "pending", false);
    open(&mut s, &bid, "a1", t(0)).expect("open");
    let bob = Whoami {
        subject: "bob".into(),
        display_name: "Bob".into(),
        roles: vec![Role::Reviewer],
        tenants: vec![],
    };
    backends::set_whoami(s.conn(), &bid, &bob).expect("whoami");
    let got = decide(&mut s, &bid, "a1", &reviews()[0], MIN, t(10));
    assert_eq!(got.err().map(|e| e.code), Some("review_not_opened"));
}

#[test]
fn opening_an_unknown_action_or_without_the_reviewer_role_is_refused() {
    let (mut s, bid) = store_with(NATIVE, &[Role::Reviewer]);
    assert_eq!(
        open(&mut s, &bid, "nope", t(0)).err().map(|e| e.code),
        Some("not_found")
    );
    let (mut s, bid) = store_with(NATIVE, &[Role::Operator]);
    put_action(&s, &bid, "a1", None, &[], "pending", false);
    assert_eq!(
        open(&mut s, &bid, "a1", t(0)).err().map(|e| e.code),
        Some("forbidden")
    );
}

#[test]
fn rollback_needs_the_escalated_role_and_a_backend_that_can_undo() {
    use Role::*;
    for (roles, want) in [
        (&[Reviewer][..], Some("forbidden")),
        (&[Reviewer, Finance][..], None),
        (&[Admin][..], None),
    ] {
        let (mut s, bid) = store_with(NATIVE, roles);
        put_action(&s, &bid, "a1", Some(Finance), &[], "executed", true);
        let got = rollback(&mut s, &bid, "a1", "customer cancelled", t(5));
        assert_eq!(got.err().map(|e| e.code), want, "{roles:?}");
    }
    // LangGraph writes cannot be undone: refused before anything is queued, even for an
    // identity stored with every role.
    let (mut s, bid) = store_with(LANGGRAPH, &[Admin]);
    put_action(&s, &bid, "a1", None, &[], "executed", false);
    let got = rollback(&mut s, &bid, "a1", "customer cancelled", t(5));
    assert_eq!(got.err().map(|e| e.code), Some("conflict"));
    assert!(outbox::list(s.conn(), None, 10).expect("outbox").is_empty());
}
