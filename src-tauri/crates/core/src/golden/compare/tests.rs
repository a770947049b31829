use super::*;
use crate::golden::Expectations;
use crate::golden::fixtures::refund;
use crate::run::PolicyCheck;

fn now() -> DateTime<Utc> {
    "2026-11-27T00:00:00Z".parse().unwrap_or_default()
}

fn set(n: usize) -> Vec<GoldenCase> {
    (0..n)
        .map(|i| {
            let run = refund(&format!("r{i}"), "40.00", false, 1_000, 2_000);
            GoldenCase {
                expect: Expectations::from_run(&run, 1.5),
                run,
            }
        })
        .collect()
}

fn eval_of(cases: &[GoldenCase], f: impl Fn(usize, &mut Run)) -> HashMap<String, Run> {
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = c.run.clone();
            r.run_id = format!("e-{}", c.case_id());
            r.eval_id = Some("ev1".into());
            f(i, &mut r);
            (c.case_id().to_string(), r)
        })
        .collect()
}

#[test]
fn a_replay_identical_to_the_baseline_passes_every_case() {
    let cases = set(3);
    let eval = eval_of(&cases, |_, _| {});
    let c = compare(
        &cases,
        &eval,
        &HashMap::new(),
        &PassThresholds::default(),
        now(),
    );
    assert!(c.passed, "{:?}", c.reasons);
    assert_eq!(c.totals.passed, 3);
    assert_eq!(c.totals.cost_micros, Micros(3_000));
    assert_eq!(c.totals.baseline_cost_micros, Micros(3_000));
    assert_eq!(c.cost_change, Some(0.0));
    assert!(c.cases.iter().all(|r| r.passed && r.reasons.is_empty()));
    assert_eq!(c.cases[1].eval_run_id.as_deref(), Some("e-r1"));
}

#[test]
fn a_deprecated_source_at_triple_cost_fails_exactly_those_cases() {
    let cases = set(4);
    let eval = eval_of(&cases, |i, r| {
        if i % 2 == 1 {
            r.citations[0].deprecated = true;
            r.cost_micros = Micros(r.cost_micros.0 * 3);
        }
    });
    let c = compare(
        &cases,
        &eval,
        &HashMap::new(),
        &PassThresholds::default(),
        now(),
    );
    assert!(!c.passed);
    let failed: Vec<&str> = c
        .cases
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.case_id.as_str())
        .collect();
    assert_eq!(failed, ["r1", "r3"]);
    let r1 = &c.cases[1];
    assert!(!r1.citation_match);
    assert_eq!(r1.citation_issues[0].problem, "deprecated");
    assert!(r1.reasons.iter().any(|m| m.contains("over the ceiling")));
    assert_eq!(c.totals.stale_citations, 2);
    assert_eq!(c.totals.over_cost_ceiling, 2);
    // 2×1000 + 2×3000 against 4×1000: +100 %.
    assert_eq!(c.cost_change, Some(1.0));
    assert!(c.reasons.iter().any(|m| m.starts_with("cost +100.0 %")));
    assert!(
        c.reasons
            .iter()
            .any(|m| m.starts_with("citation matches: 2 of 4"))
    );
}

#[test]
fn each_check_fails_on_its_own() {
    let cases = set(6);
    let eval = eval_of(&cases, |i, r| match i {
        0 => r.outcome = Outcome::Escalated,
        1 => r.citations[0].passage = "within 30 days".into(),
        2 => r.changes[0].after = serde_json::json!("400.00"),
        3 => r.policy_checks.push(PolicyCheck {
            name: "amount_limit".into(),
            passed: false,
            detail: None,
        }),
        4 => r.latency_ms = 9_000,
        _ => r.citations[0].source_updated_at = "2024-01-01T00:00:00Z".parse().ok(),
    });
    let c = compare(
        &cases,
        &eval,
        &HashMap::new(),
        &PassThresholds::default(),
        now(),
    );
    let rows = &c.cases;
    assert!(!rows[0].outcome_match && rows[0].refused_or_escalated);
    assert!(rows[0].citation_match && rows[0].write_match);
    assert_eq!(rows[1].citation_issues[0].problem, "missing");
    assert_eq!(rows[1].citation_issues[0].passage, "within 14 days");
    assert_eq!(
        rows[2].write_mismatches[0].proposed,
        Some(serde_json::json!("400.00"))
    );
    assert_eq!(rows[3].failed_checks, ["amount_limit"]);
    assert!(rows[3].outcome_match && rows[3].citation_match && !rows[3].passed);
    assert!(rows[4].reasons[0].contains("latency 9000 ms over the ceiling 3000 ms"));
    assert_eq!(rows[5].citation_issues[0].problem, "stale");
    assert!(rows.iter().all(|r| !r.passed && r.reasons.len() == 1));
    // A check the case expects to fail does not fail it.
    let mut expecting = cases.clone();
    expecting[3].expect.failed_checks = vec!["amount_limit".into()];
    let again = compare(
        &expecting,
        &eval,
        &HashMap::new(),
        &PassThresholds::default(),
        now(),
    );
    assert!(again.cases[3].passed);
    assert_eq!(again.totals.policy_failures, 1);
    assert_eq!(c.totals.refused_or_escalated, 1);
    assert_eq!(c.totals.policy_failures, 1);
    assert_eq!(c.totals.outcome_matches, 5);
    assert_eq!(c.totals.write_matches, 5);
    assert_eq!(c.totals.over_latency_ceiling, 1);
}

