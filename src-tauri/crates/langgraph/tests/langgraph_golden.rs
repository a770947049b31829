//! A golden set recorded from a real `langgraph dev` (the fixture refund graph) replayed on it
//! in eval mode: the replayed runs compare with the set unchanged, nothing is written (the
//! graph's ledger of executed writes stays empty, each replay thread saw exactly one run and
//! no resume, and is deleted), and an assistant version that drafts half refunds fails on
//! exactly the refund cases.

mod support;

use chrono::Utc;
use countersign_core::Outcome;
use countersign_core::golden::compare::{EvalComparison, PassThresholds};
use countersign_core::golden::{ConfigLabel, Expectations, GoldenCase};
use countersign_langgraph::LangGraphConfig;
use countersign_langgraph::replay::{self, META_EVAL, ReplayTarget, Replayed, runs_by_case};
use countersign_store::golden::{self, Change, EvalRecord, StoredCase};
use countersign_store::{Store, runs};
use serde_json::{Value, json};
use std::path::Path;
use support::*;

/// The executed writes the graph appended to its ledger (none when the file does not exist).
fn ledger(server: &Server) -> Vec<Value> {
    match std::fs::read_to_string(server.dir.path().join("writes_ledger.jsonl")) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).expect("ledger line"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("ledger: {e}"),
    }
}

