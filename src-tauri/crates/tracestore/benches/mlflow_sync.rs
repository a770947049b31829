//! MLflow sync throughput against a real `mlflow server` (SQLite store, from
//! `scripts/venv-mlflow.sh`): N agent traces (5 spans each) written by MLflow's tracing SDK,
//! then synced into fresh stores, in this process and as a whole `countersign sync --kind
//! mlflow` process.
//!
//!   cargo build --release -p countersign-cli      # for the whole-process figure
//!   cargo bench -p countersign-tracestore --bench mlflow_sync -- [N=500] [ROUNDS=3]
//!
//! Prints traces/s and spans/s of a full sync (median of ROUNDS, fresh store each time), the
//! time of a sync with nothing new, and the wall time of the CLI doing the same full sync.

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use countersign_tracestore::{Cancel, Client, mlflow};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::mlflow_server::MlflowServer;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(500);
    let rounds = args.get(1).copied().unwrap_or(3).max(1);
    let server = MlflowServer::start();
    let t = Instant::now();
    let written = server.write_traces("bench", n, 0, 10);
    server.wait_traces(&written.experiment_id, n);
    println!(
        "mlflow {}: wrote {n} traces ({} spans) with the tracing SDK in {:.1} s",
        server.url,
        n * 5,
        t.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("tmp");
    let config = json!({"experiment": "bench"});
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = Client::mlflow(&server.url, None, support::client_opts()).expect("client");
    let opts = countersign_sync::SyncOptions::default();

    let mut full = Vec::new();
    let mut last = PathBuf::new();
    let mut backend = String::new();
    for round in 0..rounds {
        let store = dir.path().join(format!("round-{round}.db"));
        backend = support::register(&store, "MLflow", &server.url, mlflow::KIND, config.clone());
        let t = Instant::now();
        let r = rt.block_on(mlflow::sync(
            &store,
            &backend,
            &client,
            &opts,
            &Cancel::default(),
            &|_| {},
        ));
        let took = t.elapsed();
        assert_eq!((r.error.clone(), r.runs as usize), (None, n), "{r:?}");
        full.push(took);
        last = store;
    }
    full.sort();
    let median = full[full.len() / 2];
    let secs = median.as_secs_f64();
    println!(
        "in-process full sync of {n} traces: {:.2} s median of {rounds} ({:.0} traces/s, {:.0} spans/s; runs {:?})",
        secs,
        n as f64 / secs,
        (n * 5) as f64 / secs,
        full
    );
    let t = Instant::now();
    let again = rt.block_on(mlflow::sync(
        &last,
        &backend,
        &client,
        &opts,
        &Cancel::default(),
        &|_| {},
    ));
    assert_eq!((again.error.clone(), again.runs), (None, 0), "{again:?}");
    println!(
        "in-process sync with nothing new ({} pages of trace infos re-read in the lookback window): {:.0} ms",
        again.pages,
        t.elapsed().as_secs_f64() * 1000.0
    );
    cli_sync(&server.url, dir.path(), n);
}

/// Times `countersign sync --kind mlflow` (release build next to this bench) into a fresh store.
fn cli_sync(url: &str, dir: &Path, n: usize) {
    let exe = std::env::current_exe().expect("bench path");
    let cli = exe
        .parent()
        .and_then(Path::parent)
        .map(|release| release.join("countersign"))
        .filter(|p| p.exists());
    let Some(cli) = cli else {
        println!("whole process: build the CLI first (cargo build --release -p countersign-cli)");
        return;
    };
    let store = dir.join("cli.db");
    let t = Instant::now();
    let out = std::process::Command::new(&cli)
        .args(["sync", "--store"])
        .arg(&store)
        .args(["--url", url, "--kind", "mlflow", "--name", "MLflow bench"])
        .args(["--config", r#"{"experiment":"bench"}"#])
        .output()
        .expect("run countersign");
    let took: Duration = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "whole process `{} sync --kind mlflow` of {n} traces: {:.2} s ({:.0} traces/s), said: {}",
        cli.display(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
}
