//! The reference backend over real HTTP on 127.0.0.1:0.

mod engines;

use countersign_backend::{Config, Handle, start, tokens};
use countersign_core::{ActionStatus, Budget, FieldKind, Outcome, PendingAction, Run, Whoami};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use tempfile::TempDir;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

struct Env {
    dir: TempDir,
    h: Handle,
    c: reqwest::Client,
}

async fn env_with(f: impl FnOnce(&mut Config)) -> R<Env> {
    let dir = tempfile::tempdir()?;
    let mut cfg = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    engines::configure(&mut cfg);
    f(&mut cfg);
    let h = start(cfg).await?;
    let c = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    Ok(Env { dir, h, c })
}

impl Env {
    fn token_of(&self, subject: &str) -> R<String> {
        tokens(self.dir.path())?
            .into_iter()
            .find(|(_, w): &(String, Whoami)| w.subject == subject)
            .map(|(t, _)| t)
            .ok_or_else(|| format!("no token for {subject}").into())
    }

    async fn get_as(&self, token: &str, path: &str) -> R<(u16, Value)> {
        let r = self
            .c
            .get(format!("{}{path}", self.h.url))
            .bearer_auth(token)
            .send()
            .await?;
        let s = r.status().as_u16();
        Ok((s, r.json().await?))
    }

    async fn get(&self, path: &str) -> R<(u16, Value)> {
        self.get_as(&self.h.token, path).await
    }

    async fn send_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: &Value,
    ) -> R<(u16, Value)> {
        let url = format!("{}{path}", self.h.url);
        let req = if method == "PUT" {
            self.c.put(url)
        } else {
            self.c.post(url)
        };
        let r = req.bearer_auth(token).json(body).send().await?;
        let s = r.status().as_u16();
        Ok((s, r.json().await?))
    }

    async fn post(&self, path: &str, body: &Value) -> R<(u16, Value)> {
        self.send_as(&self.h.token, "POST", path, body).await
    }

    async fn all(&self, what: &str, limit: usize) -> R<(Vec<Value>, String)> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, page) = self
                .get(&format!("/v1/{what}?limit={limit}&cursor={cursor}"))
                .await?;
            assert_eq!(s, 200, "{page}");
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
            if page["has_more"] != json!(true) {
                return Ok((out, cursor));
            }
        }
    }

    /// Pending refunds that will not expire soon, created live.
    async fn open_refunds(&self, min: usize) -> R<Vec<PendingAction>> {
        let (s, _) = self
            .post("/v1/admin/simulate", &json!({"runs": 60}))
            .await?;
        assert_eq!(s, 200);
        let (items, _) = self.all("actions", 1000).await?;
        let now = chrono::Utc::now();
        let open: Vec<PendingAction> = items
            .into_iter()
            .filter_map(|v| serde_json::from_value::<PendingAction>(v).ok())
            .filter(|a| a.kind == "issue_refund" && a.status == ActionStatus::Pending)
            .filter(|a| a.expires_at > now + chrono::Duration::hours(1))
            .collect();
        assert!(open.len() >= min, "only {} open refunds", open.len());
        Ok(open)
    }
}

fn confirm_all(a: &PendingAction) -> BTreeMap<String, String> {
    a.fields
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect()
}

fn approve(a: &PendingAction, key: &str) -> Value {
    json!({"decision": "approve", "fields": confirm_all(a), "idempotency_key": key})
}

async fn health_auth_and_whoami() -> R {
    let e = env_with(|c| c.seed_runs = 5).await?;
    let r = e.c.get(format!("{}/v1/health", e.h.url)).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.json::<Value>().await?,
        json!({"status": "ok", "protocol": "v1"})
    );
    let r = e.c.get(format!("{}/v1/runs", e.h.url)).send().await?;
    assert_eq!(r.status().as_u16(), 401);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let (s, _) = e.get_as("nope", "/v1/whoami").await?;
    assert_eq!(s, 401);
    let (s, who) = e.get("/v1/whoami").await?;
    assert_eq!(s, 200);
    let who: Whoami = serde_json::from_value(who)?;
    assert_eq!(who.roles.len(), 4);
    let (s, src) = e.get("/v1/sources").await?;
    assert_eq!(s, 200);
    assert_eq!(src["items"].as_array().map(Vec::len), Some(2));
    e.h.shutdown().await;
    Ok(())
}

