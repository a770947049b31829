//! Budget caps against the real reference backend: finance's caps are enforced, concurrent runs
//! racing the same daily hard cap never push spend above it, and roles are enforced.

use chrono::Utc;
use countersign_core::{
    Budget, BudgetLimits, BudgetScope, Enforcement, Micros, Outcome, Period, ScopeKind,
};
use countersign_store::{Store, budgets};
use countersign_sync::Client;
use countersign_tests::{fast_retries, rig};
use serde_json::json;

fn daily_cap(usd_micros: i64) -> Budget {
    Budget {
        budget_id: "daily-hard".into(),
        scope: BudgetScope {
            kind: ScopeKind::Backend,
            value: None,
        },
        period: Period::Day,
        time_zone: "UTC".into(),
        limits: BudgetLimits {
            max_cost_micros: Some(Micros(usd_micros)),
            ..Default::default()
        },
        enforcement: Enforcement::Hard,
        alert_at_percent: 80,
        updated_at: Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_never_exceed_a_daily_hard_cap() {
    let rig = rig(|c| c.seed_runs = 0).await;
    let cap = Micros(60_000); // $0.06 a day
    let saved = rig
        .client(fast_retries())
        .put_budgets(&[daily_cap(cap.0)])
        .await
        .expect("finance saves the cap");
    assert_eq!(saved.len(), 1);

    // Eight clients race to start runs against the same daily cap.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (url, token) = (rig.backend.url.clone(), rig.backend.token.clone());
        tasks.push(tokio::spawn(async move {
            countersign_tests::post(&url, &token, "/v1/admin/simulate", json!({"runs": 15})).await
        }));
    }
    for t in tasks {
        let (status, body) = t.await.expect("task");
        assert_eq!(status, 200, "{body}");
    }
    let report = rig.sync(500).await;
    assert_eq!(report.error, None);
    let store = Store::open(&rig.store_path).expect("store");
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .expect("midnight");
    let runs = countersign_store::runs::list(
        store.conn(),
        &countersign_store::runs::RunQuery {
            since: Some(today),
            limit: Some(1000),
            ..Default::default()
        },
    )
    .expect("runs");
    assert_eq!(runs.total, 120);
    let spent: Micros = runs.items.iter().map(|r| r.cost_micros).sum();
    assert!(spent <= cap, "spent {spent} under a {cap} daily hard cap");
    let stopped = runs
        .items
        .iter()
        .filter(|r| r.outcome == Outcome::BudgetStopped)
        .count();
    assert!(stopped > 0, "the cap stopped runs");
    // The console reads back what the backend enforces, and its spend figure agrees.
    let (_, b) = budgets::list(store.conn())
        .expect("budgets")
        .into_iter()
        .find(|(_, b)| b.budget_id == "daily-hard")
        .expect("cap synced");
    let spend = budgets::spend(store.conn(), &rig.backend_id, &b, Utc::now()).expect("spend");
    assert_eq!(spend.cost_micros, spent);
    assert_eq!(spend.stopped_runs as usize, stopped);
    assert!(spend.used_percent.is_some_and(|p| p <= 100.0));
    rig.backend.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_finance_can_change_caps_and_nonsense_is_refused() {
    let rig = rig(|c| c.seed_runs = 0).await;
    let tokens = countersign_backend::tokens(rig.backend.data_dir()).expect("tokens");
    let reviewer = tokens
        .iter()
        .find(|(_, w)| w.subject == "reviewer-only")
        .map(|(t, _)| t.clone())
        .expect("reviewer token");
    let as_reviewer =
        Client::new(&rig.backend.url, Some(reviewer), fast_retries()).expect("client");
    let err = as_reviewer
        .put_budgets(&[daily_cap(1_000)])
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "forbidden");
    let mut bad = daily_cap(1_000);
    bad.limits.max_cost_micros = Some(Micros(-5));
    let err = rig
        .client(fast_retries())
        .put_budgets(&[bad])
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "invalid_input");
    assert!(
        countersign_core::budget::validate_set(&[daily_cap(1), daily_cap(2)]).is_err(),
        "duplicate ids and slots refused"
    );
    rig.backend.shutdown().await;
}
