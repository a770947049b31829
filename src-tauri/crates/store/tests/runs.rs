//! Store-level tests for the runs table: idempotent upserts, revisions, filters, sorting.

use chrono::{DateTime, Duration, Utc};
use countersign_core::{Citation, Micros, Outcome, PolicyCheck, Run, TokenUsage, ToolCall};
use countersign_store::runs::{self, Applied, RunQuery, Sort};
use countersign_store::{Result, Store, backends};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    "2026-11-01T10:00:00Z".parse().unwrap_or_default()
}

fn run(id: &str, workflow: &str, minutes: i64, cost: i64, outcome: Outcome) -> Run {
    let start = t0() + Duration::minutes(minutes);
    Run {
        eval_id: None,
        prompt: None,
        retrieval: None,
        run_id: id.into(),
        revision: 1,
        tenant: "acme".into(),
        user_id: "u_1".into(),
        team: Some("support".into()),
        workflow: workflow.into(),
        workflow_version: "v2".into(),
        model: "gpt-4.1-mini".into(),
        inputs: json!({"ticket_id": format!("zd_{id}")}),
        tool_calls: vec![ToolCall {
            call_id: "c1".into(),
            parent_id: None,
            tool: "kb_search".into(),
            arguments: json!({"query": "refund policy EU"}),
            result_summary: Some("2 documents".into()),
            result: Some(json!({"hits": ["kb_102"], "note": format!("needle-{id}")})),
            started_at: start,
            ended_at: Some(start + Duration::milliseconds(300)),
            cost_micros: Micros(1_000),
            documents: vec!["kb_102".into()],
            error: None,
        }],
        citations: vec![Citation {
            doc_id: "kb_102".into(),
            title: "Refund policy".into(),
            url: None,
            call_id: Some("c1".into()),
            passage: "14 days".into(),
            start: 10,
            end: 17,
            context: "within 14 days".into(),
            context_start: 3,
            source_version: "v1".into(),
            source_updated_at: Some(t0() - Duration::days(800)),
            deprecated: false,
        }],
        outputs: json!({"label": "refund_request"}),
        confidence: Some(0.86),
        cost_micros: Micros(cost),
        tokens: TokenUsage {
            input: 100,
            output: 20,
        },
        latency_ms: 1000 + cost as u64,
        outcome,
        decision: "auto".into(),
        rationale: None,
        policy_checks: vec![PolicyCheck {
            name: "pii".into(),
            passed: cost % 2 == 0,
            detail: None,
        }],
        changes: vec![],
        started_at: start,
        ended_at: Some(start + Duration::seconds(8)),
        updated_at: start + Duration::seconds(8),
    }
}

/// Run ids of the first page of `q`.
fn ids(c: &countersign_store::rusqlite::Connection, q: RunQuery) -> Result<Vec<String>> {
    Ok(runs::list(c, &q)?
        .items
        .into_iter()
        .map(|r| r.run_id)
        .collect())
}

fn store_with_backend() -> Result<(Store, String)> {
    let store = Store::open_in_memory()?;
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )?;
    Ok((store, b.backend_id))
}

#[test]
fn upsert_is_idempotent_and_later_revisions_win() -> Result<()> {
    let (store, b) = store_with_backend()?;
    let c = store.conn();
    let mut r = run("r1", "support_triage", 0, 120_000, Outcome::Pending);
    assert_eq!(runs::upsert(c, &b, &r, t0(), 365)?, Applied::Inserted);
    assert_eq!(runs::upsert(c, &b, &r, t0(), 365)?, Applied::Unchanged);
    r.revision = 2;
    r.outcome = Outcome::Success;
    assert_eq!(runs::upsert(c, &b, &r, t0(), 365)?, Applied::Updated);
    let mut stale = r.clone();
    stale.revision = 1;
    stale.outcome = Outcome::Fail;
    assert_eq!(runs::upsert(c, &b, &stale, t0(), 365)?, Applied::Unchanged);
    let got = runs::get(c, &b, "r1")?;
    assert_eq!(got.as_ref().map(|r| r.outcome), Some(Outcome::Success));
    assert_eq!(got, Some(r));
    assert_eq!(runs::count(c, &b)?, 1);
    Ok(())
}

