//! `countersign audit export` and `countersign verify`: signed audit bundles and their
//! offline check.

use crate::StoreArg;
use crate::output::{self, safe};
use clap::{Args, Subcommand};
use countersign_audit::{export_bundle_as, load_or_create_key, verify_bundle_with_key};
use std::path::{Path, PathBuf};

/// `countersign audit …`.
#[derive(Subcommand)]
pub enum AuditCmd {
    /// Export runs and the audit trail as a signed bundle, recording the export in the trail.
    Export(ExportArgs),
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
    /// Also require the bundle to be signed by this public key (hex).
    #[arg(long)]
    public_key: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `countersign audit …`.
pub fn run(cmd: AuditCmd) -> Result<(), String> {
    match cmd {
        AuditCmd::Export(a) => export(a),
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
    let store = a.store.open()?;
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

/// Runs `countersign verify DIR`: `ok: …` and success, or the first bad record and failure.
pub fn verify(a: VerifyArgs) -> Result<(), String> {
    match verify_bundle_with_key(&a.dir, a.public_key.as_deref()) {
        Ok(r) => {
            if a.json {
                output::json_line(&r);
                return Ok(());
            }
            let files: Vec<String> = r
                .files
                .iter()
                .map(|f| format!("{} {} lines", f.name, f.lines))
                .collect();
            output::line(&format!(
                "ok: {} verified: {}; {} audit events, head seq {} hash {}; signed by {}",
                a.dir.display(),
                files.join(", "),
                r.audit_events,
                r.audit_head.seq,
                r.audit_head.hash,
                r.public_key
            ));
            Ok(())
        }
        Err(e) => {
            let msg = safe(&e.to_string());
            if a.json {
                output::json_line(&serde_json::json!({"ok": false, "error": e}));
            } else {
                output::line(&format!("FAILED: {msg}"));
            }
            Err(format!("bundle does not verify: {msg}"))
        }
    }
}
