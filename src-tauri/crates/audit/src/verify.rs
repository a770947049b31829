//! Checking a bundle offline, with nothing but its folder.

use crate::bundle::{
    AUDIT_FILE, BUNDLE_FORMAT, FILE_NAMES, FileDigest, FileEntry, Head, MANIFEST_FILE, Manifest,
    split_lines,
};
use countersign_core::audit::{AuditEvent, canonical_json, verify_chain};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

/// The first bad record of a bundle: which file, which line (1-based) when the fault is in a
/// line, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyError {
    /// File name inside the bundle.
    pub file: String,
    /// 1-based line, when one line is at fault.
    pub line: Option<u64>,
    /// What is wrong.
    pub reason: String,
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

/// What a bundle that verifies holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VerifyReport {
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
    /// The public key that signed (compare with the installation's own).
    pub public_key: String,
}

fn fail(file: &str, line: Option<u64>, reason: impl Into<String>) -> VerifyError {
    VerifyError {
        file: file.to_string(),
        line,
        reason: reason.into(),
    }
}

/// Verifies the bundle in `dir` against the public key it carries.
pub fn verify_bundle(dir: &Path) -> Result<VerifyReport, VerifyError> {
    verify_bundle_with_key(dir, None)
}

/// Verifies the bundle in `dir`; with `expected_public_key` (hex), also requires that the
/// bundle was signed by that key rather than whichever key it carries.
pub fn verify_bundle_with_key(
    dir: &Path,
    expected_public_key: Option<&str>,
) -> Result<VerifyReport, VerifyError> {
    let mut files = BTreeMap::new();
    for name in std::iter::once(MANIFEST_FILE).chain(FILE_NAMES) {
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => {
                files.insert(name.to_string(), bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(name, None, format!("cannot read: {e}"))),
        }
    }
    let report = verify_bundle_files(&files)?;
    if let Some(k) = expected_public_key
        && !k.trim().eq_ignore_ascii_case(&report.public_key)
    {
        return Err(fail(
            MANIFEST_FILE,
            None,
            format!(
                "signed by key {}, not the expected key {}",
                report.public_key,
                k.trim()
            ),
        ));
    }
    Ok(report)
}

/// Verifies a bundle held in memory (file name → bytes); what [`verify_bundle`] does after
/// reading the folder. A missing file is reported as missing.
pub fn verify_bundle_files(files: &BTreeMap<String, Vec<u8>>) -> Result<VerifyReport, VerifyError> {
    let manifest = check_manifest(files)?;
    let mut summaries = Vec::new();
    let mut audit_events = 0;
    for entry in &manifest.files {
        let bytes = files
            .get(&entry.name)
            .ok_or_else(|| fail(&entry.name, None, "missing from the bundle"))?;
        if entry.name == AUDIT_FILE {
            audit_events = check_audit(entry, bytes, &manifest.audit_head)?;
        } else {
            check_lines(entry, bytes)?;
        }
        summaries.push(FileSummary {
            name: entry.name.clone(),
            lines: entry.lines,
            sha256: entry.sha256.clone(),
        });
    }
    Ok(VerifyReport {
        created_at: manifest.created_at,
        from: manifest.range.from,
        to: manifest.range.to,
        files: summaries,
        audit_events,
        audit_head: manifest.audit_head,
        public_key: manifest.public_key,
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
    if manifest.format != BUNDLE_FORMAT {
        return Err(m(format!(
            "unknown format {:?} (expected {BUNDLE_FORMAT})",
            manifest.format
        )));
    }
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
    if names != FILE_NAMES {
        return Err(m(format!("lists files {names:?}, expected {FILE_NAMES:?}")));
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
/// its end against the signed head. Returns the number of events.
fn check_audit(entry: &FileEntry, bytes: &[u8], head: &Head) -> Result<u64, VerifyError> {
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
        Some(last) if last.seq == head.seq && last.hash == head.hash => Ok(events.len() as u64),
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