async fn cursor_paging_returns_every_run_exactly_once() -> R {
    let e = env_with(|c| c.seed_runs = 250).await?;
    let (items, cursor) = e.all("runs", 37).await?;
    assert_eq!(items.len(), 250);
    let mut ids = HashSet::new();
    for v in &items {
        let run: Run = serde_json::from_value(v.clone())?;
        run.validate()?;
        assert!(ids.insert(run.run_id.clone()), "duplicate {}", run.run_id);
        // Citations land on their passage.
        for c in &run.citations {
            let (s, t) = c.span_in_context().ok_or("citation outside context")?;
            let got: String = c
                .context
                .chars()
                .skip(s as usize)
                .take((t - s) as usize)
                .collect();
            assert_eq!(got, c.passage);
        }
        let tools: i64 = run.tool_calls.iter().map(|c| c.cost_micros.0).sum();
        assert!(run.cost_micros.0 >= tools);
        assert!((2..=6).contains(&run.tool_calls.len()) || run.outcome == Outcome::BudgetStopped);
    }
    // Nothing new: same cursor back, no items.
    let (s, page) = e.get(&format!("/v1/runs?cursor={cursor}")).await?;
    assert_eq!(s, 200);
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["next_cursor"], json!(cursor));
    assert_eq!(page["has_more"], json!(false));
    // Default and clamped limits.
    let (_, page) = e.get("/v1/runs?limit=5000").await?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(250));
    // Invalid cursor.
    let (s, p) = e.get("/v1/runs?cursor=not-a-cursor!").await?;
    assert_eq!(s, 400);
    assert_eq!(p["status"], json!(400));
    // One run by id, and a missing one.
    let id = items[3]["run_id"].as_str().unwrap_or_default().to_string();
    let (s, one) = e.get(&format!("/v1/runs/{id}")).await?;
    assert_eq!((s, &one), (200, &items[3]));
    let (s, _) = e.get("/v1/runs/run_nope").await?;
    assert_eq!(s, 404);
    e.h.shutdown().await;
    Ok(())
}