#[test]
fn filters_combine_and_sorts_order() -> Result<()> {
    let (store, b) = store_with_backend()?;
    let c = store.conn();
    runs::upsert(
        c,
        &b,
        &run("a", "support_triage", 0, 100, Outcome::Success),
        t0(),
        365,
    )?;
    runs::upsert(
        c,
        &b,
        &run("b", "refund_request", 1, 900, Outcome::Escalated),
        t0(),
        365,
    )?;
    runs::upsert(
        c,
        &b,
        &run("c", "refund_request", 2, 500, Outcome::Success),
        t0(),
        365,
    )?;
    let ids = |q: RunQuery| ids(c, q);
    assert_eq!(ids(RunQuery::default())?, ["c", "b", "a"]);
    assert_eq!(
        ids(RunQuery {
            sort: Sort::CostDesc,
            ..Default::default()
        })?,
        ["b", "c", "a"]
    );
    assert_eq!(
        ids(RunQuery {
            workflow: Some("refund_request".into()),
            outcome: Some("success".into()),
            ..Default::default()
        })?,
        ["c"]
    );
    assert_eq!(
        ids(RunQuery {
            search: Some("NEEDLE-b".into()),
            ..Default::default()
        })?,
        ["b"]
    );
    assert_eq!(
        ids(RunQuery {
            min_cost_micros: Some(500),
            ..Default::default()
        })?,
        ["c", "b"]
    );
    assert_eq!(
        ids(RunQuery {
            since: Some(t0() + Duration::minutes(1)),
            until: Some(t0() + Duration::minutes(2)),
            ..Default::default()
        })?,
        ["b"]
    );
    let page = runs::list(
        c,
        &RunQuery {
            limit: Some(1),
            offset: Some(1),
            ..Default::default()
        },
    )?;
    assert_eq!(page.total, 3);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].run_id, "b");
    // Derived columns: the cited source is 800 days old, so it counts as a warning at 365 days.
    assert_eq!(page.items[0].citation_warnings, 1);
    assert_eq!(page.items[0].tool_calls, 1);
    Ok(())
}

#[test]
fn removing_a_backend_removes_its_runs() -> Result<()> {
    let (store, b) = store_with_backend()?;
    runs::upsert(
        store.conn(),
        &b,
        &run("a", "w", 0, 1, Outcome::Success),
        t0(),
        365,
    )?;
    backends::remove(store.conn(), &b)?;
    assert_eq!(runs::list(store.conn(), &RunQuery::default())?.total, 0);
    Ok(())
}

