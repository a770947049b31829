//! Search combined with every run-list filter: the store's answer equals a plain scan of the
//! runs (every word present, the last as a prefix; every filter true), newest-synced first,
//! for common, rare and absent words, with runs indexed at once and through the queue, and
//! after later revisions change a run's filter values.

use chrono::{DateTime, Duration, Utc};
use countersign_core::{Citation, Micros, Outcome, PolicyCheck, Run, TokenUsage, ToolCall};
use countersign_store::runs::{self, RunQuery};
use countersign_store::{Result, Store, backends, rusqlite, search};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    "2026-09-01T00:00:00Z".parse().unwrap_or_default()
}

const WORKFLOWS: [&str; 3] = ["refund_request", "support_triage", "kyc_check"];
const OUTCOMES: [Outcome; 4] = [
    Outcome::Success,
    Outcome::Fail,
    Outcome::Escalated,
    Outcome::Denied,
];

/// Run `i`: its filter values and words vary with `i` so that every filter and word splits
/// the runs differently; `rev` shifts the values a later revision changes.
fn make(i: u64, rev: u64) -> Run {
    let k = i + 7 * rev;
    let start = t0() + Duration::hours((i * 37 % (24 * 60)) as i64);
    let rare = if i.is_multiple_of(41) { " quasar" } else { "" };
    let escalation = if k.is_multiple_of(5) {
        " escalated_to_human"
    } else {
        ""
    };
    // A word only one workflow's runs contain, and one only denied runs contain.
    let kyc = if k % 3 == 2 { " passport_scan" } else { "" };
    let denied = if k % 4 == 3 { " chargeback" } else { "" };
    Run {
        run_id: format!("r{i}"),
        revision: 1 + rev,
        tenant: ["acme", "globex", "initech"][(k % 3) as usize].into(),
        user_id: format!("u_{}", k % 5),
        team: None,
        workflow: WORKFLOWS[(k % 3) as usize].into(),
        workflow_version: "v1".into(),
        model: ["gpt-4.1-mini", "claude-sonnet", "llama"][(k / 3 % 3) as usize].into(),
        inputs: json!({"ticket": format!("zd_{i}"), "note": format!("order{rare}{escalation}{kyc}{denied}")}),
        tool_calls: vec![ToolCall {
            call_id: "c1".into(),
            parent_id: None,
            tool: "kb_search".into(),
            arguments: json!({"query": if k.is_multiple_of(2) { "refund policy" } else { "ticket status" }}),
            result_summary: None,
            result: None,
            started_at: start,
            ended_at: None,
            cost_micros: Micros(0),
            documents: vec![],
            error: None,
        }],
        citations: if k.is_multiple_of(13) {
            vec![Citation {
                doc_id: "kb_1".into(),
                title: "Old policy".into(),
                url: None,
                call_id: None,
                passage: "30 days".into(),
                start: 0,
                end: 7,
                context: "30 days".into(),
                context_start: 0,
                source_version: "v1".into(),
                source_updated_at: None,
                deprecated: true,
            }]
        } else {
            vec![]
        },
        outputs: json!({}),
        confidence: None,
        cost_micros: Micros((k * 7919 % 120_000) as i64),
        tokens: TokenUsage {
            input: 1,
            output: 1,
        },
        latency_ms: 100,
        outcome: OUTCOMES[(k % 4) as usize],
        decision: "auto".into(),
        rationale: None,
        policy_checks: vec![PolicyCheck {
            name: "pii".into(),
            passed: !k.is_multiple_of(11),
            detail: None,
        }],
        changes: vec![],
        started_at: start,
        ended_at: None,
        updated_at: start + Duration::seconds(rev as i64),
        eval_id: None,
        prompt: None,
        retrieval: None,
    }
}

