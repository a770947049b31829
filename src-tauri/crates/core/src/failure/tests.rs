use super::*;
use crate::money::Micros;
use crate::run::{Citation, PolicyCheck, TokenUsage, ToolCall};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_default()
}

fn run(outcome: Outcome) -> Run {
    Run {
        eval_id: None,
        prompt: None,
        retrieval: None,
        run_id: "r1".into(),
        revision: 1,
        tenant: "acme".into(),
        user_id: "u1".into(),
        team: None,
        workflow: "support_triage".into(),
        workflow_version: "v2".into(),
        model: "m".into(),
        inputs: json!({}),
        tool_calls: vec![],
        citations: vec![],
        outputs: json!({}),
        confidence: Some(0.9),
        cost_micros: Micros(1),
        tokens: TokenUsage::default(),
        latency_ms: 10,
        outcome,
        decision: String::new(),
        rationale: None,
        policy_checks: vec![],
        changes: vec![],
        started_at: at("2026-04-15T10:00:00Z"),
        ended_at: Some(at("2026-04-15T10:01:00Z")),
        updated_at: at("2026-04-15T10:01:00Z"),
    }
}

fn call(tool: &str, error: Option<&str>, result: Option<Value>) -> ToolCall {
    ToolCall {
        call_id: "c1".into(),
        parent_id: None,
        tool: tool.into(),
        arguments: json!({}),
        result_summary: None,
        result,
        started_at: at("2026-04-15T10:00:01Z"),
        ended_at: None,
        cost_micros: Micros(0),
        documents: vec![],
        error: error.map(String::from),
    }
}

fn cite(doc: &str, version: &str, updated: &str, deprecated: bool) -> Citation {
    Citation {
        doc_id: doc.into(),
        title: doc.into(),
        url: None,
        call_id: None,
        passage: "p".into(),
        start: 0,
        end: 1,
        context: "p".into(),
        context_start: 0,
        source_version: version.into(),
        source_updated_at: Some(at(updated)),
        deprecated,
    }
}

struct World {
    catalog: BTreeMap<String, SourceDoc>,
    rolled_back: Vec<RolledBack>,
    outages: Vec<Outage>,
    rules: FailureRules,
}

impl World {
    fn new() -> World {
        World {
            catalog: BTreeMap::new(),
            rolled_back: vec![],
            outages: vec![],
            rules: FailureRules::default(),
        }
    }
    fn suggest(&self, run: &Run) -> Suggestion {
        suggest(&FailureFacts {
            run,
            freshness_days: 180,
            catalog: &self.catalog,
            rolled_back: &self.rolled_back,
            outages: &self.outages,
            rules: &self.rules,
        })
    }
}

fn signals(s: &Suggestion) -> Vec<Signal> {
    s.evidence.iter().map(|e| e.signal).collect()
}

#[test]
fn nothing_known_is_other() {
    let s = World::new().suggest(&run(Outcome::Fail));
    assert_eq!(s.bucket, FailureBucket::Other);
    assert!(s.evidence.is_empty());
}

#[test]
fn deprecated_citation_is_stale_retrieval() {
    let mut r = run(Outcome::Denied);
    r.citations = vec![cite("kb_102", "v3", "2026-04-01T00:00:00Z", true)];
    let s = World::new().suggest(&r);
    assert_eq!(s.bucket, FailureBucket::StaleRetrieval);
    assert_eq!(signals(&s), vec![Signal::DeprecatedCitation]);
    assert_eq!(s.evidence[0].detail, "kb_102 deprecated (v3)");
}

#[test]
fn citation_older_than_the_window_at_run_time_is_stale() {
    let mut r = run(Outcome::Escalated);
    // 181 days before the run's start: stale under a 180-day window.
    r.citations = vec![cite("kb_1", "v1", "2025-10-16T09:00:00Z", false)];
    let s = World::new().suggest(&r);
    assert_eq!(s.bucket, FailureBucket::StaleRetrieval);
    assert_eq!(signals(&s), vec![Signal::StaleCitation]);
    assert!(s.evidence[0].detail.contains("181 days"));
    // 179 days: fresh, no signal.
    r.citations = vec![cite("kb_1", "v1", "2025-10-18T11:00:00Z", false)];
    assert_eq!(World::new().suggest(&r).bucket, FailureBucket::Other);
}

#[test]
fn citing_a_replaced_version_is_stale_only_if_replaced_before_the_run() {
    let mut r = run(Outcome::Fail);
    r.citations = vec![cite("kb_7", "v2", "2026-04-01T00:00:00Z", false)];
    let mut w = World::new();
    let doc = |updated: &str| SourceDoc {
        doc_id: "kb_7".into(),
        title: "t".into(),
        version: "v3".into(),
        updated_at: at(updated),
        deprecated: false,
    };
    w.catalog.insert("kb_7".into(), doc("2026-04-10T00:00:00Z"));
    let s = w.suggest(&r);
    assert_eq!(s.bucket, FailureBucket::StaleRetrieval);
    assert_eq!(signals(&s), vec![Signal::OutdatedVersion]);
    // v3 appeared after the run: the run cited what was current.
    w.catalog.insert("kb_7".into(), doc("2026-04-20T00:00:00Z"));
    assert_eq!(w.suggest(&r).bucket, FailureBucket::Other);
}

