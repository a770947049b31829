//! Test harness: a real Phoenix server from the venv (`scripts/venv-phoenix.sh`), OTLP/JSON
//! fixtures sent to it as OTLP protobuf, store helpers, and a sync worker process to SIGKILL.

#![allow(dead_code)]

pub mod mlflow_server;

use countersign_store::{Store, backends, rusqlite};
use prost::Message;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The otel crate's committed fixtures.
pub fn otel_fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../otel/fixtures")
        .join(name);
    let bytes = std::fs::read(&path).expect("otel fixture is committed");
    serde_json::from_slice(&bytes).expect("fixture is JSON")
}

/// Fixtures that hold real pydantic-ai / OpenInference traces.
pub const FIXTURES: &[&str] = &[
    "pydantic_ai_support.json",
    "pydantic_ai_deferred.json",
    "pydantic_ai_pending.json",
    "pydantic_ai_resumed.json",
    "openinference_pydantic_ai.json",
    "openinference_rag.json",
];

/// A free loopback port (bound to 127.0.0.1:0 and released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Polls `cond` until it holds (true) or `limit` passes (false).
pub fn poll_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Polls `cond` until it holds or `limit` passes; panics with `what` on timeout.
pub fn wait_until(what: &str, limit: Duration, cond: impl FnMut() -> bool) {
    assert!(
        poll_until(limit, cond),
        "timed out after {limit:?} waiting for {what}"
    );
}

/// Waits until a server `child` we started answers 200 at `health`: panics at once with the
/// end of its log at `log` if it exits, or after a 180 s deadline.
pub fn wait_healthy(name: &str, child: &mut Child, health: &str, log: &Path) {
    let deadline = Duration::from_secs(180);
    let mut exited = None;
    let up = poll_until(deadline, || {
        exited = child.try_wait().ok().flatten();
        exited.is_some() || reqwest_get(health).0 == 200
    });
    if let Some(status) = exited {
        panic!(
            "{name} exited ({status}) during start-up:\n{}",
            log_tail(log)
        );
    }
    assert!(
        up,
        "{name} did not answer within {deadline:?}:\n{}",
        log_tail(log)
    );
}

/// The last 40 lines of a server's log file.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The Python of the Phoenix venv; fails loudly with the command that creates it.
pub fn phoenix_python() -> PathBuf {
    let dir = std::env::var_os("COUNTERSIGN_VENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/countersign-venvs"));
    let py = dir.join("phoenix/bin/python");
    assert!(
        py.exists(),
        "the Phoenix venv is missing ({}): create it with `scripts/venv-phoenix.sh` \
         (or COUNTERSIGN_VENV_DIR=DIR scripts/venv-phoenix.sh)",
        py.display()
    );
    py
}

/// A real Phoenix server on loopback ports, killed by process id when dropped.
pub struct Phoenix {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its working directory (SQLite database, log).
    pub dir: tempfile::TempDir,
    /// How long it took to answer `/healthz`.
    pub startup: Duration,
}

impl Phoenix {
    /// Starts Phoenix (HTTP and gRPC both on 127.0.0.1, telemetry off, a temp working dir)
    /// and waits until it answers.
    pub fn start() -> Phoenix {
        let python = phoenix_python();
        let dir = tempfile::tempdir().expect("tmp");
        let port = free_port();
        let grpc = free_port();
        let log = std::fs::File::create(dir.path().join("phoenix.log")).expect("log file");
        let launcher =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/phoenix_loopback.py");
        let started = Instant::now();
        let child = Command::new(python)
            .arg(launcher)
            .env("PHOENIX_TELEMETRY_ENABLED", "false")
            .env("PHOENIX_WORKING_DIR", dir.path())
            .env("PHOENIX_HOST", "127.0.0.1")
            .env("PHOENIX_PORT", port.to_string())
            .env("PHOENIX_GRPC_PORT", grpc.to_string())
            .env("PHOENIX_ENABLE_AUTH", "false")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start phoenix");
        let mut p = Phoenix {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            startup: Duration::ZERO,
        };
        let log = p.dir.path().join("phoenix.log");
        wait_healthy("phoenix", &mut p.child, &format!("{}/healthz", p.url), &log);
        p.startup = started.elapsed();
        eprintln!("phoenix ready at {} in {:?}", p.url, p.startup);
        p
    }

