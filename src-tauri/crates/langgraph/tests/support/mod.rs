//! Test harness: a real `langgraph dev` serving the fixture graph (fixtures/graph) on a free
//! loopback port, a store with a LangGraph backend, and helpers to drive both.
#![allow(dead_code, missing_docs)]

use chrono::Utc;
use countersign_core::review::{ReviewInput, review_warnings};
use countersign_core::{DecisionKind, PendingAction, Role};
use countersign_langgraph::{Auth, KIND, LangGraphClient};
use countersign_store::outbox::Entry;
use countersign_store::{Store, actions, backends};
use countersign_sync::decide::{Reviewer, open_review, queue_decision};
use countersign_sync::retry::Backoff;
use countersign_sync::{Cancel, ClientOptions, SyncOptions, SyncReport};
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where scripts/venv-langgraph.sh puts the venv.
pub fn venv_dir() -> PathBuf {
    let root = std::env::var_os("COUNTERSIGN_VENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/countersign-venvs"));
    root.join("langgraph")
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/graph")
}

/// At most this many servers at once (each is a Python process; the machine has 2 cores).
const MAX_SERVERS: usize = 3;
static SERVERS: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

fn take_slot() {
    let mut n = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    while *n >= MAX_SERVERS {
        n = FREED.wait(n).unwrap_or_else(|p| p.into_inner());
    }
    *n += 1;
}

fn free_slot() {
    let mut n = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    *n = n.saturating_sub(1);
    FREED.notify_one();
}

/// A running `langgraph dev`, killed (its whole process group) when dropped.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub started_in: Duration,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

impl Server {
    /// Starts a server in a fresh working directory holding a copy of the fixture graph.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["langgraph.json", "graph.py"] {
            std::fs::copy(fixture_dir().join(f), dir.path().join(f)).expect("copy fixture");
        }
        Server::start_in(dir)
    }

    /// Starts a server serving the LangChain agents and the custom-interrupt graph of
    /// fixtures/graph/agents.py (beside the refund graph): its langgraph.json is
    /// langgraph-agents.json.
    pub fn start_agents() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["graph.py", "agents.py"] {
            std::fs::copy(fixture_dir().join(f), dir.path().join(f)).expect("copy fixture");
        }
        std::fs::copy(
            fixture_dir().join("langgraph-agents.json"),
            dir.path().join("langgraph.json"),
        )
        .expect("copy fixture");
        Server::start_in(dir)
    }

    /// Starts a server in `dir` (which holds the graph and, after a graceful stop, the
    /// server's persisted threads).
    pub fn start_in(dir: tempfile::TempDir) -> Server {
        let bin = venv_dir().join("bin/langgraph");
        assert!(
            bin.exists(),
            "the LangGraph venv is missing ({} not found): create it with `scripts/venv-langgraph.sh` \
             (set COUNTERSIGN_VENV_DIR to use another folder)",
            bin.display()
        );
        take_slot();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let t0 = Instant::now();
        let mut cmd = Command::new(&bin);
        cmd.args([
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
        ])
        .arg(port.to_string())
        .current_dir(dir.path())
        .env("LANGSMITH_TRACING", "false")
        .env("LANGGRAPH_CLI_NO_ANALYTICS", "1")
        .env("LANGGRAPH_NO_VERSION_CHECK", "true")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("spawn langgraph dev");
        let mut server = Server {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            dir,
            started_in: Duration::ZERO,
        };
        server.wait_ready(Duration::from_secs(90));
        server.started_in = t0.elapsed();
        server
    }

    fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("server.log")) {
            let _ = f.read_to_string(&mut s);
        }
        let tail: Vec<&str> = s.lines().rev().take(40).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Polls `GET /ok` on the port we chose until it answers, the process dies, or the deadline.
    fn wait_ready(&mut self, deadline: Duration) {
        let agent = std::time::Duration::from_millis(500);
        let answered = poll_until(deadline, Duration::from_millis(100), || {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "langgraph dev exited ({status}) before answering:\n{}",
                    self.log()
                );
            }
            http_ok(&self.url, agent)
        });
        assert!(
            answered,
            "langgraph dev did not answer on {} within {deadline:?} (it silently picks another \
             port when the asked one is taken):\n{}",
            self.url,
            self.log()
        );
    }

    /// SIGTERM: the server shuts down gracefully (persisting its threads to its folder).
    pub fn stop_gracefully(mut self) -> tempfile::TempDir {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "-TERM");
            // Wait for the exit itself (on a thread, with a deadline), then make sure.
            let pid = child.id();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(child.wait());
            });
            if rx.recv_timeout(Duration::from_secs(30)).is_err() {
                signal_group(pid, "-KILL");
                let _ = rx.recv();
            }
            free_slot();
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// SIGKILL of the whole process group, now.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "-KILL");
            let _ = child.wait();
            free_slot();
        }
    }
}

