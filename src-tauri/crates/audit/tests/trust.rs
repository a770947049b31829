//! Who vouches for a bundle: the signer must be a trusted installation key, and receipts
//! anchor the chain only when a trusted backend countersigned them. A forger who edits the
//! trail, recomputes the chain and line hashes and re-signs is caught by the first; one who
//! holds the installation key itself is caught by the second, up to the last receipt.

mod common;

use common::{TestResult, backend_key, checkpoint, exported, resign, rewrite_chain, store, t0};
use countersign_audit::{
    AUDIT_FILE, BUNDLE_FORMAT_V1, Conclusion, FILE_NAMES_V1, FailureKind, KeyRole, MANIFEST_FILE,
    RECEIPTS_JSONL, SigningKey, TrustedKeys, export_bundle_as, fingerprint, load_or_create_key,
    public_key_hex, verify_bundle, verify_bundle_trusted,
};
use countersign_store::trusted_keys::{self, KeySource, NewTrustedKey};
use std::fs;

fn trusting(installation: &SigningKey, backend: Option<&SigningKey>) -> TestResult<TrustedKeys> {
    let mut t = TrustedKeys::new();
    t.add(
        KeyRole::Installation,
        &public_key_hex(installation),
        "acme console",
    )?;
    if let Some(b) = backend {
        t.add(KeyRole::Backend, &public_key_hex(b), "ref backend")?;
    }
    Ok(t)
}

#[test]
fn a_trusted_signer_with_trusted_receipts_is_anchored() -> TestResult {
    let e = exported(3, 9)?;
    let r = verify_bundle_trusted(&e.bundle, &trusting(&e.key, Some(&e.backend_key))?)?;
    assert_eq!(r.conclusion, Conclusion::Anchored);
    assert!(r.signer_trusted);
    assert_eq!(r.signer_label.as_deref(), Some("acme console"));
    assert_eq!(r.fingerprint, fingerprint(&public_key_hex(&e.key)));
    let seqs: Vec<u64> = r.receipts.iter().map(|x| x.seq).collect();
    assert_eq!(seqs, vec![3, 6, 9]);
    let anchor = r.anchor.as_ref().ok_or("no anchor")?;
    assert_eq!(anchor.seq, 9);
    assert_eq!(anchor.backend_label.as_deref(), Some("ref backend"));
    assert_eq!(r.unanchored_events, 1, "only the export event comes after");
    assert!(r.summary.starts_with("Anchored: "), "{}", r.summary);
    Ok(())
}

#[test]
fn a_bundle_without_receipts_verifies_only_as_signed_not_anchored() -> TestResult {
    // Fewer than three events: no checkpoint was made.
    let e = exported(2, 2)?;
    let r = verify_bundle_trusted(&e.bundle, &trusting(&e.key, Some(&e.backend_key))?)?;
    assert!(r.receipts.is_empty());
    assert_eq!(r.conclusion, Conclusion::SignedNotAnchored);
    assert_eq!(r.anchor, None);
    assert_eq!(r.unanchored_events, 3);
    assert!(
        r.summary.starts_with("Signed, not anchored")
            && r.summary
                .contains("could have rewritten any of the history"),
        "{}",
        r.summary
    );
    Ok(())
}

#[test]
fn receipts_by_an_untrusted_backend_anchor_nothing() -> TestResult {
    let e = exported(2, 6)?;
    let r = verify_bundle_trusted(&e.bundle, &trusting(&e.key, None)?)?;
    assert_eq!(r.receipts.len(), 2);
    assert!(r.receipts.iter().all(|x| !x.backend_trusted));
    assert_eq!(r.conclusion, Conclusion::SignedNotAnchored);
    assert!(
        r.summary
            .contains("2 receipt(s) by backend keys not in the trusted keys")
    );
    Ok(())
}

#[test]
fn without_trusted_keys_a_valid_signature_is_not_trust() -> TestResult {
    let e = exported(2, 3)?;
    let err = verify_bundle_trusted(&e.bundle, &TrustedKeys::new())
        .err()
        .ok_or("accepted")?;
    assert_eq!(err.kind, FailureKind::UntrustedSigner);
    assert_eq!(err.file, MANIFEST_FILE);
    assert!(err.reason.contains(&fingerprint(&public_key_hex(&e.key))));
    // A backend key is not an installation key.
    let mut t = TrustedKeys::new();
    t.add(KeyRole::Backend, &public_key_hex(&e.key), "")?;
    let err = verify_bundle_trusted(&e.bundle, &t)
        .err()
        .ok_or("accepted")?;
    assert_eq!(err.kind, FailureKind::UntrustedSigner);
    Ok(())
}