#[test]
fn tool_401_or_403_is_permission_boundary() {
    for (error, result) in [
        (Some("403: forbidden for role agent"), None),
        (Some("HTTP 401 Unauthorized"), None),
        (Some("permission denied on /crm/contacts"), None),
        (None, Some(json!({"status": 403}))),
    ] {
        let mut r = run(Outcome::Fail);
        r.tool_calls = vec![call("crm_update", error, result)];
        let s = World::new().suggest(&r);
        assert_eq!(s.bucket, FailureBucket::PermissionBoundary, "{error:?}");
        assert_eq!(signals(&s), vec![Signal::ToolDenied]);
    }
    // A 403 inside an id is not a status.
    let mut r = run(Outcome::Fail);
    r.tool_calls = vec![call("lookup", Some("order ord_4031 not found"), None)];
    assert_eq!(World::new().suggest(&r).bucket, FailureBucket::ModelError);
}

#[test]
fn timeouts_unavailability_and_backend_outages_are_connector_outage() {
    for error in [
        "upstream model timeout after 30000 ms",
        "503 Service Unavailable",
        "connection refused",
    ] {
        let mut r = run(Outcome::Fail);
        r.tool_calls = vec![call("kb_search", Some(error), None)];
        let s = World::new().suggest(&r);
        assert_eq!(s.bucket, FailureBucket::ConnectorOutage, "{error}");
        assert!(!signals(&s).contains(&Signal::ToolError), "{error}");
    }
    let r = run(Outcome::Escalated);
    let mut w = World::new();
    w.outages = vec![Outage {
        from: at("2026-04-15T09:00:00Z"),
        until: Some(at("2026-04-15T10:00:30Z")),
        last_error: Some("backend unreachable".into()),
    }];
    let s = w.suggest(&r);
    assert_eq!(s.bucket, FailureBucket::ConnectorOutage);
    assert_eq!(signals(&s), vec![Signal::BackendDown]);
    // An outage that ended before the run started says nothing about it.
    w.outages[0].until = Some(at("2026-04-15T09:59:00Z"));
    assert_eq!(w.suggest(&r).bucket, FailureBucket::Other);
    // Nor one that began after it ended; one still open since before it does.
    w.outages[0] = Outage {
        from: at("2026-04-15T10:02:00Z"),
        until: None,
        last_error: None,
    };
    assert_eq!(w.suggest(&r).bucket, FailureBucket::Other);
    w.outages[0].from = at("2026-04-14T00:00:00Z");
    assert_eq!(w.suggest(&r).bucket, FailureBucket::ConnectorOutage);
}

#[test]
fn confidence_just_under_the_cut_is_bad_threshold() {
    let mut w = World::new();
    let mut r = run(Outcome::Escalated);
    r.confidence = Some(0.66);
    let s = w.suggest(&r);
    assert_eq!(s.bucket, FailureBucket::BadThreshold);
    assert!(
        s.evidence[0]
            .detail
            .contains("0.66 just under the cut 0.70")
    );
    // The edge of the margin counts; farther under does not; at the cut is not under it.
    r.confidence = Some(0.65);
    assert_eq!(w.suggest(&r).bucket, FailureBucket::BadThreshold);
    r.confidence = Some(0.64);
    assert_eq!(w.suggest(&r).bucket, FailureBucket::Other);
    r.confidence = Some(0.70);
    assert_eq!(w.suggest(&r).bucket, FailureBucket::Other);
    // A workflow's own cut wins over the default.
    w.rules.cuts.insert("support_triage".into(), 0.8);
    r.confidence = Some(0.78);
    assert_eq!(w.suggest(&r).bucket, FailureBucket::BadThreshold);
    // A failed run is not a threshold's doing.
    let mut f = run(Outcome::Fail);
    f.confidence = Some(0.78);
    assert_eq!(w.suggest(&f).bucket, FailureBucket::Other);
}

