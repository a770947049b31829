//! Writes executed without review at an autonomy level: counted per workflow, level, action
//! kind and week in the trust report, opened by the drill-down, and in no reviewer metric
//! (hand-computed fixture, numbers in comments).

use super::tests::{fixture_store, t0};
use super::*;
use crate::actions;
use countersign_core::PendingAction;
use serde_json::json;

fn h(hours: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::hours(hours)
}

fn now() -> DateTime<Utc> {
    h(24 * 30)
}

/// A synced action decided by `decided_by` at `at`.
fn synced(
    c: &Connection,
    b: &str,
    (id, run, kind, status): (&str, &str, &str, &str),
    decided_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let a: PendingAction = serde_json::from_value(json!({
        "action_id": id, "revision": 2, "run_id": run, "kind": kind, "title": "Write",
        "target": {"system": "billing", "record_id": "o1"}, "risk": "high", "fields": [],
        "status": status, "rollback_supported": true, "decided_by": decided_by,
        "decided_at": at, "requested_at": at, "expires_at": at + chrono::Duration::hours(1),
        "updated_at": at,
    }))?;
    actions::upsert(c, b, &a)?;
    Ok(())
}

/// The fixture of `tests` (5 decisions, 1 expiry, reviewers alice and bob) plus:
/// x1 refund/issue_refund  autonomy:sampled_approval        executed     T+5h
/// x2 refund/issue_refund  autonomy:sampled_approval        rolled back  T+6h
/// x3 crm/update_crm       autonomy:autonomous_within_caps  executed     T+8d2h
/// x4 crm/update_crm       carol (a person, on the backend)  executed     T+8d3h  — not counted
/// x5 crm/update_crm       autonomy:autonomous_within_caps  approved     T+9d (run r4 synced after)
fn with_autonomy() -> Result<(crate::Store, TrustReport)> {
    let (store, b) = fixture_store()?;
    let before = report(store.conn(), &TrustQuery::default(), now())?;
    let c = store.conn();
    let auto = |level: &str| format!("autonomy:{level}");
    synced(
        c,
        &b,
        ("x1", "r1", "issue_refund", "executed"),
        &auto("sampled_approval"),
        h(5),
    )?;
    synced(
        c,
        &b,
        ("x2", "r2", "issue_refund", "rolled_back"),
        &auto("sampled_approval"),
        h(6),
    )?;
    let within = auto("autonomous_within_caps");
    synced(
        c,
        &b,
        ("x3", "r3", "update_crm", "executed"),
        &within,
        h(24 * 8 + 2),
    )?;
    synced(
        c,
        &b,
        ("x4", "r3", "update_crm", "executed"),
        "carol",
        h(24 * 8 + 3),
    )?;
    synced(
        c,
        &b,
        ("x5", "r4", "update_crm", "approved"),
        &within,
        h(24 * 9),
    )?;
    super::tests::run(c, &b, "r4", "crm", 1, h(24 * 9))?;
    Ok((store, before))
}