    /// The end of its log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.dir.path().join("phoenix.log"))
    }

    /// Sends OTLP/JSON (one document) to `/v1/traces` as OTLP protobuf, under `project`.
    pub fn send(&self, doc: &Value, project: &str) {
        let body = to_protobuf(doc, project);
        let resp = reqwest_post(
            &format!("{}/v1/traces", self.url),
            "application/x-protobuf",
            body,
        );
        assert!(resp.0 < 300, "POST /v1/traces: {} {}", resp.0, resp.1);
    }

    /// Spans Phoenix has stored for `project` (0 when the project does not exist yet).
    pub fn span_count(&self, project: &str) -> usize {
        let mut n = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/v1/projects/{project}/spans?limit=1000", self.url);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let (status, body) = reqwest_get(&url);
            if status == 404 {
                return 0;
            }
            assert_eq!(status, 200, "{body}");
            let v: Value = serde_json::from_str(&body).expect("spans page");
            n += v["data"].as_array().map_or(0, Vec::len);
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return n,
            }
        }
    }

    /// Waits until Phoenix has stored exactly `n` spans of `project` (it stores them
    /// asynchronously after answering the POST).
    pub fn wait_spans(&self, project: &str, n: usize) {
        let mut last = 0;
        wait_until(
            &format!("{n} spans in phoenix project {project}"),
            Duration::from_secs(60),
            || {
                last = self.span_count(project);
                assert!(last <= n, "phoenix holds {last} spans, more than {n}");
                last == n
            },
        );
    }

    /// Kills the server now (SIGKILL by process id) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Phoenix {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A current-thread runtime for one blocking HTTP call of the harness.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// GET → (status, body); status 0 when the server cannot be reached.
pub fn reqwest_get(url: &str) -> (u16, String) {
    runtime().block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        match client.get(url).send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                (s, r.text().await.unwrap_or_default())
            }
            Err(_) => (0, String::new()),
        }
    })
}

fn reqwest_post(url: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    runtime().block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let r = client
            .post(url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST reaches phoenix");
        let s = r.status().as_u16();
        (s, r.text().await.unwrap_or_default())
    })
}

/// OTLP/JSON → OTLP protobuf (`ExportTraceServiceRequest`): ids normalised to hex (the
/// pydantic-ai fixtures carry protobuf-JSON base64 ids), every resource tagged with the
/// Phoenix project (`openinference.project.name`).
pub fn to_protobuf(doc: &Value, project: &str) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    let mut doc = doc.clone();
    for rs in doc["resourceSpans"].as_array_mut().into_iter().flatten() {
        let attrs = rs["resource"]["attributes"].as_array_mut();
        let tag = serde_json::json!({"key": "openinference.project.name", "value": {"stringValue": project}});
        match attrs {
            Some(a) => a.push(tag),
            None => rs["resource"] = serde_json::json!({"attributes": [tag]}),
        }
        for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
            for span in ss["spans"].as_array_mut().into_iter().flatten() {
                // protobuf-JSON enum names → numbers (the serde mapping takes numbers).
                if let Some(k) = span["kind"].as_str() {
                    let n = [
                        "UNSPECIFIED",
                        "INTERNAL",
                        "SERVER",
                        "CLIENT",
                        "PRODUCER",
                        "CONSUMER",
                    ]
                    .iter()
                    .position(|x| k.ends_with(x))
                    .unwrap_or(0);
                    span["kind"] = Value::from(n);
                }
                if let Some(c) = span["status"]["code"].as_str() {
                    let n = ["UNSET", "OK", "ERROR"]
                        .iter()
                        .position(|x| c.ends_with(x))
                        .unwrap_or(0);
                    span["status"]["code"] = Value::from(n);
                }
                for (key, bytes) in [("traceId", 16), ("spanId", 8), ("parentSpanId", 8)] {
                    if let Some(text) = span[key].as_str() {
                        let hex =
                            countersign_otel::otlp::decode_id(text, bytes).unwrap_or_default();
                        span[key] = Value::String(hex);
                    }
                }
            }
        }
    }
    let req: ExportTraceServiceRequest =
        serde_json::from_value(doc).expect("fixture reads as an OTLP ExportTraceServiceRequest");
    req.encode_to_vec()
}

