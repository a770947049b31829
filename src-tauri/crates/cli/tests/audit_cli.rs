//! `countersign audit export` and `countersign verify` as an auditor uses them: a real store
//! file with runs and audit events, a bundle on disk, one byte edited.

use chrono::{DateTime, Duration, TimeZone, Utc};
use countersign_core::audit::kinds;
use countersign_core::{Micros, Outcome, PolicyCheck, Run, TokenUsage, ToolCall};
use countersign_store::{Store, audit, backends, runs};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_countersign");

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0)
        .single()
        .expect("valid time")
}

fn run(i: i64) -> Run {
    let start = t0() + Duration::minutes(i);
    Run {
        eval_id: None,
        prompt: None,
        retrieval: None,
        run_id: format!("run_{i}"),
        revision: 1,
        tenant: "acme".into(),
        user_id: "u_18421".into(),
        team: None,
        workflow: "support_triage".into(),
        workflow_version: "v2".into(),
        model: "gpt-4.1-mini".into(),
        inputs: json!({"ticket_id": format!("zd_{i}")}),
        tool_calls: vec![ToolCall {
            call_id: "c1".into(),
            parent_id: None,
            tool: "kb_search".into(),
            arguments: json!({"query": "refund policy EU"}),
            result_summary: None,
            result: None,
            started_at: start,
            ended_at: None,
            cost_micros: Micros(2_000),
            documents: vec!["kb_102".into()],
            error: None,
        }],
        citations: vec![],
        outputs: json!({"label": "refund_request"}),
        confidence: None,
        cost_micros: Micros(120_000),
        tokens: TokenUsage::default(),
        latency_ms: 8_420,
        outcome: Outcome::Escalated,
        decision: "escalated_to_human".into(),
        rationale: None,
        policy_checks: vec![PolicyCheck {
            name: "pii_redaction".into(),
            passed: true,
            detail: None,
        }],
        changes: vec![],
        started_at: start,
        ended_at: None,
        updated_at: start,
    }
}

fn seed_store(path: &Path) {
    let mut store = Store::open(path).expect("store opens");
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )
    .expect("backend");
    let tx = store.write().expect("write tx");
    for i in 0..4 {
        runs::upsert(&tx, &b.backend_id, &run(i), t0(), 365).expect("run stored");
    }
    for i in 0..3 {
        audit::append(
            &tx,
            "user:ana",
            kinds::DECISION,
            &format!("act_{i}"),
            json!({"decision": "approve"}),
            t0() + Duration::minutes(i),
        )
        .expect("event appended");
    }
    tx.commit().expect("commit");
}

fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("COUNTERSIGN_STORE")
        .output()
        .expect("cli runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn export_verify_tamper_verify() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("data").join("countersign.db");
    seed_store(&store);
    let bundle = dir.path().join("bundle");
    let (store_s, bundle_s) = (
        store.to_str().expect("utf-8"),
        bundle.to_str().expect("utf-8"),
    );

    let out = cli(&["audit", "export", "--store", store_s, "--out", bundle_s]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("file: runs.jsonl"), "{printed}");
    assert!(printed.contains("file: audit.jsonl"), "{printed}");
    assert!(printed.contains("audit head: seq 4 "), "{printed}");
    let public_key = printed
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .expect("public key printed")
        .to_string();
    assert_eq!(public_key.len(), 64);
    // The key lives next to the store, private.
    let key_file = dir.path().join("data").join("signing-key");
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Without a trusted key, a valid signature is not trust: its own exit code.
    let out = cli(&["verify", bundle_s]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.starts_with("UNTRUSTED: manifest.json: signature valid, signer not trusted"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&countersign_audit::fingerprint(&public_key)),
        "{stdout}"
    );

    let out = cli(&["verify", bundle_s, "--public-key", &public_key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(stdout.contains("runs.jsonl 4 lines"), "{stdout}");
    assert!(stdout.contains(&public_key), "{stdout}");
    assert!(
        stdout.contains("conclusion: Signed, not anchored"),
        "no receipts: the weaker conclusion: {stdout}"
    );
    let out = cli(&["verify", bundle_s, "--public-key", &"ab".repeat(32)]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("signer not trusted"), "{}", text(&out));
    let out = cli(&["verify", bundle_s, "--public-key", "not-hex"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // One byte of the second run's cost: 0.120000 -> 0.920000.
    let runs_path = bundle.join("runs.jsonl");
    let original = std::fs::read(&runs_path).expect("runs.jsonl");
    let mut edited = original.clone();
    let second = original
        .iter()
        .position(|&b| b == b'\n')
        .expect("two lines")
        + 1;
    let at = second
        + original[second..]
            .windows(b"\"cost_usd\":0.120000".len())
            .position(|w| w == b"\"cost_usd\":0.120000")
            .expect("cost in line 2")
        + "\"cost_usd\":0.".len();
    edited[at] = b'9';
    std::fs::write(&runs_path, &edited).expect("write");
    let out = cli(&["verify", bundle_s, "--public-key", &public_key]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.starts_with("FAILED: runs.jsonl line 2: edited"),
        "{stdout}"
    );
    assert!(
        text(&out).contains("bundle does not verify"),
        "{}",
        text(&out)
    );
    std::fs::write(&runs_path, &original).expect("restore");

    // One byte of the third audit event's subject.
    let audit_path = bundle.join("audit.jsonl");
    let audit_text = std::fs::read_to_string(&audit_path).expect("audit.jsonl");
    std::fs::write(&audit_path, audit_text.replacen("act_2", "act_7", 1)).expect("write");
    let out = cli(&["verify", bundle_s, "--public-key", &public_key]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.starts_with("FAILED: audit.jsonl line 3: hash mismatch"),
        "{stdout}"
    );

    // The export itself is in the store's trail.
    let store = Store::open(&store).expect("store");
    let head = audit::head(store.conn()).expect("head").expect("an event");
    assert_eq!(head.kind, kinds::EXPORT);
    assert_eq!(head.actor, "cli");
    assert_eq!(audit::verify(store.conn()).expect("read"), Ok(()));
}

#[test]
fn verify_of_a_folder_without_a_bundle_fails() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = cli(&["verify", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("manifest.json: missing"),
        "{}",
        text(&out)
    );
}

/// Recomputes every file's hashes and the head of a bundle from disk and signs its manifest
/// with `key`: what a forger does after editing it.
fn resign(bundle: &Path, key: &countersign_audit::SigningKey) {
    use countersign_core::audit::sha256_hex;
    use ed25519_dalek::Signer;
    let mut m: countersign_audit::Manifest =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).expect("manifest"))
            .expect("a manifest");
    for f in &mut m.files {
        let bytes = std::fs::read(bundle.join(&f.name)).expect("file");
        f.sha256 = sha256_hex(&bytes);
        f.line_sha256 = String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| sha256_hex(l.as_bytes()))
            .collect();
        f.lines = f.line_sha256.len() as u64;
    }
    let audit = std::fs::read_to_string(bundle.join("audit.jsonl")).expect("audit");
    let last: countersign_core::audit::AuditEvent =
        serde_json::from_str(audit.lines().last().expect("events")).expect("event");
    m.audit_head = countersign_audit::Head {
        seq: last.seq,
        hash: last.hash,
    };
    m.public_key = countersign_audit::public_key_hex(key);
    m.signature = hex::encode(key.sign(&m.signed_bytes().expect("bytes")).to_bytes());
    std::fs::write(bundle.join("manifest.json"), m.file_bytes().expect("bytes")).expect("write");
}

/// Edits the event at `seq` of a bundle's `audit.jsonl` and recomputes the chain after it.
fn rewrite_chain(bundle: &Path, seq: u64) {
    use countersign_core::audit::AuditEvent;
    let path = bundle.join("audit.jsonl");
    let text = std::fs::read_to_string(&path).expect("audit");
    let mut events: Vec<AuditEvent> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("event"))
        .collect();
    let i = events.iter().position(|e| e.seq == seq).expect("seq");
    events[i].actor = "user:mallory".into();
    for j in i..events.len() {
        if j > 0 {
            events[j].prev_hash = events[j - 1].hash.clone();
        }
        events[j].hash = events[j].compute_hash();
    }
    let out: String = events.iter().map(|e| e.to_line() + "\n").collect();
    std::fs::write(&path, out).expect("write");
}

