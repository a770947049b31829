//! The CLI says what it does: no silent cap on `runs list`, read-only commands refuse a store
//! that does not exist (creating nothing), two processes syncing into a new store at once both
//! succeed, errors are one readable line, and search finds the word being typed.

use std::process::{Child, Command, Stdio};

mod support;

use support::{Served, cmd, serve, text};

fn run(args: &[&str]) -> std::process::Output {
    cmd(args).output().expect("cli runs")
}

fn sync(store: &str, b: &Served) -> Command {
    let mut c = cmd(&[
        "sync",
        "--store",
        store,
        "--url",
        &b.url,
        "--token-env",
        "CS_T",
    ]);
    c.env("CS_T", &b.token);
    c
}

#[test]
fn list_streams_past_a_thousand_and_says_when_it_stops() {
    let dir = tempfile::tempdir().expect("tmp");
    let backend = serve(&dir.path().join("backend"), 1_300);
    let store = dir.path().join("store.db");
    let store_s = store.to_str().expect("utf-8");
    let out = sync(store_s, &backend).output().expect("sync");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let json_rows = |args: &[&str]| -> (usize, String) {
        let out = run(&[&["runs", "list", "--store", store_s, "--json"], args].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let n = text(&out.stdout)
            .lines()
            .inspect(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("every stdout line is JSON");
            })
            .count();
        (n, text(&out.stderr))
    };
    // More than the store's page of 1,000, exactly as asked, and the rest is announced.
    let (n, err) = json_rows(&["--limit", "1200"]);
    assert_eq!(n, 1200);
    assert!(err.contains("more match"), "{err}");
    // Every run, to a file.
    let file = dir.path().join("all.jsonl");
    let status = cmd(&["runs", "list", "--store", store_s, "--json", "--all"])
        .stdout(std::fs::File::create(&file).expect("file"))
        .status()
        .expect("runs");
    assert!(status.success());
    let all = std::fs::read_to_string(&file).expect("read");
    assert_eq!(all.lines().count(), 1_300);
    let (n, err) = json_rows(&["--limit", "4000"]);
    assert_eq!(n, 1_300);
    assert!(!err.contains("more match"), "{err}");
    // The table says how many it showed and that more match.
    let out = run(&["runs", "list", "--store", store_s, "--limit", "5"]);
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 1 + 5 + 1, "{table}");
    assert!(
        table.ends_with("first 5 matching runs (more match)\n"),
        "{table}"
    );
    // Search finds the word as it is being typed, as the app does.
    let (typed, _) = json_rows(&["--search", "escalat", "--limit", "2000"]);
    let (whole, _) = json_rows(&["--search", "escalated", "--limit", "2000"]);
    assert!(typed >= whole && typed > 0, "{typed} {whole}");
    // Search with a filter that nothing passes answers at once with nothing.
    let (none, _) = json_rows(&["--search", "refund", "--min-cost", "100000"]);
    assert_eq!(none, 0);
}

#[test]
fn read_only_commands_refuse_a_missing_store_and_create_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("mistyped/dir/s.db");
    let m = missing.to_str().expect("utf-8");
    for args in [
        vec!["runs", "list", "--store", m],
        vec!["runs", "show", "r1", "--store", m],
        vec!["approvals", "list", "--store", m],
        vec!["backends", "list", "--store", m],
        vec!["backends", "remove", "b1", "--store", m],
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(m), "{args:?}: {err}");
        assert!(err.contains("no store at"), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    assert!(!dir.path().join("mistyped").exists());
}

#[test]
fn two_syncs_into_a_new_store_at_once_both_succeed() {
    let dir = tempfile::tempdir().expect("tmp");
    let backend = serve(&dir.path().join("backend"), 40);
    for round in 0..3 {
        let store = dir.path().join(format!("new-{round}.db"));
        let store_s = store.to_str().expect("utf-8");
        let children: Vec<Child> = (0..2)
            .map(|_| {
                sync(store_s, &backend)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(out.status.success(), "round {round}: {}", text(&out.stderr));
        }
        let out = run(&["runs", "list", "--store", store_s, "--json", "--all"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).lines().count(), 40);
    }
}

#[test]
fn a_store_from_a_newer_version_is_one_readable_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("future.db");
    let store_s = store.to_str().expect("utf-8");
    // A store made by this build, then marked as written by a later one.
    countersign_store::Store::open(&store).expect("store");
    let c = rusqlite::Connection::open(&store).expect("open");
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    c.pragma_update(None, "user_version", v + 5).expect("set");
    drop(c);
    let out = run(&["runs", "list", "--store", store_s]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("newer Countersign"), "{err}");
    assert!(err.contains(&format!("schema version {}", v + 5)), "{err}");
    assert!(!err.contains("DatabaseTooFarAhead"), "{err}");
}

/// `trust report` as text lists the writes an autonomy level let through, per workflow and
/// level, with the same counts as its JSON (they are not decisions, so no decision table
/// shows them).
#[test]
fn trust_report_text_lists_writes_executed_without_review() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store.db");
    let store_s = store.to_str().expect("utf-8");
    {
        let s = countersign_store::Store::open(&store).expect("store");
        let b = countersign_store::backends::upsert(
            s.conn(),
            "b",
            "http://127.0.0.1:9",
            "countersign",
            false,
        )
        .expect("backend")
        .backend_id;
        let at = chrono::Utc::now().timestamp_millis() - 3_600_000;
        for (id, wf, level) in [
            ("a1", "refund_request", "sampled_approval"),
            ("a2", "refund_request", "sampled_approval"),
            ("a3", "crm_update", "autonomous_within_caps"),
        ] {
            s.conn()
                .execute(
                    "INSERT INTO actions (backend_id, action_id, revision, run_id, status, kind,
                         risk, requested_at_ms, expires_at_ms, updated_at_ms, body, workflow,
                         rollback_supported, auto_level, decided_at_ms)
                     VALUES (?1, ?2, 1, 'r', 'executed', 'write', 'high', ?3, ?3 + 3600000, ?3,
                         '{}', ?4, 1, ?5, ?3)",
                    rusqlite::params![b, id, at, wf, level],
                )
                .expect("action");
        }
    }
    let out = run(&["trust", "report", "--store", store_s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let section = stdout
        .split("EXECUTED WITHOUT REVIEW")
        .nth(1)
        .unwrap_or_else(|| panic!("no section: {stdout}"));
    let rows: Vec<Vec<&str>> = section
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .filter(|r: &Vec<&str>| !r.is_empty())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["crm_update", "autonomous_within_caps", "1"],
            vec!["refund_request", "sampled_approval", "2"],
        ],
        "{stdout}"
    );
    let out = run(&["trust", "report", "--store", store_s, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let total: i64 = json["executed_without_review"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["count"].as_i64())
        .sum();
    assert_eq!(total, 3);
}
