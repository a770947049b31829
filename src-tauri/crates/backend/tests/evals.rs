//! `POST /v1/evals` over real HTTP on both engines: a golden set built from the reference
//! backend's own runs replays clean under the baseline configuration, and under the model that
//! cites a deprecated source at 3× the cost fails exactly on the cases that cited the current
//! policy. Nothing is written: no run, action or executed write appears.

mod engines;

use countersign_backend::{Config, start, tokens};
use countersign_core::golden::compare::{PassThresholds, compare};
use countersign_core::golden::{Expectations, GoldenCase};
use countersign_core::{Run, Whoami};
use serde_json::{Value, json};
use std::collections::HashMap;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

struct Env {
    _dir: tempfile::TempDir,
    url: String,
    token: String,
    reviewer: String,
    c: reqwest::Client,
}

async fn env() -> R<(Env, countersign_backend::Handle)> {
    let dir = tempfile::tempdir()?;
    let mut cfg = Config {
        data_dir: dir.path().to_path_buf(),
        seed_runs: 400,
        trickle: 0.0,
        ..Config::default()
    };
    engines::configure(&mut cfg);
    let h = start(cfg).await?;
    let reviewer = tokens(dir.path())?
        .into_iter()
        .find(|(_, w): &(String, Whoami)| w.subject == "reviewer-only")
        .map(|(t, _)| t)
        .ok_or("no reviewer token")?;
    let c = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    Ok((
        Env {
            url: h.url.clone(),
            token: h.token.clone(),
            reviewer,
            c,
            _dir: dir,
        },
        h,
    ))
}

impl Env {
    async fn get(&self, path: &str) -> R<(u16, Value)> {
        let r = self
            .c
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok((r.status().as_u16(), r.json().await?))
    }

    async fn post_as(&self, token: &str, path: &str, body: &Value) -> R<(u16, Value)> {
        let r = self
            .c
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        Ok((r.status().as_u16(), r.json().await?))
    }

    async fn all(&self, what: &str) -> R<Vec<Value>> {
        let (s, page) = self.get(&format!("/v1/{what}?limit=5000")).await?;
        assert_eq!(s, 200, "{page}");
        assert_ne!(page["has_more"], json!(true));
        Ok(page["items"].as_array().cloned().unwrap_or_default())
    }
}

/// The set: finished refund runs of the seeded data, expecting what each did.
fn golden(runs: &[Value]) -> R<Vec<GoldenCase>> {
    let mut cases = Vec::new();
    for v in runs {
        let run: Run = serde_json::from_value(v.clone())?;
        // Good examples: finished, citing no stale or deprecated source.
        let fresh = run.citation_warnings(chrono::Utc::now(), 365) == 0;
        if run.workflow == "refund_request" && run.ended_at.is_some() && fresh {
            cases.push(GoldenCase {
                expect: Expectations::from_run(&run, 1.5),
                run,
            });
        }
    }
    Ok(cases)
}

fn request(cases: &[GoldenCase], model: &str) -> Value {
    json!({
        "workflow": "refund_request",
        "config": {"version": "v3", "model": model, "prompt": "refund-prompt-7",
                   "retrieval": "kb-eval-1"},
        "cases": cases.iter()
            .map(|c| json!({"case_id": c.run.run_id, "inputs": c.run.inputs}))
            .collect::<Vec<_>>(),
    })
}

fn eval_runs(body: &Value) -> R<HashMap<String, Run>> {
    let mut out = HashMap::new();
    for r in body["results"].as_array().ok_or("no results")? {
        let case = r["case_id"].as_str().ok_or("no case id")?.to_string();
        out.insert(case, serde_json::from_value(r["run"].clone())?);
    }
    Ok(out)
}

fn cites_current_policy(c: &GoldenCase) -> bool {
    c.run.citations.iter().any(|x| x.doc_id == "kb_101")
}

