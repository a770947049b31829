//! Golden sets in the store: versions, audit, JSONL round trip through the store, evals and
//! the readiness gate's configurations.

use chrono::{DateTime, Duration, Utc};
use countersign_core::golden::compare::{PassThresholds, compare};
use countersign_core::golden::{Expectations, GoldenCase, from_jsonl, to_jsonl};
use countersign_core::{Micros, Run};
use countersign_store::golden::{self, Change, EvalRecord, StoredCase};
use countersign_store::{Result, Store, StoreError, audit, backends, runs};
use serde_json::json;
use std::collections::HashMap;

fn t0() -> DateTime<Utc> {
    "2026-11-01T10:00:00Z".parse().unwrap_or_default()
}

fn run(id: &str, version: &str, model: &str, minutes: i64) -> Run {
    let v = json!({
        "run_id": id, "revision": 1, "tenant": "acme", "user_id": "u1",
        "workflow": "refund_request", "workflow_version": version, "model": model,
        "inputs": {"order_id": format!("ord_{id}")},
        "citations": [{"doc_id": "kb_102", "title": "Refund policy", "passage": "within 14 days",
                       "start": 0, "end": 14, "source_updated_at": "2026-10-01T00:00:00Z"}],
        "cost_micros": 2_000, "latency_ms": 1_500, "outcome": "success",
        "decision": "refund_proposed",
        "changes": [{"system": "billing", "record_id": format!("ord_{id}"), "field": "refund",
                     "after": "40.00"}],
        "started_at": (t0() + Duration::minutes(minutes)).to_rfc3339(),
        "updated_at": (t0() + Duration::minutes(minutes)).to_rfc3339()
    });
    serde_json::from_value(v).unwrap_or_else(|e| panic!("fixture: {e}"))
}

fn stored(b: &str, r: Run) -> StoredCase {
    StoredCase {
        backend_id: b.into(),
        case: GoldenCase {
            expect: Expectations::from_run(&r, 1.5),
            run: r,
        },
    }
}

fn setup() -> Result<(Store, String)> {
    let store = Store::open_in_memory()?;
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )?
    .backend_id;
    Ok((store, b))
}

#[test]
fn every_change_is_a_new_audited_version_and_old_versions_stay_readable() -> Result<()> {
    let (mut store, b) = setup()?;
    let tx = store.write()?;
    let v1 = golden::change(
        &tx,
        "refund_request",
        Change::Add(vec![
            stored(&b, run("r1", "v3", "m1", 0)),
            stored(&b, run("r2", "v3", "m1", 1)),
        ]),
        "ops@acme",
        t0(),
    )?;
    let mut tighter = Expectations::from_run(&run("r1", "v3", "m1", 0), 1.0);
    tighter.max_cost_micros = Some(Micros(1_000));
    let v2 = golden::change(
        &tx,
        "refund_request",
        Change::Expect("r1".into(), tighter.clone()),
        "ops@acme",
        t0(),
    )?;
    let v3 = golden::change(
        &tx,
        "refund_request",
        Change::Remove(vec!["r2".into()]),
        "ops@acme",
        t0(),
    )?;
    tx.commit()?;
    assert_eq!((v1.version, v1.cases), (1, 2));
    assert_eq!((v2.version, v2.cases), (2, 2));
    assert_eq!((v3.version, v3.cases), (3, 1));
    let c = store.conn();
    assert_eq!(golden::cases(c, "refund_request", Some(1))?.len(), 2);
    let latest = golden::cases(c, "refund_request", None)?;
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].case.expect, tighter);
    assert_eq!(latest[0].backend_id, b);
    let versions = golden::versions(c, "refund_request")?;
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert_eq!(versions[0].change, "removed 1 case(s)");
    assert_eq!(golden::sets(c)?.len(), 1);
    assert_eq!(golden::sets(c)?[0].version, 3);
    let events = audit::of_kinds(c, &["golden_set_changed"])?;
    assert_eq!(events.len(), 3);
    assert_eq!(events[1].details["before"]["max_cost_micros"], 3_000);
    assert_eq!(events[1].details["after"]["max_cost_micros"], 1_000);
    assert_eq!(events[2].details["version"], 3);
    assert_eq!(events[0].actor, "ops@acme");
    assert!(audit::verify(c)?.is_ok());
    Ok(())
}

