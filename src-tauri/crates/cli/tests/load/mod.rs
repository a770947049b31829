//! The load harness shared by the benchmark (`benches/load.rs`) and the fault test
//! (`tests/load_faults.rs`): real processes over real HTTP on 127.0.0.1.
//!
//! - servers: `countersign backend serve` processes (one on a SQLite file, or several on one
//!   database of a throwaway PostgreSQL cluster), on free ports they print back;
//! - agents: `countersign backend load-agent` processes, each with its own ingest key, failing
//!   over between the servers; they report runs in batches and ask approvals one at a time;
//! - a reviewer (here) reads the actions feed and approves each load action once;
//! - a console (here) runs the real sync loop (`countersign_sync::sync_backend`) into a store.
//!
//! Faults: kill -9 of one server process, `pg_ctl stop -m fast` + start of PostgreSQL on the
//! same port. What happened is counted from the backend's tables afterwards (runs,
//! agent_actions, decisions) and from the console's store, against what the agents printed
//! they were acknowledged.

#![allow(dead_code)]

use countersign_backend::{Database, Scope};
use countersign_store::{Store, backends};
use countersign_sync::{Cancel, Client, ClientOptions, SyncOptions, sync_backend};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Which storage the servers share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// What goes wrong mid-load.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// kill -9 the last server instance at this share of the load's duration.
    pub kill_instance_at: Option<f64>,
    /// Restart PostgreSQL (fast stop, start on the same port) at this share.
    pub restart_postgres_at: Option<f64>,
}

/// One load run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `countersign` binary.
    pub bin: PathBuf,
    pub engine: Engine,
    /// Server processes (1 for SQLite).
    pub instances: usize,
    /// Agent processes.
    pub agents: usize,
    /// How long the agents report runs.
    pub seconds: f64,
    /// Runs per request.
    pub batch: u64,
    /// Pause between the starts of two console sync passes.
    pub sync_interval: Duration,
    pub faults: Faults,
}

/// What one load run measured and counted.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub label: String,
    /// Runs agents were acknowledged, and runs of theirs in the backend's `runs` table.
    pub acked_runs: u64,
    pub runs_in_db: u64,
    /// Seconds from the agents' start to their last acknowledged batch.
    pub window_s: f64,
    /// Acknowledged runs missing from the table (must be 0).
    pub lost_runs: u64,
    /// Run ids stored more than once (must be 0).
    pub duplicate_runs: u64,
    /// Actions the agents asked approval for, and rows of theirs in `agent_actions`.
    pub actions_asked: u64,
    pub actions_in_db: u64,
    /// Idempotency keys stored more than once (must be 0).
    pub duplicate_actions: u64,
    /// Actions with more than one decision row (must be 0).
    pub decided_twice: u64,
    /// Executions the agents printed, actions executed more than once by them (must be 0),
    /// and results stored in `agent_actions` (must equal the executions).
    pub executed: u64,
    pub executed_twice: u64,
    pub results_in_db: u64,
    /// Decision-wait latencies (decision posted → the agent's long-poll returned), ms.
    pub decision_wait_ms: Vec<f64>,
    /// Console sync lag (run acknowledged → in the console's store), ms.
    pub sync_lag_ms: Vec<f64>,
    /// Runs of the agents in the console's store at the end (must equal `runs_in_db`).
    pub runs_in_store: u64,
    /// Requests the agents retried (failover, 5xx, 429).
    pub retries: u64,
    /// Sync passes that ended with an error (the console retries on its next pass).
    pub sync_errors: u64,
}

impl Report {
    pub fn runs_per_s(&self) -> f64 {
        if self.window_s > 0.0 {
            self.runs_in_db as f64 / self.window_s
        } else {
            0.0
        }
    }

    /// Every correctness count that must hold, as failures (empty when all hold).
    pub fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                v.push(what);
            }
        };
        check(self.acked_runs > 0, "no run was acknowledged".into());
        check(
            self.lost_runs == 0,
            format!("{} acknowledged runs lost", self.lost_runs),
        );
        check(
            self.duplicate_runs == 0,
            format!("{} runs stored twice", self.duplicate_runs),
        );
        check(
            self.runs_in_db >= self.acked_runs,
            format!(
                "{} runs stored < {} acked",
                self.runs_in_db, self.acked_runs
            ),
        );
        check(
            self.duplicate_actions == 0,
            format!("{} idempotency keys stored twice", self.duplicate_actions),
        );
        check(
            self.actions_in_db == self.actions_asked,
            format!(
                "{} actions stored for {} asked",
                self.actions_in_db, self.actions_asked
            ),
        );
        check(
            self.decided_twice == 0,
            format!("{} actions decided twice", self.decided_twice),
        );
        check(
            self.executed_twice == 0,
            format!("{} actions executed twice", self.executed_twice),
        );
        check(
            self.results_in_db == self.executed,
            format!(
                "{} results stored for {} executions",
                self.results_in_db, self.executed
            ),
        );
        check(
            self.runs_in_store == self.runs_in_db,
            format!(
                "console store has {} runs, backend {}",
                self.runs_in_store, self.runs_in_db
            ),
        );
        v
    }
}