#[test]
fn rollback_after_approval_or_failed_check_is_loose_policy() {
    let r = run(Outcome::Success);
    let mut w = World::new();
    w.rolled_back = vec![RolledBack {
        action_id: "act_1".into(),
        kind: "issue_refund".into(),
        decided_by: Some("u_grace".into()),
    }];
    let s = w.suggest(&r);
    assert_eq!(s.bucket, FailureBucket::LoosePolicy);
    assert_eq!(
        s.evidence[0].detail,
        "issue_refund act_1 approved by u_grace, then rolled back"
    );
    let mut r = run(Outcome::Denied);
    r.policy_checks = vec![
        PolicyCheck {
            name: "pii_redaction".into(),
            passed: true,
            detail: None,
        },
        PolicyCheck {
            name: "amount_within_policy".into(),
            passed: false,
            detail: Some("$120.00 above the $100.00 limit".into()),
        },
    ];
    let s = World::new().suggest(&r);
    assert_eq!(s.bucket, FailureBucket::LoosePolicy);
    assert_eq!(
        s.evidence[0].detail,
        "amount_within_policy: $120.00 above the $100.00 limit"
    );
}

#[test]
fn other_tool_errors_and_output_errors_are_model_error() {
    let mut r = run(Outcome::Fail);
    r.tool_calls = vec![call(
        "draft_reply",
        Some("invalid JSON in model output"),
        None,
    )];
    let s = World::new().suggest(&r);
    assert_eq!(s.bucket, FailureBucket::ModelError);
    assert_eq!(signals(&s), vec![Signal::ToolError]);
    let mut r = run(Outcome::Fail);
    r.outputs = json!({"error": "schema mismatch"});
    let s = World::new().suggest(&r);
    assert_eq!(s.bucket, FailureBucket::ModelError);
    assert_eq!(signals(&s), vec![Signal::RunError]);
}

#[test]
fn strongest_cause_wins_and_other_evidence_follows() {
    let mut r = run(Outcome::Escalated);
    r.confidence = Some(0.67);
    r.citations = vec![cite("kb_9", "v1", "2026-04-01T00:00:00Z", true)];
    r.tool_calls = vec![call("crm_lookup", Some("403 forbidden"), None)];
    let s = World::new().suggest(&r);
    assert_eq!(s.bucket, FailureBucket::PermissionBoundary);
    assert_eq!(
        signals(&s),
        vec![
            Signal::ToolDenied,
            Signal::DeprecatedCitation,
            Signal::ConfidenceNearCut
        ]
    );
}

#[test]
fn reviewable_runs_are_failed_escalated_denied_or_rolled_back() {
    assert!(reviewable(Outcome::Fail, false));
    assert!(reviewable(Outcome::Escalated, false));
    assert!(reviewable(Outcome::Denied, false));
    assert!(reviewable(Outcome::Success, true));
    assert!(!reviewable(Outcome::Success, false));
    assert!(!reviewable(Outcome::Pending, false));
    assert!(!reviewable(Outcome::BudgetStopped, false));
}

#[test]
fn bucket_spellings_round_trip() {
    for b in FailureBucket::ALL {
        assert_eq!(FailureBucket::parse(b.as_str()), Some(b));
        assert_eq!(
            serde_json::to_string(&b).unwrap_or_default(),
            format!("\"{}\"", b.as_str())
        );
    }
    assert_eq!(FailureBucket::parse("nope"), None);
}

#[test]
fn weeks_start_monday_utc() {
    // 2026-04-15 is a Wednesday.
    assert_eq!(
        week_start(at("2026-04-15T23:59:00Z")),
        at("2026-04-13T00:00:00Z")
    );
    assert_eq!(
        week_start(at("2026-04-13T00:00:00Z")),
        at("2026-04-13T00:00:00Z")
    );
    assert_eq!(
        week_start(at("2026-04-12T23:59:59Z")),
        at("2026-04-06T00:00:00Z")
    );
}

#[test]
fn week_changes_list_moves_biggest_first() {
    let last = at("2026-04-06T00:00:00Z");
    let this = at("2026-04-13T00:00:00Z");
    let older = at("2026-03-30T00:00:00Z");
    let wc = |week, workflow: &str, bucket, runs| WeekCount {
        week,
        workflow: workflow.into(),
        bucket,
        runs,
    };
    let counts = vec![
        wc(older, "a", FailureBucket::Other, 50),
        wc(last, "a", FailureBucket::StaleRetrieval, 10),
        wc(this, "a", FailureBucket::StaleRetrieval, 4),
        wc(this, "b", FailureBucket::ConnectorOutage, 9),
        wc(last, "b", FailureBucket::ModelError, 3),
        wc(this, "b", FailureBucket::ModelError, 3),
    ];
    let changes = week_changes(&counts, this, last);
    let got: Vec<(&str, FailureBucket, u64, u64)> = changes
        .iter()
        .map(|c| (c.workflow.as_str(), c.bucket, c.last_week, c.this_week))
        .collect();
    assert_eq!(
        got,
        vec![
            ("b", FailureBucket::ConnectorOutage, 0, 9),
            ("a", FailureBucket::StaleRetrieval, 10, 4),
        ]
    );
    assert_eq!(changes[1].delta(), -6);
}
