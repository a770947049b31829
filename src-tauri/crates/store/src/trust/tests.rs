//! The trust report and its drill-downs against a hand-computed fixture (numbers in comments).

use super::*;
use crate::decisions::{
    CitationOpen, CitationTarget, NewDecision, record, record_citation_open, record_second_review,
};
use crate::{Store, backends};

pub(crate) fn t0() -> DateTime<Utc> {
    // A Monday.
    "2026-11-02T00:00:00Z".parse().unwrap_or_default()
}

fn h(hours: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::hours(hours)
}

pub(crate) fn run(
    conn: &Connection,
    b: &str,
    run_id: &str,
    workflow: &str,
    cost: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO runs (backend_id, run_id, revision, tenant, workflow, workflow_version,
             user_id, model, outcome, decision, cost_micros, latency_ms, tool_calls,
             policy_failures, citation_warnings, started_at_ms, updated_at_ms, body)
         VALUES (?1, ?2, 1, 't', ?3, 'v1', 'u', 'm1', 'success', '', ?4, 1, 0, 0, 0, ?5, ?5, '{}')",
        params![b, run_id, workflow, cost, to_ms(at)],
    )?;
    Ok(())
}

pub(crate) struct Act<'a> {
    pub id: &'a str,
    pub run: &'a str,
    pub workflow: &'a str,
    pub kind: &'a str,
    pub status: &'a str,
    pub undo: bool,
    pub at: DateTime<Utc>,
}

pub(crate) fn action(conn: &Connection, b: &str, a: &Act<'_>) -> Result<()> {
    conn.execute(
        "INSERT INTO actions (backend_id, action_id, revision, run_id, status, kind, risk,
             requested_at_ms, expires_at_ms, updated_at_ms, body, workflow, rollback_supported)
         VALUES (?1, ?2, 1, ?3, ?4, ?5, 'high', ?6, ?6 + 3600000, ?6, '{}', ?7, ?8)",
        params![
            b,
            a.id,
            a.run,
            a.status,
            a.kind,
            to_ms(a.at),
            a.workflow,
            a.undo
        ],
    )?;
    Ok(())
}

pub(crate) fn decide(
    conn: &Connection,
    b: &str,
    (action_id, run_id, kind): (&str, &str, &str),
    (reviewer, decision): (&str, &str),
    (at, ttd, too_fast): (DateTime<Utc>, Option<i64>, bool),
    corrected: &[&str],
) -> Result<i64> {
    let corrected: Vec<String> = corrected.iter().map(|s| s.to_string()).collect();
    record(
        conn,
        &NewDecision {
            backend_id: b,
            action_id,
            run_id,
            action_kind: kind,
            reviewer,
            decision,
            decided_at: at,
            time_to_decide_ms: ttd,
            too_fast,
            corrected_fields: &corrected,
            audit_seq: None,
        },
        0,
    )
}

struct Fixture {
    store: Store,
    backend: String,
    d1: i64,
    d2: i64,
    d3: i64,
    d5: i64,
}

/// Two workflows over two weeks:
/// d1 refund/issue_refund alice approve      T+1h  2 s  too fast, 2 citation opens, rolled back
/// d2 refund/issue_refund alice edits        T+2h  10 s corrected amount, currency
/// d3 refund/issue_refund bob   deny         T+3h  30 s
/// d4 crm/update_crm      bob   escalate     T+8d  (no opening)
/// d5 crm/update_crm      alice edits        T+8d1h 5 s corrected amount
/// a6 crm/update_crm      expired            deadline T+9d
/// second reviews: d1 by bob "would not approve" (disagrees), d3 by alice "would not" (agrees).
/// The fixture's store and backend id.
pub(crate) fn fixture_store() -> Result<(Store, String)> {
    let f = fixture()?;
    Ok((f.store, f.backend))
}

