//! A real store file with runs and audit events, exported to a real bundle folder.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use countersign_audit::{
    Head, Manifest, SigningKey, countersign, export_bundle_as, load_or_create_key, sign_checkpoint,
};
use countersign_core::audit::kinds;
use countersign_core::{Citation, Micros, Outcome, PolicyCheck, Run, TokenUsage, ToolCall};
use countersign_store::{Store, audit, backends, receipts, runs};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn run(i: i64) -> Run {
    let start = t0() + Duration::minutes(i * 10);
    Run {
        eval_id: None,
        prompt: None,
        retrieval: None,
        run_id: format!("run_2026_11_01_{i:04}"),
        revision: 1,
        tenant: "acme".into(),
        user_id: format!("u_{}", 18_000 + i),
        team: Some("support".into()),
        workflow: "support_triage".into(),
        workflow_version: "v2".into(),
        model: "gpt-4.1-mini".into(),
        inputs: json!({"ticket_id": format!("zd_{i}"), "channel": "email"}),
        tool_calls: vec![ToolCall {
            call_id: "c1".into(),
            parent_id: None,
            tool: "kb_search".into(),
            arguments: json!({"query": "refund policy, \"EU\"\nline two"}),
            result_summary: Some("2 documents".into()),
            result: None,
            started_at: start,
            ended_at: Some(start + Duration::milliseconds(300)),
            cost_micros: Micros(1_000 + i),
            documents: vec!["kb_102".into(), "kb_331".into()],
            error: None,
        }],
        citations: vec![Citation {
            doc_id: "kb_102".into(),
            title: "Refund policy (EU)".into(),
            url: Some("https://kb.example/kb_102".into()),
            call_id: Some("c1".into()),
            passage: "within 14 days".into(),
            start: 10,
            end: 24,
            context: "refund within 14 days".into(),
            context_start: 3,
            source_version: "v3".into(),
            source_updated_at: None,
            deprecated: false,
        }],
        outputs: json!({"label": "refund_request", "confidence": 0.86}),
        confidence: Some(0.86),
        cost_micros: Micros(120_000 + i),
        tokens: TokenUsage {
            input: 100,
            output: 20,
        },
        latency_ms: 8_420,
        outcome: if i % 3 == 0 {
            Outcome::Escalated
        } else {
            Outcome::Success
        },
        decision: "escalated_to_human".into(),
        rationale: None,
        policy_checks: vec![
            PolicyCheck {
                name: "pii_redaction".into(),
                passed: true,
                detail: None,
            },
            PolicyCheck {
                name: "role_allowed".into(),
                passed: i % 2 == 0,
                detail: None,
            },
        ],
        changes: vec![],
        started_at: start,
        ended_at: Some(start + Duration::seconds(8)),
        updated_at: start + Duration::seconds(8),
    }
}

/// A store file in `dir` with `runs` runs (10 minutes apart from [`t0`]) and `events` audit
/// events; returns the store, its path and the backend id.
pub fn store(dir: &Path, runs_n: i64, events: u32) -> TestResult<(Store, PathBuf, String)> {
    let path = dir.join("store").join("countersign.db");
    let mut store = Store::open(&path)?;
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )?;
    let tx = store.write()?;
    for i in 0..runs_n {
        runs::upsert(&tx, &b.backend_id, &run(i), t0(), 365)?;
    }
    for i in 0..events {
        let kind = kinds::ALL[i as usize % kinds::ALL.len()];
        audit::append(
            &tx,
            "user:ana",
            kind,
            &format!("subject_{i}"),
            json!({"i": i, "note": "approved €12.50, \"quoted\""}),
            t0() + Duration::minutes(i64::from(i) * 7),
        )?;
    }
    tx.commit()?;
    Ok((store, path, b.backend_id))
}

pub struct Exported {
    pub _dir: tempfile::TempDir,
    pub bundle: PathBuf,
    pub manifest: Manifest,
    pub key: SigningKey,
    pub backend_key: SigningKey,
    pub backend_id: String,
    pub store_path: PathBuf,
}