#[test]
fn a_trail_rewritten_and_re_signed_with_a_fresh_key_is_not_trusted() -> TestResult {
    let e = exported(2, 5)?;
    // Mallory edits who decided, recomputes the chain and every hash, and signs with her key.
    // She drops the receipts: they name the real installation key.
    rewrite_chain(&e.bundle, 2, |ev| ev.actor = "user:mallory".into())?;
    fs::write(e.bundle.join(RECEIPTS_JSONL), "")?;
    let mallory = SigningKey::from_bytes(&[66; 32]);
    resign(&e.bundle, &e.manifest, &mallory)?;
    // Self-consistent: the integrity check alone cannot tell.
    assert!(verify_bundle(&e.bundle).is_ok());
    let err = verify_bundle_trusted(&e.bundle, &trusting(&e.key, Some(&e.backend_key))?)
        .err()
        .ok_or("a re-signed bundle was trusted")?;
    assert_eq!(err.kind, FailureKind::UntrustedSigner);
    assert_eq!(err.signer_key, Some(public_key_hex(&mallory)));
    Ok(())
}

#[test]
fn a_chain_rewritten_before_a_receipted_checkpoint_fails_even_re_signed_with_the_trusted_key()
-> TestResult {
    let e = exported(2, 9)?;
    // Receipts at seq 3, 6 and 9. The installation key's holder rewrites seq 5 and re-signs
    // with the trusted installation key itself.
    rewrite_chain(&e.bundle, 5, |ev| ev.actor = "user:mallory".into())?;
    resign(&e.bundle, &e.manifest, &e.key)?;
    let err = verify_bundle_trusted(&e.bundle, &trusting(&e.key, Some(&e.backend_key))?)
        .err()
        .ok_or("a rewritten chain verified")?;
    assert_eq!(err.kind, FailureKind::Invalid);
    assert_eq!(err.file, RECEIPTS_JSONL);
    assert_eq!(
        err.line,
        Some(2),
        "the receipt of seq 6 is the first the rewrite breaks"
    );
    assert!(err.reason.starts_with("chain rewritten: backend "), "{err}");
    assert!(err.reason.contains("countersigned seq 6"), "{err}");
    // The same holds when the backend is not trusted: a receipt contradicting the chain is a
    // contradiction whoever signed it.
    assert!(verify_bundle_trusted(&e.bundle, &trusting(&e.key, None)?).is_err());
    Ok(())
}

#[test]
fn a_receipt_edited_to_match_a_rewritten_chain_breaks_its_backend_signature() -> TestResult {
    let e = exported(2, 9)?;
    rewrite_chain(&e.bundle, 5, |ev| ev.actor = "user:mallory".into())?;
    let audit = fs::read_to_string(e.bundle.join(AUDIT_FILE))?;
    let new_hash = |seq: u64| -> TestResult<String> {
        let ev: countersign_core::audit::AuditEvent =
            serde_json::from_str(audit.lines().nth(seq as usize - 1).ok_or("no line")?)?;
        Ok(ev.hash)
    };
    let receipts = fs::read_to_string(e.bundle.join(RECEIPTS_JSONL))?;
    let mut lines = Vec::new();
    for l in receipts.lines() {
        let mut r: countersign_audit::Receipt = serde_json::from_str(l)?;
        if r.seq >= 5 {
            // Re-sign the checkpoint with the installation key she holds; the backend's
            // signature she cannot make.
            let c = countersign_audit::sign_checkpoint(
                &e.key,
                &countersign_audit::Head {
                    seq: r.seq,
                    hash: new_hash(r.seq)?,
                },
                t0(),
            );
            r.head_hash = c.head_hash;
            r.at = c.at;
            r.installation_signature = c.signature;
        }
        lines.push(r.to_line()? + "\n");
    }
    fs::write(e.bundle.join(RECEIPTS_JSONL), lines.concat())?;
    resign(&e.bundle, &e.manifest, &e.key)?;
    let err = verify_bundle_trusted(&e.bundle, &trusting(&e.key, Some(&e.backend_key))?)
        .err()
        .ok_or("a forged receipt verified")?;
    assert_eq!((err.file.as_str(), err.line), (RECEIPTS_JSONL, Some(2)));
    assert!(
        err.reason.contains("backend signature does not match"),
        "{err}"
    );
    Ok(())
}

#[test]
fn what_receipts_cannot_show_history_after_the_last_receipt_or_dropped_receipts() -> TestResult {
    // Stated limits (docs/audit.md): the holder of the installation key can rewrite events
    // after the last receipt, or drop receipts, and the bundle still verifies — with a
    // conclusion that says how far it is anchored.
    let e = exported(2, 7)?;
    rewrite_chain(&e.bundle, 7, |ev| ev.actor = "user:mallory".into())?;
    resign(&e.bundle, &e.manifest, &e.key)?;
    let trusted = trusting(&e.key, Some(&e.backend_key))?;
    let r = verify_bundle_trusted(&e.bundle, &trusted)?;
    assert_eq!(r.anchor.as_ref().map(|a| a.seq), Some(6));
    assert_eq!(r.unanchored_events, 2, "seq 7 and the export event");
    fs::write(e.bundle.join(RECEIPTS_JSONL), "")?;
    resign(&e.bundle, &e.manifest, &e.key)?;
    let r = verify_bundle_trusted(&e.bundle, &trusted)?;
    assert_eq!(r.conclusion, Conclusion::SignedNotAnchored);
    Ok(())
}

