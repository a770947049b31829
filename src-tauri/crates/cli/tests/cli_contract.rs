//! The `countersign` CLI as operators and scripts use it: a real reference backend process,
//! real syncs into a store file, and a sync killed with SIGKILL at random points that resumes
//! to exactly the backend's data.

use countersign_tests::{backend_revisions, store_revisions};
use std::process::{Command, Stdio};

mod support;

use support::{BIN, cmd, serve, text};

fn cli(args: &[&str], token: Option<&str>) -> std::process::Output {
    let mut c = cmd(args);
    if let Some(t) = token {
        c.env("CS_TEST_TOKEN", t);
    }
    c.output().expect("cli runs")
}

#[test]
fn serve_sync_list_show_and_approvals() {
    let dir = tempfile::tempdir().expect("tmp");
    let backend = serve(&dir.path().join("backend"), 60);
    let store = dir.path().join("store.db");
    let store_s = store.to_str().expect("utf-8 path");
    let out = cli(
        &[
            "sync",
            "--store",
            store_s,
            "--url",
            &backend.url,
            "--token-env",
            "CS_TEST_TOKEN",
        ],
        Some(&backend.token),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("60 runs"),
        "{}",
        text(&out.stdout)
    );

    let out = cli(
        &[
            "runs", "list", "--store", store_s, "--json", "--limit", "500",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), 60);
    let first = rows[0]["run_id"].as_str().expect("run_id").to_string();

    let out = cli(
        &[
            "runs",
            "list",
            "--store",
            store_s,
            "--json",
            "--workflow",
            "refund_request",
            "--limit",
            "500",
        ],
        None,
    );
    let refunds: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(!refunds.is_empty() && refunds.len() < 60);
    assert!(refunds.iter().all(|r| r["workflow"] == "refund_request"));

    let out = cli(
        &["runs", "show", &first, "--store", store_s, "--json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(shown["run"]["run_id"], first.as_str());
    assert!(
        shown["run"]["tool_calls"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );

    let out = cli(&["runs", "show", &first, "--store", store_s], None);
    let human = text(&out.stdout);
    assert!(
        human.contains("tool calls:") && human.contains("policy checks:") && human.contains("cost"),
        "{human}"
    );

    let out = cli(&["approvals", "list", "--store", store_s, "--json"], None);
    assert!(out.status.success());
    let actions: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(!actions.is_empty());
    assert!(
        actions
            .iter()
            .all(|a| a["fields"].as_array().is_some_and(|f| !f.is_empty()))
    );

    let out = cli(&["runs", "show", "no-such-run", "--store", store_s], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no run"));
    let out = cli(
        &["runs", "list", "--store", store_s, "--outcome", "maybe"],
        None,
    );
    assert!(!out.status.success());
}

#[test]
fn sync_killed_at_random_points_resumes_to_exactly_the_backend() {
    let dir = tempfile::tempdir().expect("tmp");
    let backend = serve(&dir.path().join("backend"), 2500);
    let store = dir.path().join("store.db");
    let store_s = store.to_str().expect("utf-8 path").to_string();
    countersign_tests::register(&store, &backend.url);
    let sync_args = [
        "sync",
        "--store",
        &store_s,
        "--url",
        &backend.url,
        "--token-env",
        "CS_TEST_TOKEN",
        "--page-size",
        "25",
    ];
    // Deterministic "random" kill points (an LCG), each further into the data.
    let mut x: u64 = 0x5eed;
    let mut floor = 0usize;
    for round in 0..4 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let kill_at = floor + 50 + (x >> 33) as usize % 400;
        let mut child = Command::new(BIN)
            .args(sync_args)
            .env("CS_TEST_TOKEN", &backend.token)
            .stdout(Stdio::null())
            .spawn()
            .expect("sync starts");
        // Wait on the condition (the store holds at least `kill_at` runs), then SIGKILL.
        let reached = loop {
            if let Ok(Some(_)) = child.try_wait() {
                break false;
            }
            let n = store_revisions(&store, "runs", "run_id").len();
            if n >= kill_at {
                break true;
            }
            std::thread::yield_now();
        };
        if reached {
            child.kill().expect("SIGKILL");
        }
        let _ = child.wait();
        let n = store_revisions(&store, "runs", "run_id").len();
        assert!(
            n >= floor,
            "round {round}: nothing already stored is lost ({n} < {floor})"
        );
        floor = n;
    }
    let out = Command::new(BIN)
        .args(sync_args)
        .env("CS_TEST_TOKEN", &backend.token)
        .output()
        .expect("final sync");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let truth = rt.block_on(backend_revisions(
        &backend.url,
        &backend.token,
        "runs",
        "run_id",
    ));
    assert_eq!(truth.len(), 2500);
    assert_eq!(
        store_revisions(&store, "runs", "run_id"),
        truth,
        "exactly the backend's runs, once each"
    );
}

#[test]
fn sync_refuses_plain_http_tokens_and_never_silently_replaces_settings() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let store_s = store.to_str().expect("utf-8 path");
    let sync = |extra: &[&str], token: Option<&str>| {
        let mut args = vec!["sync", "--store", store_s, "--token-env", "CS_TEST_TOKEN"];
        args.extend_from_slice(extra);
        cli(&args, token)
    };
    // A token over plain http to another host: refused before anything is sent.
    let out = sync(&["--url", "http://backend.invalid:8080"], Some("secret"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("plain_http_refused"),
        "{}",
        text(&out.stderr)
    );
    // Langfuse keys without a colon fail before any request: the row stays, the sync fails.
    let lf = [
        "--url",
        "http://127.0.0.1:9",
        "--kind",
        "langfuse",
        "--name",
        "LF",
    ];
    let out = sync(&lf, Some("no-colon"));
    assert!(
        text(&out.stderr).contains("PUBLIC_KEY:SECRET_KEY"),
        "{}",
        text(&out.stderr)
    );
    let other = [
        "--url",
        "http://127.0.0.1:9/",
        "--kind",
        "phoenix",
        "--name",
        "Other",
    ];
    let out = sync(&other, Some("no-colon"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--replace"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&["backends", "list", "--store", store_s], None);
    let listed = text(&out.stdout);
    assert!(
        listed.contains("LF") && !listed.contains("Other"),
        "{listed}"
    );
}

#[test]
fn keys_create_prints_an_ingest_key_once_that_a_running_server_accepts() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("backend");
    let served = serve(&data, 0);
    let data_arg = data.to_string_lossy().to_string();
    let out = cli(
        &[
            "backend",
            "keys",
            "create",
            "--data",
            &data_arg,
            "--name",
            "refund-agent",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_default()
            .to_string()
    };
    let key = field("key: ");
    assert!(key.starts_with("cs_ingest_"), "{stdout}");
    assert_eq!(field("scope: "), "ingest");
    let bad = cli(
        &[
            "backend", "keys", "create", "--data", &data_arg, "--name", "x", "--scope", "root",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("unknown scope"));

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let run = serde_json::json!({
        "run_id": "cli-key-run", "user_id": "u", "workflow": "w", "model": "m",
        "cost_micros": 1, "latency_ms": 1, "outcome": "success",
        "started_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z"
    });
    let (status, body) = rt.block_on(countersign_tests::post(&served.url, &key, "/v1/runs", run));
    assert_eq!(status, 201, "{body}");
    // The key is an agent's: the console's endpoints refuse it.
    let (status, _) = rt.block_on(countersign_tests::post(
        &served.url,
        &key,
        "/v1/admin/simulate",
        serde_json::json!({"runs": 1}),
    ));
    assert_eq!(status, 403);

    // Listed (never the secret), revoked beside the running server, then refused by it.
    let key_id = field("key_id: ");
    let listed = cli(
        &["backend", "keys", "list", "--data", &data_arg, "--json"],
        None,
    );
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed = text(&listed.stdout);
    assert!(
        listed.contains(&key_id) && !listed.contains(&key),
        "{listed}"
    );
    let out = cli(
        &["backend", "keys", "revoke", "--data", &data_arg, &key_id],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("revoked: {key_id}")));
    let run2 = serde_json::json!({
        "run_id": "cli-key-run-2", "user_id": "u", "workflow": "w", "model": "m",
        "cost_micros": 1, "latency_ms": 1, "outcome": "success",
        "started_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z"
    });
    let (status, _) = rt.block_on(countersign_tests::post(&served.url, &key, "/v1/runs", run2));
    assert_eq!(status, 401, "a revoked key is refused at once");
    let table = cli(&["backend", "keys", "list", "--data", &data_arg], None);
    let table = text(&table.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with(&key_id))
        .unwrap_or_default();
    assert!(!row.ends_with("\t-"), "revoked time shown: {row}");
    let again = cli(
        &["backend", "keys", "revoke", "--data", &data_arg, "key_nope"],
        None,
    );
    assert!(!again.status.success());
}
