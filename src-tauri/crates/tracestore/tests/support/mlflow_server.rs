//! A real MLflow tracking server from the venv (`scripts/venv-mlflow.sh`) on a loopback port,
//! with its SQLite store in a temp dir, and traces written into it by MLflow's own tracing SDK
//! (`mlflow_traces.py`).

use super::{free_port, log_tail, wait_healthy, wait_until};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The MLflow venv; fails loudly with the command that creates it.
pub fn mlflow_venv() -> PathBuf {
    let dir = std::env::var_os("COUNTERSIGN_VENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/countersign-venvs"))
        .join("mlflow");
    assert!(
        dir.join("bin/mlflow").exists(),
        "the MLflow venv is missing ({}): create it with `scripts/venv-mlflow.sh` \
         (or COUNTERSIGN_VENV_DIR=DIR scripts/venv-mlflow.sh)",
        dir.display()
    );
    dir
}

/// A running `mlflow server` (its own process group: the server and its uvicorn worker are
/// killed together by group id).
pub struct MlflowServer {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its SQLite store (`mlflow.db`), artifacts and log.
    pub dir: tempfile::TempDir,
    /// How long it took to answer `/health`.
    pub startup: Duration,
}

/// What `mlflow_traces.py` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The experiment's id.
    pub experiment_id: String,
    /// MLflow trace ids (`tr-…`), in the order written.
    pub traces: Vec<String>,
}

impl MlflowServer {
    /// Starts `mlflow server` on SQLite in a temp dir (one worker, telemetry and job
    /// execution off) and waits for `/health`, with a deadline.
    pub fn start() -> MlflowServer {
        let venv = mlflow_venv();
        let dir = tempfile::tempdir().expect("tmp");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("mlflow.log")).expect("log file");
        let started = Instant::now();
        seed_store(&venv, dir.path());
        let mut cmd = Command::new(venv.join("bin/mlflow"));
        cmd.arg("server")
            .arg("--backend-store-uri")
            .arg(format!(
                "sqlite:///{}",
                dir.path().join("mlflow.db").display()
            ))
            .arg("--default-artifact-root")
            .arg(dir.path().join("artifacts"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--workers", "1"])
            .current_dir(dir.path())
            .env("MLFLOW_DISABLE_TELEMETRY", "true")
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("start mlflow server");
        let mut s = MlflowServer {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            dir,
            startup: Duration::ZERO,
        };
        let log = s.dir.path().join("mlflow.log");
        if let Some(child) = s.child.as_mut() {
            wait_healthy("mlflow", child, &format!("{}/health", s.url), &log);
        }
        s.startup = started.elapsed();
        eprintln!("mlflow ready at {} in {:?}", s.url, s.startup);
        s
    }

    /// The end of its log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.dir.path().join("mlflow.log"))
    }

    /// Its SQLite store.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("mlflow.db")
    }

    /// Writes `count` agent traces (numbered from `first`) into `experiment` with MLflow's
    /// tracing SDK; every `fail_every`-th trace's tool call fails (0: none).
    pub fn write_traces(
        &self,
        experiment: &str,
        count: usize,
        first: usize,
        fail_every: usize,
    ) -> Written {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/mlflow_traces.py");
        let out = Command::new(mlflow_venv().join("bin/python"))
            .arg(script)
            .args([&self.url, experiment, &count.to_string()])
            .args(["--first", &first.to_string()])
            .args(["--fail-every", &fail_every.to_string()])
            .current_dir(self.dir.path())
            .env("MLFLOW_DISABLE_TELEMETRY", "true")
            .stdin(Stdio::null())
            .output()
            .expect("run mlflow_traces.py");
        assert!(
            out.status.success(),
            "mlflow_traces.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(line.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("mlflow_traces.py printed {line:?}: {e}"));
        let written = Written {
            experiment_id: v["experiment_id"].as_str().unwrap_or_default().to_string(),
            traces: v["traces"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
        };
        assert_eq!(written.traces.len(), count, "{line}");
        written
    }

    /// Finished traces MLflow holds in `experiment_id`.
    pub fn finished_traces(&self, experiment_id: &str) -> usize {
        let mut n = 0;
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}],
                "max_results": 500,
            });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let v = post_json(&format!("{}/api/3.0/mlflow/traces/search", self.url), &body);
            n += v["traces"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["state"] != "IN_PROGRESS")
                .count();
            match v["next_page_token"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return n,
            }
        }
    }

    /// Waits until MLflow holds exactly `n` finished traces in `experiment_id`.
    pub fn wait_traces(&self, experiment_id: &str, n: usize) {
        wait_until(
            &format!("{n} finished traces in MLflow experiment {experiment_id}"),
            Duration::from_secs(60),
            || self.finished_traces(experiment_id) == n,
        );
    }

    /// Changes MLflow's own store behind its back (to plant malformed data).
    pub fn edit_db(&self, sql: &str, params: &[&str]) -> usize {
        let conn = countersign_store::rusqlite::Connection::open(self.db()).expect("mlflow db");
        conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
        conn.execute(sql, countersign_store::rusqlite::params_from_iter(params))
            .expect("edit mlflow db")
    }

    /// Kills the server and its workers now (SIGKILL to the process group) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies the venv's empty, migrated MLflow store into `dir` (when `scripts/venv-mlflow.sh`
/// made one), pointing its Default experiment's artifacts into `dir`, so the server skips
/// MLflow's schema migrations; without it the server creates its store itself.
fn seed_store(venv: &Path, dir: &Path) {
    let template = venv.join("countersign-empty-store.db");
    if !template.exists() {
        return;
    }
    let db = dir.join("mlflow.db");
    std::fs::copy(&template, &db).expect("copy the empty mlflow store");
    let conn = countersign_store::rusqlite::Connection::open(&db).expect("mlflow db");
    let artifacts = dir.join("artifacts/0");
    conn.execute(
        "UPDATE experiments SET artifact_location = ?1 WHERE experiment_id = 0",
        [artifacts.display().to_string()],
    )
    .expect("default experiment artifacts");
}

/// POST JSON → JSON (panics unless 2xx).
fn post_json(url: &str, body: &Value) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).expect("json"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("POST reaches mlflow");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "POST {url}: {status} {text}");
        serde_json::from_str(&text).expect("json")
    })
}

/// The OTLP trace id (hex) of an MLflow trace id (`tr-<hex>`).
pub fn hex_of(trace: &str) -> &str {
    trace.strip_prefix("tr-").unwrap_or(trace)
}