#[test]
fn bad_changes_are_refused_and_leave_no_version() -> Result<()> {
    let (mut store, b) = setup()?;
    let tx = store.write()?;
    let mut other = run("x", "v3", "m1", 0);
    other.workflow = "crm_update".into();
    let e = golden::change(
        &tx,
        "refund_request",
        Change::Add(vec![stored(&b, other)]),
        "a",
        t0(),
    );
    assert!(matches!(e, Err(StoreError::Invalid(_))));
    let e = golden::change(
        &tx,
        "refund_request",
        Change::Remove(vec!["nope".into()]),
        "a",
        t0(),
    );
    assert!(matches!(e, Err(StoreError::NotFound(_))));
    tx.commit()?;
    assert_eq!(golden::latest_version(store.conn(), "refund_request")?, 0);
    assert!(audit::of_kinds(store.conn(), &["golden_set_changed"])?.is_empty());
    Ok(())
}

#[test]
fn jsonl_export_imports_back_as_the_same_cases() -> Result<()> {
    let (mut store, b) = setup()?;
    let tx = store.write()?;
    golden::change(
        &tx,
        "refund_request",
        Change::Add(vec![stored(&b, run("r1", "v3", "m1", 0))]),
        "a",
        t0(),
    )?;
    tx.commit()?;
    let cases: Vec<GoldenCase> = golden::cases(store.conn(), "refund_request", None)?
        .into_iter()
        .map(|c| c.case)
        .collect();
    let text = to_jsonl(&cases)?;
    let back = from_jsonl(&text, Some("refund_request"))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let tx = store.write()?;
    let v = golden::change(
        &tx,
        "refund_request",
        Change::Replace(
            back.into_iter()
                .map(|c| StoredCase {
                    backend_id: b.clone(),
                    case: c,
                })
                .collect(),
            "set.jsonl".into(),
        ),
        "a",
        t0(),
    );
    // The same cases again change nothing.
    assert!(matches!(v, Err(StoreError::Invalid(_))));
    tx.commit()?;
    Ok(())
}

