//! The demo a fresh backend starts with: history seeded up to a given "now", with writes still
//! waiting for review at a realistic spread of expiries, over real HTTP on 127.0.0.1:0.

mod engines;

use chrono::{DateTime, Duration, DurationRound, Utc};
use countersign_backend::{Config, Handle, start};
use countersign_core::{ActionStatus, PendingAction, Run};
use serde_json::Value;
use std::collections::HashSet;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Starts a backend seeding `n` runs with history ending at `until`.
async fn seeded(dir: &std::path::Path, n: u64, until: DateTime<Utc>) -> R<Handle> {
    let mut cfg = Config {
        data_dir: dir.to_path_buf(),
        seed_runs: n,
        seed_until: Some(until),
        ..Config::default()
    };
    engines::configure(&mut cfg);
    Ok(start(cfg).await?)
}

/// Every item of `/v1/{what}`, page by page.
async fn all(h: &Handle, what: &str) -> R<Vec<Value>> {
    let c = reqwest::Client::new();
    let (mut out, mut cursor) = (Vec::new(), String::new());
    loop {
        let page: Value = c
            .get(format!("{}/v1/{what}?limit=500&cursor={cursor}", h.url))
            .bearer_auth(&h.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        out.extend(page["items"].as_array().cloned().unwrap_or_default());
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        if page["has_more"] != Value::Bool(true) {
            return Ok(out);
        }
    }
}

async fn runs_are_seeded_up_to_now_with_no_empty_day() -> R {
    let dir = tempfile::tempdir()?;
    let now = Utc::now().duration_trunc(Duration::seconds(1))?;
    let h = seeded(dir.path(), 200, now).await?;
    let runs: Vec<Run> = all(&h, "runs")
        .await?
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    assert_eq!(runs.len(), 200);
    let starts: Vec<DateTime<Utc>> = runs.iter().map(|r| r.started_at).collect();
    let first = starts.iter().min().copied().ok_or("no runs")?;
    let last = starts.iter().max().copied().ok_or("no runs")?;
    assert!(last <= now, "a run starts after now: {last} > {now}");
    assert!(
        now - last <= Duration::hours(8),
        "the newest run starts {} before now",
        now - last
    );
    assert!(now - first <= Duration::days(60) && now - first > Duration::days(59));
    // Every one of the 60 days before now has runs: no empty day, let alone an empty week.
    let days: HashSet<i64> = starts.iter().map(|s| (now - *s).num_days()).collect();
    for d in 0..60 {
        assert!(days.contains(&d), "no run {d} days before now");
    }
    // Triage changed model 36 days before now, so the Overview has a change to show.
    let swap = (now - Duration::days(36)).date_naive();
    for r in runs.iter().filter(|r| r.workflow == "support_triage") {
        let want = if r.started_at.date_naive() < swap {
            "gpt-4.1-mini"
        } else {
            "claude-sonnet-4"
        };
        assert_eq!(r.model, want, "triage run {} at {}", r.run_id, r.started_at);
        // Its retrieval snapshot moved 5 days before now, the model unchanged: a
        // retrieval-only change.
        let kb = if r.started_at.date_naive() < (now - Duration::days(5)).date_naive() {
            "kb-2026-10"
        } else {
            "kb-2026-11"
        };
        assert_eq!(r.retrieval.as_deref(), Some(kb), "triage run {}", r.run_id);
        assert_eq!(r.prompt.as_deref(), Some("triage-v4"));
    }
    // Refunds moved to a new prompt 12 days before now, version and model unchanged.
    let moved = (now - Duration::days(12)).date_naive();
    let mut prompts = HashSet::new();
    for r in runs.iter().filter(|r| r.workflow == "refund_request") {
        let want = if r.started_at.date_naive() < moved {
            "refund-v7"
        } else {
            "refund-v8"
        };
        assert_eq!(r.prompt.as_deref(), Some(want), "refund run {}", r.run_id);
        assert_eq!(r.workflow_version, "v3");
        prompts.insert(want);
    }
    assert_eq!(prompts.len(), 2, "both prompts appear in the history");
    h.shutdown().await;
    Ok(())
}

async fn writes_of_the_last_day_wait_for_review_with_spread_expiries() -> R {
    let dir = tempfile::tempdir()?;
    let now = Utc::now().duration_trunc(Duration::seconds(1))?;
    // 3,000 runs: 50 in the last day, enough for every kind of expiry to show.
    let h = seeded(dir.path(), 3000, now).await?;
    let actions: Vec<PendingAction> = all(&h, "actions")
        .await?
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    let open: Vec<&PendingAction> = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Pending)
        .collect();
    assert!(open.len() >= 8, "only {} pending", open.len());
    for a in &open {
        assert!(
            now - a.requested_at <= Duration::days(1),
            "{} pending since {}",
            a.action_id,
            a.requested_at
        );
        assert!(
            a.expires_at > now + Duration::minutes(9),
            "{}",
            a.expires_at
        );
        assert!(
            a.expires_at <= now + Duration::hours(30),
            "{}",
            a.expires_at
        );
    }
    let within = |lo: i64, hi: i64| {
        open.iter()
            .filter(|a| {
                let m = (a.expires_at - now).num_minutes();
                (lo..hi).contains(&m)
            })
            .count()
    };
    assert!(within(10, 60) >= 1, "none expires within the hour");
    assert!(within(60, 12 * 60) >= 1, "none expires later today");
    assert!(within(20 * 60, 30 * 60) >= 1, "none expires in about a day");
    // Older writes were settled: decided, executed or expired, none still pending.
    let settled = actions
        .iter()
        .filter(|a| now - a.requested_at > Duration::days(1))
        .collect::<Vec<_>>();
    assert!(settled.len() > 100);
    assert!(settled.iter().all(|a| a.status != ActionStatus::Pending));
    assert!(settled.iter().any(|a| a.status == ActionStatus::Executed));
    assert!(settled.iter().any(|a| a.status == ActionStatus::Expired));
    h.shutdown().await;
    Ok(())
}

async fn the_app_demo_has_a_queue_to_review_at_once() -> R {
    let dir = tempfile::tempdir()?;
    let now = Utc::now();
    let mut cfg = Config {
        data_dir: dir.path().to_path_buf(),
        trickle: 0.0,
        ..Config::demo()
    };
    engines::configure(&mut cfg);
    let h = start(cfg).await?;
    let actions: Vec<PendingAction> = all(&h, "actions")
        .await?
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    let open: Vec<&PendingAction> = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Pending && a.expires_at > now)
        .collect();
    assert!(
        (6..=30).contains(&open.len()),
        "the demo opens with {} pending",
        open.len()
    );
    // Some of them urgent: expiring within a few hours.
    assert!(open.iter().any(|a| a.expires_at - now < Duration::hours(3)));
    h.shutdown().await;
    Ok(())
}

on_both!(
    runs_are_seeded_up_to_now_with_no_empty_day,
    writes_of_the_last_day_wait_for_review_with_spread_expiries,
    the_app_demo_has_a_queue_to_review_at_once,
);
