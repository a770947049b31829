//! Checking a bundle offline: its integrity with nothing but its folder, and who vouches for
//! it with the auditor's own trusted keys.
//!
//! Integrity ([`verify_bundle`]) shows the bundle is self-consistent and signed by the key it
//! carries — which anyone can produce. Trust ([`verify_bundle_trusted`]) requires that key to
//! be a trusted installation key, and counts a checkpoint receipt as an anchor only when its
//! backend key is trusted too.

use crate::bundle::{
    AUDIT_FILE, FileDigest, FileEntry, Head, MANIFEST_FILE, Manifest, RECEIPTS_JSONL, file_names,
    split_lines,
};
use crate::checkpoint::{Receipt, check_receipt_signatures};
use crate::trust::{TrustedKeys, fingerprint};
use countersign_core::audit::{AuditEvent, canonical_json, verify_chain};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

/// What kind of failure a [`VerifyError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A file is missing, malformed or edited, a signature does not match, or a receipt
    /// contradicts the chain: the bundle is not what was signed.
    Invalid,
    /// Everything checks out, but the signing key is not a trusted installation key: anyone
    /// can produce such a bundle.
    UntrustedSigner,
}

/// Why a bundle does not verify: the first bad record (which file, which 1-based line when the
/// fault is in a line, and why), or an untrusted signer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VerifyError {
    /// File name inside the bundle.
    pub file: String,
    /// 1-based line, when one line is at fault.
    pub line: Option<u64>,
    /// What is wrong.
    pub reason: String,
    /// Invalid bundle or untrusted signer.
    pub kind: FailureKind,
    /// For [`FailureKind::UntrustedSigner`]: the key that signed (hex), for an admin who has
    /// compared its fingerprint out of band to trust.
    pub signer_key: Option<String>,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "{} line {n}: {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

impl std::error::Error for VerifyError {}

/// One verified file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FileSummary {
    /// File name.
    pub name: String,
    /// Lines.
    pub lines: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// One checkpoint receipt of the bundle, checked against the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReceiptSummary {
    /// Seq the backend countersigned; the exported chain passes through it.
    pub seq: u64,
    /// Hash it countersigned.
    pub head_hash: String,
    /// The backend's public key, hex.
    pub backend_key: String,
    /// Its fingerprint.
    pub backend_fingerprint: String,
    /// When the backend received the checkpoint, by its clock.
    pub received_at: String,
    /// Whether the backend key is among the verifier's trusted backend keys.
    pub backend_trusted: bool,
    /// Its label in the trusted keys.
    pub backend_label: Option<String>,
}

/// What a verified bundle lets an auditor conclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// Signed by a trusted installation key, and the chain passes through a head a trusted
    /// backend countersigned: history up to that head cannot have been rewritten after the
    /// backend received it, not even by whoever holds the installation key.
    Anchored,
    /// Signed by a trusted installation key, but no receipt from a trusted backend: the files
    /// are what that installation exported, but its holder could have rewritten any history
    /// before exporting.
    SignedNotAnchored,
    /// Self-consistent and signed by the key it carries, which nothing vouches for: anyone
    /// can produce such a bundle. Only [`verify_bundle`] (no trusted keys) reports this.
    IntegrityOnly,
}

/// What a bundle that verifies holds, and what can be concluded from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VerifyReport {
    /// The manifest's format.
    pub format: String,
    /// When it was made.
    pub created_at: String,
    /// Run range, RFC 3339 (`None` = open).
    pub from: Option<String>,
    /// Run range end (exclusive).
    pub to: Option<String>,
    /// The files, checked.
    pub files: Vec<FileSummary>,
    /// Events in `audit.jsonl`.
    pub audit_events: u64,
    /// The audit head the manifest signs, equal to the last event of `audit.jsonl`.
    pub audit_head: Head,
    /// The public key that signed, hex.
    pub public_key: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Whether it is a trusted installation key.
    pub signer_trusted: bool,
    /// Its label in the trusted keys.
    pub signer_label: Option<String>,
    /// The checkpoint receipts, each checked against the chain, by seq.
    pub receipts: Vec<ReceiptSummary>,
    /// The receipt of a trusted backend with the highest seq, if any.
    pub anchor: Option<ReceiptSummary>,
    /// Events after the anchor (all of them when there is none): covered only by the
    /// installation's signature.
    pub unanchored_events: u64,
    /// What can be concluded.
    pub conclusion: Conclusion,
    /// The conclusion in words, for people.
    pub summary: String,
}