/// The lower-cased words of a run's indexed text, split as the tokenizer splits.
fn words(r: &Run) -> Vec<String> {
    search::run_text(r)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The plain-scan answer: does `r` (stored under `backend`) match `q`?
fn matches(backend: &str, r: &Run, q: &RunQuery) -> bool {
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    let text = words(r);
    let typed: Vec<&str> = q
        .search
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let words_ok = typed.iter().enumerate().all(|(n, w)| {
        let toks: Vec<String> = w
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect();
        toks.iter().enumerate().all(|(i, t)| {
            let prefix = i + 1 == toks.len()
                && (w.ends_with('*') || (n + 1 == typed.len() && t.chars().count() >= 3));
            text.iter().any(|x| {
                if prefix {
                    x.starts_with(t.as_str())
                } else {
                    x == t
                }
            })
        })
    });
    words_ok
        && eq(&q.backend_id, backend)
        && eq(&q.tenant, &r.tenant)
        && eq(&q.workflow, &r.workflow)
        && eq(&q.outcome, r.outcome.as_str())
        && eq(&q.model, &r.model)
        && eq(&q.user_id, &r.user_id)
        && q.since.is_none_or(|s| ms(r.started_at) >= ms(s))
        && q.until.is_none_or(|u| ms(r.started_at) < ms(u))
        && q.min_cost_micros.is_none_or(|m| r.cost_micros.0 >= m)
        && q.max_cost_micros.is_none_or(|m| r.cost_micros.0 <= m)
        && (!q.policy_failed || r.policy_checks.iter().any(|p| !p.passed))
        && (!q.cites_stale || r.citations.iter().any(|c| c.deprecated))
}

/// The plain-scan answer for `q` over `all`: matching run ids, newest-synced first.
fn scanned<'a>(all: &'a [(String, Run)], q: &RunQuery) -> Vec<&'a str> {
    all.iter()
        .rev()
        .filter(|(b, r)| matches(b, r, q))
        .map(|(_, r)| r.run_id.as_str())
        .collect()
}

const RUNS: u64 = 600;

/// A store of [`RUNS`] runs over two backends: even runs indexed as stored, odd runs queued
/// and indexed by the catch-up pass; every fourth run then replaced by a revision with other
/// filter values (re-indexed through the same two paths). Returns the runs by insertion order
/// (= newest-synced last) with their backend.
fn store() -> Result<(Store, Vec<(String, Run)>)> {
    let mut store = Store::open_in_memory()?;
    let b: Vec<String> = (0..2)
        .map(|i| {
            backends::upsert(
                store.conn(),
                &format!("b{i}"),
                &format!("http://127.0.0.1:{}", i + 1),
                "countersign",
                false,
            )
            .map(|b| b.backend_id)
        })
        .collect::<Result<_>>()?;
    let now = t0() + Duration::days(90);
    let mut all = Vec::new();
    for rev in 0..2 {
        let tx = store.write()?;
        for i in 0..RUNS {
            if rev == 1 && !i.is_multiple_of(4) {
                continue;
            }
            let r = make(i, rev);
            let backend = &b[(i % 2) as usize];
            if i.is_multiple_of(2) {
                runs::upsert(&tx, backend, &r, now, 365)?;
            } else {
                let body = serde_json::to_string(&r)?;
                runs::upsert_deferred(&tx, backend, &r.columns(), &body, now, 365)?;
            }
            if rev == 0 {
                all.push((backend.clone(), r));
            } else {
                all[i as usize].1 = r;
            }
        }
        while search::index_pending(&tx, 97)? > 0 {}
        tx.commit()?;
    }
    Ok((store, all))
}

