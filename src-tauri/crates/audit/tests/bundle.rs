//! Export a real store, verify the bundle, and tamper with it.

mod common;

use chrono::Duration;
use common::{TestResult, exported, read_all, store, t0};
use countersign_audit::{
    AUDIT_FILE, BUNDLE_FORMAT, Conclusion, DECISIONS_JSONL, EVALS_CSV, EVALS_JSON, FILE_NAMES,
    FailureKind, MANIFEST_FILE, READINESS_CSV, READINESS_JSON, RECEIPTS_JSONL, RUNS_CSV,
    RUNS_JSONL, export_bundle_as, load_or_create_key, public_key_hex, verify_bundle,
    verify_bundle_files, verify_bundle_with_key,
};
use countersign_core::audit::{AuditEvent, kinds};
use serde_json::Value;
use std::fs;

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn an_export_verifies() -> TestResult {
    let e = exported(5, 9)?;
    let report = verify_bundle(&e.bundle)?;
    assert_eq!(report.public_key, public_key_hex(&e.key));
    assert_eq!(report.audit_events, 10, "9 events plus the export's own");
    assert_eq!(report.audit_head.seq, 10);
    let by_name: Vec<(&str, u64)> = report
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.lines))
        .collect();
    assert_eq!(
        by_name,
        vec![
            (RUNS_JSONL, 5),
            (RUNS_CSV, 6),
            (DECISIONS_JSONL, 3),
            (READINESS_JSON, report.files[3].lines),
            (READINESS_CSV, report.files[4].lines),
            (EVALS_JSON, 5),
            (EVALS_CSV, 1),
            (AUDIT_FILE, 10),
            (RECEIPTS_JSONL, 3)
        ],
        "decisions: the three actions the trail reviewed (subjects of decision, delivery and \
         rollback events); evals: none (an empty list and the CSV header); receipts: one per \
         three events"
    );
    assert_eq!(report.receipts.len(), 3);
    assert_eq!(report.conclusion, Conclusion::IntegrityOnly);
    assert!(
        report.summary.starts_with("Integrity only"),
        "{}",
        report.summary
    );

    let m = &e.manifest;
    assert_eq!(m.format, BUNDLE_FORMAT);
    assert_eq!(m.signature.len(), 128);
    let manifest_text = fs::read_to_string(e.bundle.join(MANIFEST_FILE))?;
    assert_eq!(manifest_text.lines().count(), 1);
    let v: Value = serde_json::from_str(&manifest_text)?;
    for key in [
        "format",
        "created_at",
        "range",
        "files",
        "audit_head",
        "public_key",
        "signature",
    ] {
        assert!(v.get(key).is_some(), "manifest has {key}");
    }
    assert_eq!(v["files"][0]["name"], RUNS_JSONL);
    assert_eq!(v["files"][0]["lines"], 5);
    Ok(())
}

#[test]
fn runs_are_in_the_seed_shape_with_exact_money() -> TestResult {
    let e = exported(3, 0)?;
    let text = fs::read_to_string(e.bundle.join(RUNS_JSONL))?;
    let first = lines(&text)[0];
    // Exact decimal numbers, never through a float.
    assert!(first.contains("\"cost_usd\":0.120000"), "{first}");
    assert!(first.contains("\"cost_usd\":0.001000"), "{first}");
    let v: Value = serde_json::from_str(first)?;
    for key in [
        "run_id",
        "user_id",
        "workflow",
        "inputs",
        "model",
        "tool_calls",
        "outputs",
        "cost_usd",
        "latency_ms",
        "decision",
        "outcome",
        "policy_checks",
        "citations",
        "timestamp",
        "backend_id",
    ] {
        assert!(v.get(key).is_some(), "run line has {key}");
    }
    assert_eq!(v["run_id"], "run_2026_11_01_0000");
    assert_eq!(v["backend_id"], Value::String(e.backend_id.clone()));
    assert_eq!(v["timestamp"], "2026-11-01T10:00:00Z");
    assert_eq!(
        v["policy_checks"],
        serde_json::json!(["pii_redaction_pass", "role_allowed_pass"])
    );
    assert_eq!(v["tool_calls"][0]["tool"], "kb_search");
    assert_eq!(
        v["tool_calls"][0]["documents"],
        serde_json::json!(["kb_102", "kb_331"])
    );
    assert_eq!(v["citations"][0]["doc_id"], "kb_102");
    let second: Value = serde_json::from_str(lines(&text)[1])?;
    assert_eq!(
        second["policy_checks"],
        serde_json::json!(["pii_redaction_pass", "role_allowed_fail"])
    );

    let csv = fs::read_to_string(e.bundle.join(RUNS_CSV))?;
    let rows = lines(&csv);
    assert_eq!(
        rows[0],
        "backend_id,run_id,user_id,workflow,model,outcome,decision,cost_usd,latency_ms,tool_calls,policy_checks,timestamp"
    );
    assert!(
        rows[2]
            .contains(",0.120001,8420,1,pii_redaction_pass;role_allowed_fail,2026-11-01T10:10:00Z")
    );
    Ok(())
}