/// Every span of an OTLP/JSON document as its own single-span document (to split traces).
pub fn span_docs(doc: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for span in ss["spans"].as_array().into_iter().flatten() {
                out.push(serde_json::json!({"resourceSpans": [{
                    "resource": rs["resource"],
                    "scopeSpans": [{"scope": ss["scope"], "spans": [span]}],
                }]}));
            }
        }
    }
    out
}

/// Merges single-span documents into one document.
pub fn merge_docs(docs: &[Value]) -> Value {
    let all: Vec<Value> = docs
        .iter()
        .flat_map(|d| d["resourceSpans"].as_array().cloned().unwrap_or_default())
        .collect();
    serde_json::json!({ "resourceSpans": all })
}

/// The same document with every trace and span id changed (XOR of the last two bytes with
/// `salt`, parents alike), so a fixture can be sent again as new traces.
pub fn with_new_ids(doc: &Value, salt: u16) -> Value {
    let mut doc = doc.clone();
    let salted = |text: &str, bytes: usize| {
        countersign_otel::otlp::decode_id(text, bytes).map(|t| {
            let cut = t.len() - 4;
            let tail = u16::from_str_radix(&t[cut..], 16).unwrap_or(0) ^ salt;
            format!("{}{tail:04x}", &t[..cut])
        })
    };
    for rs in doc["resourceSpans"].as_array_mut().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
            for span in ss["spans"].as_array_mut().into_iter().flatten() {
                for (key, bytes) in [("traceId", 16), ("spanId", 8), ("parentSpanId", 8)] {
                    if let Some(id) = span[key].as_str().and_then(|t| salted(t, bytes)) {
                        span[key] = Value::String(id);
                    }
                }
            }
        }
    }
    doc
}

/// A store file with one backend of `kind` at `url` with `config`; returns the backend id.
pub fn register(store: &Path, name: &str, url: &str, kind: &str, config: Value) -> String {
    let s = Store::open(store).expect("store");
    let b = backends::upsert(s.conn(), name, url, kind, false).expect("backend");
    backends::set_config(s.conn(), &b.backend_id, &config).expect("config");
    b.backend_id
}

