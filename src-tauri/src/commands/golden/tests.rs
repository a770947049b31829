//! The golden-set commands against the real reference backend over HTTP on 127.0.0.1: runs
//! synced into a real store are added to a set, evals run on the backend and are compared;
//! the readiness scorecard's "changed without eval" row follows.

use super::*;
use countersign_store::readiness::{self, Criterion, Status};

type R = Result<(), Box<dyn std::error::Error>>;

/// A command error as a test error.
fn cmd(e: CmdError) -> Box<dyn std::error::Error> {
    format!("{}: {}", e.code, e.message).into()
}

/// A store holding the seeded runs of a reference backend, and a client of it.
async fn synced() -> Result<
    (
        tempfile::TempDir,
        countersign_backend::Handle,
        Store,
        String,
        Client,
    ),
    Box<dyn std::error::Error>,
> {
    let dir = tempfile::tempdir()?;
    let h = countersign_backend::start(countersign_backend::Config {
        data_dir: dir.path().join("backend"),
        seed_runs: 300,
        trickle: 0.0,
        ..countersign_backend::Config::default()
    })
    .await?;
    let client = Client::new(&h.url, Some(h.token.clone()), ClientOptions::default())?;
    let mut store = Store::open(&dir.path().join("console.db"))?;
    let b = backends::upsert(store.conn(), "reference", &h.url, "countersign", false)?.backend_id;
    let page = client.page("runs", None, 5000).await?;
    let tx = store.write()?;
    for item in page.items {
        let run: Run = serde_json::from_str(item.get())?;
        runs::upsert(&tx, &b, &run, Utc::now(), 365)?;
    }
    tx.commit()?;
    Ok((dir, h, store, b, client))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eval_of_a_changed_configuration_gates_readiness() -> R {
    let (_dir, _h, mut store, b, client) = synced().await?;
    // Good examples of refunds: finished, citing nothing stale.
    let picked: Vec<RunRef> = runs::list(
        store.conn(),
        &runs::RunQuery {
            workflow: Some("refund_request".into()),
            limit: Some(1000),
            ..Default::default()
        },
    )?
    .items
    .into_iter()
    .filter(|r| r.citation_warnings == 0 && r.outcome != countersign_core::Outcome::Pending)
    .map(|r| RunRef {
        backend_id: b.clone(),
        run_id: r.run_id,
    })
    .collect();
    assert!(picked.len() >= 10, "only {} refund cases", picked.len());
    let versions = add_runs(&mut store, &picked, 1.5).map_err(cmd)?;
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].cases as usize, picked.len());

    let gate = golden::gate(store.conn(), "refund_request")?;
    let current = gate.current.clone().ok_or("no configuration")?;
    let scorecard = |s: &Store| {
        let now = Utc::now();
        readiness::scorecard(
            s.conn(),
            "refund_request",
            now - chrono::Duration::days(3650),
            now,
            now,
        )
    };
    let row_status = |s: &Store| -> Result<Option<Status>, Box<dyn std::error::Error>> {
        Ok(scorecard(s)?
            .rows
            .iter()
            .find(|r| r.criterion == Criterion::EvalGate)
            .map(|r| r.status))
    };
    let changed = gate.changed_at.is_some();
    assert_eq!(
        row_status(&store)?,
        Some(if changed { Status::Fail } else { Status::Pass })
    );
    if !changed {
        // Make the change: a newer run on another model.
        let mut newer = runs::get(store.conn(), &b, &picked[0].run_id)?.ok_or("run")?;
        newer.run_id = "run_after_change".into();
        newer.model = "gpt-5-mini".into();
        newer.started_at = Utc::now();
        newer.updated_at = Utc::now();
        newer.ended_at = Some(Utc::now());
        let tx = store.write()?;
        runs::upsert(&tx, &b, &newer, Utc::now(), 365)?;
        tx.commit()?;
        assert_eq!(row_status(&store)?, Some(Status::Fail));
    }
    let current = golden::gate(store.conn(), "refund_request")?
        .current
        .unwrap_or(current);

    let cases = golden::cases(store.conn(), "refund_request", None)?;
    let run_eval = |config: ConfigLabel| {
        let body = eval_request("refund_request", &config, &cases);
        let client = &client;
        async move { post_eval(client, &body).await.map_err(cmd) }
    };
    // The bad configuration under the new labels fails, on the cases citing kb_101.
    let legacy = ConfigLabel {
        model: "legacy-kb-1".into(),
        ..current.clone()
    };
    let (id, runs) = run_eval(legacy.clone()).await?;
    let rec = |eval_id: String, config: ConfigLabel| EvalRecord {
        eval_id,
        backend_id: b.clone(),
        workflow: "refund_request".into(),
        set_version: versions[0].version,
        config,
        baseline_eval: None,
        started_at: Utc::now(),
        passed: None,
        error: None,
    };
    let bad = record_eval(&mut store, &rec(id, legacy), &runs).map_err(cmd)?;
    assert_eq!(bad.eval.passed, Some(false));
    let failed: Vec<&str> = bad
        .report
        .cases
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.case_id.as_str())
        .collect();
    let citing: Vec<&str> = cases
        .iter()
        .filter(|c| c.case.run.citations.iter().any(|x| x.doc_id == "kb_101"))
        .map(|c| c.case.case_id())
        .collect();
    assert_eq!(failed, citing);

    // The new configuration itself passes: the gate opens.
    let (id, runs) = run_eval(current.clone()).await?;
    let good = record_eval(&mut store, &rec(id.clone(), current), &runs).map_err(cmd)?;
    assert!(good.report.passed, "{:?}", good.report.reasons);
    assert_eq!(row_status(&store)?, Some(Status::Pass));
    let card = scorecard(&store)?;
    let row = card
        .rows
        .iter()
        .find(|r| r.criterion == Criterion::EvalGate)
        .ok_or("row")?;
    assert!(
        row.evidence
            .iter()
            .any(|e| e.value == format!("{id} passed"))
    );
    Ok(())
}

