//! What the agent-side tests share: a server on 127.0.0.1:0 in a temp folder, keys, and small
//! HTTP helpers that return status, headers and JSON body.

#![allow(dead_code)]

#[allow(unused_imports)] // not every test binary that includes this module posts refunds
pub use countersign_backend::examples::refund_request as refund;
use countersign_backend::{Config, Handle, Scope, start, tokens};
use countersign_core::Whoami;
use serde_json::{Value, json};
use std::time::Duration;
use tempfile::TempDir;

pub type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A running server and a client.
pub struct Env {
    pub dir: TempDir,
    pub h: Handle,
    pub c: reqwest::Client,
    /// An ingest key of the agent `agent-a`.
    pub agent: String,
}

/// A server with no seeded runs (and `f` applied to its config).
pub async fn env_with(f: impl FnOnce(&mut Config)) -> R<Env> {
    let dir = tempfile::tempdir()?;
    let mut cfg = Config {
        data_dir: dir.path().to_path_buf(),
        seed_runs: 0,
        ..Config::default()
    };
    crate::engines::configure(&mut cfg);
    f(&mut cfg);
    let h = start(cfg).await?;
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let db = h.database().clone();
    let (_, agent) = tokio::task::spawn_blocking(move || {
        countersign_backend::create_key_in(&db, "agent-a", Scope::Ingest)
    })
    .await??;
    Ok(Env { dir, h, c, agent })
}

pub async fn env() -> R<Env> {
    env_with(|_| {}).await
}

/// A reply: status, `Retry-After` if any, content type, body.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: String,
    pub body: Value,
}

impl Env {
    /// The demo token of `subject` (`reviewer-only`, `finance-only`, ...).
    pub fn token_of(&self, subject: &str) -> R<String> {
        tokens(self.dir.path())?
            .into_iter()
            .find(|(_, w): &(String, Whoami)| w.subject == subject)
            .map(|(t, _)| t)
            .ok_or_else(|| format!("no token for {subject}").into())
    }

    /// A new key of `scope` for `name`.
    pub async fn key(&self, name: &str, scope: Scope) -> R<String> {
        let (db, name) = (self.h.database().clone(), name.to_string());
        let (_, key) = tokio::task::spawn_blocking(move || {
            countersign_backend::create_key_in(&db, &name, scope)
        })
        .await??;
        Ok(key)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> R<Reply> {
        let mut req = self.c.request(method, format!("{}{path}", self.h.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let header = |n: reqwest::header::HeaderName| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header(reqwest::header::RETRY_AFTER);
        let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
        let text = r.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Reply {
            status,
            retry_after,
            content_type,
            body,
        })
    }

    /// POST as `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> R<Reply> {
        self.send(reqwest::Method::POST, Some(token), path, Some(body))
            .await
    }

    /// POST as the agent.
    pub async fn agent_post(&self, path: &str, body: &Value) -> R<Reply> {
        self.post_as(&self.agent, path, body).await
    }

    /// GET as `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> R<Reply> {
        self.send(reqwest::Method::GET, Some(token), path, None)
            .await
    }

    /// Every item of the console's `runs` or `actions` feed after `cursor`, and the next
    /// cursor (read with the demo admin token, as the console does).
    pub async fn feed(&self, what: &str, cursor: &str) -> R<(Vec<Value>, String)> {
        let mut out = Vec::new();
        let mut cursor = cursor.to_string();
        loop {
            let r = self
                .get_as(
                    &self.h.token,
                    &format!("/v1/{what}?limit=500&cursor={cursor}"),
                )
                .await?;
            assert_eq!(r.status, 200, "{}", r.body);
            out.extend(r.body["items"].as_array().cloned().unwrap_or_default());
            cursor = r.body["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if r.body["has_more"] != json!(true) {
                return Ok((out, cursor));
            }
        }
    }

    /// The action `id` as the console's feed last shows it.
    pub async fn console_action(&self, id: &str) -> R<Value> {
        let (items, _) = self.feed("actions", "").await?;
        items
            .into_iter()
            .rev()
            .find(|a| a["action_id"] == json!(id))
            .ok_or_else(|| format!("action {id} not in the feed").into())
    }
}

/// A run record as an agent reports it.
pub fn run(id: &str, revision: u64) -> Value {
    json!({
        "run_id": id,
        "revision": revision,
        "tenant": "northwind-eu",
        "user_id": "u_17",
        "team": "support",
        "workflow": "refund_request",
        "workflow_version": "v3",
        "model": "gpt-4.1-mini",
        "inputs": {"ticket": "T-1"},
        "tool_calls": [{
            "call_id": "c1",
            "tool": "kb_search",
            "arguments": {"q": "refund policy"},
            "started_at": "2026-11-20T10:00:00Z",
            "ended_at": "2026-11-20T10:00:01Z",
            "cost_micros": 1200
        }],
        "outputs": {"answer": "refund approved"},
        "cost_micros": 4200 + revision as i64,
        "latency_ms": 1800,
        "outcome": "pending",
        "decision": "awaiting_review",
        "started_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:02Z"
    })
}

/// A reviewer's decision body.
pub fn decision(kind: &str, fields: Value, key: &str, reason: Option<&str>) -> Value {
    let mut d = json!({"decision": kind, "fields": fields, "idempotency_key": key});
    if let Some(r) = reason {
        d["reason"] = json!(r);
    }
    d
}

/// Waits (polling with a deadline) until `cond` holds.
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) -> R {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        if std::time::Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}
