//! Writing a bundle from a store.

use crate::bundle::{
    AUDIT_FILE, BUNDLE_FORMAT, DECISIONS_JSONL, Digesting, EVALS_CSV, EVALS_JSON, FileDigest,
    FileEntry, Head, MANIFEST_FILE, Manifest, READINESS_CSV, READINESS_JSON, RECEIPTS_JSONL,
    RUNS_CSV, RUNS_JSONL, Range,
};
use crate::decisions::write_decisions;
use crate::evals::{evals_csv, evals_json, evals_with_reports};
use crate::key::public_key_hex;
use chrono::{DateTime, SecondsFormat, Utc};
use countersign_core::audit::{format_at, kinds, truncate_to_millis};
use countersign_core::{Micros, PolicyCheck, RecordChange, Run, TokenUsage};
use countersign_store::rusqlite::{Transaction, TransactionBehavior};
use countersign_store::{Store, StoreError, audit, readiness, receipts};
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store or recording the export event failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Writing a bundle file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// Encoding a record failed.
    #[error("encoding: {0}")]
    Encode(String),
    /// `from` is not before `to`.
    #[error("empty range: from {from} is not before to {to}")]
    EmptyRange {
        /// Start.
        from: DateTime<Utc>,
        /// End.
        to: DateTime<Utc>,
    },
}

impl From<countersign_store::rusqlite::Error> for ExportError {
    fn from(e: countersign_store::rusqlite::Error) -> Self {
        ExportError::Store(StoreError::from(e))
    }
}

