//! Several server processes on one PostgreSQL database (two `start()`ed servers sharing a
//! fresh database of the test process's throwaway cluster): a decision executes once, a hard
//! cap holds across instances, a long-poll on one is woken by a decision on the other, and a
//! change feed never skips a change whose transaction commits after a later-numbered one; and
//! after PostgreSQL restarts, both reconnect and a long-poll is still woken across instances.

mod agent_support;
mod engines;

use agent_support::{decision, refund, until};
use countersign_backend::{Config, Database, Handle, Scope, start, tokens};
use countersign_core::{ActionStatus, PendingAction};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tempfile::TempDir;

type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Two servers on one database, sharing a data folder (so the same demo tokens).
struct Pair {
    _dir: TempDir,
    db: Database,
    a: Handle,
    b: Handle,
    c: reqwest::Client,
}

impl Pair {
    async fn start(seed_runs: u64) -> R<Pair> {
        let url = tokio::task::spawn_blocking(|| {
            countersign_pgtest::shared().and_then(|c| c.fresh_database())
        })
        .await??;
        Pair::start_on(url, seed_runs).await
    }

    /// Two servers on database `url`.
    async fn start_on(url: String, seed_runs: u64) -> R<Pair> {
        let dir = tempfile::tempdir()?;
        let db = Database::Postgres(url);
        let cfg = Config {
            data_dir: dir.path().to_path_buf(),
            database: Some(db.clone()),
            seed_runs,
            trickle: 0.0,
            ..Config::default()
        };
        // The demo tokens live in the shared folder: made once, before both start.
        tokens(dir.path())?;
        // Started together: migrations and seeding happen once.
        let (a, b) = tokio::join!(start(cfg.clone()), start(cfg));
        Ok(Pair {
            _dir: dir,
            db,
            a: a?,
            b: b?,
            c: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
        })
    }

    fn token_of(&self, subject: &str) -> R<String> {
        Ok(tokens(self._dir.path())?
            .into_iter()
            .find(|(_, w)| w.subject == subject)
            .map(|(t, _)| t)
            .ok_or("no such token")?)
    }

