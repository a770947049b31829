//! Ingest benchmark: runs/s synced over loopback HTTP from the reference backend into a fresh
//! store (indexed for search as they are stored), next to the same records inserted straight
//! into SQLite (parse + upsert, no HTTP, queued for search); then how fast the deferred
//! full-text indexing (other connectors' path) makes those searchable.
//!
//! Then, as a user runs it: `countersign backend serve` and `countersign sync` as separate
//! processes (the release CLI next to the bench, or `--cli PATH`), timed from the sync's start
//! to its exit — which includes the search indexing it does before exiting.
//!
//! `cargo bench --bench ingest -- [RUNS] [--cli PATH]` (default 100000). Prints every figure
//! and the ratio.
//!
//! Build the CLI first (`cargo build --release -p countersign-cli`): building or running the
//! bench does not rebuild it, and a stale binary measures old code.

use countersign_core::RunColumns;
use countersign_store::{Store, backends, runs};
use countersign_sync::plan::plan_page;
use countersign_sync::{Cancel, Client, ClientOptions, SyncOptions, sync_backend};
use serde_json::value::RawValue;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("backend");
    let t = Instant::now();
    countersign_backend::seed_runs_direct(&data, n, 7).expect("seed");
    eprintln!(
        "seeded {n} runs in the backend in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let whole = cli_binary(&args).map(|bin| whole_process(&bin, &data, dir.path(), n));

    rt.block_on(async {
        let config = countersign_backend::Config {
            data_dir: data,
            seed_runs: 0,
            trickle: 0.0,
            ..Default::default()
        };
        let backend = countersign_backend::start(config).await.expect("backend");

        // Over HTTP: the real sync engine into a fresh store.
        let store_path = dir.path().join("http.db");
        let id = {
            let s = Store::open(&store_path).expect("store");
            backends::upsert(s.conn(), "bench", &backend.url, "countersign", false)
                .expect("backend")
                .backend_id
        };
        let client = Client::new(
            &backend.url,
            Some(backend.token.clone()),
            ClientOptions::default(),
        )
        .expect("client");
        let page_size = std::env::var("INGEST_PAGE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(SyncOptions::default().page_size);
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        let report = sync_backend(
            &store_path,
            &id,
            &client,
            &SyncOptions {
                page_size,
                ..Default::default()
            },
            &Cancel::default(),
            &|_| {},
        )
        .await;
        let http_s = t.elapsed().as_secs_f64();
        let http_cpu = cpu_seconds() - cpu0;
        assert_eq!(report.error, None, "sync failed");
        assert_eq!(report.runs, n, "every run ingested");
        // The native sync indexes runs for search as it stores them.
        let left = countersign_sync::index_search(&store_path, 5_000, &Cancel::default())
            .await
            .expect("index");
        assert_eq!(left, 0, "the native sync left runs to index");

        // The same records, fetched once (untimed), then parsed and inserted directly.
        let mut pages: Vec<Vec<Box<RawValue>>> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let p = client
                .page("runs", cursor.as_deref(), 1000)
                .await
                .expect("page");
            let more = p.has_more && !p.items.is_empty();
            cursor = Some(p.next_cursor);
            pages.push(p.items);
            if !more {
                break;
            }
        }
        let direct_path = dir.path().join("direct.db");
        let mut store = Store::open(&direct_path).expect("store");
        let bid = backends::upsert(store.conn(), "bench", &backend.url, "countersign", false)
            .expect("b")
            .backend_id;
        let now = chrono::Utc::now();
        let t = Instant::now();
        let mut inserted = 0u64;
        for items in &pages {
            let plan = plan_page::<RunColumns>(items, 1 << 20);
            let tx = store.write().expect("tx");
            for a in &plan.accepted {
                runs::upsert_deferred(&tx, &bid, &a.record, &a.raw, now, 365).expect("upsert");
                inserted += 1;
            }
            tx.commit().expect("commit");
        }
        let direct_s = t.elapsed().as_secs_f64();
        assert_eq!(inserted, n);
        drop(store);
        // The deferred indexing that connectors storing runs unindexed rely on.
        let t = Instant::now();
        let indexed = countersign_sync::index_search(&direct_path, 5_000, &Cancel::default())
            .await
            .expect("index");
        let index_s = t.elapsed().as_secs_f64();
        assert_eq!(indexed, n, "every run indexed for search");
        let size = std::fs::metadata(&store_path).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(store_path.with_extension("db-wal"))
                .map(|m| m.len())
                .unwrap_or(0);
        println!(
            "machine: {} cores",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0)
        );
        println!("runs: {n}");
        println!(
            "http sync   : {:>9.0} runs/s  ({http_s:.2} s, {} pages, search indexing included)",
            n as f64 / http_s,
            report.pages
        );
        println!(
            "direct write: {:>9.0} runs/s  ({direct_s:.2} s: parse + store, queued for search)",
            n as f64 / direct_s
        );
        println!(
            "http cpu    : {:>9.1} µs/run (backend + console, user + system)",
            1e6 * http_cpu / n as f64
        );
        println!("http / direct: {:.0} %", 100.0 * direct_s / http_s);
        println!(
            "search index: {:>9.0} runs/s  ({index_s:.2} s: the queued direct writes, as other \
             connectors' runs are indexed after their sync)",
            n as f64 / index_s
        );
        println!("store size: {:.0} bytes/run", size as f64 / n as f64);
        match &whole {
            Some(w) => println!("{w}"),
            None => println!(
                "whole process: skipped (no release CLI; cargo build --release -p countersign-cli)"
            ),
        }
        backend.shutdown().await;
    });
}

