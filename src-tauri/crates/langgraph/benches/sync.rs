//! LangGraph sync benchmark: a real `langgraph dev` holding N interrupted threads of the
//! fixture graph, synced into a fresh store (runs/s and actions/s), printed beside the native
//! sync of N runs from the reference backend over the same loopback HTTP. With the CLI built
//! (`cargo build --release -p countersign-cli`), it also times the whole process:
//! `countersign sync --kind langgraph` into another fresh store.
//!
//! `cargo bench -p countersign-langgraph --bench sync -- [THREADS]` (default 1000; needs
//! `scripts/venv-langgraph.sh`).

#[path = "../tests/support/mod.rs"]
mod support;

use countersign_store::{Store, backends};
use countersign_sync::{Cancel, Client, ClientOptions, SyncOptions, sync_backend};
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// Threads created at once against the server.
const PARALLEL: usize = 8;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = support::Server::start();
    eprintln!(
        "langgraph dev ready in {:.1} s",
        server.started_in.as_secs_f64()
    );
    let url = server.url.clone();

    rt.block_on(async {
        let t = Instant::now();
        let mut made = 0usize;
        while made < n {
            let batch = PARALLEL.min(n - made);
            let mut set = tokio::task::JoinSet::new();
            for k in 0..batch {
                let url = url.clone();
                let i = made + k;
                set.spawn(async move {
                    // A refund of one of the fixture graph's orders: it stops at its review.
                    let order = if i.is_multiple_of(2) { "ord_1001" } else { "ord_1002" };
                    support::start_thread(&url, json!({"kind": "refund", "order_id": order})).await
                });
            }
            while let Some(r) = set.join_next().await {
                r.expect("thread");
            }
            made += batch;
        }
        eprintln!(
            "created {n} interrupted threads in {:.1} s",
            t.elapsed().as_secs_f64()
        );

        // LangGraph, in process.
        let (_d, path, id) = support::store_with_backend(&url, json!({}));
        let client = support::client(&url);
        let t = Instant::now();
        let report = support::sync_all(&path, &id, &client).await;
        let lg_s = t.elapsed().as_secs_f64();
        assert_eq!(report.error, None, "langgraph sync failed");
        let (actions, runs) = support::snapshot(&path);
        assert_eq!(runs.len(), n, "every thread became a run");
        assert!(
            actions.len() >= n,
            "every interrupt became an action: {} actions for {n} threads",
            actions.len()
        );

        // Native, in process: the same number of runs from the reference backend.
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("backend");
        countersign_backend::seed_runs_direct(&data, n as u64, 7).expect("seed");
        let backend = countersign_backend::start(countersign_backend::Config {
            data_dir: data,
            seed_runs: 0,
            trickle: 0.0,
            ..Default::default()
        })
        .await
        .expect("backend");
        let npath = dir.path().join("native.db");
        let nid = {
            let s = Store::open(&npath).expect("store");
            backends::upsert(s.conn(), "bench", &backend.url, "countersign", false)
                .expect("backend")
                .backend_id
        };
        let nclient = Client::new(
            &backend.url,
            Some(backend.token.clone()),
            ClientOptions::default(),
        )
        .expect("client");
        let t = Instant::now();
        let nreport = sync_backend(
            &npath,
            &nid,
            &nclient,
            &SyncOptions::default(),
            &Cancel::default(),
            &|_| {},
        )
        .await;
        let native_s = t.elapsed().as_secs_f64();
        assert_eq!(nreport.error, None, "native sync failed");
        assert_eq!(nreport.runs, n as u64);

        println!(
            "machine: {} cores",
            std::thread::available_parallelism()
                .map(|c| c.get())
                .unwrap_or(0)
        );
        println!("threads: {n} (each interrupted once)");
        println!(
            "langgraph sync (in process): {:>7.0} runs/s {:>7.0} actions/s  ({lg_s:.2} s, {} actions)",
            runs.len() as f64 / lg_s,
            actions.len() as f64 / lg_s,
            actions.len()
        );
        println!(
            "native sync    (in process): {:>7.0} runs/s                    ({native_s:.2} s)",
            n as f64 / native_s
        );

        // LangGraph, whole process: the CLI as a user runs it.
        match cli_binary() {
            Some(cli) => {
                let store = tempfile::tempdir().expect("tmp");
                let t = Instant::now();
                let out = Command::new(&cli)
                    .args(["sync", "--kind", "langgraph", "--url", &url, "--store"])
                    .arg(store.path().join("cli.db"))
                    .output()
                    .expect("run the CLI");
                let cli_s = t.elapsed().as_secs_f64();
                assert!(
                    out.status.success(),
                    "countersign sync failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                println!(
                    "langgraph sync (CLI, whole process): {:>7.0} runs/s  ({cli_s:.2} s, {})",
                    n as f64 / cli_s,
                    cli.display()
                );
            }
            None => println!(
                "langgraph sync (CLI): skipped, build it first: cargo build --release -p countersign-cli"
            ),
        }
    });
}

/// The release CLI in the cargo target directory, when built.
fn cli_binary() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target"));
    let p = target.join("release/countersign");
    p.exists().then_some(p)
}