async fn approved_refund_executes_exactly_once() -> R {
    let e = env_with(|c| c.seed_runs = 10).await?;
    let a = e.open_refunds(1).await?.remove(0);
    let (_, runs_cursor) = e.all("runs", 1000).await?;
    let path = format!("/v1/actions/{}/decision", a.action_id);
    let (s, first) = e.post(&path, &approve(&a, "k-1")).await?;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["executed"], json!(true));
    assert_eq!(first["replayed"], json!(false));
    assert_eq!(first["action"]["status"], json!("executed"));
    let (s, again) = e.post(&path, &approve(&a, "k-1")).await?;
    assert_eq!(s, 200);
    assert_eq!(again["replayed"], json!(true));
    assert_eq!(again["action"], first["action"]);
    let (s, other) = e.post(&path, &approve(&a, "k-2")).await?;
    assert_eq!(s, 409, "{other}");
    assert_eq!(other["current_status"], json!("executed"));

    let (s, refunds) = e.get("/v1/system/refunds").await?;
    assert_eq!(s, 200);
    let mine: Vec<&Value> = refunds["items"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|r| r["action_id"] == json!(a.action_id))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(mine.len(), 1);
    let amount = countersign_core::Micros::parse_usd(&a.fields[0].value)?;
    assert_eq!(mine[0]["amount_micros"], json!(amount.0));

    // The run changed: it shows up again after the old cursor, with a new revision.
    let (_, page) = e.get(&format!("/v1/runs?cursor={runs_cursor}")).await?;
    let changed: Vec<Run> = page["items"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|r| serde_json::from_value(r.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    let run = changed
        .iter()
        .find(|r| r.run_id == a.run_id)
        .ok_or("run did not reappear")?;
    assert_eq!(run.outcome, Outcome::Success);
    assert!(run.revision >= 2);
    let ch = run
        .changes
        .iter()
        .find(|c| c.action_id.as_deref() == Some(&a.action_id));
    assert_eq!(ch.map(|c| c.system.as_str()), Some("billing"));
    e.h.shutdown().await;
    Ok(())
}

async fn decisions_are_validated() -> R {
    let e = env_with(|c| c.seed_runs = 10).await?;
    let open = e.open_refunds(2).await?;
    let a = &open[0];
    let path = format!("/v1/actions/{}/decision", a.action_id);
    // Wrong confirmed amount.
    let mut fields = confirm_all(a);
    fields.insert("amount".into(), "999999.99".into());
    let (s, p) = e
        .post(
            &path,
            &json!({"decision": "approve", "fields": fields, "idempotency_key": "x1"}),
        )
        .await?;
    assert_eq!(s, 422, "{p}");
    assert_eq!(
        p["type"],
        json!("https://countersign.dev/problems/field-mismatch")
    );
    assert_eq!(p["field"], json!("amount"));
    // A field left unconfirmed.
    let mut fields = confirm_all(a);
    fields.remove("currency");
    let (s, _) = e
        .post(
            &path,
            &json!({"decision": "approve", "fields": fields, "idempotency_key": "x2"}),
        )
        .await?;
    assert_eq!(s, 422);
    // Deny without reason.
    let (s, p) = e
        .post(&path, &json!({"decision": "deny", "idempotency_key": "x3"}))
        .await?;
    assert_eq!(s, 422, "{p}");
    let (s, _) = e
        .post(
            &path,
            &json!({"decision": "deny", "reason": "  ", "idempotency_key": "x4"}),
        )
        .await?;
    assert_eq!(s, 422);
    // Edits are validated by kind.
    let mut fields = confirm_all(a);
    fields.insert("currency".into(), "eur".into());
    let (s, p) = e
        .post(
            &path,
            &json!({"decision": "approve_with_edits", "fields": fields, "idempotency_key": "x5"}),
        )
        .await?;
    assert_eq!(s, 422);
    assert_eq!(p["field"], json!("currency"));
    let mut fields = confirm_all(a);
    fields.insert("amount".into(), "-1.00".into());
    let (s, _) = e
        .post(
            &path,
            &json!({"decision": "approve_with_edits", "fields": fields, "idempotency_key": "x6"}),
        )
        .await?;
    assert_eq!(s, 422);
    // A valid edit executes the edited amount.
    let mut fields = confirm_all(a);
    fields.insert("amount".into(), "1.25".into());
    let (s, r) = e
        .post(
            &path,
            &json!({"decision": "approve_with_edits", "fields": fields, "idempotency_key": "x7"}),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    let (_, refunds) = e.get("/v1/system/refunds").await?;
    let hit = refunds["items"]
        .as_array()
        .and_then(|v| {
            v.iter()
                .find(|r| r["action_id"] == json!(a.action_id))
                .cloned()
        })
        .ok_or("refund missing")?;
    assert_eq!(hit["amount_micros"], json!(1_250_000));
    // A denial with a reason marks the run denied and writes nothing.
    let b = &open[1];
    let (s, r) = e
        .post(
            &format!("/v1/actions/{}/decision", b.action_id),
            &json!({"decision": "deny", "reason": "Suspected fraud", "idempotency_key": "d1"}),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["action"]["status"], json!("denied"));
    assert_eq!(r["executed"], json!(false));
    let (_, run) = e.get(&format!("/v1/runs/{}", b.run_id)).await?;
    assert_eq!(run["outcome"], json!("denied"));
    let (_, refunds) = e.get("/v1/system/refunds").await?;
    assert!(
        refunds["items"]
            .as_array()
            .is_some_and(|v| v.iter().all(|r| r["action_id"] != json!(b.action_id)))
    );
    e.h.shutdown().await;
    Ok(())
}

async fn invalid_edits_are_refused_with_the_core_kind_rule() -> R {
    let e = env_with(|c| c.seed_runs = 10).await?;
    let open = e.open_refunds(1).await?;
    let a = &open[0];
    let path = format!("/v1/actions/{}/decision", a.action_id);
    for (i, (name, kind, bad)) in [
        ("currency", FieldKind::Currency, "eur"),
        ("region", FieldKind::Region, "EUR"),
        ("amount", FieldKind::Money, "12.5x"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut fields = confirm_all(a);
        fields.insert(name.into(), bad.into());
        let (s, p) = e
            .post(
                &path,
                &json!({"decision": "approve_with_edits", "fields": fields, "idempotency_key": format!("k{i}")}),
            )
            .await?;
        assert_eq!(s, 422, "{p}");
        assert_eq!(
            p["type"],
            json!("https://countersign.dev/problems/invalid-field")
        );
        assert_eq!(p["field"], json!(name));
        let why = kind.check(bad).err().ok_or("the core accepts it")?;
        assert_eq!(p["detail"], json!(format!("field {name}: {why}")));
    }
    e.h.shutdown().await;
    Ok(())
}

async fn roles_are_enforced() -> R {
    let e = env_with(|c| c.seed_runs = 10).await?;
    let reviewer = e.token_of("reviewer-only")?;
    let finance = e.token_of("finance-only")?;
    let operator = e.token_of("operator-only")?;
    let (_, budgets) = e.get("/v1/budgets").await?;
    let (s, _) = e.send_as(&reviewer, "PUT", "/v1/budgets", &budgets).await?;
    assert_eq!(s, 403);
    let (s, saved) = e.send_as(&finance, "PUT", "/v1/budgets", &budgets).await?;
    assert_eq!(s, 200);
    assert_eq!(saved, budgets);
    let mut bad = budgets.clone();
    bad["items"][0]["limits"] = json!({});
    let (s, p) = e.send_as(&finance, "PUT", "/v1/budgets", &bad).await?;
    assert_eq!(s, 422);
    assert_eq!(p["budget_id"], budgets["items"][0]["budget_id"]);
    let mut bad = budgets.clone();
    bad["items"][0]["time_zone"] = json!("Mars/Olympus");
    let (s, _) = e.send_as(&finance, "PUT", "/v1/budgets", &bad).await?;
    assert_eq!(s, 422);
    let (_, still) = e.get("/v1/budgets").await?;
    assert_eq!(still, budgets);

    let a = e.open_refunds(1).await?.remove(0);
    let path = format!("/v1/actions/{}/decision", a.action_id);
    let (s, _) = e
        .send_as(&finance, "POST", &path, &approve(&a, "f1"))
        .await?;
    assert_eq!(s, 403);
    let (s, _) = e
        .send_as(&operator, "POST", &path, &approve(&a, "o1"))
        .await?;
    assert_eq!(s, 403);
    let (s, _) = e
        .send_as(&reviewer, "POST", "/v1/admin/simulate", &json!({"runs": 1}))
        .await?;
    assert_eq!(s, 403);
    let (s, _) = e.get_as(&reviewer, "/v1/system/refunds").await?;
    assert_eq!(s, 403);
    let (s, r) = e
        .send_as(&reviewer, "POST", &path, &approve(&a, "r1"))
        .await?;
    assert_eq!(s, 200, "{r}");
    let (s, who) = e.get_as(&operator, "/v1/whoami").await?;
    assert_eq!(s, 200);
    assert_eq!(who["roles"], json!(["operator"]));
    e.h.shutdown().await;
    Ok(())
}

async fn rollback_removes_the_refund() -> R {
    let e = env_with(|c| c.seed_runs = 10).await?;
    let open = e.open_refunds(2).await?;
    let a = &open[0];
    let rb = format!("/v1/actions/{}/rollback", a.action_id);
    // Not executed yet.
    let (s, p) = e
        .post(&rb, &json!({"idempotency_key": "rb0", "reason": "test"}))
        .await?;
    assert_eq!(s, 409);
    assert_eq!(p["current_status"], json!("pending"));
    let (s, _) = e
        .post(
            &format!("/v1/actions/{}/decision", a.action_id),
            &approve(a, "a1"),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, r) = e
        .post(
            &rb,
            &json!({"idempotency_key": "rb1", "reason": "wrong order"}),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["action"]["status"], json!("rolled_back"));
    assert_eq!(r["replayed"], json!(false));
    let (s, r) = e
        .post(
            &rb,
            &json!({"idempotency_key": "rb1", "reason": "wrong order"}),
        )
        .await?;
    assert_eq!(s, 200);
    assert_eq!(r["replayed"], json!(true));
    let (s, _) = e.post(&rb, &json!({"idempotency_key": "rb2"})).await?;
    assert_eq!(s, 409);
    let (_, refunds) = e.get("/v1/system/refunds").await?;
    assert!(
        refunds["items"]
            .as_array()
            .is_some_and(|v| v.iter().all(|r| r["action_id"] != json!(a.action_id)))
    );
    let (_, run) = e.get(&format!("/v1/runs/{}", a.run_id)).await?;
    let run: Run = serde_json::from_value(run)?;
    assert!(run.revision >= 3);
    assert_eq!(run.changes.len(), 2);
    e.h.shutdown().await;
    Ok(())
}

async fn expired_action_is_409_and_never_denied() -> R {
    let e = env_with(|c| c.seed_runs = 300).await?;
    // Seeded data holds actions whose deadline passed: they list as expired.
    let (items, _) = e.all("actions", 1000).await?;
    let acts: Vec<PendingAction> = items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    assert!(acts.iter().any(|a| a.status == ActionStatus::Expired));
    let now = chrono::Utc::now();
    for a in acts
        .iter()
        .filter(|a| a.decided_at.is_none() && a.expires_at <= now)
    {
        assert_eq!(a.status, ActionStatus::Expired, "{}", a.action_id);
    }
    // History holds decided actions too, each with its reviewer.
    assert!(acts.iter().any(|a| a.status == ActionStatus::Executed));
    assert!(acts.iter().any(|a| a.status == ActionStatus::Denied));
    for a in acts.iter().filter(|a| a.status == ActionStatus::Denied) {
        assert!(a.decided_by.is_some() && a.decided_at.is_some());
    }
    let (_, refunds) = e.get("/v1/system/refunds").await?;
    let executed_refunds = acts
        .iter()
        .filter(|a| a.status == ActionStatus::Executed && a.kind == "issue_refund")
        .count();
    assert_eq!(
        refunds["items"].as_array().map(Vec::len),
        Some(executed_refunds)
    );
    let expired = acts
        .iter()
        .find(|a| a.status == ActionStatus::Expired)
        .ok_or("none expired")?;
    let (s, p) = e
        .post(
            &format!("/v1/actions/{}/decision", expired.action_id),
            &approve(expired, "e1"),
        )
        .await?;
    assert_eq!(s, 409);
    assert_eq!(p["current_status"], json!("expired"));

    // A pending action whose deadline passes between listing and deciding.
    let a = e.open_refunds(1).await?.remove(0);
    let changed = engines::execute(
        e.h.database(),
        "UPDATE actions SET expires_ms = 0, json = json_set(json, '$.expires_at', '2026-01-01T00:00:00Z') WHERE action_id = ?1",
        "UPDATE actions SET expires_ms = 0, json = jsonb_set(json::jsonb, '{expires_at}', '\"2026-01-01T00:00:00Z\"')::text WHERE action_id = $1",
        &a.action_id,
    )
    .await;
    assert_eq!(changed, 1);
    let (s, p) = e
        .post(
            &format!("/v1/actions/{}/decision", a.action_id),
            &approve(&a, "e2"),
        )
        .await?;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["type"], json!("https://countersign.dev/problems/expired"));
    let (_, now) = e.get(&format!("/v1/actions/{}", a.action_id)).await?;
    assert_eq!(now["status"], json!("expired"));
    // Its run is no longer pending: the case went back to people.
    let (_, run) = e.get(&format!("/v1/runs/{}", a.run_id)).await?;
    assert_eq!(run["outcome"], json!("escalated"));
    assert_eq!(run["decision"], json!("approval_expired"));
    // A second attempt is still a conflict, and nothing was executed.
    let (s, p) = e
        .post(
            &format!("/v1/actions/{}/decision", a.action_id),
            &approve(&a, "e3"),
        )
        .await?;
    assert_eq!(s, 409);
    assert_eq!(p["current_status"], json!("expired"));
    let (_, refunds) = e.get("/v1/system/refunds").await?;
    assert!(
        refunds["items"]
            .as_array()
            .is_some_and(|v| v.iter().all(|r| r["action_id"] != json!(a.action_id)))
    );
    e.h.shutdown().await;
    Ok(())
}

async fn hard_caps_are_never_exceeded() -> R {
    let e = env_with(|c| c.seed_runs = 300).await?;
    // The seeded refund per-run cap holds for seeded data.
    let (items, cursor) = e.all("runs", 1000).await?;
    let (_, budgets) = e.get("/v1/budgets").await?;
    let seeded: Vec<Budget> = serde_json::from_value(budgets["items"].clone())?;
    let refund_cap = seeded
        .iter()
        .find(|b| b.budget_id == "bud_refund_per_run")
        .and_then(|b| b.limits.max_cost_micros)
        .ok_or("no refund cap")?;
    let runs: Vec<Run> = items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    assert!(
        runs.iter()
            .filter(|r| r.workflow == "refund_request")
            .all(|r| r.cost_micros <= refund_cap)
    );

    let now = chrono::Utc::now().to_rfc3339();
    let caps = json!({"items": [
        {"budget_id": "tight_per_run", "scope": {"kind": "backend"}, "period": "run",
         "limits": {"max_cost_micros": 12000, "max_tool_calls": 3}, "enforcement": "hard", "updated_at": now},
        {"budget_id": "invoice_daily_runs", "scope": {"kind": "workflow", "value": "invoice_reconcile"}, "period": "day",
         "limits": {"max_runs": 2}, "enforcement": "hard", "updated_at": now},
    ]});
    let (s, r) = e.send_as(&e.h.token, "PUT", "/v1/budgets", &caps).await?;
    assert_eq!(s, 200, "{r}");
    let (s, _) = e.post("/v1/admin/simulate", &json!({"runs": 80})).await?;
    assert_eq!(s, 200);
    let (_, page) = e
        .get(&format!("/v1/runs?cursor={cursor}&limit=1000"))
        .await?;
    let fresh: Vec<Run> = serde_json::from_value(page["items"].clone())?;
    assert_eq!(fresh.len(), 80);
    let mut stopped = 0;
    for r in &fresh {
        assert!(
            r.cost_micros.0 <= 12_000,
            "{} costs {}",
            r.run_id,
            r.cost_micros
        );
        assert!(r.tool_calls.len() <= 3);
        let tools: i64 = r.tool_calls.iter().map(|c| c.cost_micros.0).sum();
        assert!(tools <= r.cost_micros.0);
        if r.outcome == Outcome::BudgetStopped {
            stopped += 1;
            let check = r
                .policy_checks
                .iter()
                .find(|c| c.name == "budget_cap")
                .ok_or("no check")?;
            assert!(!check.passed);
            assert!(
                check.detail.as_deref().is_some_and(
                    |d| d.contains("tight_per_run") || d.contains("invoice_daily_runs")
                )
            );
        }
    }
    assert!(stopped > 0);
    let invoices_done = fresh
        .iter()
        .filter(|r| r.workflow == "invoice_reconcile" && r.outcome != Outcome::BudgetStopped)
        .count();
    assert!(
        invoices_done <= 2,
        "{invoices_done} invoice runs passed a 2-run cap"
    );
    e.h.shutdown().await;
    Ok(())
}

async fn same_seed_same_data() -> R {
    // Seeded history ends when each server starts unless told where: the same seed and end.
    let until = Some(chrono::Utc::now());
    let a = env_with(|c| {
        c.seed_runs = 120;
        c.seed_until = until;
    })
    .await?;
    let b = env_with(|c| {
        c.seed_runs = 120;
        c.seed_until = until;
    })
    .await?;
    let c = env_with(|c| {
        c.seed_runs = 120;
        c.seed = 8;
        c.seed_until = until;
    })
    .await?;
    // The items, byte for byte (cursors are opaque: on PostgreSQL they name transactions).
    let page = |e: &Env| {
        let url = format!("{}/v1/runs?limit=100", e.h.url);
        let req = e.c.get(url).bearer_auth(&e.h.token);
        async move {
            let v: Value = req.send().await?.json().await?;
            Ok::<_, reqwest::Error>(v["items"].to_string())
        }
    };
    let (pa, pb, pc) = (page(&a).await?, page(&b).await?, page(&c).await?);
    assert!(pa.len() > 1000);
    assert!(pa == pb, "same seed, different runs");
    assert!(pa != pc, "another seed, the same runs");
    assert_ne!(a.h.token, b.h.token);
    for e in [a, b, c] {
        e.h.shutdown().await;
    }
    Ok(())
}

async fn hostile_mode_serves_nasty_and_malformed_items() -> R {
    let e = env_with(|c| {
        c.seed_runs = 600;
        c.hostile = true;
    })
    .await?;
    let (items, _) = e.all("runs", 1000).await?;
    assert_eq!(items.len(), 600);
    let malformed = items
        .iter()
        .filter(|v| {
            serde_json::from_value::<Run>((*v).clone())
                .map(|r| r.validate().is_err())
                .unwrap_or(true)
        })
        .count();
    let hostile = items
        .iter()
        .filter(|v| v.to_string().contains("<script>alert(1)</script>"))
        .count();
    assert!(malformed > 0, "no malformed items");
    assert!(
        hostile > malformed,
        "hostile {hostile}, malformed {malformed}"
    );
    assert!(items.iter().any(|v| v.is_number()) || malformed > 0);
    e.h.shutdown().await;
    Ok(())
}

async fn faults_are_survivable_with_retries() -> R {
    let e = env_with(|c| {
        c.seed_runs = 120;
        c.faults = 0.3;
    })
    .await?;
    // Health never misbehaves.
    for _ in 0..10 {
        let r = e.c.get(format!("{}/v1/health", e.h.url)).send().await?;
        assert_eq!(r.status().as_u16(), 200);
    }
    let mut ids = HashSet::new();
    let mut cursor = String::new();
    let mut failures = 0;
    let mut statuses = HashSet::new();
    loop {
        let mut page = None;
        for _ in 0..40 {
            let url = format!("{}/v1/runs?limit=10&cursor={cursor}", e.h.url);
            let res = e.c.get(url).bearer_auth(&e.h.token).send().await;
            let Ok(resp) = res else {
                failures += 1;
                continue;
            };
            let status = resp.status().as_u16();
            if status != 200 {
                statuses.insert(status);
                if status == 429 || status == 503 {
                    assert!(resp.headers().get("retry-after").is_some());
                }
                failures += 1;
                continue;
            }
            match resp.json::<Value>().await {
                Ok(v) => {
                    page = Some(v);
                    break;
                }
                Err(_) => failures += 1,
            }
        }
        let page = page.ok_or("page never arrived")?;
        for v in page["items"].as_array().cloned().unwrap_or_default() {
            assert!(ids.insert(v["run_id"].as_str().unwrap_or_default().to_string()));
        }
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        if page["has_more"] != json!(true) {
            break;
        }
    }
    assert_eq!(ids.len(), 120);
    assert!(failures > 0);
    assert!(!statuses.is_empty());
    e.h.shutdown().await;
    Ok(())
}

async fn bulk_seeded_data_is_served() -> R {
    let dir = tempfile::tempdir()?;
    let db = engines::database(dir.path());
    let into = db.clone();
    tokio::task::spawn_blocking(move || countersign_backend::seed_runs_into(&into, 1500, 7))
        .await??;
    let cfg = Config {
        data_dir: dir.path().to_path_buf(),
        database: Some(db),
        seed_runs: 0,
        ..Config::default()
    };
    let h = start(cfg).await?;
    let c = reqwest::Client::new();
    let page: Value = c
        .get(format!("{}/v1/runs?limit=1000", h.url))
        .bearer_auth(&h.token)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1000));
    assert_eq!(page["has_more"], json!(true));
    h.shutdown().await;
    Ok(())
}

