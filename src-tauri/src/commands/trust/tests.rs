//! The trust commands on a real store: audited thresholds, citation opens counted for the
//! next decision, and blind second reviews that execute nothing.

use super::*;
use countersign_store::outbox;

fn store() -> Store {
    Store::open_in_memory().unwrap_or_else(|e| panic!("store: {e}"))
}

/// Gives the store a backend whose identity `subject` holds `roles`.
pub(crate) fn identity(
    s: &Store,
    subject: &str,
    roles: &[countersign_core::Role],
) -> CmdResult<()> {
    let b = backends::upsert(
        s.conn(),
        subject,
        "http://localhost:1",
        "countersign",
        false,
    )?;
    let who = countersign_core::Whoami {
        subject: subject.into(),
        display_name: subject.into(),
        roles: roles.to_vec(),
        tenants: vec![],
    };
    backends::set_whoami(s.conn(), &b.backend_id, &who)?;
    Ok(())
}

#[test]
fn only_an_admin_changes_the_thresholds() -> CmdResult<()> {
    use countersign_core::Role;
    let mut s = store();
    let t = Thresholds {
        correction_max: 0.5,
        ..Default::default()
    };
    // No identity yet, then a reviewer and finance: refused, nothing saved or audited.
    let refused = |s: &mut Store| save_thresholds(s, &t, Utc::now()).err().map(|e| e.code);
    assert_eq!(refused(&mut s), Some("forbidden"));
    identity(&s, "rita", &[Role::Reviewer, Role::Finance, Role::Operator])?;
    assert_eq!(refused(&mut s), Some("forbidden"));
    assert_eq!(readiness::thresholds(s.conn())?, Thresholds::default());
    assert!(audit::of_kinds(s.conn(), &[kinds::READINESS_THRESHOLDS_CHANGED])?.is_empty());
    identity(&s, "ada", &[Role::Admin])?;
    save_thresholds(&mut s, &t, Utc::now())?;
    let events = audit::of_kinds(s.conn(), &[kinds::READINESS_THRESHOLDS_CHANGED])?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "ada");
    assert_eq!(
        events[0].details["after"]["correction_max"],
        serde_json::json!(0.5)
    );
    Ok(())
}

#[test]
fn thresholds_are_validated_and_every_change_is_audited() -> CmdResult<()> {
    let mut s = store();
    identity(&s, "ada", &[countersign_core::Role::Admin])?;
    let now = Utc::now();
    let t = Thresholds {
        second_review_share: 0.2,
        ..Default::default()
    };
    save_thresholds(&mut s, &t, now)?;
    save_thresholds(&mut s, &t, now)?; // unchanged: no second event
    let bad = Thresholds {
        too_fast_max: 2.0,
        ..Default::default()
    };
    assert_eq!(
        save_thresholds(&mut s, &bad, now).err().map(|e| e.code),
        Some("invalid_input")
    );
    let events = audit::of_kinds(s.conn(), &[kinds::READINESS_THRESHOLDS_CHANGED])?;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].details["before"]["second_review_share"],
        serde_json::json!(0.05)
    );
    assert_eq!(
        events[0].details["after"]["second_review_share"],
        serde_json::json!(0.2)
    );
    assert_eq!(
        readiness::thresholds(s.conn())?.second_review_basis_points(),
        2_000
    );
    Ok(())
}

#[test]
fn citation_opens_and_second_reviews_are_audited_and_never_queue_anything() -> CmdResult<()> {
    let mut s = store();
    let b = backends::upsert(s.conn(), "b", "http://localhost:1", "countersign", false)?.backend_id;
    let now = Utc::now();
    citation_open(
        &mut s,
        &b,
        "r1",
        Some("a1"),
        "kb_1",
        CitationTarget::Source,
        now,
    )?;
    let ev = audit::of_kinds(s.conn(), &[kinds::CITATION_OPENED])?;
    assert_eq!(
        (ev.len(), ev[0].subject.as_str()),
        (1, format!("{b}/r1").as_str())
    );
    let id = decisions::record(
        s.conn(),
        &decisions::NewDecision {
            backend_id: &b,
            action_id: "a1",
            run_id: "r1",
            action_kind: "issue_refund",
            reviewer: "alice",
            decision: "approve",
            decided_at: now,
            time_to_decide_ms: Some(1_000),
            too_fast: true,
            corrected_fields: &[],
            audit_seq: None,
        },
        0,
    )?;
    let row = decisions::get(s.conn(), id)?.ok_or_else(|| CmdError::new("t", "no row"))?;
    assert_eq!(
        row.citation_opens, 0,
        "opened by `console`, decided by alice"
    );
    assert!(
        second_review(&mut s, id, false, "amount looks off", now)?,
        "disagrees"
    );
    assert!(
        second_review(&mut s, id, true, "", now).is_err(),
        "one second review per decision"
    );
    let ev = audit::of_kinds(s.conn(), &[kinds::SECOND_REVIEW])?;
    assert_eq!(ev[0].details["disagrees"], serde_json::json!(true));
    assert!(
        outbox::list(s.conn(), None, 10)?.is_empty(),
        "nothing sent or executed"
    );
    Ok(())
}