#[test]
fn evals_keep_their_runs_and_report_and_the_gate_follows_configurations() -> Result<()> {
    let (mut store, b) = setup()?;
    let tx = store.write()?;
    for i in 0..3 {
        runs::upsert(&tx, &b, &run(&format!("p{i}"), "v3", "m1", i), t0(), 365)?;
    }
    tx.commit()?;
    let g = golden::gate(store.conn(), "refund_request")?;
    assert_eq!(g.current.as_ref().map(|c| c.model.as_str()), Some("m1"));
    assert_eq!(g.changed_at, None, "one configuration: no change");

    // The model changes in synced runs.
    let tx = store.write()?;
    runs::upsert(&tx, &b, &run("p9", "v3", "m2", 60), t0(), 365)?;
    golden::change(
        &tx,
        "refund_request",
        Change::Add(vec![stored(&b, run("p0", "v3", "m1", 0))]),
        "a",
        t0(),
    )?;
    tx.commit()?;
    let g = golden::gate(store.conn(), "refund_request")?;
    assert_eq!(g.changed_at, Some(t0() + Duration::minutes(60)));
    assert_eq!(g.previous.as_ref().map(|c| c.model.as_str()), Some("m1"));
    assert_eq!(g.passing_eval, None);

    // An eval of m2 that fails, then one that passes.
    let cases: Vec<GoldenCase> = golden::cases(store.conn(), "refund_request", None)?
        .into_iter()
        .map(|c| c.case)
        .collect();
    for (id, cost, minutes) in [("ev1", 9_000, 70), ("ev2", 2_000, 80)] {
        let mut r = run("p0", "v3", "m2", minutes);
        r.run_id = "e-p0".into();
        r.cost_micros = Micros(cost);
        r.eval_id = Some(id.into());
        let runs = HashMap::from([("p0".to_string(), r)]);
        let rec = EvalRecord {
            eval_id: id.into(),
            backend_id: b.clone(),
            workflow: "refund_request".into(),
            set_version: 1,
            config: countersign_core::golden::ConfigLabel {
                version: "v3".into(),
                model: "m2".into(),
                prompt: String::new(),
                retrieval: String::new(),
            },
            baseline_eval: None,
            started_at: t0() + Duration::minutes(minutes),
            passed: None,
            error: None,
        };
        let tx = store.write()?;
        golden::save_eval(&tx, &rec, &runs)?;
        tx.commit()?;
        let report = compare(
            &cases,
            &golden::eval_runs(store.conn(), id)?,
            &HashMap::new(),
            &PassThresholds::default(),
            t0(),
        );
        golden::save_report(store.conn(), id, &report)?;
        let g = golden::gate(store.conn(), "refund_request")?;
        assert_eq!(g.latest_eval.as_ref().map(|e| e.eval_id.as_str()), Some(id));
        assert_eq!(g.latest_eval.and_then(|e| e.passed), Some(id == "ev2"));
        assert_eq!(g.passing_eval.is_some(), id == "ev2");
    }
    let report = golden::report(store.conn(), "ev1")?.ok_or(StoreError::NotFound("ev1".into()))?;
    assert!(!report.passed);
    assert_eq!(report.cases[0].eval_run_id.as_deref(), Some("e-p0"));
    assert_eq!(golden::evals(store.conn(), "refund_request")?.len(), 2);
    Ok(())
}

/// Saves an eval of `config` with one run of case p0 and compares it: passing unless `cost`
/// breaks the ceiling.
fn eval_of(
    store: &mut Store,
    b: &str,
    id: &str,
    config: countersign_core::golden::ConfigLabel,
    cost: i64,
) -> Result<bool> {
    let mut r = run("p0", &config.version, &config.model, 200);
    r.run_id = format!("{id}-p0");
    r.cost_micros = Micros(cost);
    r.eval_id = Some(id.into());
    let rec = EvalRecord {
        eval_id: id.into(),
        backend_id: b.into(),
        workflow: "refund_request".into(),
        set_version: golden::latest_version(store.conn(), "refund_request")?,
        config,
        baseline_eval: None,
        started_at: t0() + Duration::minutes(200),
        passed: None,
        error: None,
    };
    let tx = store.write()?;
    golden::save_eval(&tx, &rec, &HashMap::from([("p0".to_string(), r)]))?;
    tx.commit()?;
    Ok(golden::eval_report(store.conn(), id, t0())?.passed)
}