#[test]
fn a_missing_run_fails_its_case_and_a_baseline_eval_sets_the_deltas() {
    let cases = set(2);
    let mut eval = eval_of(&cases, |_, r| r.cost_micros = Micros(1_200));
    eval.remove("r1");
    let baseline = eval_of(&cases, |_, r| r.cost_micros = Micros(600));
    let loose = PassThresholds {
        min_case_pass_rate: 0.5,
        min_outcome_match_rate: 0.5,
        min_citation_match_rate: 0.5,
        min_write_match_rate: 0.5,
        ..PassThresholds::default()
    };
    let c = compare(&cases, &eval, &baseline, &loose, now());
    assert_eq!(c.totals.missing, 1);
    assert!(!c.cases[1].passed);
    assert_eq!(c.cases[0].baseline_cost_micros, Some(Micros(600)));
    // Only the reported case counts: 1200 against 600.
    assert_eq!(c.cost_change, Some(1.0));
    assert!(!c.passed);
    assert_eq!(c.reasons.len(), 1, "{:?}", c.reasons);
    let generous = PassThresholds {
        max_cost_increase: 1.5,
        ..loose
    };
    assert!(compare(&cases, &eval, &baseline, &generous, now()).passed);
}

#[test]
fn thresholds_are_validated() {
    assert!(PassThresholds::default().validate().is_ok());
    let bad = PassThresholds {
        min_case_pass_rate: 1.5,
        ..PassThresholds::default()
    };
    assert!(bad.validate().is_err());
    let bad = PassThresholds {
        stale_after_days: 0,
        ..PassThresholds::default()
    };
    assert!(bad.validate().is_err());
}

/// A case recorded after its write was approved and executed; the replay stops at the review.
fn approved_case() -> (GoldenCase, Run) {
    let mut run = refund("r1", "40.00", false, 1_000, 2_000);
    run.decision = "approved: issue_refund".into();
    run.changes[0].action_id = Some("act_1".into());
    let case = GoldenCase {
        expect: Expectations::from_run(&run, 1.5),
        run,
    };
    let mut replay = case.run.clone();
    replay.run_id = "e-r1".into();
    replay.outcome = Outcome::Pending;
    replay.decision = "interrupted: issue_refund".into();
    replay.ended_at = None;
    replay.changes[0].action_id = None;
    (case, replay)
}

#[test]
fn a_replay_stopped_at_the_recorded_review_is_judged_by_its_proposed_write() {
    let (case, replay) = approved_case();
    let row = compare_case(&case, Some(&replay), None, now(), 365);
    assert!(row.passed, "{:?}", row.reasons);
    assert!(row.outcome_match);
    assert_eq!(row.note.as_deref(), Some(STOPPED_AT_REVIEW));
    assert_eq!(row.outcome, Some(Outcome::Pending));

    // It proposes another amount: fails on the write, with the note still saying why the
    // outcome was not the measure.
    let mut other = replay.clone();
    other.changes[0].after = serde_json::json!("400.00");
    let row = compare_case(&case, Some(&other), None, now(), 365);
    assert!(!row.passed);
    assert!(!row.write_match);
    assert_eq!(row.reasons.len(), 1, "{:?}", row.reasons);
    assert!(
        row.reasons[0].starts_with("write refund"),
        "{:?}",
        row.reasons
    );

    // Stopped without proposing anything: the decision point was not reached.
    let mut none = replay.clone();
    none.changes.clear();
    let row = compare_case(&case, Some(&none), None, now(), 365);
    assert!(!row.passed);
    assert_eq!(row.note, None);
    assert!(
        row.reasons.iter().any(|r| r.starts_with("outcome pending")),
        "{:?}",
        row.reasons
    );

    // A case recorded without review (no action on its write) is judged on its outcome.
    let mut unreviewed = case.clone();
    unreviewed.run.changes[0].action_id = None;
    let row = compare_case(&unreviewed, Some(&replay), None, now(), 365);
    assert!(!row.passed);
    assert_eq!(row.note, None);
}