/// The reference backend stopped before the eval is sent: the eval is still recorded, every
/// case failed with the error text, the error on the eval, an audit event naming it; the
/// report fails and the gate stays closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eval_the_backend_fails_is_kept_failed_and_audited() -> R {
    let (_dir, h, mut store, b, client) = synced().await?;
    let picked: Vec<RunRef> = runs::list(
        store.conn(),
        &runs::RunQuery {
            workflow: Some("refund_request".into()),
            limit: Some(3),
            ..Default::default()
        },
    )?
    .items
    .into_iter()
    .map(|r| RunRef {
        backend_id: b.clone(),
        run_id: r.run_id,
    })
    .collect();
    assert_eq!(picked.len(), 3);
    let versions = add_runs(&mut store, &picked, 1.5).map_err(cmd)?;
    let cases = golden::cases(store.conn(), "refund_request", None)?;
    let config = golden::gate(store.conn(), "refund_request")?
        .current
        .ok_or("no configuration")?;
    h.shutdown().await;
    let started = Utc::now();
    let err = post_eval(&client, &eval_request("refund_request", &config, &cases))
        .await
        .err()
        .ok_or("the stopped backend answered")?;
    let (eval_id, runs, error) = failed_eval(&config, &cases, &err, started);
    let text = error.clone().ok_or("no error text")?;
    assert!(text.contains(&err.message), "{text}");
    let out = record_eval(
        &mut store,
        &EvalRecord {
            eval_id: eval_id.clone(),
            backend_id: b.clone(),
            workflow: "refund_request".into(),
            set_version: versions[0].version,
            config: config.clone(),
            baseline_eval: None,
            started_at: started,
            passed: None,
            error,
        },
        &runs,
    )
    .map_err(cmd)?;
    assert_eq!(out.eval.error.as_deref(), Some(text.as_str()));
    assert_eq!(out.eval.passed, Some(false));
    assert_eq!(out.report.totals.passed, 0);
    for c in &out.report.cases {
        let run = golden::eval_runs(store.conn(), &eval_id)?
            .remove(&c.case_id)
            .ok_or("a case without its failed run")?;
        assert_eq!(run.outcome, countersign_core::Outcome::Fail);
        assert!(run.rationale.as_deref().is_some_and(|r| r.contains(&text)));
    }
    let events = countersign_store::audit::list(store.conn(), None, None, 50)?;
    let ev = events
        .iter()
        .find(|e| e.kind == countersign_core::audit::kinds::GOLDEN_EVAL_FAILED)
        .ok_or("no golden_eval_failed event")?;
    assert_eq!(ev.details["eval_id"], serde_json::json!(eval_id));
    assert_eq!(ev.details["error"], serde_json::json!(text));
    assert_eq!(ev.details["runs_kept"], serde_json::json!(3));
    assert_eq!(
        golden::gate(store.conn(), "refund_request")?.passing_eval,
        None
    );
    Ok(())
}

#[test]
fn adding_an_unknown_run_is_refused_and_changes_nothing() -> R {
    let mut store = Store::open_in_memory()?;
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )?
    .backend_id;
    let err = add_runs(
        &mut store,
        &[RunRef {
            backend_id: b,
            run_id: "nope".into(),
        }],
        1.5,
    )
    .err()
    .map(|e| e.code);
    assert_eq!(err, Some("not_found"));
    assert!(golden::sets(store.conn())?.is_empty());
    Ok(())
}
