//! `countersign backend load-agent` (hidden): one synthetic agent process for the load
//! benchmark and the fault tests (`benches/load.rs`, `tests/load_faults.rs` of this crate).
//!
//! It reports runs in batches (`POST /v1/runs` with `items`) and, beside that, asks approval
//! for refunds one after another (`POST /v1/actions`, long-poll on the decision, execute,
//! `POST …/result`), like an agent held until a reviewer decides. Every request is retried on
//! a transport error, a 5xx or a 429, each time on the next server URL, so a killed server or
//! a restarting database costs time, never a record: runs carry their own ids (a replay is
//! answered `ignored`), actions an idempotency key, results are answered `replayed`.
//!
//! What it did goes to stdout, one line per event, for the harness to count against the
//! database (times are wall-clock microseconds since the epoch):
//!
//! ```text
//! ack FIRST COUNT T_US          runs NAME-rFIRST .. NAME-r(FIRST+COUNT-1) were acknowledged
//! decided ACTION_ID STATUS T_US the long-poll returned the decision
//! executed ACTION_ID            the approved write was executed (once per action)
//! done RUNS ACTIONS RETRIES
//! ```

use clap::Args;
use countersign_backend::examples::refund_request as refund;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub(crate) struct LoadAgentArgs {
    /// A server's base URL; give several to fail over between them.
    #[arg(long = "url", required = true)]
    urls: Vec<String>,
    /// The agent's name: its run ids are NAME-rN, its idempotency keys NAME-aN.
    #[arg(long)]
    name: String,
    /// Environment variable holding the agent's ingest key.
    #[arg(long, default_value = "COUNTERSIGN_AGENT_KEY")]
    key_env: String,
    /// How long to keep reporting runs.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Runs per `POST /v1/runs`.
    #[arg(long, default_value_t = 50)]
    batch: u64,
    /// Stop after this many runs (0: no limit).
    #[arg(long, default_value_t = 0)]
    max_runs: u64,
    /// Approvals to ask for one after another while reporting (0: none; stops with the runs).
    #[arg(long, default_value_t = u64::MAX)]
    approvals: u64,
}

/// Wall-clock microseconds since the epoch (comparable across processes of one machine).
fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default()
}

fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The servers, with failover and retries.
struct Servers {
    urls: Vec<String>,
    key: String,
    http: reqwest::Client,
    next: AtomicU64,
    retries: AtomicU64,
}

impl Servers {
    /// Sends until a server answers with something other than a 5xx or 429 (giving up after
    /// two minutes); returns status and JSON body.
    async fn send(&self, post: Option<&Value>, path: &str) -> Result<(u16, Value), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut backoff = Duration::from_millis(10);
        loop {
            let i = self.next.load(Ordering::Relaxed) as usize % self.urls.len();
            let url = format!("{}{path}", self.urls[i]);
            let req = match post {
                Some(b) => self.http.post(&url).json(b),
                None => self.http.get(&url),
            };
            let why = match req.bearer_auth(&self.key).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.bytes().await {
                        Ok(body) if status < 500 && status != 429 => {
                            let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
                            return Ok((status, v));
                        }
                        Ok(body) => format!("{status}: {}", String::from_utf8_lossy(&body)),
                        Err(e) => e.to_string(),
                    }
                }
                Err(e) => e.to_string(),
            };
            if Instant::now() > deadline {
                return Err(format!("{path}: gave up: {why}"));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            // Next server; back-off between attempts (a retry policy, not synchronisation).
            self.next.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        }
    }
}

/// A run record as an agent reports it.
fn run(id: &str, n: u64) -> Value {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({
        "run_id": id,
        "revision": 1,
        "tenant": "northwind-eu",
        "user_id": format!("u_{}", n % 97),
        "team": "support",
        "workflow": "refund_request",
        "workflow_version": "v3",
        "model": "gpt-4.1-mini",
        "inputs": {"ticket": format!("T-{n}")},
        "tool_calls": [{
            "call_id": "c1",
            "tool": "kb_search",
            "arguments": {"q": "refund policy"},
            "started_at": at,
            "ended_at": at,
            "cost_micros": 1200
        }],
        "outputs": {"answer": "refund approved"},
        "cost_micros": 4200 + (n % 1000) as i64,
        "latency_ms": 1800,
        "outcome": "success",
        "started_at": at,
        "updated_at": at
    })
}