fn fail(file: &str, line: Option<u64>, reason: impl Into<String>) -> VerifyError {
    VerifyError {
        file: file.to_string(),
        line,
        reason: reason.into(),
        kind: FailureKind::Invalid,
        signer_key: None,
    }
}

/// Checks the integrity of the bundle in `dir` against the public key it carries: every file,
/// the chain, and each receipt's signatures and agreement with the chain. Establishes nothing
/// about who signed (the conclusion is [`Conclusion::IntegrityOnly`]); use
/// [`verify_bundle_trusted`] for that.
pub fn verify_bundle(dir: &Path) -> Result<VerifyReport, VerifyError> {
    verify_bundle_files(&read_bundle(dir)?)
}

/// Verifies the bundle in `dir` and requires it to be signed by a trusted installation key of
/// `trusted`; a bundle signed by any other key fails with [`FailureKind::UntrustedSigner`]
/// (after every other check passed). Receipts anchor the chain only when their backend key is
/// trusted; the report's [`Conclusion`] says which.
pub fn verify_bundle_trusted(
    dir: &Path,
    trusted: &TrustedKeys,
) -> Result<VerifyReport, VerifyError> {
    verify_bundle_files_trusted(&read_bundle(dir)?, trusted)
}

/// Verifies the bundle in `dir`; with `expected_public_key` (hex), requires it to be signed by
/// that key (as [`verify_bundle_trusted`] with that one installation key), else checks
/// integrity only (as [`verify_bundle`]).
pub fn verify_bundle_with_key(
    dir: &Path,
    expected_public_key: Option<&str>,
) -> Result<VerifyReport, VerifyError> {
    let Some(k) = expected_public_key else {
        return verify_bundle(dir);
    };
    let mut trusted = TrustedKeys::new();
    trusted
        .add(
            countersign_store::trusted_keys::KeyRole::Installation,
            k,
            "",
        )
        .map_err(|e| fail(MANIFEST_FILE, None, format!("expected key: {e}")))?;
    verify_bundle_trusted(dir, &trusted)
}