#[test]
fn executed_without_review_is_counted_per_workflow_and_level() -> Result<()> {
    let (store, before) = with_autonomy()?;
    let c = store.conn();
    let r = report(c, &TrustQuery::default(), now())?;
    // Every reviewer number is as before; only the new count moved (x1, x2, x3, x5).
    assert_eq!(
        r.totals,
        TrustStats {
            auto_executed: 4,
            ..before.totals.clone()
        }
    );
    assert_eq!(
        r.by_reviewer, before.by_reviewer,
        "no reviewer group holds them"
    );
    assert_eq!(r.ttd_distribution, before.ttd_distribution);
    let counts = |groups: &[TrustGroup]| -> Vec<(String, i64)> {
        groups
            .iter()
            .map(|g| (g.key.clone(), g.stats.auto_executed))
            .collect()
    };
    assert_eq!(
        counts(&r.by_workflow),
        vec![("crm".into(), 2), ("refund".into(), 2)]
    );
    assert_eq!(
        counts(&r.by_action_kind),
        // 5 each (3 decisions + 2; 2 decisions + 1 expiry + 2), then by key.
        vec![("issue_refund".into(), 2), ("update_crm".into(), 2)]
    );
    assert_eq!(
        counts(&r.by_week),
        vec![
            ("2026-11-02T00:00:00Z".into(), 2),
            ("2026-11-09T00:00:00Z".into(), 2)
        ]
    );
    let per = |w: &str, l: &str, n: i64| AutoExecuted {
        workflow: w.into(),
        level: l.into(),
        count: n,
    };
    assert_eq!(
        r.executed_without_review,
        vec![
            per("crm", "autonomous_within_caps", 2),
            per("refund", "sampled_approval", 2)
        ]
    );
    // The row-by-row reference answers the same.
    assert_eq!(r, report_by_rows(c, &TrustQuery::default(), now())?);
    // Filters: a reviewer selects none, the first week x1 and x2, a kind its own.
    let q = |f: &dyn Fn(&mut TrustQuery)| {
        let mut q = TrustQuery::default();
        f(&mut q);
        report(c, &q, now()).map(|r| (r.totals.auto_executed, r.executed_without_review))
    };
    assert_eq!(q(&|q| q.reviewer = Some("alice".into()))?, (0, vec![]));
    assert_eq!(
        q(&|q| {
            q.from = Some(t0());
            q.to = Some(h(24 * 7));
        })?,
        (2, vec![per("refund", "sampled_approval", 2)])
    );
    assert_eq!(
        q(&|q| q.workflow = Some("crm".into()))?,
        (2, vec![per("crm", "autonomous_within_caps", 2)])
    );
    assert_eq!(q(&|q| q.action_kind = Some("issue_refund".into()))?.0, 2);
    Ok(())
}

#[test]
fn the_drill_down_opens_the_writes_executed_without_review() -> Result<()> {
    let (store, _) = with_autonomy()?;
    let c = store.conn();
    let open = |group: Option<(Dimension, &str)>, level: Option<&str>| {
        drill(
            c,
            &DrillQuery {
                query: TrustQuery::default(),
                group: group.map(|(d, k)| (d, k.to_string())),
                metric: Metric::AutoExecuted {
                    level: level.map(str::to_string),
                },
            },
            now(),
            100,
        )
    };
    let ids = |rows: &[DecisionRow]| -> Vec<String> {
        rows.iter().map(|d| d.action_id.clone()).collect()
    };
    let all = open(None, None)?;
    assert_eq!(ids(&all), vec!["x5", "x3", "x2", "x1"], "newest first");
    let x2 = &all[2];
    assert_eq!(
        (
            x2.reviewer.as_str(),
            x2.decision.as_str(),
            x2.action_status.as_str(),
            x2.workflow.as_str(),
            x2.decided_at
        ),
        (
            "autonomy:sampled_approval",
            "executed_without_review",
            "rolled_back",
            "refund",
            h(6)
        )
    );
    assert_eq!(all[0].workflow, "crm", "x5's workflow from its run");
    assert_eq!(
        ids(&open(
            Some((Dimension::Workflow, "crm")),
            Some("autonomous_within_caps")
        )?),
        vec!["x5", "x3"]
    );
    assert_eq!(
        ids(&open(
            Some((Dimension::Week, "2026-11-02T00:00:00Z")),
            None
        )?),
        vec!["x2", "x1"]
    );
    assert!(
        open(
            Some((Dimension::Workflow, "refund")),
            Some("autonomous_within_caps")
        )?
        .is_empty()
    );
    assert!(open(Some((Dimension::Reviewer, "alice")), None)?.is_empty());
    // They are not decisions: "all decisions" and "rolled back" approvals leave them out.
    let decisions = drill(
        c,
        &DrillQuery {
            query: TrustQuery::default(),
            group: None,
            metric: Metric::RolledBack,
        },
        now(),
        100,
    )?;
    assert!(decisions.iter().all(|d| !d.action_id.starts_with('x')));
    Ok(())
}