#[test]
fn every_search_and_filter_combination_matches_a_plain_scan() -> Result<()> {
    let (store, all) = store()?;
    let c = store.conn();
    let b0 = all[0].0.clone();
    let sample = &all[123].1;
    let filters: Vec<(&str, RunQuery)> = vec![
        ("none", RunQuery::default()),
        (
            "backend",
            RunQuery {
                backend_id: Some(b0.clone()),
                ..Default::default()
            },
        ),
        (
            "tenant",
            RunQuery {
                tenant: Some("globex".into()),
                ..Default::default()
            },
        ),
        (
            "tenant none",
            RunQuery {
                tenant: Some("nobody".into()),
                ..Default::default()
            },
        ),
        (
            "workflow",
            RunQuery {
                workflow: Some("kyc_check".into()),
                ..Default::default()
            },
        ),
        (
            "outcome",
            RunQuery {
                outcome: Some("escalated".into()),
                ..Default::default()
            },
        ),
        (
            "outcome none",
            RunQuery {
                outcome: Some("budget_stopped".into()),
                ..Default::default()
            },
        ),
        (
            "model",
            RunQuery {
                model: Some("llama".into()),
                ..Default::default()
            },
        ),
        (
            "user",
            RunQuery {
                user_id: Some(sample.user_id.clone()),
                ..Default::default()
            },
        ),
        (
            "since",
            RunQuery {
                since: Some(t0() + Duration::days(40)),
                ..Default::default()
            },
        ),
        (
            "until",
            RunQuery {
                until: Some(t0() + Duration::hours(30 * 24 + 5)),
                ..Default::default()
            },
        ),
        (
            "time range",
            RunQuery {
                since: Some(t0() + Duration::hours(100)),
                until: Some(t0() + Duration::hours(900)),
                ..Default::default()
            },
        ),
        (
            "since after all",
            RunQuery {
                since: Some(t0() + Duration::days(400)),
                ..Default::default()
            },
        ),
        (
            "min cost",
            RunQuery {
                min_cost_micros: Some(50_000),
                ..Default::default()
            },
        ),
        (
            "min cost rare",
            RunQuery {
                min_cost_micros: Some(118_500),
                ..Default::default()
            },
        ),
        (
            "min cost none",
            RunQuery {
                min_cost_micros: Some(500_000),
                ..Default::default()
            },
        ),
        (
            "max cost",
            RunQuery {
                max_cost_micros: Some(20_001),
                ..Default::default()
            },
        ),
        (
            "cost range",
            RunQuery {
                min_cost_micros: Some(20_000),
                max_cost_micros: Some(25_000),
                ..Default::default()
            },
        ),
        (
            "policy failed",
            RunQuery {
                policy_failed: true,
                ..Default::default()
            },
        ),
        (
            "cites stale",
            RunQuery {
                cites_stale: true,
                ..Default::default()
            },
        ),
        (
            "workflow+outcome+model",
            RunQuery {
                workflow: Some("refund_request".into()),
                outcome: Some("success".into()),
                model: Some("claude-sonnet".into()),
                ..Default::default()
            },
        ),
        (
            "all",
            RunQuery {
                backend_id: Some(b0.clone()),
                tenant: Some(sample.tenant.clone()),
                since: Some(t0()),
                min_cost_micros: Some(1_000),
                policy_failed: true,
                ..Default::default()
            },
        ),
    ];
    let searches = [
        "refund",  // common
        "quasar",  // rare
        "escalat", // a prefix as typed
        "escalated_to_human",
        "kb_search ticket",
        "order quasar",
        "nonexistentword",
        "30 da",
        "passport", // one workflow's word
        "passp",    // and as a prefix
    ];
    let mut nonempty = 0;
    for search in searches {
        for (name, filter) in &filters {
            let q = RunQuery {
                search: Some(search.into()),
                limit: Some(1000),
                ..filter.clone()
            };
            let want = scanned(&all, &q);
            let page = runs::list(c, &q)?;
            let got: Vec<&str> = page.items.iter().map(|r| r.run_id.as_str()).collect();
            assert_eq!(got, want, "search {search:?} with {name}");
            assert_eq!((page.total, page.total_capped), (want.len() as u64, false));
            nonempty += usize::from(!want.is_empty());
            // A short page says there is more exactly when there is.
            let short = runs::list(
                c,
                &RunQuery {
                    limit: Some(3),
                    ..q.clone()
                },
            )?;
            assert_eq!(short.items.len(), want.len().min(3), "{search:?} {name}");
            assert_eq!(short.total_capped, want.len() > 3, "{search:?} {name}");
        }
    }
    // The cases are not vacuous: most combinations find runs, and some find none.
    assert!(nonempty > searches.len() * filters.len() / 2, "{nonempty}");
    assert!(nonempty < searches.len() * filters.len());
    Ok(())
}