pub(crate) async fn run_agent(a: LoadAgentArgs) -> Result<(), String> {
    let key = std::env::var(&a.key_env).map_err(|_| format!("${} is not set", a.key_env))?;
    let servers = Arc::new(Servers {
        urls: a
            .urls
            .iter()
            .map(|u| u.trim_end_matches('/').into())
            .collect(),
        key,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(45))
            .build()
            .map_err(|e| e.to_string())?,
        next: AtomicU64::new(0),
        retries: AtomicU64::new(0),
    });
    let until = Instant::now() + Duration::from_secs_f64(a.seconds.max(0.0));
    let reporting = tokio::spawn(report_runs(
        servers.clone(),
        a.name.clone(),
        a.batch.max(1),
        a.max_runs,
        until,
    ));
    let approving = tokio::spawn(ask_approvals(
        servers.clone(),
        a.name.clone(),
        a.approvals,
        until,
    ));
    let runs = reporting.await.map_err(|e| e.to_string())??;
    let actions = approving.await.map_err(|e| e.to_string())??;
    emit(&format!(
        "done {runs} {actions} {}",
        servers.retries.load(Ordering::Relaxed)
    ));
    Ok(())
}

async fn report_runs(
    s: Arc<Servers>,
    name: String,
    batch: u64,
    max_runs: u64,
    until: Instant,
) -> Result<u64, String> {
    let mut n = 0u64;
    while Instant::now() < until && (max_runs == 0 || n < max_runs) {
        let count = if max_runs == 0 {
            batch
        } else {
            batch.min(max_runs - n)
        };
        let items: Vec<Value> = (n..n + count)
            .map(|i| run(&format!("{name}-r{i}"), i))
            .collect();
        let (status, body) = s.send(Some(&json!({"items": items})), "/v1/runs").await?;
        let accepted = body["accepted"].as_u64().unwrap_or(0);
        if status != 200 || accepted != count {
            return Err(format!("runs {n}+{count}: {status} {body}"));
        }
        emit(&format!("ack {n} {count} {}", now_us()));
        n += count;
    }
    Ok(n)
}

async fn ask_approvals(
    s: Arc<Servers>,
    name: String,
    max: u64,
    until: Instant,
) -> Result<u64, String> {
    let mut done = 0u64;
    while done < max && Instant::now() < until {
        let amount = format!("{}.00", 10 + done % 90);
        let body = refund(&format!("{name}-a{done}"), &format!("{name}-r0"), &amount);
        let (status, posted) = s.send(Some(&body), "/v1/actions").await?;
        if status != 201 && status != 200 {
            return Err(format!("action {done}: {status} {posted}"));
        }
        let id = posted["action"]["action_id"]
            .as_str()
            .ok_or_else(|| format!("action {done}: no id in {posted}"))?
            .to_string();
        let decision = loop {
            let (status, d) = s
                .send(None, &format!("/v1/actions/{id}/decision?wait=20"))
                .await?;
            if status != 200 {
                return Err(format!("decision of {id}: {status} {d}"));
            }
            if d["decided"] == json!(true) || d["status"] != json!("pending") {
                break d;
            }
        };
        let status = decision["status"].as_str().unwrap_or_default().to_string();
        emit(&format!("decided {id} {status} {}", now_us()));
        if status == "approved" {
            // The write itself: this agent executes it once, then reports it.
            emit(&format!("executed {id}"));
            let result = json!({"status": "executed", "detail": {"refund": format!("re_{id}")}});
            let (st, r) = s
                .send(Some(&result), &format!("/v1/actions/{id}/result"))
                .await?;
            if st != 200 && st != 201 {
                return Err(format!("result of {id}: {st} {r}"));
            }
        }
        done += 1;
    }
    Ok(done)
}