async fn baseline_passes_and_the_legacy_model_fails_exactly_the_cases_it_cites_badly() -> R {
    let (e, _h) = env().await?;
    let runs = e.all("runs").await?;
    let actions_before = e.all("actions").await?.len();
    let cases = golden(&runs)?;
    let bad: Vec<&str> = cases
        .iter()
        .filter(|c| cites_current_policy(c))
        .map(|c| c.run.run_id.as_str())
        .collect();
    assert!(
        cases.len() >= 20 && bad.len() >= 3 && bad.len() < cases.len(),
        "the seeded set has {} refund cases, {} citing kb_101",
        cases.len(),
        bad.len()
    );

    let (s, base) = e
        .post_as(&e.token, "/v1/evals", &request(&cases, "gpt-4.1-mini"))
        .await?;
    assert_eq!(s, 201, "{base}");
    let eval_id = base["eval_id"].as_str().ok_or("no eval id")?.to_string();
    let base_runs = eval_runs(&base)?;
    assert_eq!(base_runs.len(), cases.len());
    for r in base_runs.values() {
        assert_eq!(r.eval_id.as_deref(), Some(eval_id.as_str()));
        assert_eq!(r.model, "gpt-4.1-mini");
        // The labels asked for are the ones the run carries.
        assert_eq!(r.prompt.as_deref(), Some("refund-prompt-7"));
        assert_eq!(r.retrieval.as_deref(), Some("kb-eval-1"));
        assert!(r.changes.iter().all(|c| c.action_id.is_none()));
    }
    let t = PassThresholds::default();
    let now = chrono::Utc::now();
    let report = compare(&cases, &base_runs, &HashMap::new(), &t, now);
    let why: Vec<&String> = report
        .cases
        .iter()
        .flat_map(|c| &c.reasons)
        .take(12)
        .collect();
    assert!(report.passed, "{:?} {why:?}", report.reasons);
    assert_eq!(report.totals.passed as usize, cases.len());

    let (s, legacy) = e
        .post_as(&e.token, "/v1/evals", &request(&cases, "legacy-kb-1"))
        .await?;
    assert_eq!(s, 201, "{legacy}");
    let report = compare(&cases, &eval_runs(&legacy)?, &HashMap::new(), &t, now);
    assert!(!report.passed);
    let failed: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.case_id.as_str())
        .collect();
    assert_eq!(failed, bad);
    for c in report.cases.iter().filter(|c| !c.passed) {
        assert!(c.citation_issues.iter().any(|i| i.problem == "deprecated"));
        assert_eq!(
            Some(c.cost_micros.0),
            c.baseline_cost_micros.map(|b| b.0 * 3)
        );
    }
    assert!(report.cost_change.is_some_and(|x| x > 0.0));

    // Read back as answered.
    let (s, again) = e.get(&format!("/v1/evals/{eval_id}")).await?;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["results"], base["results"]);
    assert_eq!(again["config"]["prompt"], "refund-prompt-7");
    assert_eq!(again["config"]["retrieval"], "kb-eval-1");

    // Nothing written: the run feed and the actions are as before.
    assert_eq!(e.all("runs").await?.len(), runs.len());
    assert_eq!(e.all("actions").await?.len(), actions_before);
    Ok(())
}

async fn evals_need_an_operator_and_a_valid_body() -> R {
    let (e, _h) = env().await?;
    let body = json!({"workflow": "refund_request", "config": {"version": "v3", "model": "m"},
                      "cases": [{"case_id": "nope", "inputs": {}}]});
    let (s, _) = e.post_as(&e.reviewer, "/v1/evals", &body).await?;
    assert_eq!(s, 403);
    let (s, _) = e
        .post_as(
            &e.token,
            "/v1/evals",
            &json!({"workflow": "refund_request"}),
        )
        .await?;
    assert_eq!(s, 400);
    let empty = json!({"workflow": "w", "config": {"version": "v", "model": "m"}, "cases": []});
    let (s, _) = e.post_as(&e.token, "/v1/evals", &empty).await?;
    assert_eq!(s, 422);
    // A case the backend has no recorded answer for fails, saying so.
    let (s, v) = e.post_as(&e.token, "/v1/evals", &body).await?;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["results"][0]["run"]["outcome"], "fail");
    assert!(
        v["results"][0]["run"]["rationale"]
            .as_str()
            .is_some_and(|r| r.contains("no recorded answer"))
    );
    let (s, _) = e.get("/v1/evals/eval_missing").await?;
    assert_eq!(s, 404);
    Ok(())
}

on_both!(
    baseline_passes_and_the_legacy_model_fails_exactly_the_cases_it_cites_badly,
    evals_need_an_operator_and_a_valid_body,
);