#[test]
fn new_filters_search_and_rollup_follow_revisions() -> Result<()> {
    let (store, b) = store_with_backend()?;
    let c = store.conn();
    let mut a = run("a", "support_triage", 0, 100, Outcome::Success); // pii check passes (even cost)
    let mut x = run("x", "refund_request", 1, 901, Outcome::Escalated); // odd cost: check fails
    x.model = "llama-3.3-70b".into();
    x.tool_calls[0].result =
        Some(json!({"text": "the customer asked for a partial refund of order 77"}));
    a.citations[0].source_updated_at = Some(t0()); // fresh
    runs::upsert(c, &b, &a, t0(), 365)?;
    runs::upsert(c, &b, &x, t0(), 365)?;
    let ids = |q: RunQuery| ids(c, q);
    assert_eq!(
        ids(RunQuery {
            policy_failed: true,
            ..Default::default()
        })?,
        ["x"]
    );
    assert_eq!(
        ids(RunQuery {
            cites_stale: true,
            ..Default::default()
        })?,
        ["x"]
    );
    assert_eq!(
        ids(RunQuery {
            model: Some("llama-3.3-70b".into()),
            ..Default::default()
        })?,
        ["x"]
    );
    assert_eq!(
        ids(RunQuery {
            max_cost_micros: Some(500),
            ..Default::default()
        })?,
        ["a"]
    );
    assert_eq!(
        ids(RunQuery {
            search: Some("partial refund".into()),
            ..Default::default()
        })?,
        ["x"]
    );
    assert_eq!(
        ids(RunQuery {
            search: Some("partial refund".into()),
            workflow: Some("support_triage".into()),
            ..Default::default()
        })?,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(RunQuery {
            search: Some("\"unbalanced OR (".into()),
            ..Default::default()
        })?,
        Vec::<String>::new()
    );

    let day = |d: i64| t0() + Duration::days(d);
    let ov = countersign_store::overview::overview(c, day(-1), day(1), None)?;
    let total: i64 = ov.points.iter().map(|p| p.runs).sum();
    assert_eq!(total, 2);
    // A later revision moves the run's contribution instead of adding to it.
    x.revision = 2;
    x.outcome = Outcome::Success;
    x.tool_calls[0].result = Some(json!({"text": "now resolved"}));
    runs::upsert(c, &b, &x, t0(), 365)?;
    let ov = countersign_store::overview::overview(c, day(-1), day(1), None)?;
    assert_eq!(ov.points.iter().map(|p| p.runs).sum::<i64>(), 2);
    assert_eq!(ov.points.iter().map(|p| p.successes).sum::<i64>(), 2);
    assert_eq!(ov.points.iter().map(|p| p.escalations).sum::<i64>(), 0);
    assert_eq!(
        ids(RunQuery {
            search: Some("partial refund".into()),
            ..Default::default()
        })?,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(RunQuery {
            search: Some("resolved".into()),
            ..Default::default()
        })?,
        ["x"]
    );
    let refund = ov
        .points
        .iter()
        .find(|p| p.workflow == "refund_request")
        .map(|p| p.cost_per_success);
    assert_eq!(refund, Some(Some(countersign_core::Micros(901))));
    Ok(())
}

#[test]
fn model_swap_is_marked() {
    use countersign_store::overview::{Row, summarize};
    let row = |day: i64, model: &str, runs: i64| Row {
        day_ms: day * 86_400_000,
        backend_id: "b".into(),
        workflow: "w".into(),
        model: model.into(),
        outcome: "success".into(),
        runs,
        cost: 10 * runs,
        stale: 0,
    };
    let ov = summarize(&[
        row(1, "m1", 5),
        row(2, "m1", 4),
        row(2, "m2", 1),
        row(3, "m2", 6),
    ]);
    assert_eq!(ov.model_changes.len(), 1);
    assert_eq!(
        (
            ov.model_changes[0].from.as_str(),
            ov.model_changes[0].to.as_str()
        ),
        ("m1", "m2")
    );
    assert_eq!(ov.model_changes[0].day.timestamp_millis(), 3 * 86_400_000);
}