fn fixture() -> Result<Fixture> {
    let store = Store::open_in_memory()?;
    let c = store.conn();
    let b = backends::upsert(c, "b", "http://localhost:1", "countersign", false)?.backend_id;
    run(c, &b, "r1", "refund", 1, t0())?;
    run(c, &b, "r2", "refund", 1, t0())?;
    run(c, &b, "r3", "crm", 1, t0())?;
    for (id, r, wf, kind, status) in [
        ("a1", "r1", "refund", "issue_refund", "rolled_back"),
        ("a2", "r2", "refund", "issue_refund", "executed"),
        ("a3", "r2", "refund", "issue_refund", "denied"),
        ("a4", "r3", "crm", "update_crm", "approved"),
        ("a5", "r3", "crm", "update_crm", "executed"),
    ] {
        action(
            c,
            &b,
            &Act {
                id,
                run: r,
                workflow: wf,
                kind,
                status,
                undo: true,
                at: t0(),
            },
        )?;
    }
    c.execute(
        "INSERT INTO actions (backend_id, action_id, revision, run_id, status, kind, risk,
             requested_at_ms, expires_at_ms, updated_at_ms, body)
         VALUES (?1, 'a6', 1, 'r3', 'expired', 'update_crm', 'high', ?2, ?3, ?2, '{}')",
        params![b, to_ms(h(24 * 8)), to_ms(h(24 * 9))],
    )?;
    for doc in ["kb_1", "kb_2"] {
        record_citation_open(
            c,
            &CitationOpen {
                backend_id: &b,
                run_id: "r1",
                action_id: Some("a1"),
                actor: "alice",
                doc_id: doc,
                target: CitationTarget::Passage,
                at: t0(),
            },
        )?;
    }
    let d1 = decide(
        c,
        &b,
        ("a1", "r1", "issue_refund"),
        ("alice", "approve"),
        (h(1), Some(2_000), true),
        &[],
    )?;
    let d2 = decide(
        c,
        &b,
        ("a2", "r2", "issue_refund"),
        ("alice", "approve_with_edits"),
        (h(2), Some(10_000), false),
        &["amount", "currency"],
    )?;
    let d3 = decide(
        c,
        &b,
        ("a3", "r2", "issue_refund"),
        ("bob", "deny"),
        (h(3), Some(30_000), false),
        &[],
    )?;
    decide(
        c,
        &b,
        ("a4", "r3", "update_crm"),
        ("bob", "escalate"),
        (h(24 * 8), None, false),
        &[],
    )?;
    let d5 = decide(
        c,
        &b,
        ("a5", "r3", "update_crm"),
        ("alice", "approve_with_edits"),
        (h(24 * 8 + 1), Some(5_000), false),
        &["amount"],
    )?;
    assert!(
        record_second_review(c, d1, "bob", false, "", h(30))?,
        "approve vs would not"
    );
    assert!(
        !record_second_review(c, d3, "alice", false, "", h(30))?,
        "deny vs would not"
    );
    Ok(Fixture {
        store,
        backend: b,
        d1,
        d2,
        d3,
        d5,
    })
}

fn now() -> DateTime<Utc> {
    h(24 * 30)
}

