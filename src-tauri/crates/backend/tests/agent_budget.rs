//! Budget reservations over real HTTP against the caps the console edits: concurrent agents
//! racing one hard cap never exceed it, the refusal names the cap, settling frees what was not
//! spent, and unsettled reservations expire.

mod engines;

mod agent_support;

use agent_support::{Env, R, env, run};
use serde_json::{Value, json};

/// Adds `caps` to the budgets the backend serves (as finance does in the console).
async fn add_caps(e: &Env, caps: Value) -> R {
    let now = e.get_as(&e.h.token, "/v1/budgets").await?;
    let mut items = now.body["items"].as_array().cloned().unwrap_or_default();
    items.extend(caps.as_array().cloned().unwrap_or_default());
    let finance = e.token_of("finance-only")?;
    let r = e
        .send(
            reqwest::Method::PUT,
            Some(&finance),
            "/v1/budgets",
            Some(&json!({"items": items})),
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    Ok(())
}

fn cap(id: &str, kind: &str, value: &str, limits: Value) -> Value {
    json!({
        "budget_id": id,
        "scope": {"kind": kind, "value": value},
        "period": "day",
        "time_zone": "UTC",
        "limits": limits,
        "enforcement": "hard",
        "alert_at_percent": 80,
        "updated_at": "2026-11-01T00:00:00Z"
    })
}

fn ask(workflow: &str, cost: &str) -> Value {
    json!({"workflow": workflow, "team": "ops", "user": "u_1", "estimated_cost": cost, "tool_calls": 2})
}

async fn fifty_agents_racing_one_hard_cap_get_exactly_what_it_allows() -> R {
    let e = env().await?;
    add_caps(
        &e,
        json!([cap(
            "bud_race",
            "workflow",
            "race",
            json!({"max_cost_micros": 5_000_000})
        )]),
    )
    .await?;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (url, key) = (e.h.url.clone(), e.agent.clone());
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{url}/v1/budget/reserve"))
                .bearer_auth(key)
                .json(&ask("race", "0.50"))
                .send()
                .await?;
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await
        }));
    }
    let mut allowed = Vec::new();
    let mut stopped = 0;
    for t in tasks {
        let v = t.await??;
        if v["allowed"] == json!(true) {
            allowed.push(v["reservation_id"].as_str().unwrap_or_default().to_string());
        } else {
            stopped += 1;
            assert_eq!(v["stopped_by"]["budget_id"], "bud_race", "{v}");
            assert_eq!(v["stopped_by"]["limit"], "max_cost_micros");
            assert_eq!(v["stopped_by"]["max"], json!(5_000_000));
        }
    }
    assert_eq!((allowed.len(), stopped), (10, 40));

    // Settling one at 0.10 frees 0.40, and not a micro more.
    let settle = json!({"reservation_id": allowed[0], "final_cost_micros": 100_000});
    let r = e.agent_post("/v1/budget/settle", &settle).await?;
    assert_eq!((r.status, r.body["replayed"].clone()), (200, json!(false)));
    let r = e.agent_post("/v1/budget/settle", &settle).await?;
    assert_eq!((r.status, r.body["replayed"].clone()), (200, json!(true)));
    let r = e
        .agent_post(
            "/v1/budget/settle",
            &json!({"reservation_id": allowed[0], "final_cost": "0.20"}),
        )
        .await?;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = e
        .agent_post("/v1/budget/reserve", &ask("race", "0.40"))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    let r = e
        .agent_post("/v1/budget/reserve", &ask("race", "0.000001"))
        .await?;
    assert_eq!(r.body["allowed"], json!(false), "{}", r.body);
    assert_eq!(r.body["stopped_by"]["used"], json!(5_000_000));
    // Another workflow is not held by this cap.
    let r = e
        .agent_post("/v1/budget/reserve", &ask("other", "3.00"))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    // Nobody settles another agent's reservation.
    let b = e.key("agent-b", countersign_backend::Scope::Ingest).await?;
    let r = e
        .post_as(
            &b,
            "/v1/budget/settle",
            &json!({"reservation_id": allowed[1], "final_cost": "0"}),
        )
        .await?;
    assert_eq!(r.status, 404, "{}", r.body);
    e.h.shutdown().await;
    Ok(())
}

async fn per_run_and_run_count_caps_stop_and_say_which_limit() -> R {
    let e = env().await?;
    add_caps(
        &e,
        json!([cap(
            "bud_team_runs",
            "team",
            "night",
            json!({"max_runs": 2})
        )]),
    )
    .await?;
    // The seeded per-run cap of refund_request: 0.03 and 6 tool calls.
    let r = e
        .agent_post("/v1/budget/reserve", &ask("refund_request", "0.04"))
        .await?;
    assert_eq!(
        r.body["stopped_by"]["budget_id"], "bud_refund_per_run",
        "{}",
        r.body
    );
    assert_eq!(r.body["stopped_by"]["limit"], "max_cost_micros");
    let mut many = ask("refund_request", "0.01");
    many["tool_calls"] = json!(7);
    let r = e.agent_post("/v1/budget/reserve", &many).await?;
    assert_eq!(
        r.body["stopped_by"]["limit"], "max_tool_calls",
        "{}",
        r.body
    );
    assert_eq!(
        e.agent_post("/v1/budget/reserve", &ask("refund_request", "0.03"))
            .await?
            .body["allowed"],
        json!(true)
    );
    let mut night = ask("w", "0.01");
    night["team"] = json!("night");
    for _ in 0..2 {
        assert_eq!(
            e.agent_post("/v1/budget/reserve", &night).await?.body["allowed"],
            json!(true)
        );
    }
    let r = e.agent_post("/v1/budget/reserve", &night).await?;
    assert_eq!(
        r.body["stopped_by"]["budget_id"], "bud_team_runs",
        "{}",
        r.body
    );
    assert_eq!(r.body["stopped_by"]["limit"], "max_runs");
    e.h.shutdown().await;
    Ok(())
}

