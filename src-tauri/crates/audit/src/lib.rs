//! Countersign's verifiable audit export.
//!
//! [`export_bundle`] writes a folder an auditor can check offline: `runs.jsonl` and `runs.csv`
//! (the runs that started in the range), `audit.jsonl` (the hash-chained audit trail, ending
//! with the export's own event) and `manifest.json`, which lists every file's SHA-256, line
//! count and per-line SHA-256s, the audit head, and an Ed25519 signature by the
//! installation's key ([`load_or_create_key`]). [`verify_bundle`] needs nothing but the
//! folder: it checks the signature, every file and the chain, and names the first bad record
//! (file, line, reason).

mod bundle;
mod export;
mod key;
mod verify;

pub use bundle::{
    AUDIT_FILE, BUNDLE_FORMAT, FILE_NAMES, FileEntry, Head, MANIFEST_FILE, Manifest, RUNS_CSV,
    RUNS_JSONL, Range,
};
pub use export::{ExportError, export_bundle, export_bundle_as};
pub use key::{KEY_FILE, KeyError, load_or_create_key, public_key_hex};
pub use verify::{
    FileSummary, VerifyError, VerifyReport, verify_bundle, verify_bundle_files,
    verify_bundle_with_key,
};

/// Re-exported so callers can name the key type without depending on `ed25519-dalek`.
pub use ed25519_dalek::SigningKey;