#[test]
fn totals_match_the_hand_computed_fixture() -> Result<()> {
    let f = fixture()?;
    let r = report(f.store.conn(), &TrustQuery::default(), now())?;
    let s = &r.totals;
    assert_eq!(
        (
            s.decisions,
            s.approve,
            s.approve_with_edits,
            s.deny,
            s.escalate,
            s.expired
        ),
        (5, 1, 2, 1, 1, 1)
    );
    assert_eq!((s.approvals, s.corrected), (3, 2));
    assert_eq!(s.correction_rate, Some(2.0 / 3.0));
    assert_eq!(
        s.top_corrected_fields,
        vec![
            FieldCount {
                field: "amount".into(),
                count: 2
            },
            FieldCount {
                field: "currency".into(),
                count: 1
            }
        ]
    );
    // Times 2, 5, 10, 30 s: nearest rank p50 = 2nd = 5 s, p90 = 4th = 30 s.
    assert_eq!(
        (s.timed, s.p50_ms, s.p90_ms),
        (4, Some(5_000), Some(30_000))
    );
    assert_eq!((s.too_fast, s.too_fast_rate), (1, Some(0.25)));
    assert_eq!(s.escalation_rate, Some(0.2));
    assert_eq!(
        (
            s.citation_opens,
            s.with_citation_opens,
            s.citation_opens_per_decision
        ),
        (2, 1, Some(0.4))
    );
    assert_eq!(s.rolled_back, 1);
    assert_eq!(
        (s.second_reviews, s.disagreements, s.disagreement_rate),
        (2, 1, Some(0.5))
    );
    let bins: Vec<(i64, i64, i64)> = r
        .ttd_distribution
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| (b.from_ms, b.count, b.too_fast))
        .collect();
    assert_eq!(
        bins,
        vec![(2_000, 1, 1), (4_000, 1, 0), (8_000, 1, 0), (30_000, 1, 0)]
    );
    assert_eq!(r.ttd_distribution.len(), TTD_BIN_EDGES_MS.len() + 1);
    Ok(())
}

#[test]
fn groups_split_by_workflow_kind_reviewer_and_week() -> Result<()> {
    let f = fixture()?;
    let r = report(f.store.conn(), &TrustQuery::default(), now())?;
    let wf: Vec<(&str, i64, i64)> = r
        .by_workflow
        .iter()
        .map(|g| (g.key.as_str(), g.stats.decisions, g.stats.expired))
        .collect();
    assert_eq!(wf, vec![("crm", 2, 1), ("refund", 3, 0)]);
    let who: Vec<(&str, i64)> = r
        .by_reviewer
        .iter()
        .map(|g| (g.key.as_str(), g.stats.decisions + g.stats.expired))
        .collect();
    assert_eq!(who, vec![("alice", 3), ("bob", 2), ("", 1)]);
    let weeks: Vec<(&str, i64, i64)> = r
        .by_week
        .iter()
        .map(|g| (g.key.as_str(), g.stats.decisions, g.stats.expired))
        .collect();
    assert_eq!(
        weeks,
        vec![
            ("2026-11-02T00:00:00Z", 3, 0),
            ("2026-11-09T00:00:00Z", 2, 1)
        ]
    );
    let refund = &r.by_workflow[1].stats;
    assert_eq!(
        (refund.p50_ms, refund.disagreement_rate, refund.rolled_back),
        (Some(10_000), Some(0.5), 1)
    );
    let crm = &r
        .by_action_kind
        .iter()
        .find(|g| g.key == "update_crm")
        .map(|g| g.stats.clone())
        .unwrap_or_default();
    assert_eq!((crm.escalate, crm.corrected, crm.expired), (1, 1, 1));
    Ok(())
}

#[test]
fn filters_narrow_the_report() -> Result<()> {
    let f = fixture()?;
    let q = TrustQuery {
        reviewer: Some("bob".into()),
        ..Default::default()
    };
    let s = report(f.store.conn(), &q, now())?.totals;
    assert_eq!(
        (s.decisions, s.deny, s.escalate, s.expired),
        (2, 1, 1, 0),
        "an expiry has no reviewer"
    );
    let q = TrustQuery {
        workflow: Some("crm".into()),
        from: Some(h(24 * 7)),
        to: Some(h(24 * 14)),
        ..Default::default()
    };
    let s = report(f.store.conn(), &q, now())?.totals;
    assert_eq!((s.decisions, s.expired, s.corrected), (2, 1, 1));
    let q = TrustQuery {
        to: Some(h(24)),
        ..Default::default()
    };
    assert_eq!(report(f.store.conn(), &q, now())?.totals.decisions, 3);
    Ok(())
}

