use super::*;
use crate::{Store, actions, backends, health, runs, sources};
use countersign_core::{KnowledgeSource, PendingAction, Run, Signal};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_default()
}

/// A run of `workflow` with `outcome`, started at `start`, built from JSON with `extra` merged.
fn run(id: &str, workflow: &str, outcome: &str, start: &str, extra: serde_json::Value) -> Run {
    let mut v = json!({
        "run_id": id, "revision": 1, "tenant": "acme", "user_id": "u1", "workflow": workflow,
        "model": "m", "cost_micros": 10, "latency_ms": 5, "outcome": outcome,
        "confidence": 0.9, "started_at": start, "ended_at": start, "updated_at": start,
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    serde_json::from_value(v).unwrap_or_else(|e| panic!("fixture: {e}"))
}

fn action(id: &str, run_id: &str, status: &str, revision: u64) -> PendingAction {
    serde_json::from_value(json!({
        "action_id": id, "revision": revision, "run_id": run_id, "kind": "issue_refund",
        "title": "Issue refund", "target": {"system": "billing", "record_id": "o1"},
        "risk": "high", "fields": [], "status": status, "decided_by": "u_grace",
        "requested_at": "2026-04-14T10:00:00Z", "expires_at": "2026-04-15T10:00:00Z",
        "updated_at": format!("2026-04-14T1{revision}:00:00Z"),
    }))
    .unwrap_or_else(|e| panic!("fixture: {e}"))
}

struct Fx {
    store: Store,
    backend: String,
}

impl Fx {
    fn new() -> Result<Fx> {
        let store = Store::open_in_memory()?;
        let b = backends::upsert(
            store.conn(),
            "a",
            "http://127.0.0.1:1",
            "countersign",
            false,
        )?;
        Ok(Fx {
            store,
            backend: b.backend_id,
        })
    }
    fn add(&self, r: &Run) -> Result<()> {
        // The backend's default window is 365 days; `now` does not matter to the review.
        runs::upsert(
            self.store.conn(),
            &self.backend,
            r,
            at("2026-04-20T00:00:00Z"),
            365,
        )?;
        Ok(())
    }
    fn classify(&self) -> Result<usize> {
        classify_pending(self.store.conn(), 1000)
    }
    fn item(&self, run_id: &str) -> Result<Option<FailureItem>> {
        let page = week(
            self.store.conn(),
            &FailureQuery {
                week: Some(at("2026-04-15T00:00:00Z")),
                limit: Some(1000),
                ..Default::default()
            },
        )?;
        Ok(page.items.into_iter().find(|i| i.run_id == run_id))
    }
    fn suggested(&self, run_id: &str) -> Result<(FailureBucket, Vec<Signal>)> {
        let it = self
            .item(run_id)?
            .ok_or_else(|| StoreError::Invalid(format!("{run_id} not listed")))?;
        Ok((it.suggested, it.evidence.iter().map(|e| e.signal).collect()))
    }
}

const WED: &str = "2026-04-15T10:00:00Z";

#[test]
fn every_rule_suggests_its_bucket_from_stored_runs() -> Result<()> {
    let fx = Fx::new()?;
    let c = |doc: &str, version: &str, updated: &str, deprecated: bool| {
        json!({"doc_id": doc, "title": doc, "passage": "p", "start": 0, "end": 1,
               "source_version": version, "source_updated_at": updated,
               "deprecated": deprecated})
    };
    let call = |tool: &str, error: &str| json!({"call_id": "c1", "tool": tool, "started_at": WED, "error": error});
    fx.add(&run(
        "deprecated",
        "triage",
        "denied",
        WED,
        json!({"citations": [c("kb_1", "v1", "2026-04-01T00:00:00Z", true)]}),
    ))?;
    fx.add(&run(
        "old_source",
        "triage",
        "escalated",
        WED,
        json!({"citations": [c("kb_2", "v1", "2025-01-01T00:00:00Z", false)]}),
    ))?;
    fx.add(&run(
        "replaced",
        "triage",
        "fail",
        WED,
        json!({"citations": [c("kb_3", "v1", "2026-04-01T00:00:00Z", false)]}),
    ))?;
    fx.add(&run(
        "forbidden",
        "crm",
        "fail",
        WED,
        json!({"tool_calls": [call("crm_write", "403: role agent may not write contacts")]}),
    ))?;
    fx.add(&run(
        "timeout",
        "triage",
        "fail",
        WED,
        json!({"tool_calls": [call("draft_reply", "upstream model timeout after 30000 ms")]}),
    ))?;
    fx.add(&run(
        "near_cut",
        "triage",
        "escalated",
        WED,
        json!({"confidence": 0.67}),
    ))?;
    fx.add(&run(
        "check_failed",
        "refund",
        "denied",
        WED,
        json!({"policy_checks": [
        {"name": "amount_within_policy", "passed": false, "detail": "=1+1 above limit"}]}),
    ))?;
    fx.add(&run("rolled_back", "refund", "success", WED, json!({})))?;
    fx.add(&run(
        "tool_error",
        "refund",
        "fail",
        WED,
        json!({"tool_calls": [call("lookup_order", "404: order o9 not found")]}),
    ))?;
    fx.add(&run("plain", "refund", "fail", WED, json!({})))?;
    fx.add(&run("fine", "refund", "success", WED, json!({})))?;
    fx.add(&run("waiting", "refund", "pending", WED, json!({})))?;
    let src: KnowledgeSource = serde_json::from_value(json!({
        "source_id": "wiki", "name": "Wiki", "kind": "kb", "access": [],
        "last_indexed_at": "2026-04-10T00:00:00Z",
        "documents": [{"doc_id": "kb_3", "title": "t", "version": "v2",
                       "updated_at": "2026-04-05T00:00:00Z", "deprecated": false}],
    }))?;
    sources::replace_all(fx.store.conn(), &fx.backend, &[src])?;
    // Approved, executed, then rolled back: first seen executed, then rolled back.
    actions::upsert(
        fx.store.conn(),
        &fx.backend,
        &action("a1", "rolled_back", "executed", 2),
    )?;
    actions::upsert(
        fx.store.conn(),
        &fx.backend,
        &action("a1", "rolled_back", "rolled_back", 3),
    )?;
    // Ten runs queued (fine and waiting are not); the rollback queued its run.
    assert_eq!(pending(fx.store.conn())?, 10);
    assert_eq!(fx.classify()?, 10);
    assert_eq!(pending(fx.store.conn())?, 0);
    use FailureBucket as B;
    let expect = [
        ("deprecated", B::StaleRetrieval, Signal::DeprecatedCitation),
        ("old_source", B::StaleRetrieval, Signal::StaleCitation),
        ("replaced", B::StaleRetrieval, Signal::OutdatedVersion),
        ("forbidden", B::PermissionBoundary, Signal::ToolDenied),
        ("timeout", B::ConnectorOutage, Signal::ToolTimeout),
        ("near_cut", B::BadThreshold, Signal::ConfidenceNearCut),
        ("check_failed", B::LoosePolicy, Signal::PolicyCheckFailed),
        (
            "rolled_back",
            B::LoosePolicy,
            Signal::RolledBackAfterApproval,
        ),
        ("tool_error", B::ModelError, Signal::ToolError),
    ];
    for (id, bucket, signal) in expect {
        assert_eq!(fx.suggested(id)?, (bucket, vec![signal]), "{id}");
    }
    assert_eq!(fx.suggested("plain")?, (B::Other, vec![]));
    assert!(fx.item("fine")?.is_none());
    assert!(fx.item("waiting")?.is_none());
    let rb = fx
        .item("rolled_back")?
        .ok_or_else(|| StoreError::Invalid("rb".into()))?;
    assert_eq!(
        rb.evidence[0].detail,
        "issue_refund a1 approved by u_grace, then rolled back"
    );
    Ok(())
}

#[test]
fn a_backend_outage_during_the_run_is_connector_outage() -> Result<()> {
    let fx = Fx::new()?;
    let c = fx.store.conn();
    health::record_success(c, &fx.backend, at("2026-04-15T09:00:00Z"))?;
    for m in 1..=3 {
        let t = at(&format!("2026-04-15T09:5{m}:00Z"));
        health::record_failure(
            c,
            &fx.backend,
            t,
            "backend_unreachable",
            "connection refused",
        )?;
    }
    health::record_success(c, &fx.backend, at("2026-04-15T10:30:00Z"))?;
    fx.add(&run("during", "triage", "fail", WED, json!({})))?;
    fx.add(&run(
        "after",
        "triage",
        "fail",
        "2026-04-15T11:00:00Z",
        json!({}),
    ))?;
    fx.classify()?;
    let (bucket, signals) = fx.suggested("during")?;
    assert_eq!(
        (bucket, signals),
        (FailureBucket::ConnectorOutage, vec![Signal::BackendDown])
    );
    assert_eq!(fx.suggested("after")?.0, FailureBucket::Other);
    Ok(())
}

#[test]
fn rules_tunables_come_from_settings_and_requeue_resuggests() -> Result<()> {
    let fx = Fx::new()?;
    fx.add(&run(
        "r",
        "triage",
        "escalated",
        WED,
        json!({"confidence": 0.76}),
    ))?;
    fx.classify()?;
    assert_eq!(fx.suggested("r")?.0, FailureBucket::Other);
    let mut rules = FailureRules::default();
    rules.cuts.insert("triage".into(), 0.8);
    crate::settings::set(fx.store.conn(), RULES_KEY, &rules)?;
    assert_eq!(requeue_all(fx.store.conn())?, 1);
    fx.classify()?;
    assert_eq!(fx.suggested("r")?.0, FailureBucket::BadThreshold);
    Ok(())
}

use countersign_core::FailureRules;

#[test]
fn operator_bucket_is_audited_survives_resuggestion_and_moves_the_rollup() -> Result<()> {
    let mut fx = Fx::new()?;
    fx.add(&run("r", "triage", "fail", WED, json!({})))?;
    fx.classify()?;
    let week_ms = at("2026-04-13T00:00:00Z");
    let counts = |s: &Store| trend(s.conn(), week_ms, 1);
    assert_eq!(counts(&fx.store)?[0].bucket, FailureBucket::Other);
    let backend = fx.backend.clone();
    let tx = fx.store.write()?;
    let set = set_bucket(
        &tx,
        &backend,
        "r",
        FailureBucket::ConnectorOutage,
        "console",
        at(WED),
    )?;
    tx.commit()?;
    assert_eq!(
        (set.before, set.after),
        (FailureBucket::Other, FailureBucket::ConnectorOutage)
    );
    assert_eq!(set.item.bucket, Some(FailureBucket::ConnectorOutage));
    let ev = crate::audit::of_kinds(fx.store.conn(), &[kinds::FAILURE_BUCKET_SET])?;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].details["before"], "other");
    assert_eq!(ev[0].details["after"], "connector_outage");
    assert_eq!(ev[0].subject, format!("{backend}/r"));
    let t = counts(&fx.store)?;
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].bucket, t[0].runs),
        (FailureBucket::ConnectorOutage, 1)
    );
    // A new revision re-suggests; the operator's bucket stays.
    let mut r2 = run(
        "r",
        "triage",
        "fail",
        WED,
        json!({"outputs": {"error": "bad"}}),
    );
    r2.revision = 2;
    fx.add(&r2)?;
    fx.classify()?;
    let it = fx
        .item("r")?
        .ok_or_else(|| StoreError::Invalid("r".into()))?;
    assert_eq!(it.suggested, FailureBucket::ModelError);
    assert_eq!(it.bucket, Some(FailureBucket::ConnectorOutage));
    // Changing it again records before = the operator's earlier bucket.
    let tx = fx.store.write()?;
    let set = set_bucket(
        &tx,
        &backend,
        "r",
        FailureBucket::ModelError,
        "console",
        at(WED),
    )?;
    tx.commit()?;
    assert_eq!(set.before, FailureBucket::ConnectorOutage);
    // A run that is not in the review is refused.
    let tx = fx.store.write()?;
    assert!(
        set_bucket(
            &tx,
            &backend,
            "nope",
            FailureBucket::Other,
            "console",
            at(WED)
        )
        .is_err()
    );
    Ok(())
}