/// The test backend's receipt key.
pub fn backend_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Checkpoints the store's current head with `backend` (countersigned by its key) and keeps
/// the receipt, as the sync crate does against a live backend. Returns the receipted seq.
pub fn checkpoint(
    store: &Store,
    key: &SigningKey,
    backend: &SigningKey,
    backend_id: &str,
) -> TestResult<u64> {
    let head = audit::head(store.conn())?.ok_or("no head")?;
    let c = sign_checkpoint(
        key,
        &Head {
            seq: head.seq,
            hash: head.hash,
        },
        t0(),
    );
    let r = countersign(backend, &c, t0() + Duration::seconds(1))?;
    receipts::add(store.conn(), backend_id, &r)?;
    Ok(head.seq)
}

/// A bundle exported from a fresh store with `runs_n` runs and `events` events, with a
/// receipt from the test backend for every third event's head (when there are events).
pub fn exported(runs_n: i64, events: u32) -> TestResult<Exported> {
    let dir = tempfile::tempdir()?;
    let (store, path, backend_id) = store(dir.path(), runs_n, 0)?;
    let key = load_or_create_key(path.parent().ok_or("no parent")?)?;
    let backend = backend_key();
    for i in 0..events {
        let kind = kinds::ALL[i as usize % kinds::ALL.len()];
        audit::append(
            store.conn(),
            "user:ana",
            kind,
            &format!("subject_{i}"),
            json!({"i": i, "note": "approved €12.50, \"quoted\""}),
            t0() + Duration::minutes(i64::from(i) * 7),
        )?;
        if i % 3 == 2 {
            checkpoint(&store, &key, &backend, &backend_id)?;
        }
    }
    let bundle = dir.path().join("bundle");
    let manifest = export_bundle_as(&store, &key, &bundle, None, None, "test")?;
    Ok(Exported {
        _dir: dir,
        bundle,
        manifest,
        key,
        backend_key: backend,
        backend_id,
        store_path: path,
    })
}

/// Every file of a bundle folder, by name.
pub fn read_all(dir: &Path) -> TestResult<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        out.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path())?,
        );
    }
    Ok(out)
}

/// Lines as verify counts them.
fn split(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// What a forger does after editing files of a bundle: recomputes every file's hashes and the
/// head from what is on disk, and signs the manifest with `key` (any key they hold).
pub fn resign(bundle: &Path, manifest: &Manifest, key: &SigningKey) -> TestResult<Manifest> {
    use countersign_core::audit::{AuditEvent, sha256_hex};
    use ed25519_dalek::Signer;
    let mut m = manifest.clone();
    for f in &mut m.files {
        let bytes = std::fs::read(bundle.join(&f.name))?;
        f.sha256 = sha256_hex(&bytes);
        f.line_sha256 = split(&bytes).into_iter().map(sha256_hex).collect();
        f.lines = f.line_sha256.len() as u64;
    }
    let audit = std::fs::read(bundle.join(countersign_audit::AUDIT_FILE))?;
    let last: AuditEvent = serde_json::from_slice(split(&audit).last().ok_or("no events")?)?;
    m.audit_head = Head {
        seq: last.seq,
        hash: last.hash,
    };
    m.public_key = countersign_audit::public_key_hex(key);
    m.signature = hex::encode(key.sign(&m.signed_bytes()?).to_bytes());
    std::fs::write(
        bundle.join(countersign_audit::MANIFEST_FILE),
        m.file_bytes()?,
    )?;
    Ok(m)
}

/// Rewrites `audit.jsonl` of a bundle: `edit` changes the event at `seq`, and every hash from
/// there on is recomputed so the chain is consistent again.
pub fn rewrite_chain(
    bundle: &Path,
    seq: u64,
    edit: impl FnOnce(&mut countersign_core::audit::AuditEvent),
) -> TestResult {
    use countersign_core::audit::AuditEvent;
    let path = bundle.join(countersign_audit::AUDIT_FILE);
    let text = std::fs::read_to_string(&path)?;
    let mut events: Vec<AuditEvent> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let i = events
        .iter()
        .position(|e| e.seq == seq)
        .ok_or("no such seq")?;
    edit(&mut events[i]);
    for j in i..events.len() {
        if j > 0 {
            events[j].prev_hash = events[j - 1].hash.clone();
        }
        events[j].hash = events[j].compute_hash();
    }
    let out: String = events.iter().map(|e| e.to_line() + "\n").collect();
    std::fs::write(&path, out)?;
    Ok(())
}