fn signal_group(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking `GET /ok` with a raw socket (no runtime needed).
fn http_ok(url: &str, timeout: Duration) -> bool {
    use std::io::Write;
    let addr = url.trim_start_matches("http://");
    let Ok(sock) = addr.parse::<std::net::SocketAddr>() else {
        return false;
    };
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&sock, timeout) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(timeout));
    if s.write_all(
        format!("GET /ok HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200") && buf.contains("\"ok\":true")
}

/// A client with quick retries, for tests.
pub fn client(url: &str) -> LangGraphClient {
    LangGraphClient::new(
        url,
        Auth::None,
        ClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 16 << 20,
            backoff: Backoff {
                attempts: 2,
                base: Duration::from_millis(20),
                cap: Duration::from_millis(100),
            },
            allow_plain_http: false,
        },
    )
    .expect("client")
}

/// A store file with a LangGraph backend registered for `url`; returns (dir, path, backend id).
pub fn store_with_backend(url: &str, config: Value) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.db");
    let store = Store::open(&path).expect("store");
    let b = backends::upsert(store.conn(), "LangGraph dev", url, KIND, false).expect("backend");
    backends::set_config(store.conn(), &b.backend_id, &config).expect("config");
    (dir, path, b.backend_id)
}

/// A full sync (no page limit).
pub async fn sync_all(path: &Path, backend_id: &str, c: &LangGraphClient) -> SyncReport {
    sync_with(path, backend_id, c, 50, None).await
}

pub async fn sync_with(
    path: &Path,
    backend_id: &str,
    c: &LangGraphClient,
    page_size: u32,
    max_pages: Option<u32>,
) -> SyncReport {
    let opts = SyncOptions {
        page_size,
        max_pages,
        ..Default::default()
    };
    countersign_langgraph::sync(path, backend_id, c, &opts, &Cancel::default(), &|_| {}).await
}

/// Raw HTTP against the server, outside the console (what a graph's own client would do).
pub async fn post(url: &str, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "POST {path}: {}", r.status());
    r.json().await.expect("json")
}

pub async fn get(url: &str, path: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .send()
        .await
        .expect("get");
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.json().await.expect("json")
}

/// Starts the fixture graph on a new thread and runs it until it stops (at its interrupt).
/// Returns the thread id.
pub async fn start_thread(url: &str, ticket: Value) -> String {
    let t = post(
        url,
        "/threads",
        json!({"metadata": {"user_id": "support-bot", "tenant": "acme"}}),
    )
    .await;
    let tid = t["thread_id"].as_str().expect("thread id").to_string();
    post(
        url,
        &format!("/threads/{tid}/runs/wait"),
        json!({"assistant_id": "refunds", "input": {"ticket": ticket}}),
    )
    .await;
    tid
}

/// Starts graph `graph` on a new thread with `input` and runs it until it stops. Returns the
/// thread id.
pub async fn start_graph(url: &str, graph: &str, input: Value) -> String {
    let t = post(
        url,
        "/threads",
        json!({"metadata": {"user_id": "support-bot", "tenant": "acme"}}),
    )
    .await;
    let tid = t["thread_id"].as_str().expect("thread id").to_string();
    post(
        url,
        &format!("/threads/{tid}/runs/wait"),
        json!({"assistant_id": graph, "input": input}),
    )
    .await;
    tid
}

/// Starts one of the LangChain agents (`hitl_batched`, `hitl_per_call`) with a user message.
pub async fn start_agent(url: &str, graph: &str) -> String {
    start_graph(
        url,
        graph,
        json!({"messages": [{"role": "user", "content": "refund ord_1001 and note it in the CRM"}]}),
    )
    .await
}

