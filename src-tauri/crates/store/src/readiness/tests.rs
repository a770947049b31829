//! The scorecard against a hand-computed workflow (numbers in comments).

use super::*;
use crate::trust::tests::{Act, action, decide, run, t0};
use crate::{Store, backends};
use countersign_core::Micros;
use countersign_core::budget::{BudgetLimits, BudgetScope};

fn d(days: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::days(days)
}

fn daily(
    c: &Connection,
    b: &str,
    (day, model, outcome): (i64, &str, &str),
    (runs, cost, cited, stale): (i64, i64, i64, i64),
) -> Result<()> {
    c.execute(
        "INSERT INTO run_daily (day_ms, backend_id, workflow, model, outcome, runs, cost_micros,
             stale_citations, cited_runs, stale_runs) VALUES (?1, ?2, 'refund', ?3, ?4, ?5, ?6, ?7, ?8, ?7)",
        params![to_ms(d(day)), b, model, outcome, runs, cost, stale, cited],
    )?;
    Ok(())
}

fn status_of(card: &Scorecard, c: Criterion) -> (Status, Vec<Status>) {
    let r = card.rows.iter().find(|r| r.criterion == c);
    (
        r.map_or(Status::Warn, |r| r.status),
        r.map(|r| r.evidence.iter().map(|e| e.status).collect())
            .unwrap_or_default(),
    )
}