/// The CLI to run as a user would: `--cli PATH`, else the release build next to this bench.
fn cli_binary(args: &[String]) -> Option<std::path::PathBuf> {
    if let Some(p) = args
        .iter()
        .position(|a| a == "--cli")
        .and_then(|i| args.get(i + 1))
    {
        return Some(p.into());
    }
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("countersign");
    bin.is_file().then_some(bin)
}

/// `countersign backend serve` over the seeded data in one process, `countersign sync` into a
/// new store in another, timed from spawning the sync to its exit (download, store, search
/// indexing). Returns the lines to print.
fn whole_process(
    bin: &std::path::Path,
    data: &std::path::Path,
    tmp: &std::path::Path,
    n: u64,
) -> String {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut serve = Command::new(bin)
        .args([
            "backend",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trickle",
            "0",
            "--seed-runs",
            "0",
        ])
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(serve.stdout.take().expect("stdout")).lines();
    let mut next = |prefix: &str| {
        let l = lines.next().expect("a line").expect("utf-8");
        l.strip_prefix(prefix)
            .expect("serve prints url and token")
            .to_string()
    };
    let url = next("url: ");
    let token = next("token: ");
    let store = tmp.join("cli.db");
    let t = Instant::now();
    let out = Command::new(bin)
        .args(["sync", "--url", &url, "--store"])
        .arg(&store)
        .env("COUNTERSIGN_TOKEN", &token)
        .output()
        .expect("sync runs");
    let secs = t.elapsed().as_secs_f64();
    let _ = serve.kill();
    let _ = serve.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sync failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(" {n} runs")),
        "every run synced: {stdout}"
    );
    format!(
        "cli sync    : {:>9.0} runs/s  ({secs:.2} s: countersign sync as a process against \
         countersign backend serve in another, search indexing included)\n  cli said: {}",
        n as f64 / secs,
        stdout.trim().replace('\n', "\n  cli said: ")
    )
}

/// User + system CPU seconds this process has used (both the backend and the console run in
/// it), from /proc/self/stat; 0 where that is not readable.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the stat line (the 12th and 13th after the name).
    (ticks(11) + ticks(12)) / 100.0
}