/// The tool messages of an agent thread's final state: (tool name, content).
pub async fn tool_messages(url: &str, tid: &str) -> Vec<(String, String)> {
    let v = state_values(url, tid).await;
    v["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["type"] == "tool")
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["content"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The runs of a thread that carry a console decision (`countersign_key` in their metadata).
pub async fn console_runs(url: &str, tid: &str) -> Vec<Value> {
    get(url, &format!("/threads/{tid}/runs"))
        .await
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["metadata"]["countersign_key"].is_string())
        .cloned()
        .collect()
}

/// The thread's status once no run of it is going any more.
pub async fn settled_status(url: &str, tid: &str) -> String {
    for _ in 0..300 {
        let t = get(url, &format!("/threads/{tid}")).await;
        let s = t["status"].as_str().unwrap_or_default().to_string();
        if s != "busy" {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("thread {tid} stayed busy");
}

/// The thread's final state values, read back from the server.
pub async fn state_values(url: &str, tid: &str) -> Value {
    get(url, &format!("/threads/{tid}/state")).await["values"].clone()
}

/// The pending interrupts of a thread, as the server lists them (interrupt ids).
pub async fn pending_interrupts(url: &str, tid: &str) -> Vec<String> {
    let t = get(url, &format!("/threads/{tid}")).await;
    let mut ids = Vec::new();
    if let Some(m) = t["interrupts"].as_object() {
        for list in m.values() {
            for i in list.as_array().into_iter().flatten() {
                if let Some(id) = i["id"].as_str() {
                    ids.push(id.to_string());
                }
            }
        }
    }
    ids
}

/// The actions of a thread in the store.
pub fn actions_of(path: &Path, backend_id: &str, tid: &str) -> Vec<PendingAction> {
    let store = Store::open(path).expect("store");
    actions::for_run(store.conn(), backend_id, tid).expect("actions")
}

/// A complete review: every field confirmed (re-entered values typed again), every warning
/// acknowledged, with `edits` replacing proposed values for approve-with-edits.
pub fn review(
    action: &PendingAction,
    kind: DecisionKind,
    edits: &[(&str, &str)],
    reason: Option<&str>,
) -> ReviewInput {
    let mut fields = std::collections::BTreeMap::new();
    let mut acknowledged = Vec::new();
    for f in &action.fields {
        let v = edits
            .iter()
            .find(|(n, _)| *n == f.name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| f.value.clone());
        fields.insert(f.name.clone(), v);
    }
    for w in review_warnings(&action.fields, &fields, &action.field_rules) {
        acknowledged.push(format!("{}:{}", w.field, w.code));
    }
    ReviewInput {
        decision: Some(kind),
        fields,
        acknowledged,
        reason: reason.map(str::to_string),
        escalate_to: None,
    }
}

/// What the app's console holds on a LangGraph backend (`countersign_connect::CONSOLE_ROLES`).
pub const CONSOLE: &[Role] = &[Role::Reviewer, Role::Operator];

/// The console's reviewer `actor` on a LangGraph backend.
pub fn console(actor: &str) -> Reviewer<'_> {
    Reviewer {
        actor,
        roles: CONSOLE,
        min_review: Duration::from_secs(5),
    }
}

/// Queues a decision the way the app does (opened half a minute earlier).
pub fn decide(
    path: &Path,
    backend_id: &str,
    action_id: &str,
    input: &ReviewInput,
    actor: &str,
) -> Entry {
    let mut store = Store::open(path).expect("store");
    let who = console(actor);
    let at = Utc::now() - chrono::Duration::seconds(30);
    open_review(&mut store, backend_id, action_id, &who, at).expect("open review");
    queue_decision(&mut store, backend_id, action_id, input, &who, Utc::now())
        .expect("queue decision")
}

/// (id, revision, status) of every action and (id, revision, outcome) of every run in a store,
/// sorted: two stores synced from the same server must agree on it.
pub type Rows = Vec<(String, i64, String)>;

pub fn snapshot(path: &Path) -> (Rows, Rows) {
    let store = Store::open(path).expect("store");
    let q = |sql: &str| -> Rows {
        let mut st = store.conn().prepare(sql).expect("prepare");
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows")
    };
    (
        q("SELECT action_id, revision, status FROM actions ORDER BY action_id"),
        q("SELECT run_id, revision, outcome FROM runs ORDER BY run_id"),
    )
}

/// Checks `cond` until it holds (true) or `deadline` passes (false), pausing `every` between
/// checks: the one polling loop of these tests, for conditions that have no event to wait on
/// (a port answering, rows appearing in a store another process writes).
pub fn poll_until(deadline: Duration, every: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + deadline;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(every);
    }
}
