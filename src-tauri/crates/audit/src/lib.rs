//! Countersign's verifiable audit export.
//!
//! [`export_bundle`] writes a folder an auditor can check offline: `runs.jsonl` and `runs.csv`
//! (the runs that started in the range), `decisions.jsonl` (every action seen, with who
//! decided, the reviewed values, corrections, time to decide, delivery and rollbacks),
//! `readiness.json` and `readiness.csv` (every workflow's readiness scorecard over the range,
//! with the thresholds in force and the evidence), `evals.json` and `evals.csv` (the golden-set
//! evals started in the range, with configuration, baseline and report, case by case),
//! `audit.jsonl` (the hash-chained audit trail, ending with the export's own event),
//! `receipts.jsonl` (backends' countersignatures over heads of that chain) and
//! `manifest.json`, which lists every file's SHA-256, line count and per-line SHA-256s, the
//! audit head, and an Ed25519 signature by the installation's key ([`load_or_create_key`]).
//!
//! [`verify_bundle_trusted`] checks the signature, every file, the chain and every receipt, and
//! requires the signer to be one of the auditor's [`TrustedKeys`]; receipts anchor the chain
//! only when their backend key is trusted. [`verify_bundle`] checks integrity alone. Both name
//! the first bad record (file, line, reason). See `docs/audit.md` for the threat model.

mod bundle;
mod checkpoint;
mod decisions;
mod evals;
mod export;
mod key;
mod trust;
mod verify;

pub use bundle::{
    AUDIT_FILE, BUNDLE_FORMAT, BUNDLE_FORMAT_V1, BUNDLE_FORMAT_V2, BUNDLE_FORMAT_V3,
    DECISIONS_JSONL, EVALS_CSV, EVALS_JSON, FILE_NAMES, FILE_NAMES_V1, FILE_NAMES_V2,
    FILE_NAMES_V3, FileEntry, Head, MANIFEST_FILE, Manifest, READINESS_CSV, READINESS_JSON,
    RECEIPTS_JSONL, RUNS_CSV, RUNS_JSONL, Range, file_names,
};
pub use checkpoint::{
    CHECKPOINT_DOMAIN, Checkpoint, RECEIPT_DOMAIN, RECEIPT_FORMAT, Receipt, ReceiptRow,
    check_checkpoint_signature, check_receipt_signatures, countersign, receipt_signed_bytes,
    sign_checkpoint,
};
pub use export::{ExportError, export_bundle, export_bundle_as};
pub use key::{KEY_FILE, KeyError, load_or_create_key, public_key_hex};
pub use trust::{TrustFileError, TrustedKeys, fingerprint};
pub use verify::{
    Conclusion, FailureKind, FileSummary, ReceiptSummary, VerifyError, VerifyReport, verify_bundle,
    verify_bundle_files, verify_bundle_files_trusted, verify_bundle_trusted,
    verify_bundle_with_key,
};

/// Re-exported so callers can name the role of a trusted key without the store crate.
pub use countersign_store::trusted_keys::KeyRole;
/// Re-exported so callers can name the key type without depending on `ed25519-dalek`.
pub use ed25519_dalek::SigningKey;
