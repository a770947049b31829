//! `countersign trust report` and `countersign trust readiness`: the trust view's numbers and
//! the readiness scorecards from a store, over the same store functions as the app's commands.

use crate::StoreArg;
use crate::output::{self, safe};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use countersign_store::readiness;
use countersign_store::trust::{self, TrustGroup, TrustQuery, TrustStats};

/// `countersign trust …`.
#[derive(Subcommand)]
pub enum TrustCmd {
    /// Decisions by kind, corrections, time to decide, too fast, escalations, citation opens,
    /// rollbacks and second-review disagreement: totals and per workflow, action kind,
    /// reviewer and week.
    Report(ReportArgs),
    /// Every workflow's readiness scorecard (or one workflow's), with its evidence.
    Readiness(ReadinessArgs),
}

/// `countersign trust report`.
#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Decided at or after (RFC 3339).
    #[arg(long)]
    from: Option<DateTime<Utc>>,
    /// Decided before (RFC 3339).
    #[arg(long)]
    to: Option<DateTime<Utc>>,
    /// Only this workflow.
    #[arg(long)]
    workflow: Option<String>,
    /// Only this action kind.
    #[arg(long)]
    kind: Option<String>,
    /// Only this reviewer.
    #[arg(long)]
    reviewer: Option<String>,
    /// Which pending actions count as expired: those past their deadline at this time
    /// (default now).
    #[arg(long)]
    as_of: Option<DateTime<Utc>>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `countersign trust readiness`.
#[derive(Args)]
pub struct ReadinessArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Period start (default: four weeks before its end).
    #[arg(long)]
    from: Option<DateTime<Utc>>,
    /// Period end (default: now).
    #[arg(long)]
    to: Option<DateTime<Utc>>,
    /// Only this workflow's scorecard.
    #[arg(long)]
    workflow: Option<String>,
    /// As of this time (sync gaps; default now).
    #[arg(long)]
    as_of: Option<DateTime<Utc>>,
    /// Print the scorecards as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the scorecards as CSV (one row per evidence), as the app exports them.
    #[arg(long)]
    csv: bool,
}

/// Runs a `trust` subcommand.
pub fn run(c: TrustCmd) -> Result<(), String> {
    match c {
        TrustCmd::Report(a) => report(a),
        TrustCmd::Readiness(a) => scorecards(a),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn ms(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.1}s", v as f64 / 1000.0))
}

fn stats_line(key: &str, s: &TrustStats) -> String {
    format!(
        "{:<24} {:>8} {:>7} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>6} {:>7}",
        safe(key),
        s.decisions,
        s.approve,
        s.approve_with_edits,
        s.deny,
        s.escalate,
        s.expired,
        pct(s.correction_rate),
        ms(s.p50_ms),
        ms(s.p90_ms),
        pct(s.too_fast_rate),
        pct(s.escalation_rate),
        s.rolled_back,
        pct(s.disagreement_rate),
    )
}

fn table(title: &str, groups: &[TrustGroup]) {
    output::line("");
    output::line(&format!(
        "{:<24} {:>8} {:>7} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>6} {:>7}",
        title,
        "decided",
        "approve",
        "edits",
        "deny",
        "escal",
        "expired",
        "correct",
        "p50",
        "p90",
        "toofast",
        "escrate",
        "rolled",
        "disagr"
    ));
    for g in groups {
        output::line(&stats_line(&g.key, &g.stats));
    }
}

fn report(a: ReportArgs) -> Result<(), String> {
    let store = a.store.open()?;
    let q = TrustQuery {
        from: a.from,
        to: a.to,
        workflow: a.workflow,
        action_kind: a.kind,
        reviewer: a.reviewer,
    };
    let r = trust::report(store.conn(), &q, a.as_of.unwrap_or_else(Utc::now))
        .map_err(|e| e.to_string())?;
    if a.json {
        output::json_line(&r);
        return Ok(());
    }
    table("TOTAL", &[]);
    output::line(&stats_line("all", &r.totals));
    table("WORKFLOW", &r.by_workflow);
    table("ACTION KIND", &r.by_action_kind);
    table("REVIEWER", &r.by_reviewer);
    table("WEEK", &r.by_week);
    // Writes an autonomy level let through: not decisions, so not in the tables above.
    output::line("");
    output::line(&format!(
        "{:<24} {:<24} {:>8}",
        "EXECUTED WITHOUT REVIEW", "level", "writes"
    ));
    if r.executed_without_review.is_empty() {
        output::line("none");
    }
    for e in &r.executed_without_review {
        output::line(&format!(
            "{:<24} {:<24} {:>8}",
            safe(&e.workflow),
            safe(&e.level),
            e.count
        ));
    }
    Ok(())
}

fn scorecards(a: ReadinessArgs) -> Result<(), String> {
    let store = a.store.open()?;
    let now = a.as_of.unwrap_or_else(Utc::now);
    let to = a.to.unwrap_or(now);
    let from = a
        .from
        .unwrap_or(to - chrono::Duration::milliseconds(readiness::DEFAULT_PERIOD_MS));
    let c = store.conn();
    let cards = match &a.workflow {
        Some(w) => vec![readiness::scorecard(c, w, from, to, now).map_err(|e| e.to_string())?],
        None => readiness::scorecards(c, from, to, now).map_err(|e| e.to_string())?,
    };
    if a.csv {
        print!("{}", readiness::to_csv(&cards));
        return Ok(());
    }
    if a.json {
        output::json_line(&cards);
        return Ok(());
    }
    for card in &cards {
        output::line(&format!(
            "{} — {} ({} → {})",
            safe(&card.workflow),
            name(&card.status),
            card.from.to_rfc3339(),
            card.to.to_rfc3339()
        ));
        for row in &card.rows {
            output::line(&format!(
                "  {:<22} {}",
                name(&row.criterion),
                name(&row.status)
            ));
            for e in &row.evidence {
                output::line(&format!(
                    "      {:<5} {}: {}",
                    name(&e.status),
                    e.label,
                    safe(&e.value)
                ));
            }
        }
    }
    if cards.is_empty() {
        output::line("no workflow ran or was decided in the period");
    }
    Ok(())
}

/// A scorecard enum's JSON spelling (`pass`, `citation_coverage`).
fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