#[test]
fn a_prompt_or_retrieval_change_alone_is_a_new_configuration_for_the_gate() -> Result<()> {
    use countersign_core::golden::ConfigLabel;
    let (mut store, b) = setup()?;
    let labelled = |id: &str, prompt: &str, retrieval: &str, minutes: i64| {
        let mut r = run(id, "v3", "m1", minutes);
        r.prompt = (!prompt.is_empty()).then(|| prompt.to_string());
        r.retrieval = (!retrieval.is_empty()).then(|| retrieval.to_string());
        r
    };
    let tx = store.write()?;
    runs::upsert(&tx, &b, &labelled("p0", "refund-v7", "kb-10", 0), t0(), 365)?;
    runs::upsert(&tx, &b, &labelled("p1", "refund-v7", "kb-10", 1), t0(), 365)?;
    golden::change(
        &tx,
        "refund_request",
        Change::Add(vec![stored(&b, labelled("p0", "refund-v7", "kb-10", 0))]),
        "a",
        t0(),
    )?;
    tx.commit()?;
    // The labels are stored beside the run.
    let cols: (String, String) = store.conn().query_row(
        "SELECT prompt, retrieval FROM runs WHERE run_id = 'p1'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!(cols, ("refund-v7".to_string(), "kb-10".to_string()));
    let v7 = ConfigLabel {
        version: "v3".into(),
        model: "m1".into(),
        prompt: "refund-v7".into(),
        retrieval: "kb-10".into(),
    };
    assert_eq!(
        golden::gate(store.conn(), "refund_request")?.current,
        Some(v7.clone())
    );
    assert!(eval_of(&mut store, &b, "ev-v7", v7.clone(), 2_000)?);

    // Only the prompt changes: a new configuration, and the v7 eval does not cover it.
    let tx = store.write()?;
    runs::upsert(
        &tx,
        &b,
        &labelled("p2", "refund-v8", "kb-10", 30),
        t0(),
        365,
    )?;
    tx.commit()?;
    let g = golden::gate(store.conn(), "refund_request")?;
    let v8 = ConfigLabel {
        prompt: "refund-v8".into(),
        ..v7.clone()
    };
    assert_eq!(g.current, Some(v8.clone()));
    assert_eq!(g.previous, Some(v7.clone()));
    assert_eq!(g.changed_at, Some(t0() + Duration::minutes(30)));
    assert_eq!(
        g.passing_eval, None,
        "the passing eval was of the old prompt"
    );
    assert_eq!(
        v8.changes_from(&v7),
        vec!["prompt refund-v7 → refund-v8".to_string()]
    );
    // A failing eval of the new prompt does not pass the gate; a passing one does.
    assert!(!eval_of(&mut store, &b, "ev-v8-bad", v8.clone(), 9_000)?);
    assert_eq!(
        golden::gate(store.conn(), "refund_request")?.passing_eval,
        None
    );
    assert!(eval_of(&mut store, &b, "ev-v8", v8.clone(), 2_000)?);
    assert_eq!(
        golden::gate(store.conn(), "refund_request")?
            .passing_eval
            .as_deref(),
        Some("ev-v8")
    );

    // Only the retrieval changes (and a revision of an old run moves it too).
    let tx = store.write()?;
    let mut moved = labelled("p1", "refund-v8", "kb-11", 60);
    moved.revision = 2;
    runs::upsert(&tx, &b, &moved, t0(), 365)?;
    tx.commit()?;
    let g = golden::gate(store.conn(), "refund_request")?;
    let kb11 = ConfigLabel {
        retrieval: "kb-11".into(),
        ..v8.clone()
    };
    assert_eq!(g.current, Some(kb11.clone()));
    assert_eq!(g.passing_eval, None);
    assert_eq!(
        kb11.changes_from(&v8),
        vec!["retrieval kb-10 → kb-11".to_string()]
    );
    Ok(())
}

#[test]
fn thresholds_are_audited_before_to_after() -> Result<()> {
    let (mut store, _) = setup()?;
    assert_eq!(golden::thresholds(store.conn())?, PassThresholds::default());
    let t = PassThresholds {
        max_cost_increase: 0.1,
        ..PassThresholds::default()
    };
    let tx = store.write()?;
    golden::set_thresholds(&tx, &t, "admin", t0())?;
    golden::set_thresholds(&tx, &t, "admin", t0())?;
    let bad = PassThresholds {
        min_case_pass_rate: 2.0,
        ..PassThresholds::default()
    };
    assert!(golden::set_thresholds(&tx, &bad, "admin", t0()).is_err());
    tx.commit()?;
    assert_eq!(golden::thresholds(store.conn())?, t);
    let events = audit::of_kinds(store.conn(), &["golden_thresholds_changed"])?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["after"]["max_cost_increase"], 0.1);
    Ok(())
}