#[test]
fn a_receipt_for_another_installation_or_outside_the_chain_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path, backend_id) = store(dir.path(), 1, 4)?;
    let key = load_or_create_key(path.parent().ok_or("no parent")?)?;
    checkpoint(&store, &key, &backend_key(), &backend_id)?; // seq 4
    // A range export whose chain starts after seq 4 carries no receipt for it.
    let late = dir.path().join("late");
    export_bundle_as(
        &store,
        &key,
        &late,
        Some(t0() + chrono::Duration::days(1)),
        None,
        "test",
    )?;
    assert_eq!(fs::read(late.join(RECEIPTS_JSONL))?.len(), 0);
    let full = dir.path().join("full");
    let m = export_bundle_as(&store, &key, &full, None, None, "test")?;
    // Move the receipt into the late bundle: its seq is outside that chain.
    fs::copy(full.join(RECEIPTS_JSONL), late.join(RECEIPTS_JSONL))?;
    let late_manifest: countersign_audit::Manifest =
        serde_json::from_slice(&fs::read(late.join(MANIFEST_FILE))?)?;
    resign(&late, &late_manifest, &key)?;
    let err = verify_bundle(&late).err().ok_or("accepted")?;
    assert!(err.reason.contains("outside the exported chain"), "{err}");
    // Signed by another installation: the receipts name the original key.
    let other = SigningKey::from_bytes(&[5; 32]);
    resign(&full, &m, &other)?;
    let err = verify_bundle(&full).err().ok_or("accepted")?;
    assert!(err.reason.contains("not the bundle's signer"), "{err}");
    Ok(())
}

#[test]
fn the_consoles_trusted_keys_table_is_what_the_app_verifies_with() -> TestResult {
    let e = exported(1, 3)?;
    let mut store = countersign_store::Store::open(&e.store_path)?;
    let tx = store.write()?;
    trusted_keys::add(
        &tx,
        &NewTrustedKey {
            public_key: &public_key_hex(&e.key),
            role: KeyRole::Installation,
            label: "this console",
            source: KeySource::ThisInstallation,
            backend_id: None,
        },
        "user:ana",
        t0(),
    )?;
    tx.commit()?;
    let r = verify_bundle_trusted(&e.bundle, &TrustedKeys::load(store.conn())?)?;
    assert_eq!(r.conclusion, Conclusion::SignedNotAnchored);
    let tx = store.write()?;
    trusted_keys::add(
        &tx,
        &NewTrustedKey {
            public_key: &public_key_hex(&e.backend_key),
            role: KeyRole::Backend,
            label: "ref",
            source: KeySource::Pinned,
            backend_id: Some(&e.backend_id),
        },
        "sync",
        t0(),
    )?;
    tx.commit()?;
    let r = verify_bundle_trusted(&e.bundle, &TrustedKeys::load(store.conn())?)?;
    assert_eq!(r.conclusion, Conclusion::Anchored);
    let tx = store.write()?;
    trusted_keys::remove(&tx, &public_key_hex(&e.key), "user:ana", t0())?;
    tx.commit()?;
    let err = verify_bundle_trusted(&e.bundle, &TrustedKeys::load(store.conn())?)
        .err()
        .ok_or("accepted after the key was removed")?;
    assert_eq!(err.kind, FailureKind::UntrustedSigner);
    Ok(())
}

#[test]
fn a_first_format_bundle_still_verifies() -> TestResult {
    let e = exported(2, 2)?;
    let mut m = e.manifest.clone();
    m.format = BUNDLE_FORMAT_V1.to_string();
    m.files.retain(|f| FILE_NAMES_V1.contains(&f.name.as_str()));
    fs::remove_file(e.bundle.join(countersign_audit::DECISIONS_JSONL))?;
    fs::remove_file(e.bundle.join(RECEIPTS_JSONL))?;
    resign(&e.bundle, &m, &e.key)?;
    let r = verify_bundle_trusted(&e.bundle, &trusting(&e.key, None)?)?;
    assert_eq!(r.format, BUNDLE_FORMAT_V1);
    assert_eq!(r.files.len(), 3);
    assert_eq!(r.conclusion, Conclusion::SignedNotAnchored);
    Ok(())
}