/// Reads every file a bundle may hold; absent ones are left out (and reported as missing if
/// the manifest lists them).
fn read_bundle(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, VerifyError> {
    let mut files = BTreeMap::new();
    let names = std::iter::once(MANIFEST_FILE).chain(crate::bundle::FILE_NAMES);
    for name in names {
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => {
                files.insert(name.to_string(), bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(name, None, format!("cannot read: {e}"))),
        }
    }
    Ok(files)
}

/// Checks the integrity of a bundle held in memory (file name → bytes), as [`verify_bundle`]
/// does after reading the folder. A missing file is reported as missing.
pub fn verify_bundle_files(files: &BTreeMap<String, Vec<u8>>) -> Result<VerifyReport, VerifyError> {
    let mut report = check_integrity(files, &TrustedKeys::new())?;
    report.conclusion = Conclusion::IntegrityOnly;
    report.summary = summary(&report);
    Ok(report)
}

/// [`verify_bundle_trusted`] of a bundle held in memory.
pub fn verify_bundle_files_trusted(
    files: &BTreeMap<String, Vec<u8>>,
    trusted: &TrustedKeys,
) -> Result<VerifyReport, VerifyError> {
    let mut report = check_integrity(files, trusted)?;
    if !report.signer_trusted {
        return Err(VerifyError {
            file: MANIFEST_FILE.to_string(),
            line: None,
            reason: format!(
                "signature valid, signer not trusted: key fingerprint {} ({}) is not a trusted \
                 installation key",
                report.fingerprint, report.public_key
            ),
            kind: FailureKind::UntrustedSigner,
            signer_key: Some(report.public_key),
        });
    }
    report.conclusion = if report.anchor.is_some() {
        Conclusion::Anchored
    } else {
        Conclusion::SignedNotAnchored
    };
    report.summary = summary(&report);
    Ok(report)
}

/// The conclusion in words.
fn summary(r: &VerifyReport) -> String {
    let signer = match &r.signer_label {
        Some(l) if !l.is_empty() => format!("{} ({l})", r.fingerprint),
        _ => r.fingerprint.clone(),
    };
    let untrusted_receipts = r.receipts.iter().filter(|x| !x.backend_trusted).count();
    let ignored = if untrusted_receipts > 0 {
        format!(
            " {untrusted_receipts} receipt(s) by backend keys not in the trusted keys were \
             checked against the chain but anchor nothing."
        )
    } else {
        String::new()
    };
    match (r.conclusion, &r.anchor) {
        (Conclusion::Anchored, Some(a)) => format!(
            "Anchored: signed by trusted installation key {signer}; trusted backend {} \
             countersigned the chain head at seq {} on {}, so events 1..={} existed in exactly \
             this form by then and were not rewritten afterwards. The {} event(s) after seq {} \
             rest on the installation's signature alone.{ignored}",
            match &a.backend_label {
                Some(l) if !l.is_empty() => format!("{} ({l})", a.backend_fingerprint),
                _ => a.backend_fingerprint.clone(),
            },
            a.seq,
            a.received_at,
            a.seq,
            r.unanchored_events,
            a.seq
        ),
        (Conclusion::IntegrityOnly, _) => format!(
            "Integrity only: the bundle is complete and self-consistent and signed by key \
             {signer}, which this check did not compare with any trusted key; anyone can \
             produce such a bundle."
        ),
        _ => format!(
            "Signed, not anchored: signed by trusted installation key {signer}, so the files \
             are exactly what that installation exported; no receipt from a trusted backend, \
             so whoever holds the installation key could have rewritten any of the history \
             before exporting.{ignored}"
        ),
    }
}

/// Every check that needs no trust decision; trust fields are filled from `trusted`.
fn check_integrity(
    files: &BTreeMap<String, Vec<u8>>,
    trusted: &TrustedKeys,
) -> Result<VerifyReport, VerifyError> {
    let manifest = check_manifest(files)?;
    let mut summaries = Vec::new();
    let mut events: Vec<AuditEvent> = Vec::new();
    let mut receipts = Vec::new();
    for entry in &manifest.files {
        let bytes = files
            .get(&entry.name)
            .ok_or_else(|| fail(&entry.name, None, "missing from the bundle"))?;
        if entry.name == AUDIT_FILE {
            events = check_audit(entry, bytes, &manifest.audit_head)?;
        } else if entry.name == RECEIPTS_JSONL {
            receipts = check_receipts(entry, bytes, &events, &manifest.public_key, trusted)?;
        } else {
            check_lines(entry, bytes)?;
        }
        summaries.push(FileSummary {
            name: entry.name.clone(),
            lines: entry.lines,
            sha256: entry.sha256.clone(),
        });
    }
    let anchor = receipts
        .iter()
        .filter(|r| r.backend_trusted)
        .max_by(|a, b| a.seq.cmp(&b.seq).then(b.received_at.cmp(&a.received_at)))
        .cloned();
    let head_seq = manifest.audit_head.seq;
    let first_seq = events.first().map_or(head_seq, |e| e.seq);
    let unanchored_events = match &anchor {
        Some(a) => head_seq - a.seq,
        None => head_seq + 1 - first_seq,
    };
    let signer_label = trusted.installation(&manifest.public_key).map(String::from);
    Ok(VerifyReport {
        format: manifest.format,
        created_at: manifest.created_at,
        from: manifest.range.from,
        to: manifest.range.to,
        files: summaries,
        audit_events: events.len() as u64,
        audit_head: manifest.audit_head,
        fingerprint: fingerprint(&manifest.public_key),
        public_key: manifest.public_key,
        signer_trusted: signer_label.is_some(),
        signer_label,
        receipts,
        anchor,
        unanchored_events,
        conclusion: Conclusion::IntegrityOnly,
        summary: String::new(),
    })
}

/// Parses the manifest, requires it byte-for-byte canonical, and checks its signature.
fn check_manifest(files: &BTreeMap<String, Vec<u8>>) -> Result<Manifest, VerifyError> {
    let m = |reason: String| fail(MANIFEST_FILE, None, reason);
    let bytes = files
        .get(MANIFEST_FILE)
        .ok_or_else(|| m("missing from the bundle".into()))?;
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| m(format!("not valid JSON ({e})")))?;
    if format!("{}\n", canonical_json(&value)).as_bytes() != bytes.as_slice() {
        return Err(m(
            "not in canonical form (bytes changed outside the signed content)".into(),
        ));
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| m(format!("malformed ({e})")))?;
    let Some(expected_names) = file_names(&manifest.format) else {
        return Err(m(format!(
            "unknown format {:?} (expected {})",
            manifest.format,
            crate::bundle::BUNDLE_FORMAT
        )));
    };
    let key_bytes: [u8; 32] = hex::decode(&manifest.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| m("public_key is not 32 bytes of hex".into()))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| m("public_key is not an Ed25519 key".into()))?;
    let sig_bytes: [u8; 64] = hex::decode(&manifest.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| m("signature is not 64 bytes of hex".into()))?;
    // Hex is case-insensitive to a decoder; the bundle's bytes are not. Only the exact
    // lowercase spelling that was written is accepted, so no byte of the manifest can change.
    if hex::encode(sig_bytes) != manifest.signature || hex::encode(key_bytes) != manifest.public_key
    {
        return Err(m(
            "signature or public_key is not in canonical lowercase hex".into(),
        ));
    }
    let signed = manifest
        .signed_bytes()
        .map_err(|e| m(format!("cannot encode ({e})")))?;
    key.verify_strict(&signed, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| {
            m("signature does not match (manifest edited, or signed by another key)".into())
        })?;
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    if names != expected_names {
        return Err(m(format!(
            "lists files {names:?}, expected {expected_names:?}"
        )));
    }
    for f in &manifest.files {
        if f.lines != f.line_sha256.len() as u64 {
            return Err(m(format!(
                "{}: {} lines but {} line hashes",
                f.name,
                f.lines,
                f.line_sha256.len()
            )));
        }
    }
    Ok(manifest)
}