#[test]
fn the_cli_and_the_app_share_prefix_semantics() -> Result<()> {
    let (store, _) = store()?;
    let c = store.conn();
    let n = |s: &str| -> Result<usize> {
        Ok(runs::list(
            c,
            &RunQuery {
                search: Some(s.into()),
                limit: Some(1000),
                ..Default::default()
            },
        )?
        .items
        .len())
    };
    // The last word typed so far matches the words it starts.
    assert!(n("escalat")? > 0);
    assert_eq!(n("escalat")?, n("escalated")?);
    // Earlier words are whole words unless asked with *.
    assert_eq!(n("escalat order")?, 0);
    assert_eq!(n("escalat* order")?, n("escalated order")?);
    // One or two letters are whole words (a prefix that short matches nearly everything).
    assert_eq!(n("zd")?, RUNS as usize);
    assert_eq!(n("or")?, 0);
    Ok(())
}

#[test]
fn prefixes_are_spelled_out_into_the_words_that_start_them() -> Result<()> {
    let store = Store::open_in_memory()?;
    let c = store.conn();
    let mut texts: Vec<String> = [
        "Refund policy",
        "refunds issued",
        "refunded in full",
        "refundable ticket",
        "a refugee",
        "Ünïcode refunds",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // More words start with "wide" than a prefix is spelled out into.
    texts.extend((0..=search::MAX_SPELLED_OUT).map(|i| format!("wide{i} policy")));
    // Indexed as the store indexes a run: the text, and its words in the vocabulary.
    let mut words = countersign_store::search_words::Words::default();
    for (i, t) in texts.iter().enumerate() {
        c.execute(
            "INSERT INTO run_fts (rowid, text) VALUES (?1, ?2)",
            rusqlite::params![i as i64 + 1, t],
        )?;
        words.add("support_triage", "success", t);
    }
    words.store(c)?;
    let spelled = |s: &str| -> Result<Option<String>> { search::fts_match(c, s) };
    assert_eq!(
        spelled("refund")?.as_deref(),
        Some("(\"refund\" OR \"refundable\" OR \"refunded\" OR \"refunds\")")
    );
    assert_eq!(
        spelled("policy REFUNDE")?.as_deref(),
        Some("\"policy\" AND (\"REFUNDE\" OR \"refunded\")")
    );
    assert_eq!(spelled("refunds")?.as_deref(), Some("\"refunds\""));
    assert_eq!(spelled("wide")?.as_deref(), Some("\"wide\"*"));
    assert_eq!(spelled("Ünï")?.as_deref(), Some("\"Ünï\"*"));
    assert_eq!(spelled(" ")?, None);
    // Spelled out or not, the same rows as FTS5's own prefix query, newest first.
    let rows = |m: &str| -> Result<Vec<i64>> {
        let mut st =
            c.prepare("SELECT rowid FROM run_fts WHERE run_fts MATCH ?1 ORDER BY rowid DESC")?;
        Ok(st
            .query_map([m], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    };
    for typed in [
        "refund",
        "REFUNDE",
        "refu",
        "ref",
        "refunds",
        "policy refund",
        "wide",
        "wide1",
        "unic",
        "Ünï",
        "zz",
        "refund*  policy",
        "nothing",
    ] {
        let native = search::fts_query(typed).map(|q| rows(&q)).transpose()?;
        let fast = spelled(typed)?.map(|q| rows(&q)).transpose()?;
        assert_eq!(fast, native, "{typed}");
    }
    assert_eq!(rows(&spelled("refu")?.unwrap_or_default())?.len(), 6);
    Ok(())
}

/// Searches filtered on a workflow, an outcome or both, against the plain scan; returns how
/// many came back empty.
fn facet_searches_match_a_plain_scan(
    c: &rusqlite::Connection,
    all: &[(String, Run)],
) -> Result<usize> {
    let mut empty = 0;
    let workflows = WORKFLOWS.iter().map(|w| Some(w.to_string())).chain([None]);
    for wf in workflows {
        let outcomes = OUTCOMES
            .iter()
            .map(|o| Some(o.as_str().to_string()))
            .chain([Some("budget_stopped".to_string()), None]);
        for outcome in outcomes {
            if wf.is_none() && outcome.is_none() {
                continue;
            }
            for search in [
                "passport", "passp", "pass", "chargeb", "refund", "escalat", "quasar", "30 da",
                "zd_1",
            ] {
                let q = RunQuery {
                    search: Some(search.into()),
                    workflow: wf.clone(),
                    outcome: outcome.clone(),
                    limit: Some(1000),
                    ..Default::default()
                };
                let want = scanned(all, &q);
                let got = runs::list(c, &q)?;
                let got: Vec<&str> = got.items.iter().map(|r| r.run_id.as_str()).collect();
                assert_eq!(got, want, "{search:?} in {wf:?} / {outcome:?}");
                empty += usize::from(want.is_empty());
            }
        }
    }
    Ok(empty)
}

#[test]
fn a_word_runs_of_a_workflow_or_outcome_never_contain_is_known_absent_and_older_stores_catch_up()
-> Result<()> {
    use countersign_store::search_words;
    let (store, all) = store()?;
    let c = store.conn();
    assert!(search_words::by_facet_ready(c)?);
    let scoped =
        |typed: &str, wf: &str| search::fts_match_in(c, typed, &[search_words::workflow_facet(wf)]);
    assert_eq!(
        scoped("passport", "refund_request")?,
        search::Matched::NoRun
    );
    assert_eq!(
        scoped("order passp", "support_triage")?,
        search::Matched::NoRun
    );
    assert_eq!(
        scoped("passp", "kyc_check")?,
        search::Matched::Query("\"passport\"".into()),
        "spelled out into the workflow's words"
    );
    let denied_in = |typed: &str, outcome: &str| {
        search::fts_match_in(c, typed, &[search_words::outcome_facet(outcome)])
    };
    assert_eq!(denied_in("chargeback", "success")?, search::Matched::NoRun);
    assert!(matches!(
        denied_in("chargeb", "denied")?,
        search::Matched::Query(_)
    ));
    // Both facets: a word must be in the runs of each.
    let both = [
        search_words::workflow_facet("kyc_check"),
        search_words::outcome_facet("success"),
    ];
    assert!(matches!(
        search::fts_match_in(c, "passp", &both)?,
        search::Matched::Query(_)
    ));
    // Numbers are not in the vocabulary: left to the index.
    assert!(matches!(
        scoped("883190", "kyc_check")?,
        search::Matched::Query(_)
    ));
    assert!(
        facet_searches_match_a_plain_scan(c, &all)? > 0,
        "some are empty"
    );

    // A store from before the workflows' vocabularies: searches answer as before until the
    // background pass has read every run in.
    let pairs = |c: &rusqlite::Connection| -> Result<Vec<(String, String)>> {
        let mut st = c.prepare("SELECT facet, term FROM run_word_facets ORDER BY 1, 2")?;
        Ok(st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    };
    let built = pairs(c)?;
    c.execute_batch(
        "DELETE FROM run_word_facets;
         INSERT INTO run_word_facets_backfill (next_rid, to_rid) SELECT 0, max(rid) FROM runs;",
    )?;
    assert!(!search_words::by_facet_ready(c)?);
    assert!(matches!(
        scoped("passport", "refund_request")?,
        search::Matched::Query(_)
    ));
    facet_searches_match_a_plain_scan(c, &all)?;
    let mut read = 0;
    loop {
        let n = search_words::backfill_by_facet(c, 37)?;
        if n == 0 {
            break;
        }
        read += n;
    }
    assert_eq!(read as u64, RUNS, "every run read once");
    assert!(search_words::by_facet_ready(c)?);
    let again = pairs(c)?;
    assert!(
        again.iter().all(|p| built.contains(p)),
        "nothing the indexing did not build"
    );
    assert!(
        again
            .iter()
            .any(|(f, t)| f == "w:kyc_check" && t == "passport")
    );
    assert_eq!(
        scoped("passport", "refund_request")?,
        search::Matched::NoRun
    );
    facet_searches_match_a_plain_scan(c, &all)?;
    Ok(())
}
