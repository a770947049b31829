//! The bundle format shared by export and verify: file names, the manifest, how files are cut
//! into lines and hashed, and what the signature covers.

use countersign_core::audit::canonical_json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The manifest's `format` of the bundles written now.
pub const BUNDLE_FORMAT: &str = "countersign-audit-bundle/4";
/// The third format (no golden-set evals); still verified.
pub const BUNDLE_FORMAT_V3: &str = "countersign-audit-bundle/3";
/// The second format (no readiness scorecards); still verified.
pub const BUNDLE_FORMAT_V2: &str = "countersign-audit-bundle/2";
/// The first format (runs and the audit chain only, no decisions or receipts); still verified.
pub const BUNDLE_FORMAT_V1: &str = "countersign-audit-bundle/1";
/// Runs, one JSON object per line, in the seed run-log shape plus what each run changed.
pub const RUNS_JSONL: &str = "runs.jsonl";
/// Runs, one CSV row per run after a header row.
pub const RUNS_CSV: &str = "runs.csv";
/// Every action the console has seen, one JSON object per line, with its review history.
pub const DECISIONS_JSONL: &str = "decisions.jsonl";
/// Every workflow's readiness scorecard over the bundle's period, with the thresholds in
/// force and the evidence, as pretty-printed JSON.
pub const READINESS_JSON: &str = "readiness.json";
/// The same scorecards, one CSV row per evidence after a header row.
pub const READINESS_CSV: &str = "readiness.csv";
/// The golden-set evals that started in the range, each with its configuration, baseline and
/// report (totals, verdict and every case), as pretty-printed JSON.
pub const EVALS_JSON: &str = "evals.json";
/// The same evals, one CSV row per case after a header row.
pub const EVALS_CSV: &str = "evals.csv";
/// The audit chain, one canonical JSON event per line, in seq order.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// Backends' checkpoint receipts for heads of the exported chain, one canonical JSON receipt
/// per line, by seq.
pub const RECEIPTS_JSONL: &str = "receipts.jsonl";
/// The signed manifest (one line of canonical JSON).
pub const MANIFEST_FILE: &str = "manifest.json";
/// The files a [`BUNDLE_FORMAT`] manifest lists, in this order (the order verify checks them).
pub const FILE_NAMES: [&str; 9] = [
    RUNS_JSONL,
    RUNS_CSV,
    DECISIONS_JSONL,
    READINESS_JSON,
    READINESS_CSV,
    EVALS_JSON,
    EVALS_CSV,
    AUDIT_FILE,
    RECEIPTS_JSONL,
];
/// The files a [`BUNDLE_FORMAT_V3`] manifest lists.
pub const FILE_NAMES_V3: [&str; 7] = [
    RUNS_JSONL,
    RUNS_CSV,
    DECISIONS_JSONL,
    READINESS_JSON,
    READINESS_CSV,
    AUDIT_FILE,
    RECEIPTS_JSONL,
];
/// The files a [`BUNDLE_FORMAT_V2`] manifest lists.
pub const FILE_NAMES_V2: [&str; 5] = [
    RUNS_JSONL,
    RUNS_CSV,
    DECISIONS_JSONL,
    AUDIT_FILE,
    RECEIPTS_JSONL,
];
/// The files a [`BUNDLE_FORMAT_V1`] manifest lists.
pub const FILE_NAMES_V1: [&str; 3] = [RUNS_JSONL, RUNS_CSV, AUDIT_FILE];

/// The files a manifest of `format` lists, or `None` for an unknown format.
pub fn file_names(format: &str) -> Option<&'static [&'static str]> {
    match format {
        BUNDLE_FORMAT => Some(&FILE_NAMES),
        BUNDLE_FORMAT_V3 => Some(&FILE_NAMES_V3),
        BUNDLE_FORMAT_V2 => Some(&FILE_NAMES_V2),
        BUNDLE_FORMAT_V1 => Some(&FILE_NAMES_V1),
        _ => None,
    }
}