/// [`export_bundle_as`] with actor `console`.
pub fn export_bundle(
    store: &Store,
    key: &SigningKey,
    out_dir: &Path,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Manifest, ExportError> {
    export_bundle_as(store, key, out_dir, from, to, "console")
}

/// Writes a signed bundle into `out_dir` (created if missing; bundle files in it are
/// replaced): the runs that started in `[from, to)`, the actions requested in that range with
/// their review history (`decisions.jsonl`), every workflow's readiness scorecard over that
/// range (`readiness.json`, `readiness.csv`; an open end is now, an open start four weeks
/// before the end), the golden-set evals started in the range with their reports
/// (`evals.json`, `evals.csv`), the audit chain from the first event at or after
/// `from` through the head, the stored checkpoint receipts of this installation key for heads
/// in that stretch of the chain (`receipts.jsonl`), and the manifest. The export is recorded
/// as an `export` event by `actor` before `audit.jsonl` is written, so the bundle holds its
/// own export event (with the SHA-256 of the run and decision files) as its audit head.
///
/// To anchor the export, checkpoint the head with each native backend first
/// (`countersign_sync::checkpoint::checkpoint_backend`): its receipt is then in the store and
/// goes into the bundle.
pub fn export_bundle_as(
    store: &Store,
    key: &SigningKey,
    out_dir: &Path,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    actor: &str,
) -> Result<Manifest, ExportError> {
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(ExportError::EmptyRange { from, to });
    }
    let io_at = |path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| ExportError::Io { path, source }
    };
    fs::create_dir_all(out_dir).map_err(io_at(out_dir))?;
    // A half-written bundle must never look finished: the manifest goes last.
    let manifest_path = out_dir.join(MANIFEST_FILE);
    match fs::remove_file(&manifest_path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_at(&manifest_path)(e)),
        _ => {}
    }

    let conn = store.conn();
    let (runs_jsonl, runs_csv, run_count) = write_runs(conn, out_dir, from, to)?;
    let mut failure: Option<StoreError> = None;
    let mut decision_count = 0;
    let decisions_jsonl = write_file(&out_dir.join(DECISIONS_JSONL), DECISIONS_JSONL, |w| {
        match write_decisions(conn, from, to, w) {
            Ok(n) => decision_count = n,
            Err(e) => failure = Some(e),
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    let (readiness_json, readiness_csv, scorecards) = write_readiness(conn, out_dir, from, to)?;
    let range = Range {
        from: from.map(rfc3339),
        to: to.map(rfc3339),
    };
    let (evals_json_entry, evals_csv_entry, eval_count) =
        write_evals(conn, out_dir, &range, from, to)?;

    let created_at = truncate_to_millis(Utc::now());
    let details = serde_json::json!({
        "range": {"from": range.from, "to": range.to},
        "runs": run_count,
        "decisions": decision_count,
        "scorecards": scorecards,
        "evals": eval_count,
        "files": {
            RUNS_JSONL: runs_jsonl.sha256,
            RUNS_CSV: runs_csv.sha256,
            DECISIONS_JSONL: decisions_jsonl.sha256,
            READINESS_JSON: readiness_json.sha256,
            READINESS_CSV: readiness_csv.sha256,
            EVALS_JSON: evals_json_entry.sha256,
            EVALS_CSV: evals_csv_entry.sha256,
        },
        "public_key": public_key_hex(key),
    });
    let subject = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let events = {
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        audit::append(&tx, actor, kinds::EXPORT, &subject, details, created_at)?;
        // The stretch starts no later than the export event, so it always holds it.
        let events = audit::all_in_range(&tx, from.map(|f| f.min(created_at)), None)?;
        tx.commit()?;
        events
    };
    let head = events.last().map_or(
        Head {
            seq: 0,
            hash: String::new(),
        },
        |e| Head {
            seq: e.seq,
            hash: e.hash.clone(),
        },
    );
    let audit_entry = write_file(&out_dir.join(AUDIT_FILE), AUDIT_FILE, |w| {
        for e in &events {
            w.write_all(e.to_line().as_bytes())?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;

    let first_seq = events.first().map_or(head.seq, |e| e.seq);
    let kept = receipts::in_range(conn, &public_key_hex(key), first_seq, head.seq)?;
    let mut lines = Vec::with_capacity(kept.len());
    for r in &kept {
        lines.push(r.receipt.to_line()?);
    }
    let receipts_entry = write_file(&out_dir.join(RECEIPTS_JSONL), RECEIPTS_JSONL, |w| {
        for l in &lines {
            w.write_all(l.as_bytes())?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;

    let mut manifest = Manifest {
        format: BUNDLE_FORMAT.to_string(),
        created_at: format_at(created_at),
        range,
        files: vec![
            runs_jsonl,
            runs_csv,
            decisions_jsonl,
            readiness_json,
            readiness_csv,
            evals_json_entry,
            evals_csv_entry,
            audit_entry,
            receipts_entry,
        ],
        audit_head: head,
        public_key: public_key_hex(key),
        signature: String::new(),
    };
    let signed = manifest
        .signed_bytes()
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    manifest.signature = hex::encode(key.sign(&signed).to_bytes());
    let bytes = manifest
        .file_bytes()
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    let tmp = out_dir.join(".manifest.json.tmp");
    fs::write(&tmp, &bytes).map_err(io_at(&tmp))?;
    fs::rename(&tmp, &manifest_path).map_err(io_at(&manifest_path))?;
    Ok(manifest)
}

/// The period the bundle's scorecards cover: its range; an open end is now, an open start the
/// scorecard's default period (four weeks) before the end.
fn readiness_period(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - chrono::Duration::milliseconds(readiness::DEFAULT_PERIOD_MS));
    (from, to)
}

/// `readiness.json` (period, when computed, every workflow's scorecard with its thresholds and
/// evidence) and `readiness.csv`; returns their entries and the number of scorecards.
fn write_readiness(
    conn: &countersign_store::rusqlite::Connection,
    out_dir: &Path,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(FileEntry, FileEntry, usize), ExportError> {
    let now = truncate_to_millis(Utc::now());
    let (from, to) = readiness_period(from, to, now);
    let cards = readiness::scorecards(conn, from, to, now)?;
    let doc = serde_json::json!({
        "from": rfc3339(from),
        "to": rfc3339(to),
        "computed_at": format_at(now),
        "scorecards": cards,
    });
    let mut json =
        serde_json::to_string_pretty(&doc).map_err(|e| ExportError::Encode(e.to_string()))?;
    json.push('\n');
    let json_entry = write_file(&out_dir.join(READINESS_JSON), READINESS_JSON, |w| {
        w.write_all(json.as_bytes())
    })?;
    let csv = readiness::to_csv(&cards);
    let csv_entry = write_file(&out_dir.join(READINESS_CSV), READINESS_CSV, |w| {
        w.write_all(csv.as_bytes())
    })?;
    Ok((json_entry, csv_entry, cards.len()))
}

/// `evals.json` and `evals.csv`: the golden-set evals started in the range with their reports;
/// returns their entries and the number of evals.
fn write_evals(
    conn: &countersign_store::rusqlite::Connection,
    out_dir: &Path,
    range: &Range,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(FileEntry, FileEntry, usize), ExportError> {
    let evals = evals_with_reports(conn, from, to, Utc::now())?;
    let json = evals_json(&evals, range.from.clone(), range.to.clone())?;
    let json_entry = write_file(&out_dir.join(EVALS_JSON), EVALS_JSON, |w| {
        w.write_all(json.as_bytes())
    })?;
    let csv = evals_csv(&evals)?;
    let csv_entry = write_file(&out_dir.join(EVALS_CSV), EVALS_CSV, |w| {
        w.write_all(csv.as_bytes())
    })?;
    Ok((json_entry, csv_entry, evals.len()))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Creates `path`, lets `fill` write it, and returns its manifest entry.
fn write_file(
    path: &Path,
    name: &str,
    fill: impl FnOnce(&mut Digesting<BufWriter<File>>) -> io::Result<()>,
) -> Result<FileEntry, ExportError> {
    let err = |source: io::Error| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(err)?;
    let mut w = Digesting {
        inner: BufWriter::new(file),
        digest: FileDigest::default(),
    };
    fill(&mut w).map_err(err)?;
    w.flush().map_err(err)?;
    w.inner
        .into_inner()
        .map_err(|e| err(e.into_error()))?
        .sync_all()
        .map_err(err)?;
    let (sha256, line_sha256) = w.digest.finish();
    Ok(FileEntry {
        name: name.to_string(),
        sha256,
        lines: line_sha256.len() as u64,
        line_sha256,
    })
}

/// Writes `runs.jsonl` and `runs.csv` together, one pass over the runs.
fn write_runs(
    conn: &countersign_store::rusqlite::Connection,
    out_dir: &Path,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(FileEntry, FileEntry, u64), ExportError> {
    let csv_path = out_dir.join(RUNS_CSV);
    let csv_file = File::create(&csv_path).map_err(|source| ExportError::Io {
        path: csv_path.clone(),
        source,
    })?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Digesting {
            inner: BufWriter::new(csv_file),
            digest: FileDigest::default(),
        });
    let csv_err = |e: csv::Error| ExportError::Io {
        path: csv_path.clone(),
        source: io::Error::other(e.to_string()),
    };
    csv.write_record(CSV_HEADER).map_err(csv_err)?;
    let mut count = 0u64;
    let mut failure: Option<ExportError> = None;
    let jsonl = write_file(&out_dir.join(RUNS_JSONL), RUNS_JSONL, |w| {
        let r = audit::for_each_run_in_range(conn, from, to, |backend_id, run| {
            let line = run_line(backend_id, &run)
                .and_then(|l| serde_json::to_string(&l).map_err(|e| e.to_string()))
                .map_err(|e| StoreError::Invalid(format!("run {}: {e}", run.run_id)))?;
            w.write_all(line.as_bytes())
                .and_then(|()| w.write_all(b"\n"))
                .map_err(|e| StoreError::Invalid(format!("{RUNS_JSONL}: {e}")))?;
            csv.write_record(csv_row(backend_id, &run))
                .map_err(|e| StoreError::Invalid(format!("{RUNS_CSV}: {e}")))?;
            count += 1;
            Ok(())
        });
        if let Err(e) = r {
            failure = Some(e.into());
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut inner = csv
        .into_inner()
        .map_err(|e| csv_err(csv::Error::from(io::Error::other(e.to_string()))))?;
    inner.flush().map_err(|source| ExportError::Io {
        path: csv_path.clone(),
        source,
    })?;
    let Digesting { inner, digest } = inner;
    inner
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(|source| ExportError::Io {
            path: csv_path.clone(),
            source,
        })?;
    let (sha256, line_sha256) = digest.finish();
    let csv_entry = FileEntry {
        name: RUNS_CSV.to_string(),
        sha256,
        lines: line_sha256.len() as u64,
        line_sha256,
    };
    Ok((jsonl, csv_entry, count))
}

/// `runs.csv` columns.
const CSV_HEADER: [&str; 12] = [
    "backend_id",
    "run_id",
    "user_id",
    "workflow",
    "model",
    "outcome",
    "decision",
    "cost_usd",
    "latency_ms",
    "tool_calls",
    "policy_checks",
    "timestamp",
];

fn csv_row(backend_id: &str, run: &Run) -> [String; 12] {
    [
        csv_text(backend_id),
        csv_text(&run.run_id),
        csv_text(&run.user_id),
        csv_text(&run.workflow),
        csv_text(&run.model),
        run.outcome.as_str().to_string(),
        csv_text(&run.decision),
        run.cost_micros.to_decimal_string(),
        run.latency_ms.to_string(),
        run.tool_calls.len().to_string(),
        csv_text(&policy_labels(run).join(";")),
        rfc3339(run.started_at),
    ]
}

/// Untrusted text for a spreadsheet cell: a leading `=`, `+`, `-`, `@`, tab or carriage return
/// would make a spreadsheet evaluate it as a formula, so such text gets a leading `'`. The
/// exact text stays in `runs.jsonl`.
pub(crate) fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A run in the seed run-log shape (plus `backend_id`), money as exact decimals, followed by
/// what the run changed, its rationale, confidence, tenant, team, workflow version, tokens and
/// the policy checks' details.
#[derive(Serialize)]
struct RunLine<'a> {
    run_id: &'a str,
    backend_id: &'a str,
    user_id: &'a str,
    workflow: &'a str,
    inputs: &'a Value,
    model: &'a str,
    tool_calls: Vec<ToolLine<'a>>,
    outputs: &'a Value,
    cost_usd: Box<RawValue>,
    latency_ms: u64,
    decision: &'a str,
    outcome: &'static str,
    policy_checks: Vec<String>,
    citations: Vec<CitationLine<'a>>,
    timestamp: String,
    revision: u64,
    tenant: &'a str,
    team: Option<&'a str>,
    workflow_version: &'a str,
    rationale: Option<&'a str>,
    confidence: Option<f64>,
    tokens: TokenUsage,
    policy_check_details: &'a [PolicyCheck],
    changes: &'a [RecordChange],
    ended_at: Option<String>,
}

#[derive(Serialize)]
struct ToolLine<'a> {
    tool: &'a str,
    arguments: &'a Value,
    documents: &'a [String],
    result_summary: Option<&'a str>,
    cost_usd: Box<RawValue>,
}

#[derive(Serialize)]
struct CitationLine<'a> {
    doc_id: &'a str,
    title: &'a str,
    url: Option<&'a str>,
    passage: &'a str,
    source_version: &'a str,
}

/// An exact decimal JSON number from micros; never through a float.
fn money(m: Micros) -> Result<Box<RawValue>, String> {
    RawValue::from_string(m.to_decimal_string()).map_err(|e| e.to_string())
}

fn policy_labels(run: &Run) -> Vec<String> {
    run.policy_checks
        .iter()
        .map(|c| format!("{}_{}", c.name, if c.passed { "pass" } else { "fail" }))
        .collect()
}

fn run_line<'a>(backend_id: &'a str, run: &'a Run) -> Result<RunLine<'a>, String> {
    Ok(RunLine {
        run_id: &run.run_id,
        backend_id,
        user_id: &run.user_id,
        workflow: &run.workflow,
        inputs: &run.inputs,
        model: &run.model,
        tool_calls: run
            .tool_calls
            .iter()
            .map(|c| {
                Ok(ToolLine {
                    tool: &c.tool,
                    arguments: &c.arguments,
                    documents: &c.documents,
                    result_summary: c.result_summary.as_deref(),
                    cost_usd: money(c.cost_micros)?,
                })
            })
            .collect::<Result<_, String>>()?,
        outputs: &run.outputs,
        cost_usd: money(run.cost_micros)?,
        latency_ms: run.latency_ms,
        decision: &run.decision,
        outcome: run.outcome.as_str(),
        policy_checks: policy_labels(run),
        citations: run
            .citations
            .iter()
            .map(|c| CitationLine {
                doc_id: &c.doc_id,
                title: &c.title,
                url: c.url.as_deref(),
                passage: &c.passage,
                source_version: &c.source_version,
            })
            .collect(),
        timestamp: rfc3339(run.started_at),
        revision: run.revision,
        tenant: &run.tenant,
        team: run.team.as_deref(),
        workflow_version: &run.workflow_version,
        rationale: run.rationale.as_deref(),
        confidence: run.confidence,
        tokens: run.tokens,
        policy_check_details: &run.policy_checks,
        changes: &run.changes,
        ended_at: run.ended_at.map(rfc3339),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_text_cannot_start_a_formula() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("-1+2"), "'-1+2");
        assert_eq!(csv_text("u_18421"), "u_18421");
    }

    #[test]
    fn money_is_an_exact_json_number() -> Result<(), String> {
        let v = serde_json::to_string(&money(Micros(120_000))?).map_err(|e| e.to_string())?;
        assert_eq!(v, "0.120000");
        let v = serde_json::to_string(&money(Micros(-1))?).map_err(|e| e.to_string())?;
        assert_eq!(v, "-0.000001");
        let big = serde_json::to_string(&money(Micros(9_007_199_254_740_993))?)
            .map_err(|e| e.to_string())?;
        assert_eq!(big, "9007199254.740993");
        Ok(())
    }
}