async fn an_unsettled_reservation_stops_holding_money_when_it_expires() -> R {
    let e = env().await?;
    add_caps(
        &e,
        json!([cap(
            "bud_ttl",
            "user",
            "u_ttl",
            json!({"max_cost_micros": 1_000_000})
        )]),
    )
    .await?;
    let mut full = ask("w", "1.00");
    full["user"] = json!("u_ttl");
    full["ttl_secs"] = json!(1);
    assert_eq!(
        e.agent_post("/v1/budget/reserve", &full).await?.body["allowed"],
        json!(true)
    );
    let mut more = full.clone();
    more["estimated_cost"] = json!("0.01");
    more["ttl_secs"] = json!(60);
    assert_eq!(
        e.agent_post("/v1/budget/reserve", &more).await?.body["allowed"],
        json!(false)
    );
    // Poll (with a deadline) until the first reservation has expired.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = e.agent_post("/v1/budget/reserve", &more).await?;
        if r.body["allowed"] == json!(true) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never freed: {}",
            r.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    e.h.shutdown().await;
    Ok(())
}

/// A run reported now for team `team` (the day caps count it in today's period).
fn run_now(id: &str, team: &str, revision: u64) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    let mut r = run(id, revision);
    r["team"] = json!(team);
    r["started_at"] = json!(now);
    r["updated_at"] = json!(now);
    r
}

async fn a_run_counts_once_against_run_count_and_tool_call_caps() -> R {
    let e = env().await?;
    add_caps(
        &e,
        json!([cap("bud_once", "team", "once", json!({"max_runs": 2}))]),
    )
    .await?;
    let reserve = |run_id: &str, calls: u32| {
        let mut a = ask("refund_request", "0.001");
        a["team"] = json!("once");
        a["run_id"] = json!(run_id);
        a["tool_calls"] = json!(calls);
        a
    };
    let r = e
        .agent_post("/v1/budget/reserve", &reserve("r1", 1))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    let first = r.body["reservation_id"].clone();
    // The run is reported before its reservation is settled: it counts once, not twice.
    let r = e.agent_post("/v1/runs", &run_now("r1", "once", 1)).await?;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = e
        .agent_post("/v1/budget/reserve", &reserve("r2", 1))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    // A second reservation of a run already counted is not a new run.
    let r = e
        .agent_post("/v1/budget/reserve", &reserve("r1", 1))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    let settle = json!({"reservation_id": first, "final_cost_micros": 900, "run_id": "r1"});
    let r = e.agent_post("/v1/budget/settle", &settle).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    // A revision re-posted is still the same run.
    let r = e.agent_post("/v1/runs", &run_now("r1", "once", 2)).await?;
    assert_eq!(r.body["status"], "replaced", "{}", r.body);
    let r = e
        .agent_post("/v1/budget/reserve", &reserve("r3", 1))
        .await?;
    assert_eq!(r.body["allowed"], json!(false), "{}", r.body);
    assert_eq!(r.body["stopped_by"]["limit"], "max_runs");
    assert_eq!(r.body["stopped_by"]["used"], json!(2), "{}", r.body);
    // Settling r2's reservation for another run is refused, naming the field.
    let mut other = reserve("r2", 1);
    other["team"] = json!("elsewhere");
    let r = e.agent_post("/v1/budget/reserve", &other).await?;
    let r = e
        .agent_post(
            "/v1/budget/settle",
            &json!({"reservation_id": r.body["reservation_id"], "final_cost": "0", "run_id": "r9"}),
        )
        .await?;
    assert_eq!(
        (r.status, r.body["field"].clone()),
        (409, json!("run_id")),
        "{}",
        r.body
    );

    // The per-run cap of refund_request (6 tool calls) adds up the reservations of one run,
    // and once the run is reported, its own record is what counts.
    let per_run = |run_id: &str, calls: u32| {
        let mut a = ask("refund_request", "0.001");
        a["run_id"] = json!(run_id);
        a["tool_calls"] = json!(calls);
        a
    };
    let r = e
        .agent_post("/v1/budget/reserve", &per_run("rr", 4))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    let r = e
        .agent_post("/v1/budget/reserve", &per_run("rr", 3))
        .await?;
    assert_eq!(
        r.body["stopped_by"]["limit"], "max_tool_calls",
        "{}",
        r.body
    );
    assert_eq!(r.body["stopped_by"]["used"], json!(4), "{}", r.body);
    let r = e
        .agent_post("/v1/runs", &run_now("rr", "support", 1))
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    // The reported run made 1 call: its record counts, not the reservation of 4 as well.
    let r = e
        .agent_post("/v1/budget/reserve", &per_run("rr", 5))
        .await?;
    assert_eq!(r.body["allowed"], json!(true), "{}", r.body);
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    fifty_agents_racing_one_hard_cap_get_exactly_what_it_allows,
    per_run_and_run_count_caps_stop_and_say_which_limit,
    an_unsettled_reservation_stops_holding_money_when_it_expires,
    a_run_counts_once_against_run_count_and_tool_call_caps,
);