/// Workflow `refund` over two weeks:
/// - runs: week 1 model m1: 8 success ($8, all cited), 2 escalated ($2, cited); week 2 model m2
///   (new on day 7): 5 success ($10, 3 cited, 1 stale), 5 escalated ($5). → 20 runs, 13 cited
///   (65 %: fail under 70 %), 1 stale (5 %: pass); escalation 35 %, week 1 20 %, week 2 50 %:
///   both outside ± 10 points (fail); cost per success $1.25 → $3.00 (+140 %: warn).
/// - a hard per-run cap of $1.50 and one run at $2 (fail).
/// - writes: 3 executed with undo, 1 `close_ticket` without, 1 rolled back → 4 of 5 (80 %:
///   fail under 90 %), a rollback exercised (pass), `close_ticket` listed (warn).
/// - decisions: 4 approvals, 1 corrected (25 %: warn up to 40 %), 1 of 4 too fast (25 %: fail
///   over 10 %); none in the audit chain (fail); no second review (warn).
#[test]
fn every_row_against_a_hand_computed_workflow() -> Result<()> {
    let store = Store::open_in_memory()?;
    let c = store.conn();
    let b = backends::upsert(c, "b", "http://localhost:1", "countersign", false)?.backend_id;
    daily(c, &b, (0, "m1", "success"), (8, 8_000_000, 8, 0))?;
    daily(c, &b, (1, "m1", "escalated"), (2, 2_000_000, 2, 0))?;
    daily(c, &b, (7, "m2", "success"), (5, 10_000_000, 3, 1))?;
    daily(c, &b, (8, "m2", "escalated"), (5, 5_000_000, 0, 0))?;
    run(c, &b, "r1", "refund", 1_000_000, d(0))?;
    run(c, &b, "r2", "refund", 2_000_000, d(8))?;
    run(c, &b, "r3", "refund", 9_000_000, d(20))?;
    crate::budgets::replace_all(
        c,
        &b,
        &[Budget {
            budget_id: "per-run".into(),
            scope: BudgetScope {
                kind: ScopeKind::Workflow,
                value: Some("refund".into()),
            },
            period: Period::Run,
            time_zone: "UTC".into(),
            limits: BudgetLimits {
                max_cost_micros: Some(Micros(1_500_000)),
                ..Default::default()
            },
            enforcement: Enforcement::Hard,
            alert_at_percent: 80,
            updated_at: t0(),
        }],
    )?;
    for (id, kind, status, undo) in [
        ("a1", "issue_refund", "executed", true),
        ("a2", "issue_refund", "executed", true),
        ("a3", "issue_refund", "executed", true),
        ("a4", "close_ticket", "executed", false),
        ("a5", "issue_refund", "rolled_back", true),
    ] {
        action(
            c,
            &b,
            &Act {
                id,
                run: "r1",
                workflow: "refund",
                kind,
                status,
                undo,
                at: d(1),
            },
        )?;
    }
    decide(
        c,
        &b,
        ("a1", "r1", "issue_refund"),
        ("alice", "approve"),
        (d(1), Some(1_000), true),
        &[],
    )?;
    decide(
        c,
        &b,
        ("a2", "r1", "issue_refund"),
        ("alice", "approve"),
        (d(1), Some(9_000), false),
        &[],
    )?;
    decide(
        c,
        &b,
        ("a3", "r1", "issue_refund"),
        ("alice", "approve_with_edits"),
        (d(1), Some(9_000), false),
        &["amount"],
    )?;
    decide(
        c,
        &b,
        ("a5", "r1", "issue_refund"),
        ("alice", "approve"),
        (d(1), Some(9_000), false),
        &[],
    )?;

    let card = scorecard(c, "refund", t0(), d(14), d(14))?;
    assert_eq!(
        status_of(&card, Criterion::Reversible),
        (Status::Fail, vec![Status::Fail, Status::Pass, Status::Warn])
    );
    assert!(
        card.rows[0].evidence[0]
            .value
            .starts_with("80.0 % (4 of 5)"),
        "{:?}",
        card.rows[0].evidence
    );
    assert_eq!(card.rows[0].evidence[2].value, "close_ticket");
    assert_eq!(
        status_of(&card, Criterion::CitationCoverage),
        (Status::Fail, vec![Status::Fail, Status::Pass])
    );
    assert_eq!(card.rows[1].evidence[0].value, "65.0 % (13 of 20)");
    let cost = &card.rows[2];
    assert_eq!(
        status_of(&card, Criterion::CostBounded),
        (
            Status::Fail,
            vec![Status::Pass, Status::Fail, Status::Pass, Status::Warn]
        )
    );
    assert_eq!(
        cost.evidence[1].value, "1 (cap $1.5000)",
        "r3 is outside the period"
    );
    assert_eq!(
        cost.evidence[3].value,
        "$1.2500 → $3.0000 (to m2 on 2026-11-09)"
    );
    assert_eq!(
        status_of(&card, Criterion::EscalationConsistent),
        (Status::Fail, vec![Status::Pass, Status::Fail, Status::Warn])
    );
    assert_eq!(card.rows[3].evidence[1].value, "2026-11-02, 2026-11-09");
    assert_eq!(
        status_of(&card, Criterion::AuditComplete),
        (Status::Fail, vec![Status::Fail, Status::Pass, Status::Warn])
    );
    assert_eq!(
        status_of(&card, Criterion::Trust),
        (Status::Fail, vec![Status::Warn, Status::Fail, Status::Pass])
    );
    assert_eq!(card.status, Status::Fail);
    // Only the daily roll-up is filled here: no synced run, no configuration to gate.
    assert_eq!(
        status_of(&card, Criterion::EvalGate),
        (Status::Pass, vec![Status::Pass])
    );

    let csv = to_csv(&[card]);
    assert_eq!(csv.lines().count(), 1 + 3 + 2 + 4 + 3 + 3 + 3 + 1);
    assert!(
        csv.contains("\"refund\",\"2026-11-02T00:00:00+00:00\""),
        "{csv}"
    );
    Ok(())
}