/// Makes the synced runs of `threads` the golden set of `workflow` (expectations from each run,
/// no latency ceiling) with a loose latency threshold. Returns the (label, case) pairs.
fn save_set(
    path: &Path,
    backend: &str,
    workflow: &str,
    threads: Vec<(&'static str, String)>,
) -> Vec<(&'static str, GoldenCase)> {
    let mut store = Store::open(path).expect("store");
    let mut cases = Vec::new();
    for (label, tid) in threads {
        let run = runs::get(store.conn(), backend, &tid)
            .expect("run")
            .unwrap_or_else(|| panic!("run {tid} synced"));
        let mut expect = Expectations::from_run(&run, 1.5);
        // Timings of a local dev server on a shared machine are not what these tests are about
        // (the comparison of latency has its own tests in the core).
        expect.max_latency_ms = None;
        cases.push((label, GoldenCase { run, expect }));
    }
    let tx = store.write().expect("tx");
    golden::change(
        &tx,
        workflow,
        Change::Add(
            cases
                .iter()
                .map(|(_, c)| StoredCase {
                    backend_id: backend.to_string(),
                    case: c.clone(),
                })
                .collect(),
        ),
        "tester",
        Utc::now(),
    )
    .expect("golden set");
    golden::set_thresholds(
        &tx,
        &PassThresholds {
            max_latency_increase: 100.0,
            ..PassThresholds::default()
        },
        "tester",
        Utc::now(),
    )
    .expect("thresholds");
    tx.commit().expect("commit");
    cases
}

/// Records the cases on the server, syncs them and makes them the `refunds` golden set
/// (expectations from each run). Returns the store path, backend id and (label, case) pairs.
async fn record_set(
    url: &str,
    c: &countersign_langgraph::LangGraphClient,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    String,
    Vec<(&'static str, GoldenCase)>,
) {
    let inputs = [
        (
            "refund_1001",
            json!({"kind": "refund", "order_id": "ord_1001"}),
        ),
        (
            "refund_1002",
            json!({"kind": "refund", "order_id": "ord_1002"}),
        ),
        ("close_t1", json!({"kind": "close", "ticket_id": "T-1"})),
        (
            "unknown_order",
            json!({"kind": "refund", "order_id": "ord_9999"}),
        ),
    ];
    let mut threads = Vec::new();
    for (label, ticket) in inputs {
        threads.push((label, start_thread(url, ticket).await));
    }
    let (dir, path, backend) = store_with_backend(url, json!({}));
    let report = sync_all(&path, &backend, c).await;
    assert!(report.error.is_none(), "sync: {report:?}");
    let cases = save_set(&path, &backend, "refunds", threads);
    (dir, path, backend, cases)
}

/// Replays the set and stores the eval as the console does; returns the replays and report.
async fn replay_and_compare(
    workflow: &str,
    path: &Path,
    backend: &str,
    c: &countersign_langgraph::LangGraphClient,
    target: ReplayTarget,
    cases: &[(&str, GoldenCase)],
) -> (Vec<Replayed>, EvalComparison) {
    let set: Vec<GoldenCase> = cases.iter().map(|(_, c)| c.clone()).collect();
    let eval_id = replay::new_eval_id();
    let config = ConfigLabel {
        version: target.version.map(|v| format!("v{v}")).unwrap_or_default(),
        model: "scripted".into(),
        prompt: String::new(),
        retrieval: String::new(),
    };
    let replayed = countersign_langgraph::replay(
        c,
        &eval_id,
        &target,
        &config,
        &LangGraphConfig::default(),
        &set,
    )
    .await
    .expect("replay");
    let mut store = Store::open(path).expect("store");
    let record = EvalRecord {
        eval_id: eval_id.clone(),
        backend_id: backend.to_string(),
        workflow: workflow.into(),
        set_version: golden::latest_version(store.conn(), workflow).expect("version"),
        config,
        baseline_eval: None,
        started_at: Utc::now(),
        passed: None,
        error: None,
    };
    let tx = store.write().expect("tx");
    golden::save_eval(&tx, &record, &runs_by_case(replayed.clone())).expect("save eval");
    tx.commit().expect("commit");
    let report = golden::eval_report(store.conn(), &eval_id, Utc::now()).expect("report");
    (replayed, report)
}

/// Every replay thread: one run (ours, tagged with the eval, with input and no resume), its
/// state shows nothing executed, and it is gone from the server.
async fn assert_nothing_written(url: &str, replayed: &[Replayed]) {
    for r in replayed {
        assert_eq!(r.runs.len(), 1, "one run on {}: {:?}", r.thread_id, r.runs);
        let run = &r.runs[0];
        assert!(run.resume().is_none(), "no resume was sent: {run:?}");
        assert_eq!(run.metadata[META_EVAL], json!(r.run.eval_id), "{run:?}");
        for key in ["refunds_executed", "tickets_closed", "notified"] {
            assert!(
                r.run
                    .outputs
                    .get(key)
                    .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)),
                "{key} in the final state of {}: {}",
                r.thread_id,
                r.run.outputs
            );
        }
        assert!(r.deleted, "thread {} deleted", r.thread_id);
        let gone = reqwest::get(format!("{url}/threads/{}", r.thread_id))
            .await
            .expect("get thread");
        assert_eq!(
            gone.status().as_u16(),
            404,
            "thread {} is gone",
            r.thread_id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_golden_set_replays_on_the_graph_compares_and_writes_nothing() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let (_d, path, backend, cases) = record_set(&url, &c).await;
    let by_label = |l: &str| cases.iter().find(|(x, _)| *x == l).expect("case").1.clone();
    // What the recorded runs say: two refunds and a close waiting for review, one error.
    assert_eq!(
        by_label("refund_1001").run.decision,
        "interrupted: issue_refund"
    );
    assert_eq!(
        by_label("close_t1").run.decision,
        "interrupted: close_ticket"
    );
    assert_eq!(by_label("unknown_order").run.outcome, Outcome::Fail);
    let amount = by_label("refund_1001")
        .expect
        .writes
        .iter()
        .find(|w| w.field == "amount")
        .map(|w| w.after.clone());
    assert_eq!(
        amount,
        Some(json!("120.00")),
        "the proposed write is expected"
    );

    let t0 = std::time::Instant::now();
    let (replayed, report) = replay_and_compare(
        "refunds",
        &path,
        &backend,
        &c,
        ReplayTarget {
            assistant: "refunds".into(),
            version: None,
        },
        &cases,
    )
    .await;
    eprintln!(
        "replayed and compared {} cases in {:?} (graph latency {} ms, baseline {} ms)",
        replayed.len(),
        t0.elapsed(),
        report.totals.latency_ms,
        report.totals.baseline_latency_ms
    );
    assert_eq!(replayed.len(), 4);
    assert!(report.passed, "the same graph passes: {report:#?}");
    assert_eq!(report.totals.passed, 4);
    assert_eq!(report.totals.write_matches, 4);
    for r in &replayed {
        assert!(r.run.eval_id.is_some());
        assert_eq!(r.run.tenant, "acme", "the case's tenant: {:?}", r.run);
        assert!(
            r.run
                .run_id
                .starts_with(r.run.eval_id.as_deref().unwrap_or("?"))
        );
        assert!(r.run.changes.iter().all(|ch| ch.action_id.is_none()));
    }
    let refund = replayed
        .iter()
        .find(|r| r.case_id == by_label("refund_1001").run.run_id)
        .expect("refund replay");
    assert_eq!(refund.run.outcome, Outcome::Pending);
    assert_eq!(
        refund.proposed.len(),
        1,
        "the interrupt is the proposed write"
    );
    assert_eq!(
        refund.proposed[0].proposed["args"]["amount"],
        json!("120.00")
    );
    assert_nothing_written(&url, &replayed).await;
    assert!(
        ledger(&server).is_empty(),
        "nothing executed: {:?}",
        ledger(&server)
    );

    // A sync after the replay finds no new run and no action: the replay threads are gone.
    let before = snapshot(&path);
    let report = sync_all(&path, &backend, &c).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(
        snapshot(&path).1.len(),
        before.1.len(),
        "no replay run synced"
    );
    assert_eq!(
        snapshot(&path).0.len(),
        before.0.len(),
        "no replay action synced"
    );

    // The ledger does record an executed write: approving a recorded thread writes one line.
    let tid = by_label("refund_1001").run.run_id;
    post(
        &url,
        &format!("/threads/{tid}/runs/wait"),
        json!({"assistant_id": "refunds", "command": {"resume": [{"type": "accept", "args": null}]}}),
    )
    .await;
    let lines = ledger(&server);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["payload"]["order_id"], json!("ord_1001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_version_that_halves_refunds_fails_exactly_the_refund_cases() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let (_d, path, backend, cases) = record_set(&url, &c).await;
    // Version 1 refunds in full, version 2 (the latest) half.
    let a = post(
        &url,
        "/assistants",
        json!({"graph_id": "refunds", "name": "refunds-eval",
               "config": {"configurable": {"refund_percent": 100}}}),
    )
    .await;
    let id = a["assistant_id"]
        .as_str()
        .expect("assistant id")
        .to_string();
    let patched = reqwest::Client::new()
        .patch(format!("{url}/assistants/{id}"))
        .json(&json!({"config": {"configurable": {"refund_percent": 50}}}))
        .send()
        .await
        .expect("patch");
    assert!(patched.status().is_success(), "{}", patched.status());
    let latest = get(&url, &format!("/assistants/{id}")).await;
    assert_eq!(latest["version"], json!(2));

    let refund_ids: Vec<String> = cases
        .iter()
        .filter(|(l, _)| l.starts_with("refund_"))
        .map(|(_, c)| c.run.run_id.clone())
        .collect();
    let failing = |r: &EvalComparison| -> Vec<String> {
        let mut ids: Vec<String> = r
            .cases
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.case_id.clone())
            .collect();
        ids.sort();
        ids
    };
    let mut want = refund_ids.clone();
    want.sort();

    let (v2, report) = replay_and_compare(
        "refunds",
        &path,
        &backend,
        &c,
        ReplayTarget {
            assistant: id.clone(),
            version: Some(2),
        },
        &cases,
    )
    .await;
    assert!(!report.passed, "half refunds fail");
    assert_eq!(failing(&report), want, "{report:#?}");
    for row in report.cases.iter().filter(|c| !c.passed) {
        let m = &row.write_mismatches;
        assert_eq!(m.len(), 1, "{row:?}");
        assert_eq!(m[0].expected.field, "amount");
        assert!(row.outcome_match, "only the amount changed: {row:?}");
    }
    let half = report
        .cases
        .iter()
        .find(|c| c.case_id == cases[0].1.run.run_id)
        .expect("refund_1001 row");
    assert_eq!(half.write_mismatches[0].proposed, Some(json!("60.00")));
    assert_nothing_written(&url, &v2).await;

    // Version 1 (not the latest) passes, and choosing it does not change the assistant.
    let (v1, report) = replay_and_compare(
        "refunds",
        &path,
        &backend,
        &c,
        ReplayTarget {
            assistant: id.clone(),
            version: Some(1),
        },
        &cases,
    )
    .await;
    assert!(report.passed, "version 1 passes: {report:#?}");
    assert_nothing_written(&url, &v1).await;
    assert_eq!(
        get(&url, &format!("/assistants/{id}")).await["version"],
        json!(2)
    );

    // The assistant itself (its latest version) fails like version 2.
    let (latest, report) = replay_and_compare(
        "refunds",
        &path,
        &backend,
        &c,
        ReplayTarget {
            assistant: id.clone(),
            version: None,
        },
        &cases,
    )
    .await;
    assert_eq!(failing(&report), want);
    assert_nothing_written(&url, &latest).await;
    assert!(ledger(&server).is_empty(), "{:?}", ledger(&server));

    // A version the assistant does not have is an error, before any thread is created.
    let err = countersign_langgraph::replay(
        &c,
        "lgeval_x",
        &ReplayTarget {
            assistant: id,
            version: Some(9),
        },
        &ConfigLabel::default(),
        &LangGraphConfig::default(),
        &[cases[0].1.clone()],
    )
    .await
    .expect_err("no version 9");
    assert!(err.to_string().contains("no version 9"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_left_over_replay_thread_is_never_synced() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    // A replay thread whose deletion failed: interrupted, tagged with an eval.
    let t = post(
        &url,
        "/threads",
        json!({"metadata": {META_EVAL: "lgeval_left", "countersign_case": "x"}}),
    )
    .await;
    let left = t["thread_id"].as_str().expect("thread id").to_string();
    post(
        &url,
        &format!("/threads/{left}/runs/wait"),
        json!({"assistant_id": "refunds", "input": {"ticket": {"kind": "refund", "order_id": "ord_1003"}}}),
    )
    .await;
    let real = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1002"})).await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    let report = sync_all(&path, &backend, &c).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(
        actions_of(&path, &backend, &real).len(),
        1,
        "the real thread is synced"
    );
    assert!(
        actions_of(&path, &backend, &left).is_empty(),
        "no action to approve"
    );
    let store = Store::open(&path).expect("store");
    assert!(
        runs::get(store.conn(), &backend, &left)
            .expect("get")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_langchain_agent_replays_its_tool_calls_as_proposals_and_runs_no_tool() {
    let server = Server::start_agents();
    let url = server.url.clone();
    let c = client(&url);
    let one_call = json!({"calls": [{"name": "issue_refund",
        "args": {"order_id": "ord_1002", "amount": "48.50", "currency": "USD"}}]})
    .to_string();
    let threads = vec![
        ("two_calls", start_agent(&url, "hitl_batched").await),
        (
            "one_call",
            start_graph(
                &url,
                "hitl_batched",
                json!({"messages": [{"role": "user", "content": one_call}]}),
            )
            .await,
        ),
    ];
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    let report = sync_all(&path, &backend, &c).await;
    assert!(report.error.is_none(), "sync: {report:?}");
    let cases = save_set(&path, &backend, "hitl_batched", threads);
    let fields = |c: &GoldenCase| -> Vec<String> {
        c.expect.writes.iter().map(|w| w.field.clone()).collect()
    };
    assert!(
        fields(&cases[0].1).contains(&"note".to_string()),
        "{:?}",
        cases[0].1.expect
    );
    assert!(fields(&cases[1].1).contains(&"amount".to_string()));

    let (replayed, report) = replay_and_compare(
        "hitl_batched",
        &path,
        &backend,
        &c,
        ReplayTarget {
            assistant: "hitl_batched".into(),
            version: None,
        },
        &cases,
    )
    .await;
    assert!(report.passed, "{report:#?}");
    assert_eq!(report.totals.write_matches, 2);
    for r in &replayed {
        assert_eq!(r.runs.len(), 1, "{:?}", r.runs);
        assert!(r.runs[0].resume().is_none());
        let tools: Vec<&Value> = r.run.outputs["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["type"] == "tool")
            .collect();
        assert!(tools.is_empty(), "no tool ran: {tools:?}");
        assert!(r.deleted);
    }
    let two = replayed
        .iter()
        .find(|r| r.case_id == cases[0].1.run.run_id)
        .expect("two calls");
    let mut kinds: Vec<&str> = two.proposed.iter().map(|a| a.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["issue_refund", "update_crm"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_does_not_end_in_time_is_cancelled_and_fails_its_case() {
    let server = Server::start();
    let url = server.url.clone();
    let tid = start_thread(&url, json!({"kind": "close", "ticket_id": "T-2"})).await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    let report = sync_all(&path, &backend, &client(&url)).await;
    assert!(report.error.is_none(), "{report:?}");
    let mut case = save_set(&path, &backend, "refunds", vec![("slow", tid)])
        .remove(0)
        .1;
    // The same case, but its input now takes a minute and then refunds without asking.
    case.run.inputs = json!({"ticket": {"kind": "slow", "seconds": 60, "order_id": "ord_1003"}});
    let impatient = countersign_langgraph::LangGraphClient::new(
        &url,
        countersign_langgraph::Auth::None,
        countersign_sync::ClientOptions {
            request_timeout: std::time::Duration::from_secs(2),
            backoff: countersign_sync::retry::Backoff {
                attempts: 1,
                base: std::time::Duration::from_millis(10),
                cap: std::time::Duration::from_millis(10),
            },
            ..countersign_sync::ClientOptions::default()
        },
    )
    .expect("client");
    let t0 = std::time::Instant::now();
    let replayed = countersign_langgraph::replay(
        &impatient,
        "lgeval_slow",
        &ReplayTarget {
            assistant: "refunds".into(),
            version: None,
        },
        &ConfigLabel::default(),
        &LangGraphConfig::default(),
        &[case],
    )
    .await
    .expect("replay");
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(50),
        "cancelled, not waited out"
    );
    let r = &replayed[0];
    assert_eq!(r.run.outcome, Outcome::Fail, "{:?}", r.run);
    assert!(
        r.run
            .rationale
            .as_deref()
            .unwrap_or_default()
            .contains("cancelled"),
        "{:?}",
        r.run.rationale
    );
    assert!(
        r.runs
            .iter()
            .all(|x| !matches!(x.status.as_str(), "success" | "running" | "pending")),
        "the run was stopped: {:?}",
        r.runs
    );
    assert!(r.deleted);
    assert!(ledger(&server).is_empty());
}

/// The server dies part way through a replay (killed while the second case runs): the first
/// case's replay is kept, the second is recorded as failed with the error text, the third was
/// never run; the eval is stored with the error and audited, and nothing was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_lost_part_way_keeps_what_was_replayed_and_audits_the_error() {
    let mut server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let (_d, path, backend, cases) = record_set(&url, &c).await;
    let first = cases[0].1.clone();
    let third = cases[1].1.clone();
    assert!(
        first.run.inputs.get("ticket").is_some(),
        "{}",
        first.run.inputs
    );
    // A case that keeps the graph busy long enough for the server to be killed under it.
    let mut slow = first.clone();
    slow.run.run_id = "slow_case".into();
    slow.run.inputs = json!({"ticket": {"kind": "slow", "seconds": 120, "order_id": "ord_1001"}});
    {
        let mut store = Store::open(&path).expect("store");
        let tx = store.write().expect("tx");
        golden::change(
            &tx,
            "refunds",
            Change::Add(vec![StoredCase {
                backend_id: backend.clone(),
                case: slow.clone(),
            }]),
            "tester",
            Utc::now(),
        )
        .expect("add the slow case");
        tx.commit().expect("commit");
    }
    let set = vec![first.clone(), slow.clone(), third.clone()];
    let eval_id = replay::new_eval_id();
    let config = ConfigLabel {
        model: "scripted".into(),
        prompt: "refund-v8".into(),
        ..ConfigLabel::default()
    };
    let task = {
        let (c, eval_id, config) = (c.clone(), eval_id.clone(), config.clone());
        tokio::spawn(async move {
            let target = ReplayTarget {
                assistant: "refunds".into(),
                version: None,
            };
            replay::replay_keeping(
                &c,
                &eval_id,
                &target,
                &config,
                &LangGraphConfig::default(),
                &set,
            )
            .await
        })
    };
    // The slow case's thread is running: kill the server under it.
    let handle = tokio::runtime::Handle::current();
    let search = json!({"metadata": {META_EVAL: eval_id, replay::META_CASE: "slow_case"},
                        "status": "busy"});
    let busy = tokio::task::block_in_place(|| {
        poll_until(
            std::time::Duration::from_secs(60),
            std::time::Duration::from_millis(100),
            || {
                handle.block_on(async {
                    post(&url, "/threads/search", search.clone())
                        .await
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                })
            },
        )
    });
    assert!(busy, "the slow case never ran");
    let written = ledger(&server);
    server.kill();
    let got = task.await.expect("replay task").expect("a replay that ran");

    assert_eq!(got.replayed.len(), 1, "the first case was replayed");
    assert_eq!(got.replayed[0].case_id, first.run.run_id);
    let stopped = got.stopped.as_ref().expect("stopped by the lost server");
    assert_eq!(stopped.case_id, "slow_case");
    let error = got.error_text().expect("error text");
    assert!(error.starts_with("stopped at case slow_case: "), "{error}");
    assert_eq!(stopped.run.outcome, Outcome::Fail);
    assert_eq!(stopped.run.eval_id.as_deref(), Some(eval_id.as_str()));
    assert_eq!(stopped.run.prompt.as_deref(), Some("refund-v8"));
    assert!(
        stopped
            .run
            .rationale
            .as_deref()
            .is_some_and(|r| r.contains(&stopped.error.to_string())),
        "{:?}",
        stopped.run.rationale
    );

    // Stored as the console stores it: what it got, the error, an audit event naming it.
    let mut store = Store::open(&path).expect("store");
    let record = EvalRecord {
        eval_id: eval_id.clone(),
        backend_id: backend.clone(),
        workflow: "refunds".into(),
        set_version: golden::latest_version(store.conn(), "refunds").expect("version"),
        config,
        baseline_eval: None,
        started_at: Utc::now(),
        passed: None,
        error: Some(error.clone()),
    };
    let tx = store.write().expect("tx");
    golden::save_eval(&tx, &record, &got.runs_by_case()).expect("save eval");
    tx.commit().expect("commit");
    let kept = golden::eval(store.conn(), &eval_id)
        .expect("read")
        .expect("eval kept");
    assert_eq!(kept.error.as_deref(), Some(error.as_str()));
    let runs = golden::eval_runs(store.conn(), &eval_id).expect("runs");
    assert_eq!(runs.len(), 2, "the replayed case and the failing one");
    let report = golden::eval_report(store.conn(), &eval_id, Utc::now()).expect("report");
    assert!(!report.passed);
    let case = |id: &str| {
        report
            .cases
            .iter()
            .find(|c| c.case_id == id)
            .unwrap_or_else(|| panic!("case {id} in the report"))
    };
    assert!(
        case(first.case_id()).passed,
        "{:?}",
        case(first.case_id()).reasons
    );
    assert!(!case("slow_case").passed);
    assert!(!case(third.case_id()).passed, "never replayed");
    // Every case of the set but the two it got is not reported: never replayed.
    assert_eq!(report.totals.missing as usize, report.cases.len() - 2);
    let events = countersign_store::audit::list(store.conn(), None, None, 20).expect("audit");
    let ev = events
        .iter()
        .find(|e| e.kind == countersign_core::audit::kinds::GOLDEN_EVAL_FAILED)
        .expect("a golden_eval_failed event");
    assert_eq!(ev.details["eval_id"], json!(eval_id));
    assert_eq!(ev.details["error"], json!(error));
    assert_eq!(ev.details["runs_kept"], json!(2));
    // Nothing was written before the server went.
    assert!(written.is_empty(), "{written:?}");
    assert!(ledger(&server).is_empty());
}

/// A graph that writes without asking (node `direct_refund`, no interrupt): named in the
/// backend config's `replay.write_nodes`, the replay sends it as `interrupt_before`, the run
/// stops before it and the graph's ledger stays empty. Replayed without that setting, the same
/// case writes: what the setting is for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_node_without_an_interrupt_is_stopped_before_during_replay() {
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let (_d, _path, _backend, cases) = record_set(&url, &c).await;
    let mut direct = cases[0].1.clone();
    direct.run.run_id = "direct_case".into();
    direct.run.inputs = json!({"ticket": {"kind": "direct", "order_id": "ord_1001"}});
    let target = ReplayTarget {
        assistant: "refunds".into(),
        version: None,
    };
    let cfg = LangGraphConfig::parse(&json!({"replay": {"write_nodes": ["direct_refund"]}}))
        .expect("config");
    assert_eq!(cfg.replay.write_nodes, vec!["direct_refund".to_string()]);
    let guarded = countersign_langgraph::replay(
        &c,
        &replay::new_eval_id(),
        &target,
        &ConfigLabel::default(),
        &cfg,
        std::slice::from_ref(&direct),
    )
    .await
    .expect("replay");
    assert!(ledger(&server).is_empty(), "{:?}", ledger(&server));
    let run = &guarded[0].run;
    assert_eq!(
        run.outputs["refunds_executed"],
        json!([]),
        "{}",
        run.outputs
    );
    assert_eq!(run.outcome, Outcome::Pending, "{run:?}");
    assert_eq!(run.decision, "stopped before direct_refund");
    assert!(run.changes.is_empty(), "no proposal: {:?}", run.changes);
    assert_nothing_written(&url, &guarded).await;

    // The same case without the setting writes.
    let open = countersign_langgraph::replay(
        &c,
        &replay::new_eval_id(),
        &target,
        &ConfigLabel::default(),
        &LangGraphConfig::default(),
        std::slice::from_ref(&direct),
    )
    .await
    .expect("replay");
    assert_eq!(ledger(&server).len(), 1, "the unguarded replay wrote");
    assert_eq!(
        open[0].run.outputs["refunds_executed"][0]["order_id"],
        json!("ord_1001")
    );
    assert_eq!(open[0].run.outcome, Outcome::Success);
}

/// A case recorded after its write was approved in the console and executed by the graph
/// expects success; the replay stops at the same review (it never resumes). The comparison
/// judges it by the write it proposed, says so in the report, and the replay writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_recorded_after_approval_is_judged_by_its_proposed_write() {
    use countersign_core::DecisionKind;
    use countersign_core::golden::compare::STOPPED_AT_REVIEW;
    let server = Server::start();
    let url = server.url.clone();
    let c = client(&url);
    let tid = start_thread(&url, json!({"kind": "refund", "order_id": "ord_1001"})).await;
    let (_d, path, backend) = store_with_backend(&url, json!({}));
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let a = actions_of(&path, &backend, &tid)
        .into_iter()
        .next()
        .expect("the refund waits for review");
    decide(
        &path,
        &backend,
        &a.action_id,
        &review(&a, DecisionKind::Approve, &[], None),
        "rita",
    );
    let d = countersign_langgraph::deliver(&path, &backend, &c)
        .await
        .expect("deliver");
    assert_eq!(d.delivered, 1, "{d:?}");
    assert_eq!(sync_all(&path, &backend, &c).await.error, None);
    let executed = ledger(&server);
    assert_eq!(
        executed.len(),
        1,
        "the approved refund was executed: {executed:?}"
    );

    let cases = save_set(&path, &backend, "refunds", vec![("approved", tid)]);
    let recorded = &cases[0].1;
    assert_eq!(recorded.run.outcome, Outcome::Success, "{:?}", recorded.run);
    assert!(
        recorded.run.changes.iter().any(|ch| ch.action_id.is_some()),
        "{:?}",
        recorded.run.changes
    );
    let (replayed, report) = replay_and_compare(
        "refunds",
        &path,
        &backend,
        &c,
        ReplayTarget {
            assistant: "refunds".into(),
            version: None,
        },
        &cases,
    )
    .await;
    let row = &report.cases[0];
    assert!(report.passed, "{:?} {:?}", report.reasons, row.reasons);
    assert_eq!(row.note.as_deref(), Some(STOPPED_AT_REVIEW));
    assert_eq!(row.outcome, Some(Outcome::Pending));
    assert_eq!(row.expected_outcome, Some(Outcome::Success));
    assert!(row.write_match && row.outcome_match);
    assert_eq!(replayed[0].proposed.len(), 1, "stopped at the review");
    assert_nothing_written(&url, &replayed).await;
    assert_eq!(ledger(&server), executed, "the replay wrote nothing");
}