/// The `p`th percentile (0..=100) of `xs` (nearest rank); 0 when empty.
pub fn percentile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default()
}

/// Sends SIGTERM (or SIGKILL) to `pid`.
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A server process.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(bin: &Path, data: &Path, database: Option<&str>) -> Result<Server, String> {
        let mut cmd = Command::new(bin);
        cmd.args(["backend", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(["--seed-runs", "0", "--trickle", "0"])
            .env("COUNTERSIGN_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd.spawn().map_err(|e| format!("start server: {e}"))?;
        let out = child.stdout.take().ok_or("server stdout")?;
        let mut lines = BufReader::new(out).lines();
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(u) = line.strip_prefix("url: ") {
                url = Some(u.trim().to_string());
            }
            if line.starts_with("database: ") {
                break;
            }
        }
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the server exited before printing its url".into());
        };
        Ok(Server { child, url })
    }

    /// SIGTERM, then SIGKILL if it has not exited within 20 s.
    fn stop(mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        signal(self.child.id(), "-TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the agents printed.
#[derive(Default)]
struct Tally {
    /// Acknowledged batches: (agent name, first, count, time).
    acks: Vec<(String, u64, u64, u128)>,
    /// Decisions the agents got: action id → (status, time).
    decided: HashMap<String, (String, u128)>,
    /// Executions per action.
    executed: HashMap<String, u64>,
    /// `done` lines: (runs, actions, retries).
    done: Vec<(u64, u64, u64)>,
    /// Runs acknowledged and not yet seen in the console's store: (run id, ack time).
    unseen: VecDeque<(String, u128)>,
    /// Lines that could not be read.
    garbage: Vec<String>,
}

fn read_agent(name: String, out: std::process::ChildStdout, tally: Arc<Mutex<Tally>>) {
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let Ok(mut t) = tally.lock() else { return };
        match w.as_slice() {
            ["ack", first, count, at] => {
                if let (Ok(f), Ok(c), Ok(at)) = (first.parse(), count.parse::<u64>(), at.parse()) {
                    t.acks.push((name.clone(), f, c, at));
                    t.unseen.push_back((format!("{name}-r{}", f + c - 1), at));
                }
            }
            ["decided", id, status, at] => {
                if let Ok(at) = at.parse() {
                    t.decided.insert(id.to_string(), (status.to_string(), at));
                }
            }
            ["executed", id] => *t.executed.entry(id.to_string()).or_default() += 1,
            ["done", r, a, retries] => {
                if let (Ok(r), Ok(a), Ok(x)) = (r.parse(), a.parse(), retries.parse()) {
                    t.done.push((r, a, x));
                }
            }
            _ => t.garbage.push(line.clone()),
        }
    }
}

/// Sends with failover across `urls` (a killed server, a restarting database).
async fn send(
    http: &reqwest::Client,
    urls: &[String],
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut i = 0usize;
    loop {
        let url = format!("{}{path}", urls[i % urls.len()]);
        let req = match body {
            Some(b) => http.post(&url).json(b),
            None => http.get(&url),
        };
        let why = match req.bearer_auth(token).send().await {
            Ok(r) if r.status().is_success() => {
                return r.json().await.map_err(|e| e.to_string());
            }
            Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            return Err(format!("{path}: {why}"));
        }
        i += 1;
        // Retry back-off, not synchronisation.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The reviewer: approves every pending load action once; returns action id → the time its
/// decision was posted.
async fn review(
    urls: Vec<String>,
    token: String,
    stop: Arc<AtomicBool>,
) -> Result<HashMap<String, u128>, String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut posted: HashMap<String, u128> = HashMap::new();
    let mut cursor = String::new();
    while !stop.load(Ordering::Relaxed) {
        let page = send(
            &http,
            &urls,
            &token,
            &format!("/v1/actions?limit=500&cursor={cursor}"),
            None,
        )
        .await?;
        for a in page["items"].as_array().cloned().unwrap_or_default() {
            let id = a["action_id"].as_str().unwrap_or_default().to_string();
            let ours = a["run_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("load-agent-"));
            if !ours || a["status"] != "pending" || posted.contains_key(&id) {
                continue;
            }
            let fields: serde_json::Map<String, Value> = a["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|f| Some((f["name"].as_str()?.to_string(), f["value"].clone())))
                .collect();
            let d = json!({"decision": "approve", "fields": fields, "idempotency_key": format!("rev-{id}")});
            let at = now_us();
            send(
                &http,
                &urls,
                &token,
                &format!("/v1/actions/{id}/decision"),
                Some(&d),
            )
            .await?;
            posted.insert(id, at);
        }
        if let Some(c) = page["next_cursor"].as_str() {
            cursor = c.to_string();
        }
        if page["has_more"] != json!(true) {
            // A reviewer's pace between looks at the queue.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(posted)
}

/// The console: the real sync loop into `store`, a pass every `interval`, until `stop` (then
/// one last pass). Lag samples are taken after each pass. Returns (lags in ms, failed passes).
async fn console(
    store: PathBuf,
    backend_id: String,
    client: Client,
    interval: Duration,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) -> Result<(Vec<f64>, u64), String> {
    let mut lags = Vec::new();
    let mut errors = 0u64;
    let opts = SyncOptions::default();
    let lookup = rusqlite::Connection::open(&store).map_err(|e| e.to_string())?;
    loop {
        let last = stop.load(Ordering::Relaxed);
        let started = Instant::now();
        let r = sync_backend(
            &store,
            &backend_id,
            &client,
            &opts,
            &Cancel::default(),
            &|_| {},
        )
        .await;
        if r.error.is_some() {
            errors += 1;
        }
        let at = now_us();
        let pending: Vec<(String, u128)> = {
            let mut t = tally.lock().map_err(|_| "tally")?;
            t.unseen.drain(..).collect()
        };
        let mut still = Vec::new();
        for (id, acked) in pending {
            let found: bool = lookup
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM runs WHERE backend_id = ?1 AND run_id = ?2)",
                    rusqlite::params![backend_id, id],
                    |row| row.get(0),
                )
                .map_err(|e| e.to_string())?;
            if found {
                lags.push(at.saturating_sub(acked) as f64 / 1000.0);
            } else {
                still.push((id, acked));
            }
        }
        tally.lock().map_err(|_| "tally")?.unseen.extend(still);
        if last && r.error.is_none() {
            return Ok((lags, errors));
        }
        // The console's sync interval.
        if let Some(rest) = interval.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
}

/// Reads integers / strings from the backend's database (SQLite or PostgreSQL).
struct Tables(Database);

impl Tables {
    fn ints(&self, sql: &str) -> Result<Vec<i64>, String> {
        match &self.0 {
            Database::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                let mut st = c.prepare(sql).map_err(|e| e.to_string())?;
                let rows = st
                    .query_map([], |r| r.get::<_, i64>(0))
                    .map_err(|e| e.to_string())?;
                rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
            }
            Database::Postgres(url) => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
                Ok(c.query(sql, &[])
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(|r| r.get::<_, i64>(0))
                    .collect())
            }
        }
    }

    fn int(&self, sql: &str) -> Result<i64, String> {
        self.ints(sql)?
            .first()
            .copied()
            .ok_or_else(|| format!("no row: {sql}"))
    }

    fn strings(&self, sql: &str) -> Result<Vec<String>, String> {
        match &self.0 {
            Database::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                let mut st = c.prepare(sql).map_err(|e| e.to_string())?;
                let rows = st
                    .query_map([], |r| r.get::<_, String>(0))
                    .map_err(|e| e.to_string())?;
                rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
            }
            Database::Postgres(url) => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
                Ok(c.query(sql, &[])
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect())
            }
        }
    }
}

/// Runs one load and counts what happened.
pub fn run(o: &Options) -> Result<Report, String> {
    let dir = tempfile::Builder::new()
        .prefix("countersign-load-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    let mut cluster = None;
    let database = match o.engine {
        Engine::Sqlite => Database::in_dir(&data),
        Engine::Postgres => {
            let c = countersign_pgtest::Cluster::start()?;
            let url = c.create_database("load")?;
            cluster = Some(c);
            Database::Postgres(url)
        }
    };
    let db_arg = match &database {
        Database::Postgres(url) => Some(url.clone()),
        Database::Sqlite(_) => None,
    };
    // The demo tokens, made once before the servers start, shared through the folder.
    let tokens = countersign_backend::tokens(&data).map_err(|e| e.to_string())?;
    let admin = tokens[0].0.clone();
    let reviewer = tokens
        .iter()
        .find(|(_, w)| w.subject == "reviewer-only")
        .map(|(t, _)| t.clone())
        .ok_or("no reviewer token")?;
    let instances = if o.engine == Engine::Sqlite {
        1
    } else {
        o.instances.max(1)
    };
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(Server::start(&o.bin, &data, db_arg.as_deref())?);
    }
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let result = drive(
        o,
        &dir,
        &database,
        &urls,
        &mut servers,
        &mut cluster,
        &admin,
        &reviewer,
    );
    for s in servers {
        s.stop();
    }
    drop(cluster);
    let mut report = result?;
    report.label = match o.engine {
        Engine::Sqlite => "SQLite, 1 instance".into(),
        Engine::Postgres => format!("PostgreSQL, {instances} instances"),
    };
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn drive(
    o: &Options,
    dir: &tempfile::TempDir,
    database: &Database,
    urls: &[String],
    servers: &mut [Server],
    cluster: &mut Option<countersign_pgtest::Cluster>,
    admin: &str,
    reviewer: &str,
) -> Result<Report, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // The console syncs from the first instance (never the one killed).
    let store = dir.path().join("console.db");
    let backend_id = {
        let s = Store::open(&store).map_err(|e| e.to_string())?;
        backends::upsert(s.conn(), "load", &urls[0], "countersign", false)
            .map_err(|e| e.to_string())?
            .backend_id
    };
    let client = Client::new(&urls[0], Some(admin.to_string()), ClientOptions::default())
        .map_err(|e| e.to_string())?;

    let mut keys = Vec::new();
    for i in 0..o.agents {
        let (_, key) =
            countersign_backend::create_key_in(database, &format!("load-agent-{i}"), Scope::Ingest)
                .map_err(|e| e.to_string())?;
        keys.push(key);
    }

    let tally: Arc<Mutex<Tally>> = Default::default();
    let stop_review = Arc::new(AtomicBool::new(false));
    let stop_console = Arc::new(AtomicBool::new(false));
    let reviewer_task = rt.spawn(review(
        urls.to_vec(),
        reviewer.to_string(),
        stop_review.clone(),
    ));
    let console_task = rt.spawn(console(
        store.clone(),
        backend_id.clone(),
        client,
        o.sync_interval,
        tally.clone(),
        stop_console.clone(),
    ));

    let started_us = now_us();
    let started = Instant::now();
    let mut agents = Vec::new();
    let mut readers = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let name = format!("load-agent-{i}");
        let mut cmd = Command::new(&o.bin);
        cmd.args(["backend", "load-agent", "--name", &name])
            .args(["--seconds", &o.seconds.to_string()])
            .args(["--batch", &o.batch.to_string()])
            .env("COUNTERSIGN_AGENT_KEY", key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // Agents spread over the instances: each starts on another one.
        for k in 0..urls.len() {
            cmd.args(["--url", &urls[(i + k) % urls.len()]]);
        }
        let mut child = cmd.spawn().map_err(|e| format!("start agent: {e}"))?;
        let out = child.stdout.take().ok_or("agent stdout")?;
        let t = tally.clone();
        readers.push(std::thread::spawn(move || read_agent(name, out, t)));
        agents.push(child);
    }

    // Faults, in time order.
    let mut faults: Vec<(f64, &str)> = Vec::new();
    if let Some(at) = o.faults.kill_instance_at {
        faults.push((at, "kill"));
    }
    if let Some(at) = o.faults.restart_postgres_at {
        faults.push((at, "restart"));
    }
    faults.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (at, what) in faults {
        let when = started + Duration::from_secs_f64(o.seconds * at);
        if let Some(rest) = when.checked_duration_since(Instant::now()) {
            // The fault's moment in the load, not synchronisation.
            std::thread::sleep(rest);
        }
        match what {
            "kill" => {
                let victim = servers.last_mut().ok_or("no server")?;
                // kill -9 by PID.
                victim.child.kill().map_err(|e| format!("kill -9: {e}"))?;
                let _ = victim.child.wait();
                eprintln!(
                    "fault: kill -9 server {} at {:.1} s",
                    victim.url,
                    started.elapsed().as_secs_f64()
                );
            }
            _ => {
                let c = cluster.as_mut().ok_or("restart needs PostgreSQL")?;
                let t = Instant::now();
                c.restart()?;
                eprintln!(
                    "fault: PostgreSQL restarted (fast stop + start, {:.1} s down) at {:.1} s",
                    t.elapsed().as_secs_f64(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }

    // The agents stop by themselves after `seconds` (and their last approval).
    let deadline = started + Duration::from_secs_f64(o.seconds) + Duration::from_secs(120);
    for mut a in agents {
        loop {
            match a.try_wait() {
                Ok(Some(status)) if status.success() => break,
                Ok(Some(status)) => return Err(format!("an agent failed: {status}")),
                Ok(None) if Instant::now() > deadline => {
                    let _ = a.kill();
                    let _ = a.wait();
                    return Err("an agent did not finish".into());
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    for r in readers {
        let _ = r.join();
    }
    stop_review.store(true, Ordering::Relaxed);
    stop_console.store(true, Ordering::Relaxed);
    let posted = rt.block_on(reviewer_task).map_err(|e| e.to_string())??;
    let (sync_lag_ms, sync_errors) = rt.block_on(console_task).map_err(|e| e.to_string())??;

    let t = tally.lock().map_err(|_| "tally")?;
    if !t.garbage.is_empty() {
        return Err(format!("unreadable agent output: {:?}", t.garbage));
    }
    let last_ack = t.acks.iter().map(|a| a.3).max().unwrap_or(started_us);
    let acked: u64 = t.acks.iter().map(|a| a.2).sum();
    let tables = Tables(database.clone());
    let stored: HashSet<String> = tables
        .strings("SELECT run_id FROM run_sources WHERE agent LIKE 'load-agent-%'")?
        .into_iter()
        .collect();
    let lost = t
        .acks
        .iter()
        .flat_map(|(name, first, count, _)| (*first..first + count).map(move |n| (name, n)))
        .filter(|(name, n)| !stored.contains(&format!("{name}-r{n}")))
        .count() as u64;
    let decision_wait_ms = t
        .decided
        .iter()
        .filter_map(|(id, (_, at))| {
            posted
                .get(id)
                .map(|p| at.saturating_sub(*p) as f64 / 1000.0)
        })
        .collect();
    let executed = t.executed.len() as u64;
    let executed_twice = t.executed.values().filter(|n| **n > 1).count() as u64;
    let store_conn = rusqlite::Connection::open(&store).map_err(|e| e.to_string())?;
    let runs_in_store: i64 = store_conn
        .query_row(
            "SELECT COUNT(*) FROM runs WHERE backend_id = ?1 AND run_id LIKE 'load-agent-%'",
            [&backend_id],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    Ok(Report {
        label: String::new(),
        acked_runs: acked,
        runs_in_db: tables
            .int("SELECT COUNT(*) FROM runs WHERE run_id LIKE 'load-agent-%'")? as u64,
        window_s: last_ack.saturating_sub(started_us) as f64 / 1e6,
        lost_runs: lost,
        duplicate_runs: tables.int(
            "SELECT COUNT(*) - COUNT(DISTINCT run_id) FROM runs WHERE run_id LIKE 'load-agent-%'",
        )? as u64,
        actions_asked: t.done.iter().map(|d| d.1).sum(),
        actions_in_db: tables
            .int("SELECT COUNT(*) FROM agent_actions WHERE agent LIKE 'load-agent-%'")?
            as u64,
        duplicate_actions: tables
            .ints(
                "SELECT COUNT(*) FROM agent_actions WHERE agent LIKE 'load-agent-%' \
                 GROUP BY agent, idempotency_key HAVING COUNT(*) > 1",
            )?
            .len() as u64,
        decided_twice: tables
            .ints(
                "SELECT COUNT(*) FROM decisions d JOIN agent_actions a ON a.action_id = d.action_id \
                 GROUP BY d.action_id HAVING COUNT(*) > 1",
            )?
            .len() as u64,
        executed,
        executed_twice,
        results_in_db: tables.int(
            "SELECT COUNT(*) FROM agent_actions WHERE agent LIKE 'load-agent-%' AND result IS NOT NULL",
        )? as u64,
        decision_wait_ms,
        sync_lag_ms,
        runs_in_store: runs_in_store as u64,
        retries: t.done.iter().map(|d| d.2).sum(),
        sync_errors,
    })
}