/// Where a file first departs from its manifest entry: the 0-based line and why.
fn first_bad_line(entry: &FileEntry, bytes: &[u8]) -> Option<(usize, String)> {
    let (sha256, actual) = FileDigest::of(bytes);
    let expected = &entry.line_sha256;
    let Some(i) = (0..actual.len().max(expected.len())).find(|&i| actual.get(i) != expected.get(i))
    else {
        if sha256 == entry.sha256 {
            return None;
        }
        // Every line matches, so only the end of the file differs.
        return Some((
            actual.len().saturating_sub(1),
            "end of file changed (final newline added or removed)".into(),
        ));
    };
    let reason = match (actual.get(i), expected.get(i)) {
        (None, _) => "missing (lines deleted or file truncated)".to_string(),
        (Some(_), None) => "added after the last line the manifest lists".to_string(),
        (Some(a), Some(e)) => {
            let known: HashSet<&String> = expected.iter().collect();
            if expected.get(i + 1) == Some(a) && actual.get(i + 1) == Some(e) {
                "out of order (swapped with the next line)".to_string()
            } else if expected.get(i + 1) == Some(a) {
                "deleted (the manifest's line here is missing)".to_string()
            } else if actual.get(i + 1) == Some(e) {
                if known.contains(a) {
                    "inserted (a duplicate of another line)".to_string()
                } else {
                    "inserted (not in the manifest)".to_string()
                }
            } else if known.contains(a) {
                "out of order (lines moved, duplicated or deleted)".to_string()
            } else {
                "edited (differs from the signed line hash)".to_string()
            }
        }
    };
    Some((i, reason))
}

fn check_lines(entry: &FileEntry, bytes: &[u8]) -> Result<(), VerifyError> {
    match first_bad_line(entry, bytes) {
        None => Ok(()),
        Some((i, reason)) => Err(fail(&entry.name, Some(i as u64 + 1), reason)),
    }
}

