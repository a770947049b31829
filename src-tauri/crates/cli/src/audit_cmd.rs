//! `countersign audit export` and `countersign verify`: signed audit bundles and their
//! offline check.

use crate::StoreArg;
use crate::output::{self, safe};
use clap::{Args, Subcommand};
use countersign_audit::{
    Conclusion, FailureKind, KeyRole, TrustedKeys, export_bundle_as, fingerprint,
    load_or_create_key, public_key_hex, verify_bundle_trusted,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `verify`: the bundle verifies and its signer is trusted.
pub const EXIT_VERIFIED: u8 = 0;
/// `verify`: the bundle does not verify (a file missing or edited, a signature that does not
/// match, a receipt contradicting the chain).
pub const EXIT_INVALID: u8 = 1;
/// `verify`: bad arguments (clap's usage errors use 2 as well): a malformed `--public-key`, an
/// unreadable or malformed `--trusted-keys` file.
pub const EXIT_USAGE: u8 = 2;
/// `verify`: signature valid, signer not trusted (no trusted key given, or not among them).
pub const EXIT_UNTRUSTED: u8 = 3;
/// `verify --require-anchor`: verified and trusted, but no receipt from a trusted backend.
pub const EXIT_NOT_ANCHORED: u8 = 4;

/// `countersign audit …`.
#[derive(Subcommand)]
pub enum AuditCmd {
    /// Export runs and the audit trail as a signed bundle, recording the export in the trail.
    Export(ExportArgs),
    /// Print this installation's public key and fingerprint (give them to auditors out of
    /// band, for their trusted-keys file).
    Key(KeyArgs),
}

/// `countersign audit key`.
#[derive(Args)]
pub struct KeyArgs {
    #[command(flatten)]
    store: StoreArg,
}

/// `countersign audit export`.
#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Folder to write the bundle into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Runs that started at or after (RFC 3339); also where the audit trail excerpt starts.
    #[arg(long)]
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Runs that started before (RFC 3339).
    #[arg(long)]
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the manifest as JSON.
    #[arg(long)]
    json: bool,
}

/// `countersign verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The bundle folder.
    dir: PathBuf,
    /// A trusted installation public key (hex); repeatable. The bundle must be signed by one
    /// of the trusted installation keys.
    #[arg(long)]
    public_key: Vec<String>,
    /// A trusted-keys file: lines `installation <hex> [label]` and `backend <hex> [label]`
    /// (`#` comments). Backend keys decide which checkpoint receipts anchor the chain.
    #[arg(long)]
    trusted_keys: Option<PathBuf>,
    /// Also fail (exit 4) unless a trusted backend's receipt anchors the chain.
    #[arg(long)]
    require_anchor: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `countersign audit …`.
pub fn run(cmd: AuditCmd) -> Result<(), String> {
    match cmd {
        AuditCmd::Export(a) => export(a),
        AuditCmd::Key(a) => {
            let key = load_or_create_key(&key_dir(&a.store.path())).map_err(|e| e.to_string())?;
            let public = public_key_hex(&key);
            output::line(&format!("public key: {public}"));
            output::line(&format!("fingerprint: {}", fingerprint(&public)));
            output::line(&format!("trusted-keys line: installation {public}"));
            Ok(())
        }
    }
}

/// The folder holding the installation key: the store file's folder.
fn key_dir(store: &Path) -> PathBuf {
    match store.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn export(a: ExportArgs) -> Result<(), String> {
    let store = a.store.open_existing()?;
    let key = load_or_create_key(&key_dir(&a.store.path())).map_err(|e| e.to_string())?;
    let m = export_bundle_as(&store, &key, &a.out, a.from, a.to, "cli")
        .map_err(|e| format!("export failed: {e}"))?;
    if a.json {
        output::json_line(&m);
        return Ok(());
    }
    output::line(&format!("bundle: {}", a.out.display()));
    output::line(&format!(
        "range: {} .. {}",
        m.range.from.as_deref().unwrap_or("start"),
        m.range.to.as_deref().unwrap_or("now")
    ));
    for f in &m.files {
        output::line(&format!(
            "file: {:<12} {:>7} lines  sha256 {}",
            f.name, f.lines, f.sha256
        ));
    }
    output::line(&format!(
        "audit head: seq {} hash {}",
        m.audit_head.seq, m.audit_head.hash
    ));
    output::line(&format!("public key: {}", m.public_key));
    Ok(())
}

/// The trusted keys from `--public-key` and `--trusted-keys`.
fn trusted_keys(a: &VerifyArgs) -> Result<TrustedKeys, String> {
    let mut t = match &a.trusted_keys {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("--trusted-keys {}: {e}", p.display()))?;
            TrustedKeys::parse(&text).map_err(|e| format!("--trusted-keys {}: {e}", p.display()))?
        }
        None => TrustedKeys::new(),
    };
    for k in &a.public_key {
        t.add(KeyRole::Installation, k, "--public-key")
            .map_err(|e| format!("--public-key: {e}"))?;
    }
    Ok(t)
}

/// Runs `countersign verify DIR`: `ok: …` and the conclusion, or why not, with the exit codes
/// `EXIT_*` (documented in `docs/audit.md`).
pub fn verify(a: VerifyArgs) -> ExitCode {
    let trusted = match trusted_keys(&a) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}", safe(&e));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match verify_bundle_trusted(&a.dir, &trusted) {
        Ok(r) => {
            let anchored = r.conclusion == Conclusion::Anchored;
            if a.json {
                output::json_line(&r);
            } else {
                let files: Vec<String> = r
                    .files
                    .iter()
                    .map(|f| format!("{} {} lines", f.name, f.lines))
                    .collect();
                output::line(&format!(
                    "ok: {} verified: {}; {} audit events, head seq {} hash {}; signed by {} \
                     (fingerprint {}), trusted",
                    a.dir.display(),
                    files.join(", "),
                    r.audit_events,
                    r.audit_head.seq,
                    r.audit_head.hash,
                    r.public_key,
                    r.fingerprint
                ));
                for x in &r.receipts {
                    output::line(&format!(
                        "receipt: seq {} countersigned by backend {} at {}{}",
                        x.seq,
                        x.backend_fingerprint,
                        x.received_at,
                        if x.backend_trusted {
                            " (trusted)"
                        } else {
                            " (backend key not trusted: anchors nothing)"
                        }
                    ));
                }
                output::line(&format!("conclusion: {}", safe(&r.summary)));
            }
            if a.require_anchor && !anchored {
                eprintln!("error: not anchored: no receipt from a trusted backend");
                return ExitCode::from(EXIT_NOT_ANCHORED);
            }
            ExitCode::from(EXIT_VERIFIED)
        }
        Err(e) => {
            let msg = safe(&e.to_string());
            if a.json {
                output::json_line(&serde_json::json!({"ok": false, "error": e}));
            }
            if e.kind == FailureKind::UntrustedSigner {
                if !a.json {
                    output::line(&format!("UNTRUSTED: {msg}"));
                }
                eprintln!(
                    "error: signature valid, signer not trusted; pass --public-key or \
                     --trusted-keys with the signer's key obtained out of band"
                );
                return ExitCode::from(EXIT_UNTRUSTED);
            }
            if !a.json {
                output::line(&format!("FAILED: {msg}"));
            }
            eprintln!("error: bundle does not verify: {msg}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}