#[test]
fn the_bundle_holds_its_own_export_event() -> TestResult {
    let e = exported(2, 3)?;
    let text = fs::read_to_string(e.bundle.join(AUDIT_FILE))?;
    let events: Vec<AuditEvent> = lines(&text)
        .into_iter()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let last = events.last().ok_or("no events")?;
    assert_eq!(last.kind, kinds::EXPORT);
    assert_eq!(last.actor, "test");
    assert_eq!(last.seq, e.manifest.audit_head.seq);
    assert_eq!(last.hash, e.manifest.audit_head.hash);
    assert_eq!(last.details["runs"], 2);
    assert_eq!(
        last.details["files"][RUNS_JSONL],
        Value::String(e.manifest.files[0].sha256.clone())
    );
    assert_eq!(events[0].seq, 1);
    Ok(())
}

#[test]
fn a_range_export_takes_runs_in_range_and_the_chain_from_there() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path, _) = store(dir.path(), 10, 10)?;
    let key = load_or_create_key(path.parent().ok_or("no parent")?)?;
    let from = t0() + Duration::minutes(20);
    let to = t0() + Duration::minutes(50);
    let out = dir.path().join("q4");
    let m = export_bundle_as(&store, &key, &out, Some(from), Some(to), "cli")?;
    assert_eq!(m.range.from.as_deref(), Some("2026-11-01T10:20:00Z"));
    assert_eq!(m.range.to.as_deref(), Some("2026-11-01T10:50:00Z"));
    let report = verify_bundle(&out)?;
    assert_eq!(report.files[0].lines, 3, "runs at minutes 20, 30 and 40");
    let runs = fs::read_to_string(out.join(RUNS_JSONL))?;
    assert!(runs.contains("run_2026_11_01_0002") && runs.contains("run_2026_11_01_0004"));
    assert!(!runs.contains("run_2026_11_01_0005") && !runs.contains("run_2026_11_01_0001"));
    // Events are 7 minutes apart: the first at or after minute 20 is seq 4 (minute 21); the
    // stretch runs on to the head, the export event (seq 11).
    let audit = fs::read_to_string(out.join(AUDIT_FILE))?;
    let seqs: Vec<u64> = lines(&audit)
        .into_iter()
        .map(|l| serde_json::from_str::<AuditEvent>(l).map(|e| e.seq))
        .collect::<Result<_, _>>()?;
    assert_eq!(seqs, (4..=11).collect::<Vec<_>>());
    assert!(export_bundle_as(&store, &key, &out, Some(to), Some(from), "cli").is_err());
    Ok(())
}

#[test]
fn repeated_exports_chain_on_and_use_the_same_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path, _) = store(dir.path(), 2, 1)?;
    let key_dir = path.parent().ok_or("no parent")?;
    let a = export_bundle_as(
        &store,
        &load_or_create_key(key_dir)?,
        &dir.path().join("a"),
        None,
        None,
        "cli",
    )?;
    let b = export_bundle_as(
        &store,
        &load_or_create_key(key_dir)?,
        &dir.path().join("b"),
        None,
        None,
        "cli",
    )?;
    assert_eq!(a.public_key, b.public_key);
    assert_eq!(b.audit_head.seq, a.audit_head.seq + 1);
    let report = verify_bundle(&dir.path().join("b"))?;
    assert_eq!(report.audit_events, 3);
    assert!(key_dir.join("signing-key").exists());
    // The key never goes into the store.
    let secret = fs::read_to_string(key_dir.join("signing-key"))?;
    let db = fs::read(&path)?;
    let needle = secret.trim().as_bytes();
    assert!(!db.windows(needle.len()).any(|w| w == needle));
    Ok(())
}