/// Checks `audit.jsonl`: lines against the manifest, each line an event, the hash chain, and
/// its end against the signed head. Returns the events.
fn check_audit(
    entry: &FileEntry,
    bytes: &[u8],
    head: &Head,
) -> Result<Vec<AuditEvent>, VerifyError> {
    let bad_line = first_bad_line(entry, bytes);
    let lines = split_lines(bytes);
    let mut events = Vec::with_capacity(lines.len());
    let mut parse_error = None;
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_slice::<AuditEvent>(line) {
            Ok(e) => events.push(e),
            Err(e) => {
                parse_error = Some((i, format!("not an audit event ({e})")));
                break;
            }
        }
    }
    // The chain's reason wins where it points at the same line as the line check: it says
    // more ("hash mismatch") than "edited".
    let chain_error = verify_chain(&events)
        .err()
        .map(|e| (e.index, e.reason.to_string()));
    let structural = match (parse_error, chain_error) {
        (Some(p), Some(c)) => Some(if c.0 <= p.0 { c } else { p }),
        (p, c) => p.or(c),
    };
    let first = match (bad_line, structural) {
        (Some(b), Some(s)) => Some(if s.0 <= b.0 { s } else { b }),
        (b, s) => b.or(s),
    };
    if let Some((i, reason)) = first {
        return Err(fail(AUDIT_FILE, Some(i as u64 + 1), reason));
    }
    match events.last() {
        Some(last) if last.seq == head.seq && last.hash == head.hash => Ok(events),
        Some(last) => Err(fail(
            AUDIT_FILE,
            Some(events.len() as u64),
            format!(
                "last event (seq {}) is not the signed audit head (seq {})",
                last.seq, head.seq
            ),
        )),
        None => Err(fail(
            AUDIT_FILE,
            None,
            "no events, but the manifest signs a head",
        )),
    }
}

/// Checks `receipts.jsonl` against its manifest entry, then each receipt: both signatures,
/// issued for the bundle's signing key, and for a head the exported chain passes through (the
/// event at its seq has its hash). Returns the receipts with their trust from `trusted`.
fn check_receipts(
    entry: &FileEntry,
    bytes: &[u8],
    events: &[AuditEvent],
    signer: &str,
    trusted: &TrustedKeys,
) -> Result<Vec<ReceiptSummary>, VerifyError> {
    check_lines(entry, bytes)?;
    let first_seq = events.first().map_or(0, |e| e.seq);
    let last_seq = events.last().map_or(0, |e| e.seq);
    let mut out = Vec::new();
    for (i, line) in split_lines(bytes).into_iter().enumerate() {
        let bad = |reason: String| fail(RECEIPTS_JSONL, Some(i as u64 + 1), reason);
        let r: Receipt = serde_json::from_slice(line)
            .map_err(|e| bad(format!("not a checkpoint receipt ({e})")))?;
        check_receipt_signatures(&r).map_err(|e| bad(format!("receipt {e}")))?;
        if r.installation_key != signer {
            return Err(bad(format!(
                "receipt is for installation key {}, not the bundle's signer {}",
                fingerprint(&r.installation_key),
                fingerprint(signer)
            )));
        }
        let backend = fingerprint(&r.backend_key);
        let event = r
            .seq
            .checked_sub(first_seq)
            .and_then(|k| events.get(k as usize))
            .filter(|e| e.seq == r.seq)
            .ok_or_else(|| {
                bad(format!(
                    "backend {backend} countersigned seq {}, outside the exported chain (seq \
                     {first_seq}..={last_seq})",
                    r.seq
                ))
            })?;
        if event.hash != r.head_hash {
            return Err(bad(format!(
                "chain rewritten: backend {backend} countersigned seq {} with hash {} on {}, but \
                 the exported event at seq {} has hash {}",
                r.seq, r.head_hash, r.received_at, r.seq, event.hash
            )));
        }
        let backend_label = trusted.backend(&r.backend_key).map(String::from);
        out.push(ReceiptSummary {
            seq: r.seq,
            head_hash: r.head_hash,
            backend_fingerprint: backend,
            backend_key: r.backend_key,
            received_at: r.received_at,
            backend_trusted: backend_label.is_some(),
            backend_label,
        });
    }
    Ok(out)
}