    async fn send(
        &self,
        h: &Handle,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> R<(u16, Value)> {
        let mut req = self
            .c
            .request(method, format!("{}{path}", h.url))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await?;
        Ok((r.status().as_u16(), r.json().await?))
    }

    async fn shutdown(self) {
        self.a.shutdown().await;
        self.b.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_decision_posted_to_both_instances_executes_once() -> R {
    let p = Pair::start(40).await?;
    assert_eq!(
        engines::query_int(&p.db, "SELECT COUNT(*) FROM runs").await,
        40,
        "seeded once"
    );
    let admin = p.a.token.clone();
    let (s, _) = p
        .send(
            &p.a,
            &admin,
            reqwest::Method::POST,
            "/v1/admin/simulate",
            Some(&json!({"runs": 60})),
        )
        .await?;
    assert_eq!(s, 200);
    let (_, page) = p
        .send(
            &p.b,
            &admin,
            reqwest::Method::GET,
            "/v1/actions?limit=1000",
            None,
        )
        .await?;
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    let open: Vec<PendingAction> = page["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| serde_json::from_value::<PendingAction>(v).ok())
        .filter(|a| a.kind == "issue_refund" && a.status == ActionStatus::Pending)
        .filter(|a| a.expires_at > soon)
        .collect();
    assert!(open.len() >= 2, "only {} open refunds", open.len());
    let reviewer = p.token_of("reviewer-only")?;
    let fields = |a: &PendingAction| {
        a.fields
            .iter()
            .map(|f| (f.name.clone(), json!(f.value)))
            .collect::<serde_json::Map<_, _>>()
    };

    // Ten reviewers' decisions (each under its own key) race across both instances.
    let a = &open[0];
    let path = format!("/v1/actions/{}/decision", a.action_id);
    let mut racing = Vec::new();
    for i in 0..10 {
        let h = if i % 2 == 0 { &p.a } else { &p.b };
        let d = json!({"decision": "approve", "fields": fields(a), "idempotency_key": format!("race-{i}")});
        let req =
            p.c.post(format!("{}{path}", h.url))
                .bearer_auth(&reviewer)
                .json(&d);
        racing.push(tokio::spawn(async move {
            let r = req.send().await?;
            Ok::<_, reqwest::Error>((r.status().as_u16(), r.json::<Value>().await?))
        }));
    }
    let mut executed = 0;
    for t in racing {
        let (status, body) = t.await??;
        match status {
            200 => {
                assert_eq!(body["executed"], json!(true), "{body}");
                executed += 1;
            }
            409 => assert_eq!(body["current_status"], json!("executed"), "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(executed, 1);

    // One decision under one key, posted to both at once: executed once, replayed once.
    let b = &open[1];
    let path = format!("/v1/actions/{}/decision", b.action_id);
    let d = json!({"decision": "approve", "fields": fields(b), "idempotency_key": "same-key"});
    let (ra, rb) = tokio::join!(
        p.send(&p.a, &reviewer, reqwest::Method::POST, &path, Some(&d)),
        p.send(&p.b, &reviewer, reqwest::Method::POST, &path, Some(&d)),
    );
    let (ra, rb) = (ra?, rb?);
    assert_eq!((ra.0, rb.0), (200, 200), "{} {}", ra.1, rb.1);
    let mut replayed = [ra.1["replayed"].clone(), rb.1["replayed"].clone()];
    replayed.sort_by_key(|v| v.to_string());
    assert_eq!(replayed, [json!(false), json!(true)]);
    assert_eq!(ra.1["action"]["revision"], rb.1["action"]["revision"]);

    // The system of record holds exactly one refund per action.
    for id in [&a.action_id, &b.action_id] {
        let sql = format!("SELECT COUNT(*) FROM refunds WHERE action_id = '{id}'");
        assert_eq!(engines::query_int(&p.db, &sql).await, 1, "refunds of {id}");
    }
    p.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_reservations_across_both_instances_never_exceed_the_cap() -> R {
    let p = Pair::start(0).await?;
    let finance = p.token_of("finance-only")?;
    let (_, now) = p
        .send(&p.a, &finance, reqwest::Method::GET, "/v1/budgets", None)
        .await?;
    let mut items = now["items"].as_array().cloned().unwrap_or_default();
    items.push(json!({
        "budget_id": "bud_race",
        "scope": {"kind": "workflow", "value": "race"},
        "period": "day",
        "time_zone": "UTC",
        "limits": {"max_cost_micros": 5_000_000},
        "enforcement": "hard",
        "alert_at_percent": 80,
        "updated_at": "2026-11-01T00:00:00Z"
    }));
    let (s, body) = p
        .send(
            &p.b,
            &finance,
            reqwest::Method::PUT,
            "/v1/budgets",
            Some(&json!({"items": items})),
        )
        .await?;
    assert_eq!(s, 200, "{body}");
    let db = p.db.clone();
    let (_, key) = tokio::task::spawn_blocking(move || {
        countersign_backend::create_key_in(&db, "racer", Scope::Ingest)
    })
    .await??;
    let ask = json!({"workflow": "race", "team": "ops", "user": "u_1", "estimated_cost": "0.50", "tool_calls": 2});
    let mut tasks = Vec::new();
    for i in 0..40 {
        let url = if i % 2 == 0 { &p.a.url } else { &p.b.url };
        let req =
            p.c.post(format!("{url}/v1/budget/reserve"))
                .bearer_auth(&key)
                .json(&ask);
        tasks.push(tokio::spawn(async move {
            let r = req.send().await?;
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        let v = t.await??;
        if v["allowed"] == json!(true) {
            allowed += 1;
        } else {
            assert_eq!(v["stopped_by"]["budget_id"], "bud_race", "{v}");
            assert!(v["stopped_by"]["used"].as_i64().unwrap_or(i64::MAX) <= 5_000_000);
        }
    }
    assert_eq!(allowed, 10, "5.00 holds exactly ten reservations of 0.50");
    let held = engines::query_int(
        &p.db,
        "SELECT CAST(SUM(estimate_micros) AS BIGINT) FROM reservations WHERE workflow = 'race'",
    )
    .await;
    assert_eq!(held, 5_000_000);
    p.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_poll_on_one_instance_is_woken_by_a_decision_on_the_other() -> R {
    let p = Pair::start(0).await?;
    let db = p.db.clone();
    let (_, agent) = tokio::task::spawn_blocking(move || {
        countersign_backend::create_key_in(&db, "agent-a", Scope::Ingest)
    })
    .await??;
    let (s, posted) = p
        .send(
            &p.a,
            &agent,
            reqwest::Method::POST,
            "/v1/actions",
            Some(&refund("lp-x", "run-x", "120.00")),
        )
        .await?;
    assert_eq!(s, 201, "{posted}");
    let id = posted["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let waiter = {
        let req =
            p.c.get(format!("{}/v1/actions/{id}/decision?wait=30", p.a.url))
                .bearer_auth(&agent);
        tokio::spawn(async move {
            let body: Value = req.send().await?.json().await?;
            Ok::<_, reqwest::Error>((body, Instant::now()))
        })
    };
    until("the agent to wait on A", || p.a.actions_waited_on() == 1).await?;
    let reviewer = p.token_of("reviewer-only")?;
    let d = decision(
        "approve",
        json!({"amount": "120.00", "currency": "EUR", "order_id": "ord_1001"}),
        "dec-x",
        None,
    );
    let decided_at = Instant::now();
    let (s, body) = p
        .send(
            &p.b,
            &reviewer,
            reqwest::Method::POST,
            &format!("/v1/actions/{id}/decision"),
            Some(&d),
        )
        .await?;
    assert_eq!(s, 200, "{body}");
    assert_eq!(p.b.actions_waited_on(), 0, "nobody waits on B");
    let (body, answered) = waiter.await??;
    assert_eq!(body["status"], "approved", "{body}");
    assert!(
        answered - decided_at < Duration::from_secs(10),
        "woken by B's notification, not by the 30 s timeout"
    );
    p.shutdown().await;
    Ok(())
}

/// Posts a refund as `agent` on A, holds a long-poll on A until it waits, decides on B, and
/// returns how long after the decision the long-poll answered (and its status).
async fn decided_across(p: &Pair, agent: &str, key: &str) -> R<(Duration, Value)> {
    let (s, posted) = p
        .send(
            &p.a,
            agent,
            reqwest::Method::POST,
            "/v1/actions",
            Some(&refund(key, "run-x", "120.00")),
        )
        .await?;
    assert_eq!(s, 201, "{posted}");
    let id = posted["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let req =
        p.c.get(format!("{}/v1/actions/{id}/decision?wait=30", p.a.url))
            .bearer_auth(agent);
    let waiter = tokio::spawn(async move {
        let body: Value = req.send().await?.json().await?;
        Ok::<_, reqwest::Error>((body, Instant::now()))
    });
    until("the agent to wait on A", || p.a.actions_waited_on() == 1).await?;
    let d = decision(
        "approve",
        json!({"amount": "120.00", "currency": "EUR", "order_id": "ord_1001"}),
        &format!("dec-{key}"),
        None,
    );
    let decided_at = Instant::now();
    let (s, body) = p
        .send(
            &p.b,
            &p.token_of("reviewer-only")?,
            reqwest::Method::POST,
            &format!("/v1/actions/{id}/decision"),
            Some(&d),
        )
        .await?;
    assert_eq!(s, 200, "{body}");
    let (body, answered) = waiter.await??;
    Ok((answered - decided_at, body["status"].clone()))
}

/// How many connections currently listen for changes (their last statement was `LISTEN`).
async fn listeners(url: &str) -> R<i64> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || -> R<i64> {
        let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
        Ok(c.query_one(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'",
            &[],
        )?
        .get(0))
    })
    .await?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_postgresql_restarts_both_instances_reconnect_and_a_long_poll_still_wakes() -> R {
    // A cluster of its own: the restart must not cut the other tests' connections.
    let (cluster, url) = tokio::task::spawn_blocking(|| {
        let c = countersign_pgtest::Cluster::start()?;
        let url = c.fresh_database()?;
        Ok::<_, String>((c, url))
    })
    .await??;
    let p = Pair::start_on(url.clone(), 0).await?;
    let db = p.db.clone();
    let (_, agent) = tokio::task::spawn_blocking(move || {
        countersign_backend::create_key_in(&db, "agent-a", Scope::Ingest)
    })
    .await??;
    let (took, status) = decided_across(&p, &agent, "before").await?;
    assert_eq!(status, "approved");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let mut deadline = Instant::now() + Duration::from_secs(20);
    until_async("both listeners", &mut deadline, || listeners(&url), 2).await?;

    // `pg_ctl stop -m fast` then start on the same port: every connection is cut.
    let cluster = tokio::task::spawn_blocking(move || {
        let mut c = cluster;
        c.restart().map(|()| c)
    })
    .await??;
    // Both listeners come back by themselves (the pools too: the requests below need them).
    let mut deadline = Instant::now() + Duration::from_secs(20);
    until_async("both listeners again", &mut deadline, || listeners(&url), 2).await?;
    let (took, status) = decided_across(&p, &agent, "after").await?;
    assert_eq!(status, "approved");
    assert!(
        took < Duration::from_secs(10),
        "woken by B's notification over the new listener, not the 30 s timeout: {took:?}"
    );
    assert_eq!(
        engines::query_int(&p.db, "SELECT COUNT(*) FROM decisions").await,
        2,
        "one decision each"
    );
    p.shutdown().await;
    tokio::task::spawn_blocking(move || drop(cluster)).await?;
    Ok(())
}

/// Polls `read` (with a deadline) until it answers `want`; a failed read counts as not yet
/// (the database may still be coming back).
async fn until_async<F, Fut>(what: &str, deadline: &mut Instant, read: F, want: i64) -> R
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = R<i64>>,
{
    loop {
        if matches!(read().await, Ok(n) if n == want) {
            return Ok(());
        }
        if Instant::now() > *deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A statement on a raw connection, off the async threads; the connection comes back (it is
/// closed off them too, by [`close`]).
async fn raw(c: postgres::Client, sql: &'static str) -> R<postgres::Client> {
    Ok(tokio::task::spawn_blocking(move || {
        let mut c = c;
        c.batch_execute(sql).map(|()| c)
    })
    .await??)
}

async fn close(c: postgres::Client) {
    let _ = tokio::task::spawn_blocking(move || drop(c)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_committed_after_a_later_numbered_one_is_never_skipped() -> R {
    let p = Pair::start(0).await?;
    let Database::Postgres(url) = p.db.clone() else {
        return Err("not PostgreSQL".into());
    };
    let admin = p.a.token.clone();
    let feed = |cursor: String| {
        let req =
            p.c.get(format!("{}/v1/runs?limit=500&cursor={cursor}", p.a.url))
                .bearer_auth(&admin);
        async move {
            let v: Value = req.send().await?.json().await?;
            let ids: Vec<String> = v["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|r| r["run_id"].as_str().map(str::to_string))
                .collect();
            let next = v["next_cursor"].as_str().unwrap_or_default().to_string();
            Ok::<_, reqwest::Error>((ids, next))
        }
    };
    let (ids, cursor) = feed(String::new()).await?;
    assert!(ids.is_empty());

    let connect = |url: String| {
        tokio::task::spawn_blocking(move || postgres::Client::connect(&url, postgres::NoTls))
    };
    let (t1, t2) = (connect(url.clone()).await??, connect(url).await??);
    // T1 takes the lower change number first, T2 the higher one and commits first.
    let t1 = raw(
        t1,
        "BEGIN; INSERT INTO runs(run_id, seq, idx, workflow, user_id, started_ms, cost_micros, json)
         VALUES('run-early', 0, -1, 'w', 'u', 0, 0, '{\"run_id\":\"run-early\"}')",
    )
    .await?;
    let t2 = raw(
        t2,
        "BEGIN; INSERT INTO runs(run_id, seq, idx, workflow, user_id, started_ms, cost_micros, json)
         VALUES('run-late', 0, -1, 'w', 'u', 0, 0, '{\"run_id\":\"run-late\"}'); COMMIT",
    )
    .await?;
    // The reader syncs in between: the late-committed gap is not jumped over.
    let (ids, cursor) = feed(cursor).await?;
    assert!(
        !ids.contains(&"run-late".to_string()),
        "run-late served while the earlier-numbered run-early was uncommitted: {ids:?}"
    );
    let t1 = raw(t1, "COMMIT").await?;
    let (ids, _) = feed(cursor).await?;
    assert_eq!(ids, ["run-early", "run-late"]);
    // And the interleaving was the one described: numbers in insert order, commits reversed.
    let early = engines::query_int(&p.db, "SELECT seq FROM runs WHERE run_id = 'run-early'").await;
    let late = engines::query_int(&p.db, "SELECT seq FROM runs WHERE run_id = 'run-late'").await;
    assert!(early < late, "{early} {late}");
    close(t1).await;
    close(t2).await;
    p.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_on_one_instance_is_refused_by_the_other() -> R {
    let p = Pair::start(0).await?;
    let admin = p.a.token.clone();
    let (s, made) = p
        .send(
            &p.a,
            &admin,
            reqwest::Method::POST,
            "/v1/admin/keys",
            Some(&json!({"name": "agent-r", "scope": "ingest"})),
        )
        .await?;
    assert_eq!(s, 201, "{made}");
    let key = made["key"].as_str().unwrap_or_default().to_string();
    let id = made["key_id"].as_str().unwrap_or_default().to_string();
    let run = agent_support::run("rk-1", 1);
    // Both instances know (and cache) the key.
    for h in [&p.a, &p.b] {
        let (s, body) = p
            .send(h, &key, reqwest::Method::POST, "/v1/runs", Some(&run))
            .await?;
        assert!(s == 201 || s == 200, "{s} {body}");
    }
    let (s, _) = p
        .send(
            &p.a,
            &admin,
            reqwest::Method::POST,
            &format!("/v1/admin/keys/{id}/revoke"),
            None,
        )
        .await?;
    assert_eq!(s, 200);
    let (s, _) = p
        .send(&p.a, &key, reqwest::Method::POST, "/v1/runs", Some(&run))
        .await?;
    assert_eq!(s, 401, "refused at once where it was revoked");
    // The other instance drops it when the revocation's notification arrives.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r =
            p.c.post(format!("{}/v1/runs", p.b.url))
                .bearer_auth(&key)
                .json(&run)
                .send()
                .await?;
        if r.status().as_u16() == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "B still accepts a revoked key");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    p.shutdown().await;
    Ok(())
}