#[test]
fn a_healthy_workflow_passes_and_thresholds_are_settings() -> Result<()> {
    let mut store = Store::open_in_memory()?;
    let tx = store.write()?;
    let b = backends::upsert(&tx, "b", "http://localhost:1", "countersign", false)?.backend_id;
    daily(&tx, &b, (0, "m1", "success"), (10, 1_000_000, 10, 0))?;
    crate::health::record_success(&tx, &b, d(13))?;
    let t = Thresholds {
        too_fast_max: 0.5,
        ..Default::default()
    };
    assert!(t.validate().is_ok());
    assert!(
        Thresholds {
            reversible_warn: 1.5,
            ..Default::default()
        }
        .validate()
        .is_err()
    );
    crate::settings::set(&tx, THRESHOLDS_KEY, &t)?;
    tx.commit()?;
    let c = store.conn();
    let card = scorecard(c, "refund", t0(), d(14), d(14))?;
    assert_eq!(card.thresholds.too_fast_max, 0.5);
    assert_eq!(
        status_of(&card, Criterion::CitationCoverage).0,
        Status::Pass
    );
    assert_eq!(status_of(&card, Criterion::AuditComplete).0, Status::Pass);
    // No writes, no cap, no decisions: nothing proves readiness, so those rows do not pass.
    assert_eq!(status_of(&card, Criterion::Reversible).0, Status::Warn);
    assert_eq!(status_of(&card, Criterion::CostBounded).0, Status::Fail);
    assert_eq!(workflows(c, t0(), d(14))?, vec!["refund".to_string()]);
    assert_eq!(Thresholds::default().second_review_basis_points(), 500);
    Ok(())
}

/// Writes refused at the read-only level are evidence in the escalation row: 3 on backend b
/// (read-only now, last refused day 4 10:00) + 1 on backend c (back at approve every write,
/// last refused day 2) → "4, last … day 4 …; read-only now". A workflow never read-only and
/// never refused shows nothing.
#[test]
fn refused_writes_are_escalation_evidence() -> Result<()> {
    use countersign_core::{AutonomyLevel, WorkflowAutonomy};
    let store = Store::open_in_memory()?;
    let c = store.conn();
    let b = backends::upsert(c, "b", "http://localhost:1", "countersign", false)?.backend_id;
    let b2 = backends::upsert(c, "c", "http://localhost:2", "countersign", false)?.backend_id;
    let level = |level, refused, last: Option<DateTime<Utc>>| WorkflowAutonomy {
        workflow: "refund".into(),
        level,
        refused_writes: refused,
        last_refused_at: last,
        ..Default::default()
    };
    let at = d(4) + chrono::Duration::hours(10);
    crate::autonomy::upsert(
        c,
        &b,
        &level(AutonomyLevel::ReadOnly, 3, Some(at)),
        true,
        d(5),
    )?;
    crate::autonomy::upsert(
        c,
        &b2,
        &level(AutonomyLevel::ApproveEveryWrite, 1, Some(d(2))),
        true,
        d(5),
    )?;
    crate::autonomy::upsert(
        c,
        &b,
        &WorkflowAutonomy {
            workflow: "crm".into(),
            level: AutonomyLevel::SampledApproval,
            sample_percent: 10,
            ..Default::default()
        },
        true,
        d(5),
    )?;
    let card = scorecard(c, "refund", t0(), d(14), d(14))?;
    let esc = card
        .rows
        .iter()
        .find(|r| r.criterion == Criterion::EscalationConsistent)
        .map(|r| r.evidence.clone())
        .unwrap_or_default();
    assert_eq!(esc.len(), 4);
    assert_eq!(
        esc[3],
        Evidence {
            label: "writes refused at the read-only level (runs ended escalated)".into(),
            value: "4, last 2026-11-06 10:00 UTC; read-only now".into(),
            status: Status::Pass,
        }
    );
    let crm = scorecard(c, "crm", t0(), d(14), d(14))?;
    assert_eq!(crm.rows[3].criterion, Criterion::EscalationConsistent);
    assert_eq!(
        crm.rows[3].evidence.len(),
        3,
        "never read-only, nothing refused"
    );
    Ok(())
}