/// `(run_id, revision, body)` of every run of a backend, by run id.
pub fn runs_of(store: &Path, backend_id: &str) -> Vec<(String, i64, String)> {
    let s = Store::open(store).expect("store");
    let mut st = s
        .conn()
        .prepare("SELECT run_id, revision, body FROM runs WHERE backend_id = ?1 ORDER BY run_id")
        .expect("query");
    st.query_map([backend_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

/// `(trace_id, span_id, body)` of every stored span of a backend.
pub fn spans_of(store: &Path, backend_id: &str) -> Vec<(String, String, Vec<u8>)> {
    let s = Store::open(store).expect("store");
    let mut st = s
        .conn()
        .prepare(
            "SELECT trace_id, span_id, body FROM trace_spans WHERE backend_id = ?1
             ORDER BY trace_id, span_id",
        )
        .expect("query");
    st.query_map([backend_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

/// Number of spans stored for a backend (read while a sync may be writing).
pub fn span_count_in_store(store: &Path) -> usize {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    conn.query_row("SELECT count(*) FROM trace_spans", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as usize)
    .unwrap_or(0)
}

/// Starts this test binary again as a sync worker: the test named `worker_test` runs
/// `kind`'s sync of `backend_id` in `store` against `url` (page size `page`), until done.
pub fn spawn_worker(
    worker_test: &str,
    kind: &str,
    store: &Path,
    backend_id: &str,
    url: &str,
    secret: &str,
    page: u32,
) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([worker_test, "--exact", "--nocapture", "--test-threads=1"])
        .env("CS_TRACESTORE_WORKER", kind)
        .env("CS_TRACESTORE_STORE", store)
        .env("CS_TRACESTORE_BACKEND", backend_id)
        .env("CS_TRACESTORE_URL", url)
        .env("CS_TRACESTORE_SECRET", secret)
        .env("CS_TRACESTORE_PAGE", page.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker starts")
}

/// Client options for tests: short timeouts, few quick retries.
pub fn client_opts() -> countersign_sync::ClientOptions {
    countersign_sync::ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(20),
        backoff: countersign_sync::retry::Backoff {
            attempts: 2,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        ..Default::default()
    }
}

/// The body of the worker test: runs the sync named by the environment, or returns at once
/// when this process is not a worker.
pub fn worker_main() {
    let Ok(kind) = std::env::var("CS_TRACESTORE_WORKER") else {
        return;
    };
    let var = |k: &str| std::env::var(k).expect("worker variable");
    let store = PathBuf::from(var("CS_TRACESTORE_STORE"));
    let backend = var("CS_TRACESTORE_BACKEND");
    let url = var("CS_TRACESTORE_URL");
    let secret = var("CS_TRACESTORE_SECRET");
    let page: u32 = var("CS_TRACESTORE_PAGE").parse().expect("page size");
    let opts = countersign_sync::SyncOptions {
        page_size: page,
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let report = rt.block_on(async {
        let cancel = countersign_tracestore::Cancel::default();
        if kind == countersign_tracestore::mlflow::KIND {
            let c =
                countersign_tracestore::Client::mlflow(&url, None, client_opts()).expect("client");
            countersign_tracestore::mlflow::sync(&store, &backend, &c, &opts, &cancel, &|_| {})
                .await
        } else if kind == countersign_tracestore::phoenix::KIND {
            let c =
                countersign_tracestore::Client::phoenix(&url, None, client_opts()).expect("client");
            countersign_tracestore::phoenix::sync(&store, &backend, &c, &opts, &cancel, &|_| {})
                .await
        } else {
            let c = countersign_tracestore::Client::langfuse(&url, &secret, client_opts())
                .expect("client");
            countersign_tracestore::langfuse::sync(&store, &backend, &c, &opts, &cancel, &|_| {})
                .await
        }
    });
    assert_eq!(report.error, None, "worker sync failed");
}

/// Waits on the condition (the store holds at least `kill_at` spans), then SIGKILLs the
/// worker; then checks that nothing stored before was lost. Returns whether the worker was
/// killed (it may finish first) and the new floor of stored spans.
pub fn kill_when_stored(
    child: &mut Child,
    store: &Path,
    kill_at: usize,
    floor: usize,
    round: usize,
) -> (bool, usize) {
    let reached = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break false;
        }
        if span_count_in_store(store) >= kill_at {
            break true;
        }
        std::thread::yield_now();
    };
    if reached {
        child.kill().expect("SIGKILL");
    }
    let _ = child.wait();
    let n = span_count_in_store(store);
    assert!(
        n >= floor,
        "round {round}: nothing stored is lost ({n} < {floor})"
    );
    (reached, n)
}

/// Where a kill-and-resume test syncs: the worker's kind, store, backend, URL, secret and page.
pub struct KillTarget<'a> {
    pub kind: &'a str,
    pub store: &'a Path,
    pub backend_id: &'a str,
    pub url: &'a str,
    pub secret: &'a str,
    pub page: u32,
}

/// Four rounds of a sync worker SIGKILLed at a pseudo-random span count (from `seed`, at most
/// `spread` spans past what is stored), each checking nothing stored is lost; asserts that at
/// least two rounds were killed mid-sync (a worker may also finish first).
pub fn kill_rounds(t: &KillTarget<'_>, seed: u64, spread: usize) {
    let mut x = seed;
    let mut floor = 0usize;
    let mut kills = 0;
    for round in 0..4 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let kill_at = floor + 10 + (x >> 33) as usize % spread;
        let mut child = spawn_worker(
            "sync_worker",
            t.kind,
            t.store,
            t.backend_id,
            t.url,
            t.secret,
            t.page,
        );
        let (killed, n) = kill_when_stored(&mut child, t.store, kill_at, floor, round);
        kills += usize::from(killed);
        floor = n;
    }
    assert!(kills >= 2, "the worker was killed mid-sync ({kills} kills)");
}

/// Sync options asking for pages of `n` records.
pub fn paged(n: u32) -> countersign_sync::SyncOptions {
    countersign_sync::SyncOptions {
        page_size: n,
        ..Default::default()
    }
}

/// The run stored for an OTLP trace id (hex); panics if there is none.
pub fn stored_run(store: &Path, backend: &str, trace_hex: &str) -> countersign_core::Run {
    let s = Store::open(store).expect("store");
    countersign_store::runs::get(s.conn(), backend, &format!("otel-{trace_hex}"))
        .expect("read")
        .unwrap_or_else(|| panic!("run of trace {trace_hex} stored"))
}