async fn bulk_seeding_writes_runs() -> R {
    let dir = tempfile::tempdir()?;
    let db = engines::database(dir.path());
    let seed = |n: u64| {
        let db = db.clone();
        tokio::task::spawn_blocking(move || countersign_backend::seed_runs_into(&db, n, 7))
    };
    assert_eq!(seed(2000).await??, 2000);
    assert_eq!(
        engines::query_int(&db, "SELECT COUNT(*) FROM runs").await,
        2000
    );
    assert!(engines::query_int(&db, "SELECT COUNT(*) FROM actions").await > 300);
    // Appending continues the ids.
    seed(10).await??;
    let count = engines::query_int(&db, "SELECT COUNT(DISTINCT run_id) FROM runs").await;
    assert_eq!(count, 2010);
    Ok(())
}

async fn every_fault_kind_misbehaves() -> R {
    let e = env_with(|c| {
        c.seed_runs = 20;
        c.faults = 1.0;
    })
    .await?;
    let (mut statuses, mut transport, mut body, mut ok) = (HashSet::new(), 0, 0, 0);
    for _ in 0..16 {
        let url = format!("{}/v1/runs", e.h.url);
        match e.c.get(url).bearer_auth(&e.h.token).send().await {
            Err(_) => transport += 1,
            Ok(r) if r.status().as_u16() != 200 => {
                statuses.insert(r.status().as_u16());
            }
            Ok(r) => match r.json::<Value>().await {
                Ok(_) => ok += 1,
                Err(_) => body += 1,
            },
        }
    }
    assert!(statuses.contains(&500) || statuses.contains(&503) || statuses.contains(&429));
    assert!(transport + body > 0, "no reset or truncated response seen");
    assert!(ok < 16);
    e.h.shutdown().await;
    Ok(())
}