#[test]
fn a_run_that_stops_being_reviewable_leaves_the_review_and_the_rollup() -> Result<()> {
    let fx = Fx::new()?;
    fx.add(&run("r", "triage", "escalated", WED, json!({})))?;
    fx.classify()?;
    assert!(fx.item("r")?.is_some());
    let mut r2 = run("r", "triage", "success", WED, json!({}));
    r2.revision = 2;
    fx.add(&r2)?;
    fx.classify()?;
    assert!(fx.item("r")?.is_none());
    assert_eq!(trend(fx.store.conn(), at(WED), 1)?, vec![]);
    Ok(())
}

#[test]
fn weekly_aggregation_counts_per_week_workflow_and_bucket() -> Result<()> {
    let mut fx = Fx::new()?;
    // Week of 6 April: 2 triage failures (other). Week of 13 April: 3 triage (other), one
    // refund denial with a failed check (loose policy); Sunday 19 April 23:59 is still that
    // week, Monday 20 April 00:00 is the next.
    let check = json!({"policy_checks": [{"name": "x", "passed": false}]});
    let fixtures = [
        ("a", "triage", "fail", "2026-04-06T00:00:00Z", json!({})),
        ("b", "triage", "fail", "2026-04-12T23:59:59Z", json!({})),
        ("c", "triage", "fail", "2026-04-13T00:00:00Z", json!({})),
        ("d", "triage", "escalated", WED, json!({})),
        ("e", "triage", "denied", "2026-04-19T23:59:00Z", json!({})),
        ("f", "refund", "denied", WED, check),
        ("g", "refund", "fail", "2026-04-20T00:00:00Z", json!({})),
        ("h", "refund", "success", WED, json!({})),
    ];
    for (id, wf, outcome, start, extra) in fixtures {
        fx.add(&run(id, wf, outcome, start, extra))?;
    }
    fx.classify()?;
    let t = trend(fx.store.conn(), at("2026-04-16T00:00:00Z"), 2)?;
    let got: Vec<(String, String, FailureBucket, u64)> = t
        .iter()
        .map(|c| (c.week.to_rfc3339(), c.workflow.clone(), c.bucket, c.runs))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2026-04-06T00:00:00+00:00".into(),
                "triage".into(),
                FailureBucket::Other,
                2
            ),
            (
                "2026-04-13T00:00:00+00:00".into(),
                "refund".into(),
                FailureBucket::LoosePolicy,
                1
            ),
            (
                "2026-04-13T00:00:00+00:00".into(),
                "triage".into(),
                FailureBucket::Other,
                3
            ),
        ]
    );
    let changes = failure::week_changes(&t, at("2026-04-13T00:00:00Z"), at("2026-04-06T00:00:00Z"));
    assert_eq!(changes.len(), 2);
    assert_eq!(
        (changes[0].workflow.as_str(), changes[0].delta()),
        ("refund", 1)
    );
    assert_eq!(
        (changes[1].workflow.as_str(), changes[1].delta()),
        ("triage", 1)
    );
    // The week's list: newest first, exact totals, filters, reviewed counts.
    let q = |workflow: Option<&str>, bucket, unreviewed| FailureQuery {
        week: Some(at(WED)),
        workflow: workflow.map(String::from),
        bucket,
        unreviewed,
        limit: Some(2),
        offset: None,
    };
    let page = week(fx.store.conn(), &q(None, None, false))?;
    assert_eq!(page.week, at("2026-04-13T00:00:00Z"));
    assert_eq!(page.total, 4);
    let ids: Vec<&str> = page.items.iter().map(|i| i.run_id.as_str()).collect();
    assert_eq!(ids, vec!["e", "f"]);
    let page = week(fx.store.conn(), &q(Some("refund"), None, false))?;
    assert_eq!((page.total, page.items.len()), (1, 1));
    let page = week(fx.store.conn(), &q(None, Some(FailureBucket::Other), false))?;
    assert_eq!(page.total, 3);
    let backend = fx.backend.clone();
    let tx = fx.store.write()?;
    set_bucket(&tx, &backend, "d", FailureBucket::Other, "console", at(WED))?;
    tx.commit()?;
    let page = week(fx.store.conn(), &q(None, None, true))?;
    assert_eq!((page.total, page.reviewed), (3, 1));
    assert!(page.items.iter().all(|i| i.run_id != "d"));
    Ok(())
}

#[test]
fn csv_export_escapes_untrusted_text() -> Result<()> {
    let fx = Fx::new()?;
    fx.add(&run(
        "=cmd|' /C calc'!A0",
        "wf,\"x\"",
        "denied",
        WED,
        json!({"policy_checks": [
        {"name": "amount", "passed": false, "detail": "@SUM(1)\nnext"}]}),
    ))?;
    fx.classify()?;
    let text = week_csv(
        fx.store.conn(),
        &FailureQuery {
            week: Some(at(WED)),
            ..Default::default()
        },
    )?;
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], CSV_HEADER.join(","));
    let row = lines[1];
    assert!(row.contains(",'=cmd|' /C calc'!A0,"), "{row}");
    assert!(row.contains(",\"wf,\"\"x\"\"\","), "{row}");
    assert!(
        row.contains("\"loose_policy: amount: @SUM(1)\nnext\""),
        "{row}"
    );
    assert!(
        row.starts_with("2026-04-13T00:00:00Z,2026-04-15T10:00:00Z,"),
        "{row}"
    );
    Ok(())
}