fn ids(rows: &[DecisionRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

#[test]
fn every_number_opens_its_decisions() -> Result<()> {
    let f = fixture()?;
    let c = f.store.conn();
    let all = TrustQuery::default();
    let open = |group: Option<(Dimension, &str)>, metric: Metric| {
        drill(
            c,
            &DrillQuery {
                query: all.clone(),
                group: group.map(|(d, k)| (d, k.to_string())),
                metric,
            },
            now(),
            100,
        )
    };
    assert_eq!(ids(&open(None, Metric::TooFast)?), vec![f.d1]);
    assert_eq!(
        ids(&open(
            None,
            Metric::Corrected {
                field: Some("amount".into())
            }
        )?),
        vec![f.d5, f.d2]
    );
    assert_eq!(
        ids(&open(None, Metric::Corrected { field: None })?),
        vec![f.d5, f.d2]
    );
    assert_eq!(ids(&open(None, Metric::RolledBack)?), vec![f.d1]);
    assert_eq!(ids(&open(None, Metric::Disagreed)?), vec![f.d1]);
    assert_eq!(ids(&open(None, Metric::SecondReviewed)?), vec![f.d3, f.d1]);
    assert_eq!(ids(&open(None, Metric::CitationOpened)?), vec![f.d1]);
    let expired = open(
        None,
        Metric::Kind {
            kind: "expired".into(),
        },
    )?;
    assert_eq!(
        (
            expired.len(),
            expired[0].action_id.as_str(),
            expired[0].workflow.as_str()
        ),
        (1, "a6", "crm")
    );
    // The week of d4 and d5 (and a6's expiry): its "decisions" are the two decided.
    let week = open(Some((Dimension::Week, "2026-11-09T00:00:00Z")), Metric::All)?;
    assert_eq!(week.len(), 2);
    assert!(week.iter().all(|d| d.decision != "expired") && week[0].id == f.d5);
    // The expiry is in the reviewer group '' of the report, and opens from there.
    let r = report(c, &all, now())?;
    let none = r
        .by_reviewer
        .iter()
        .find(|g| g.key.is_empty())
        .map(|g| g.stats.expired);
    assert_eq!(none, Some(1));
    let from_none = open(
        Some((Dimension::Reviewer, "")),
        Metric::Kind {
            kind: "expired".into(),
        },
    )?;
    assert_eq!(ids(&from_none), vec![0]);
    assert_eq!(from_none[0].action_id, "a6");
    // Every count of every group opens exactly that many rows.
    let metrics = |s: &TrustStats| {
        [
            (Metric::All, s.decisions),
            (
                Metric::Kind {
                    kind: "approve".into(),
                },
                s.approve,
            ),
            (
                Metric::Kind {
                    kind: "approve_with_edits".into(),
                },
                s.approve_with_edits,
            ),
            (
                Metric::Kind {
                    kind: "deny".into(),
                },
                s.deny,
            ),
            (
                Metric::Kind {
                    kind: "escalate".into(),
                },
                s.escalate,
            ),
            (
                Metric::Kind {
                    kind: "expired".into(),
                },
                s.expired,
            ),
            (Metric::Corrected { field: None }, s.corrected),
            (Metric::TooFast, s.too_fast),
            (Metric::CitationOpened, s.with_citation_opens),
            (Metric::RolledBack, s.rolled_back),
            (Metric::SecondReviewed, s.second_reviews),
            (Metric::Disagreed, s.disagreements),
            (
                Metric::TimeToDecide {
                    from_ms: 0,
                    to_ms: None,
                },
                s.timed,
            ),
        ]
    };
    let dims = [
        (Dimension::Workflow, &r.by_workflow),
        (Dimension::ActionKind, &r.by_action_kind),
        (Dimension::Reviewer, &r.by_reviewer),
        (Dimension::Week, &r.by_week),
    ];
    for (metric, n) in metrics(&r.totals) {
        assert_eq!(
            open(None, metric.clone())?.len() as i64,
            n,
            "all: {metric:?}"
        );
    }
    for (dim, groups) in dims {
        for g in groups {
            for (metric, n) in metrics(&g.stats) {
                let got = open(Some((dim, g.key.as_str())), metric.clone())?.len() as i64;
                assert_eq!(got, n, "{dim:?} {}: {metric:?}", g.key);
            }
            for fc in &g.stats.top_corrected_fields {
                let m = Metric::Corrected {
                    field: Some(fc.field.clone()),
                };
                let got = open(Some((dim, g.key.as_str())), m)?.len() as i64;
                assert_eq!(got, fc.count, "{dim:?} {}: field {}", g.key, fc.field);
            }
        }
    }
    for b in &r.ttd_distribution {
        let m = Metric::TimeToDecide {
            from_ms: b.from_ms,
            to_ms: b.to_ms,
        };
        assert_eq!(open(None, m)?.len() as i64, b.count, "bin {}", b.from_ms);
        // The bin's "(N too fast)" note opens exactly those N.
        let m = Metric::TooFastToDecide {
            from_ms: b.from_ms,
            to_ms: b.to_ms,
        };
        let rows = open(None, m)?;
        assert_eq!(
            rows.len() as i64,
            b.too_fast,
            "too fast in bin {}",
            b.from_ms
        );
        assert!(rows.iter().all(|d| d.too_fast));
    }
    // Only d1 (2 s) was too fast: it is in the 2 s – 4 s bin, no other bin opens it.
    assert_eq!(
        ids(&open(
            None,
            Metric::TooFastToDecide {
                from_ms: 2_000,
                to_ms: Some(4_000)
            }
        )?),
        vec![f.d1]
    );
    assert!(
        open(
            None,
            Metric::TooFastToDecide {
                from_ms: 4_000,
                to_ms: None
            }
        )?
        .is_empty()
    );
    assert_eq!(
        ids(&open(
            Some((Dimension::Workflow, "crm")),
            Metric::TimeToDecide {
                from_ms: 4_000,
                to_ms: Some(8_000)
            }
        )?),
        vec![f.d5]
    );
    assert_eq!(
        ids(&open(
            Some((Dimension::Reviewer, "bob")),
            Metric::Kind {
                kind: "deny".into()
            }
        )?),
        vec![f.d3]
    );
    let d1 = &open(None, Metric::RolledBack)?[0];
    assert_eq!(
        (
            d1.action_status.as_str(),
            d1.second_disagrees,
            d1.citation_opens
        ),
        ("rolled_back", Some(true), 2)
    );
    Ok(())
}

#[test]
fn second_reviews_sample_blind_and_never_by_the_first_reviewer() -> Result<()> {
    let f = fixture()?;
    let c = f.store.conn();
    // Every fixture decision has sample key 0: in any non-zero share, none in a zero share.
    assert!(crate::decisions::second_review_queue(c, 0, &|_| None, 10)?.is_empty());
    let queue = crate::decisions::second_review_queue(c, 500, &|_| Some("alice".into()), 10)?;
    // d1 and d3 are reviewed, d4 is an escalation, d2 and d5 are alice's own.
    assert!(queue.is_empty(), "{:?}", ids(&queue));
    let queue = crate::decisions::second_review_queue(c, 500, &|_| Some("carol".into()), 10)?;
    assert_eq!(ids(&queue), vec![f.d5, f.d2]);
    assert!(
        record_second_review(c, f.d2, "alice", true, "", now()).is_err(),
        "own decision"
    );
    assert!(
        record_second_review(c, f.d1, "carol", true, "", now()).is_err(),
        "already reviewed"
    );
    assert!(
        !record_second_review(c, f.d2, "carol", true, "", now())?,
        "edits vs would approve agree"
    );
    Ok(())
}

#[test]
fn percentiles_are_nearest_rank() {
    assert_eq!(percentile(&[], 50), None);
    assert_eq!(percentile(&[7], 90), Some(7));
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(
        (percentile(&v, 50), percentile(&v, 90), percentile(&v, 91)),
        (Some(5), Some(9), Some(10))
    );
    assert_eq!(week_start_ms(to_ms(h(24 * 6 + 23))), to_ms(t0()));
    assert_eq!(week_start_ms(to_ms(t0()) - 1), to_ms(t0()) - WEEK_MS);
}