#[test]
fn an_empty_store_exports_a_bundle_with_just_the_export_event() -> TestResult {
    let e = exported(0, 0)?;
    let report = verify_bundle(&e.bundle)?;
    assert_eq!(report.files[0].lines, 0);
    assert_eq!(report.files[1].lines, 1, "csv header");
    assert_eq!(report.audit_events, 1);
    Ok(())
}

/// Which 1-based line of `bytes` holds byte `pos`.
fn line_of(bytes: &[u8], pos: usize) -> u64 {
    bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

#[test]
fn flipping_any_byte_of_any_file_is_detected_and_located() -> TestResult {
    let e = exported(3, 4)?;
    let pristine = read_all(&e.bundle)?;
    let mut tried = 0;
    for name in std::iter::once(MANIFEST_FILE).chain(FILE_NAMES) {
        let bytes = pristine.get(name).ok_or("file missing")?;
        // Every byte of the small files; a spread of positions in the manifest, whose
        // signature check dominates the time, and in the pretty-printed scorecards.
        let step = match name {
            MANIFEST_FILE => 37,
            READINESS_JSON | READINESS_CSV => 11,
            _ => 1,
        };
        for pos in (0..bytes.len()).step_by(step) {
            for flip in [0x01u8, 0x80] {
                let mut files = pristine.clone();
                if let Some(f) = files.get_mut(name) {
                    f[pos] ^= flip;
                }
                tried += 1;
                let err = match verify_bundle_files(&files) {
                    Ok(_) => return Err(format!("{name} byte {pos} ^ {flip:#x} undetected").into()),
                    Err(err) => err,
                };
                assert_eq!(err.file, name, "{err}");
                if name == MANIFEST_FILE {
                    assert_eq!(err.line, None, "{err}");
                } else if bytes[pos] == b'\n' {
                    // A broken line end merges two lines: the first of them is named.
                    assert!(err.line.is_some(), "{err}");
                } else {
                    assert_eq!(
                        err.line,
                        Some(line_of(bytes, pos)),
                        "{name} byte {pos}: {err}"
                    );
                }
            }
        }
    }
    eprintln!("{tried} single-bit flips, all detected and located");
    assert!(tried > 1000, "{tried} flips");
    Ok(())
}

#[test]
fn an_edited_audit_line_is_named_with_the_chain_reason() -> TestResult {
    let e = exported(1, 8)?;
    let path = e.bundle.join(AUDIT_FILE);
    let text = fs::read_to_string(&path)?;
    let edited: Vec<String> = lines(&text)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 6 {
                l.replace("user:ana", "user:eve")
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(&path, edited.join("\n") + "\n")?;
    let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
    assert_eq!(err.to_string(), "audit.jsonl line 7: hash mismatch");
    Ok(())
}

#[test]
fn deleted_inserted_and_reordered_run_lines_are_named() -> TestResult {
    let e = exported(6, 0)?;
    let path = e.bundle.join(RUNS_JSONL);
    let text = fs::read_to_string(&path)?;
    let original: Vec<&str> = lines(&text);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&original[..2], &original[3..]].concat(),
            "runs.jsonl line 3: deleted (the manifest's line here is missing)",
        ),
        (
            [&original[..4], &original[3..]].concat(),
            "runs.jsonl line 5: inserted (a duplicate of another line)",
        ),
        (
            {
                let mut v = original.clone();
                v.swap(1, 2);
                v
            },
            "runs.jsonl line 2: out of order (swapped with the next line)",
        ),
        (
            original[..4].to_vec(),
            "runs.jsonl line 5: missing (lines deleted or file truncated)",
        ),
    ];
    for (content, expected) in cases {
        fs::write(&path, content.join("\n") + "\n")?;
        let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
        assert_eq!(err.to_string(), expected);
    }
    fs::write(&path, text.trim_end())?;
    let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
    assert_eq!(
        err.to_string(),
        "runs.jsonl line 6: end of file changed (final newline added or removed)"
    );
    Ok(())
}