async fn trickle_adds_runs_until_shutdown() -> R {
    let e = env_with(|c| {
        c.seed_runs = 0;
        c.trickle = 50.0;
    })
    .await?;
    // Wait (bounded) for the background task to produce runs; this polls for a condition.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = 0;
    while seen < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "trickle produced {seen} runs"
        );
        let (_, page) = e.get("/v1/runs").await?;
        seen = page["items"].as_array().map_or(0, Vec::len);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let db = e.h.database().clone();
    e.h.shutdown().await;
    // After shutdown nothing more is written.
    let before = engines::query_int(&db, "SELECT COUNT(*) FROM runs").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let after = engines::query_int(&db, "SELECT COUNT(*) FROM runs").await;
    assert_eq!(before, after);
    Ok(())
}

crate::on_both!(
    health_auth_and_whoami,
    cursor_paging_returns_every_run_exactly_once,
    approved_refund_executes_exactly_once,
    decisions_are_validated,
    invalid_edits_are_refused_with_the_core_kind_rule,
    roles_are_enforced,
    rollback_removes_the_refund,
    expired_action_is_409_and_never_denied,
    hard_caps_are_never_exceeded,
    same_seed_same_data,
    hostile_mode_serves_nasty_and_malformed_items,
    faults_are_survivable_with_retries,
    bulk_seeded_data_is_served,
    bulk_seeding_writes_runs,
    every_fault_kind_misbehaves,
    trickle_adds_runs_until_shutdown,
);
