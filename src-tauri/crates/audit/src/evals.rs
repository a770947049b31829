//! The golden-set evals of a bundle's range: `evals.json` (each eval with its configuration,
//! baseline and report, as compared) and `evals.csv` (one row per case of each eval).

use crate::export::csv_text;
use chrono::{DateTime, SecondsFormat, Utc};
use countersign_core::Micros;
use countersign_core::golden::compare::EvalComparison;
use countersign_store::golden::{self, EvalRecord};
use countersign_store::rusqlite::Connection;
use countersign_store::{Result, StoreError};

/// `evals.csv` columns: the eval, then the case.
pub(crate) const EVALS_CSV_HEADER: [&str; 24] = [
    "eval_id",
    "workflow",
    "set_version",
    "config_version",
    "config_model",
    "config_prompt",
    "baseline_eval",
    "started_at",
    "eval_passed",
    "case_id",
    "case_passed",
    "expected_outcome",
    "outcome",
    "outcome_match",
    "citation_match",
    "write_match",
    "policy_failures",
    "cost_usd",
    "baseline_cost_usd",
    "max_cost_usd",
    "latency_ms",
    "baseline_latency_ms",
    "max_latency_ms",
    "reasons",
];

/// The evals that started in `[from, to)` (open ends open), oldest first, each with its report:
/// the stored one (as last compared), else compared now with the thresholds in force.
pub(crate) fn evals_with_reports(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Vec<(EvalRecord, EvalComparison)>> {
    golden::evals_in_range(conn, from, to)?
        .into_iter()
        .map(|(e, report)| {
            let report = match report {
                Some(r) => r,
                None => golden::eval_report(conn, &e.eval_id, now)?,
            };
            Ok((e, report))
        })
        .collect()
}

/// `evals.json`: the range and every eval with its report, pretty-printed, ending in a newline.
pub(crate) fn evals_json(
    evals: &[(EvalRecord, EvalComparison)],
    from: Option<String>,
    to: Option<String>,
) -> Result<String> {
    let doc = serde_json::json!({
        "from": from,
        "to": to,
        "evals": evals
            .iter()
            .map(|(e, r)| serde_json::json!({"eval": e, "report": r}))
            .collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| StoreError::Invalid(format!("evals.json: {e}")))?;
    text.push('\n');
    Ok(text)
}

fn opt_money(m: Option<Micros>) -> String {
    m.map(|m| m.to_decimal_string()).unwrap_or_default()
}

fn opt_num(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// `evals.csv`: a header, then one row per case of each eval. Untrusted text (labels, ids,
/// reasons) cannot start a spreadsheet formula; money is exact decimal dollars.
pub(crate) fn evals_csv(evals: &[(EvalRecord, EvalComparison)]) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let bad = |e: csv::Error| StoreError::Invalid(format!("evals.csv: {e}"));
    w.write_record(EVALS_CSV_HEADER).map_err(bad)?;
    for (e, r) in evals {
        for c in &r.cases {
            w.write_record([
                csv_text(&e.eval_id),
                csv_text(&e.workflow),
                e.set_version.to_string(),
                csv_text(&e.config.version),
                csv_text(&e.config.model),
                csv_text(&e.config.prompt),
                csv_text(e.baseline_eval.as_deref().unwrap_or_default()),
                e.started_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                r.passed.to_string(),
                csv_text(&c.case_id),
                c.passed.to_string(),
                c.expected_outcome
                    .map(|o| o.as_str().to_string())
                    .unwrap_or_default(),
                c.outcome
                    .map(|o| o.as_str().to_string())
                    .unwrap_or_default(),
                c.outcome_match.to_string(),
                c.citation_match.to_string(),
                c.write_match.to_string(),
                c.policy_failures.to_string(),
                c.cost_micros.to_decimal_string(),
                opt_money(c.baseline_cost_micros),
                opt_money(c.max_cost_micros),
                c.latency_ms.to_string(),
                opt_num(c.baseline_latency_ms),
                opt_num(c.max_latency_ms),
                csv_text(&c.reasons.join("; ")),
            ])
            .map_err(bad)?;
        }
    }
    w.into_inner()
        .map_err(|e| StoreError::Invalid(format!("evals.csv: {e}")))
        .and_then(|b| String::from_utf8(b).map_err(|e| StoreError::Invalid(e.to_string())))
}