#[test]
fn a_missing_file_or_manifest_is_named() -> TestResult {
    let e = exported(2, 2)?;
    fs::remove_file(e.bundle.join(RUNS_CSV))?;
    let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
    assert_eq!(err.to_string(), "runs.csv: missing from the bundle");
    fs::remove_file(e.bundle.join(MANIFEST_FILE))?;
    let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
    assert_eq!(err.to_string(), "manifest.json: missing from the bundle");
    Ok(())
}

#[test]
fn a_bundle_re_signed_by_another_key_fails_when_the_key_is_pinned() -> TestResult {
    let e = exported(2, 2)?;
    let other = tempfile::tempdir()?;
    let mallory = load_or_create_key(other.path())?;
    // Re-sign the untouched manifest with another key: self-consistent, wrong signer.
    let mut m = e.manifest.clone();
    m.public_key = public_key_hex(&mallory);
    let signed = m.signed_bytes()?;
    use ed25519_dalek::Signer;
    m.signature = hex::encode(mallory.sign(&signed).to_bytes());
    fs::write(e.bundle.join(MANIFEST_FILE), m.file_bytes()?)?;
    assert!(verify_bundle(&e.bundle).is_ok());
    let pinned = public_key_hex(&e.key);
    let err = verify_bundle_with_key(&e.bundle, Some(&pinned))
        .err()
        .ok_or("undetected")?;
    assert_eq!(err.file, MANIFEST_FILE);
    assert_eq!(err.kind, FailureKind::UntrustedSigner);
    assert!(
        err.reason
            .starts_with("signature valid, signer not trusted: key fingerprint"),
        "{err}"
    );
    assert_eq!(err.signer_key, Some(public_key_hex(&mallory)));
    // The public key swapped without re-signing breaks the signature.
    let mut n = e.manifest.clone();
    n.public_key = public_key_hex(&mallory);
    fs::write(e.bundle.join(MANIFEST_FILE), n.file_bytes()?)?;
    let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
    assert!(err.reason.starts_with("signature does not match"), "{err}");
    Ok(())
}

#[test]
fn a_manifest_in_another_json_layout_is_refused() -> TestResult {
    let e = exported(1, 1)?;
    let pretty = serde_json::to_string_pretty(&e.manifest)?;
    fs::write(e.bundle.join(MANIFEST_FILE), pretty)?;
    let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
    assert_eq!(err.file, MANIFEST_FILE);
    assert!(err.reason.contains("canonical"), "{err}");
    Ok(())
}

#[test]
fn a_chain_broken_in_the_store_is_caught_even_with_a_good_signature() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path, _) = store(dir.path(), 1, 5)?;
    store.conn().execute_batch(
        "DROP TRIGGER audit_events_append_only_update;
         UPDATE audit_events SET subject = 'rewritten' WHERE seq = 3;",
    )?;
    let key = load_or_create_key(path.parent().ok_or("no parent")?)?;
    let out = dir.path().join("bundle");
    export_bundle_as(&store, &key, &out, None, None, "cli")?;
    let err = verify_bundle(&out).err().ok_or("undetected")?;
    assert_eq!(err.to_string(), "audit.jsonl line 3: hash mismatch");
    Ok(())
}

#[test]
fn an_uppercased_signature_or_key_is_an_edit_too() -> TestResult {
    for field in ["signature", "public_key"] {
        let e = exported(2, 2)?;
        let path = e.bundle.join("manifest.json");
        let text = fs::read_to_string(&path)?;
        let value = match field {
            "signature" => &e.manifest.signature,
            _ => &e.manifest.public_key,
        };
        // Same bytes to a hex decoder, different bytes on disk: must not verify.
        let upper = value.to_uppercase();
        assert_ne!(&upper, value, "hex has letters to flip");
        fs::write(&path, text.replace(value.as_str(), &upper))?;
        let err = verify_bundle(&e.bundle).err().ok_or("undetected")?;
        assert!(err.to_string().starts_with("manifest.json"), "{err}");
    }
    Ok(())
}