/// `manifest.json`: what the bundle holds, signed. Written as canonical JSON (keys sorted, no
/// whitespace) plus one newline, so any byte changed in it is detected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ExportManifest")]
pub struct Manifest {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// When the bundle was made (RFC 3339, milliseconds, `Z`).
    pub created_at: String,
    /// The run range exported.
    pub range: Range,
    /// Every file of the bundle but the manifest, in [`FILE_NAMES`] order.
    pub files: Vec<FileEntry>,
    /// The last event of `audit.jsonl` (the export's own event).
    pub audit_head: Head,
    /// Ed25519 public key of the installation that signed, hex.
    pub public_key: String,
    /// Ed25519 signature, hex, over [`Manifest::signed_bytes`].
    pub signature: String,
}

/// Runs that started in `[from, to)`; an absent end is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ExportRange")]
pub struct Range {
    /// Inclusive start (RFC 3339), or `null`.
    pub from: Option<String>,
    /// Exclusive end (RFC 3339), or `null`.
    pub to: Option<String>,
}

/// One file of the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ManifestFile")]
pub struct FileEntry {
    /// File name inside the bundle folder.
    pub name: String,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
    /// Number of lines (`\n`-terminated; a last unterminated line counts).
    pub lines: u64,
    /// SHA-256 of each line without its `\n`, hex, in order: lets verify name the first
    /// edited, deleted, inserted or reordered line.
    pub line_sha256: Vec<String>,
}

/// An audit chain position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "AuditHead")]
pub struct Head {
    /// Seq of the event.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

impl Manifest {
    /// What the signature covers: the canonical JSON of the manifest without `signature`.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut v = serde_json::to_value(self)?;
        if let Some(map) = v.as_object_mut() {
            map.remove("signature");
        }
        Ok(canonical_json(&v).into_bytes())
    }

    /// The exact bytes of `manifest.json`.
    pub fn file_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut text = canonical_json(&serde_json::to_value(self)?);
        text.push('\n');
        Ok(text.into_bytes())
    }

    /// The entry of file `name`.
    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Hashes a file as it streams by: the whole file and each `\n`-terminated line.
#[derive(Default)]
pub(crate) struct FileDigest {
    whole: Sha256,
    line: Sha256,
    open_line: bool,
    lines: Vec<String>,
}

impl FileDigest {
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.whole.update(bytes);
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            self.line.update(&bytes[..i]);
            let done = std::mem::take(&mut self.line).finalize();
            self.lines.push(hex::encode(done));
            self.open_line = false;
            bytes = &bytes[i + 1..];
        }
        if !bytes.is_empty() {
            self.line.update(bytes);
            self.open_line = true;
        }
    }

    /// Whole-file hash and per-line hashes.
    pub(crate) fn finish(mut self) -> (String, Vec<String>) {
        if self.open_line {
            self.lines.push(hex::encode(self.line.finalize()));
        }
        (hex::encode(self.whole.finalize()), self.lines)
    }

    pub(crate) fn of(bytes: &[u8]) -> (String, Vec<String>) {
        let mut d = FileDigest::default();
        d.update(bytes);
        d.finish()
    }
}

/// The lines of `bytes` as [`FileDigest`] counts them (without their `\n`).
pub(crate) fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// A writer that digests what it writes.
pub(crate) struct Digesting<W: Write> {
    pub(crate) inner: W,
    pub(crate) digest: FileDigest,
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_digest_matches_whole_digest_and_split() {
        let text = b"a\n\nbc\nlast";
        let mut d = FileDigest::default();
        for chunk in text.chunks(3) {
            d.update(chunk);
        }
        let streamed = d.finish();
        assert_eq!(streamed, FileDigest::of(text));
        let lines = split_lines(text);
        assert_eq!(lines, vec![&b"a"[..], b"", b"bc", b"last"]);
        assert_eq!(streamed.1.len(), 4);
        assert_eq!(streamed.1[2], countersign_core::audit::sha256_hex(b"bc"));
        // A final newline ends the last line; it does not start another.
        assert_eq!(FileDigest::of(b"a\nb\n").1.len(), 2);
        assert_eq!(FileDigest::of(b"").1.len(), 0);
        assert_eq!(split_lines(b"a\nb\n").len(), 2);
    }
}
