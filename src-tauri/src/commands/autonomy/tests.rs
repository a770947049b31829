//! The autonomy command's checks and record on a real store: admin only on an enforcing
//! backend, the justification gate against a failing scorecard row, advisory levels kept
//! locally, and the audit event with before → after and the scorecard as it stood.

use super::*;
use countersign_core::Whoami;

fn store() -> Store {
    Store::open_in_memory().unwrap_or_else(|e| panic!("store: {e}"))
}

fn who(roles: Vec<Role>) -> Whoami {
    Whoami {
        subject: "ana".into(),
        display_name: "Ana".into(),
        roles,
        tenants: vec![],
    }
}

fn at(level: AutonomyLevel) -> AutonomySetting {
    AutonomySetting {
        level,
        sample_percent: 0,
    }
}

#[test]
fn the_gate_demands_a_justification_only_to_raise_past_a_failing_row() {
    let fail = vec!["cost_bounded".to_string()];
    let (ro, every, auto) = (
        at(AutonomyLevel::ReadOnly),
        at(AutonomyLevel::ApproveEveryWrite),
        at(AutonomyLevel::AutonomousWithinCaps),
    );
    let refused = justification_gate(&every, &auto, &fail, None);
    assert_eq!(
        refused.err().map(|e| e.code),
        Some("justification_required")
    );
    assert_eq!(
        justification_gate(&every, &auto, &fail, Some("   "))
            .err()
            .map(|e| e.code),
        Some("justification_required"),
        "blank is no justification"
    );
    assert_eq!(
        justification_gate(&every, &auto, &fail, Some(" pilot ")).ok(),
        Some(Some("pilot".into()))
    );
    // Lowering, or raising with nothing failing, needs none.
    assert_eq!(
        justification_gate(&every, &ro, &fail, None).ok(),
        Some(None)
    );
    assert_eq!(
        justification_gate(&every, &auto, &[], None).ok(),
        Some(None)
    );
}

#[test]
fn only_an_admin_sets_an_enforced_level_and_the_change_is_audited_with_the_scorecard()
-> CmdResult<()> {
    let mut s = store();
    let b =
        backends::upsert(s.conn(), "ref", "http://localhost:1", "countersign", false)?.backend_id;
    let now = Utc::now();
    let up = at(AutonomyLevel::SampledApproval);
    let up = AutonomySetting {
        sample_percent: 10,
        ..up
    };
    assert_eq!(
        prepare(&s, &b, "refund_request", &up, Some("x"), now)
            .err()
            .map(|e| e.code),
        Some("forbidden"),
        "no identity yet"
    );
    backends::set_whoami(s.conn(), &b, &who(vec![Role::Reviewer]))?;
    assert_eq!(
        prepare(&s, &b, "refund_request", &up, Some("x"), now)
            .err()
            .map(|e| e.code),
        Some("forbidden")
    );
    backends::set_whoami(s.conn(), &b, &who(vec![Role::Admin]))?;
    // No hard cap for the workflow: cost_bounded fails, so raising needs a justification.
    assert_eq!(
        prepare(&s, &b, "refund_request", &up, None, now)
            .err()
            .map(|e| e.code),
        Some("justification_required")
    );
    let p = prepare(&s, &b, "refund_request", &up, Some("four weeks green"), now)?;
    assert!(p.failing.contains(&"cost_bounded".to_string()));
    let after = WorkflowAutonomy {
        workflow: "refund_request".into(),
        level: up.level,
        sample_percent: 10,
        set_by: Some("ana".into()),
        ..Default::default()
    };
    let change = record(&mut s, &p, &after, now)?;
    assert_eq!(change.before.level, AutonomyLevel::ApproveEveryWrite);
    assert!(change.after.enforced);
    assert_eq!(change.after.state.level, AutonomyLevel::SampledApproval);
    let ev = audit::of_kinds(s.conn(), &[kinds::AUTONOMY_CHANGED])?;
    assert_eq!(ev.len(), 1);
    let d = &ev[0].details;
    assert_eq!(ev[0].actor, "ana");
    assert_eq!(d["before"]["level"], "approve_every_write");
    assert_eq!(d["after"]["level"], "sampled_approval");
    assert_eq!(d["justification"], "four weeks green");
    assert_eq!(d["scorecard"]["rows"].as_array().map(Vec::len), Some(7));
    assert!(
        d["failing_rows"]
            .as_array()
            .is_some_and(|r| r.contains(&serde_json::json!("cost_bounded")))
    );
    let views = levels_of(&s, "refund_request")?;
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].state.sample_percent, 10);
    assert!(views[0].can_edit);
    Ok(())
}

#[test]
fn a_backend_that_cannot_enforce_keeps_the_level_here_as_advisory() -> CmdResult<()> {
    let mut s = store();
    let b = backends::upsert(s.conn(), "lg", "http://localhost:2", "langgraph", false)?.backend_id;
    let now = Utc::now();
    let to = at(AutonomyLevel::Draft);
    let p = prepare(&s, &b, "triage", &to, None, now)?;
    let after = advisory_state(&p, "triage", &to, now);
    let change = record(&mut s, &p, &after, now)?;
    assert!(!change.after.enforced);
    let views = levels_of(&s, "triage")?;
    assert_eq!(views.len(), 1);
    assert!(!views[0].enforced);
    assert_eq!(views[0].state.level, AutonomyLevel::Draft);
    let ev = audit::of_kinds(s.conn(), &[kinds::AUTONOMY_CHANGED])?;
    assert_eq!(ev[0].details["enforced"], serde_json::json!(false));
    Ok(())
}