#[test]
fn backend_tenant_user_filters_and_latency_sort() -> Result<()> {
    let store = Store::open_in_memory()?;
    let c = store.conn();
    let b1 = backends::upsert(c, "one", "http://127.0.0.1:1", "countersign", false)?.backend_id;
    let b2 = backends::upsert(c, "two", "http://127.0.0.1:2", "countersign", false)?.backend_id;
    let mut a = run("a", "w", 0, 300, Outcome::Success);
    a.tenant = "globex".into();
    let mut b = run("b", "w", 1, 100, Outcome::Success);
    b.user_id = "u_rare".into();
    let c_run = run("c", "w", 2, 200, Outcome::Success);
    runs::upsert(c, &b1, &a, t0(), 365)?;
    runs::upsert(c, &b1, &b, t0(), 365)?;
    runs::upsert(c, &b2, &c_run, t0(), 365)?;
    let ids = |q: RunQuery| ids(c, q);
    assert_eq!(
        ids(RunQuery {
            backend_id: Some(b2.clone()),
            ..Default::default()
        })?,
        ["c"]
    );
    assert_eq!(
        ids(RunQuery {
            tenant: Some("globex".into()),
            ..Default::default()
        })?,
        ["a"]
    );
    assert_eq!(
        ids(RunQuery {
            user_id: Some("u_rare".into()),
            ..Default::default()
        })?,
        ["b"]
    );
    // Latency is 1000 + cost in this fixture.
    assert_eq!(
        ids(RunQuery {
            sort: Sort::LatencyDesc,
            ..Default::default()
        })?,
        ["a", "c", "b"]
    );
    // A filter the index answers is counted exactly; one it walks past reports "at least".
    let exact = runs::list(
        c,
        &RunQuery {
            backend_id: Some(b1.clone()),
            ..Default::default()
        },
    )?;
    assert_eq!((exact.total, exact.total_capped), (2, false));
    let walked = runs::list(
        c,
        &RunQuery {
            backend_id: Some(b1),
            min_cost_micros: Some(150),
            limit: Some(1),
            ..Default::default()
        },
    )?;
    assert_eq!(walked.items.len(), 1);
    assert_eq!((walked.total, walked.total_capped), (1, false));
    Ok(())
}

#[test]
fn deferred_runs_are_browsable_at_once_and_searchable_once_indexed() -> Result<()> {
    let (mut store, b) = store_with_backend()?;
    let body = |r: &Run| serde_json::to_string(r).unwrap_or_default();
    let mut x = run("x", "w", 0, 10, Outcome::Success);
    x.outputs = json!({"reply": "partial refund approved"});
    {
        let tx = store.write()?;
        runs::upsert_deferred(&tx, &b, &x.columns(), &body(&x), t0(), 365)?;
        tx.commit()?;
    }
    let c = store.conn();
    assert_eq!(
        ids(c, RunQuery::default())?,
        ["x"],
        "listed before indexing"
    );
    let page = runs::list(
        c,
        &RunQuery {
            search: Some("partial".into()),
            ..Default::default()
        },
    )?;
    assert!(page.items.is_empty());
    assert_eq!(
        page.search_pending, 1,
        "the UI can say a run is not searchable yet"
    );
    assert_eq!(countersign_store::search::index_pending(c, 100)?, 1);
    assert_eq!(
        ids(
            c,
            RunQuery {
                search: Some("partial".into()),
                ..Default::default()
            }
        )?,
        ["x"]
    );
    // A later revision queued again: the old text leaves the index, the new one arrives.
    x.revision = 2;
    x.outputs = json!({"reply": "refund denied"});
    runs::upsert_deferred(c, &b, &x.columns(), &body(&x), t0(), 365)?;
    assert_eq!(
        ids(
            c,
            RunQuery {
                search: Some("partial".into()),
                ..Default::default()
            }
        )?,
        Vec::<String>::new()
    );
    assert_eq!(countersign_store::search::index_pending(c, 100)?, 1);
    assert_eq!(
        ids(
            c,
            RunQuery {
                search: Some("denied".into()),
                ..Default::default()
            }
        )?,
        ["x"]
    );
    // Queued and indexed runs both go cleanly when their backend is removed.
    let y = run("y", "w", 1, 10, Outcome::Success);
    runs::upsert_deferred(c, &b, &y.columns(), &body(&y), t0(), 365)?;
    backends::remove(c, &b)?;
    assert_eq!(countersign_store::search::pending(c)?, 0);
    assert_eq!(runs::list(c, &RunQuery::default())?.total, 0);
    Ok(())
}