#[test]
fn trusted_keys_receipts_and_re_signed_bundles() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("data").join("countersign.db");
    seed_store(&store);
    let key = countersign_audit::load_or_create_key(&dir.path().join("data")).expect("key");
    let installation = countersign_audit::public_key_hex(&key);
    // A backend countersigned the head at seq 3.
    let backend = countersign_audit::SigningKey::from_bytes(&[21; 32]);
    {
        let s = Store::open(&store).expect("store");
        let head = audit::head(s.conn()).expect("head").expect("an event");
        let c = countersign_audit::sign_checkpoint(
            &key,
            &countersign_audit::Head {
                seq: head.seq,
                hash: head.hash,
            },
            t0(),
        );
        let r = countersign_audit::countersign(&backend, &c, t0()).expect("receipt");
        countersign_store::receipts::add(s.conn(), "be-ref", &r).expect("kept");
    }
    let bundle = dir.path().join("bundle");
    let (store_s, bundle_s) = (
        store.to_str().expect("utf-8"),
        bundle.to_str().expect("utf-8"),
    );
    let out = cli(&["audit", "export", "--store", store_s, "--out", bundle_s]);
    assert!(out.status.success(), "{}", text(&out));
    let out = cli(&["audit", "key", "--store", store_s]);
    assert!(
        text(&out).contains(&format!(
            "fingerprint: {}",
            countersign_audit::fingerprint(&installation)
        )),
        "{}",
        text(&out)
    );

    let keys = dir.path().join("trusted-keys");
    let keys_s = keys.to_str().expect("utf-8");
    std::fs::write(
        &keys,
        format!(
            "# the auditor's keys\ninstallation {installation} acme console\nbackend {} ref\n",
            countersign_audit::public_key_hex(&backend)
        ),
    )
    .expect("write");
    let out = cli(&[
        "verify",
        bundle_s,
        "--trusted-keys",
        keys_s,
        "--require-anchor",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("receipt: seq 3 countersigned by backend"),
        "{stdout}"
    );
    assert!(stdout.contains("conclusion: Anchored"), "{stdout}");
    // Without the backend key the receipt anchors nothing.
    let out = cli(&[
        "verify",
        bundle_s,
        "--public-key",
        &installation,
        "--require-anchor",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    std::fs::write(dir.path().join("bad-keys"), "signer abc\n").expect("write");
    let bad = dir.path().join("bad-keys");
    let out = cli(&[
        "verify",
        bundle_s,
        "--trusted-keys",
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("line 1"), "{}", text(&out));

    let pristine: Vec<(String, Vec<u8>)> = std::fs::read_dir(&bundle)
        .expect("dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("file"),
            )
        })
        .collect();
    let restore = || {
        for (name, bytes) in &pristine {
            std::fs::write(bundle.join(name), bytes).expect("restore");
        }
    };

    // Rewritten and re-signed with a fresh key (receipts dropped: they name the real key).
    rewrite_chain(&bundle, 2);
    std::fs::write(bundle.join("receipts.jsonl"), "").expect("write");
    resign(
        &bundle,
        &countersign_audit::SigningKey::from_bytes(&[99; 32]),
    );
    let out = cli(&["verify", bundle_s, "--trusted-keys", keys_s]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("signature valid, signer not trusted"),
        "{}",
        text(&out)
    );
    restore();

    // Rewritten before the receipted head and re-signed with the trusted installation key.
    rewrite_chain(&bundle, 2);
    resign(&bundle, &key);
    let out = cli(&["verify", bundle_s, "--trusted-keys", keys_s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.starts_with("FAILED: receipts.jsonl line 1: chain rewritten"),
        "{stdout}"
    );
}