/// The index's terms by run, and both vocabularies, to compare stores.
fn search_state(c: &countersign_store::rusqlite::Connection) -> Result<SearchState> {
    c.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, run_fts, instance)",
    )?;
    let read = |sql: &str| -> Result<std::collections::BTreeSet<String>> {
        let mut st = c.prepare(sql)?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    };
    Ok(SearchState {
        index: read(
            "SELECT r.run_id || ':' || v.term FROM temp.fts_terms v JOIN runs r ON r.rid = v.doc",
        )?,
        words: read(
            "SELECT term FROM run_words
             UNION ALL SELECT facet || ' ' || term FROM run_word_facets",
        )?,
        queued: c.query_row("SELECT count(*) FROM fts_queue", [], |r| r.get(0))?,
    })
}

#[derive(Debug, PartialEq)]
struct SearchState {
    index: std::collections::BTreeSet<String>,
    words: std::collections::BTreeSet<String>,
    queued: i64,
}

#[test]
fn runs_indexed_as_they_are_written_match_runs_indexed_later() -> Result<()> {
    let body = |r: &Run| serde_json::to_string(r).unwrap_or_default();
    let mut x = run("x", "refunds", 0, 10, Outcome::Success);
    x.outputs = json!({"reply": "partial refund approved", "note": "Érstattung"});
    let mut x2 = x.clone();
    x2.revision = 2;
    x2.outputs = json!({"reply": "refund denied"});
    x2.outcome = Outcome::Denied;
    let y = run("y", "triage", 5, 30, Outcome::Escalated);
    // x twice in one batch (its second revision wins), y, then x's second revision again in
    // a later batch (already indexed: unchanged).
    let batches = [vec![&x, &y, &x2], vec![&x2]];
    let deferred = |batches: &[Vec<&Run>]| -> Result<Store> {
        let (mut store, b) = store_with_backend()?;
        for batch in batches {
            let tx = store.write()?;
            for r in batch {
                runs::upsert_deferred(&tx, &b, &r.columns(), &body(r), t0(), 365)?;
            }
            while countersign_store::search::index_pending(&tx, 2)? > 0 {}
            tx.commit()?;
        }
        Ok(store)
    };
    let later = search_state(deferred(&batches)?.conn())?;

    let (mut store, b) = store_with_backend()?;
    for batch in &batches {
        let tx = store.write()?;
        let mut index = countersign_store::search::Batch::default();
        for r in batch {
            let text = countersign_store::search::run_text_json(&body(r))?;
            index.words().add(&r.workflow, r.outcome.as_str(), &text);
            runs::upsert_indexed(
                &tx,
                &b,
                &r.columns(),
                &body(r),
                &text,
                &mut index,
                t0(),
                365,
            )?;
        }
        index.store(&tx)?;
        tx.commit()?;
    }
    let now = search_state(store.conn())?;

    assert_eq!((&now.index, now.queued), (&later.index, 0));
    assert!(now.index.contains("x:denied") && now.index.contains("y:needle"));
    assert!(!now.index.contains("x:partial"), "x's first text is gone");
    // The vocabularies only widen: words read ahead of a revision replaced in the same batch
    // stay, as words of any replaced revision do.
    let replaced = search_state(deferred(&[vec![&x]])?.conn())?;
    assert!(now.words.is_superset(&later.words));
    assert!(
        now.words
            .difference(&later.words)
            .all(|w| replaced.words.contains(w))
    );
    assert!(now.words.contains("erstattung"), "non-ASCII words fold");
    for (search, outcome, want) in [
        ("refund", None, vec!["x", "y"]),
        ("partial", Some("success"), vec![]),
        ("denied", Some("denied"), vec!["x"]),
    ] {
        let q = RunQuery {
            search: Some(search.into()),
            outcome: outcome.map(Into::into),
            ..Default::default()
        };
        let mut got = ids(store.conn(), q)?;
        got.sort();
        assert_eq!(got, want, "{search} {outcome:?}");
    }
    Ok(())
}
