//! `countersign golden compare`: an eval's report against its baseline from a store, as the
//! app's report command computes it (`golden::eval_report`: the set version it replayed, its
//! runs, the baseline eval's or the recorded runs, the thresholds in force; the report is
//! stored). Exit status 0 when the eval passes, 3 when it fails, 1 on an error.

use crate::StoreArg;
use crate::output::{self, safe};
use chrono::Utc;
use clap::{Args, Subcommand};
use countersign_store::golden;

/// `countersign golden …`.
#[derive(Subcommand)]
pub enum GoldenCmd {
    /// Compare an eval with its set's expectations and its baseline: totals, the verdict with
    /// its reasons, and every failing case with why (exit 3 when the eval fails).
    Compare(CompareArgs),
}

/// `countersign golden compare`.
#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The eval's id.
    eval_id: String,
    /// Print the whole report as one JSON line.
    #[arg(long)]
    json: bool,
}

/// The exit status of an eval that fails its thresholds.
pub const EXIT_EVAL_FAILED: u8 = 3;

/// Runs a `golden` command: exit 0 passed, [`EXIT_EVAL_FAILED`] failed, 1 error.
pub fn run(c: GoldenCmd) -> std::process::ExitCode {
    let r = match c {
        GoldenCmd::Compare(a) => compare(a),
    };
    match r {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(EXIT_EVAL_FAILED),
        Err(e) => {
            eprintln!("error: {}", safe(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn compare(a: CompareArgs) -> Result<bool, String> {
    let store = a.store.open_existing()?;
    let e = golden::eval(store.conn(), &a.eval_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no eval {} in the store", a.eval_id))?;
    let r = golden::eval_report(store.conn(), &a.eval_id, Utc::now()).map_err(|e| e.to_string())?;
    if a.json {
        output::json_line(&r);
        return Ok(r.passed);
    }
    let t = &r.totals;
    output::line(&format!(
        "eval {} of {} v{} under {} against {}: {}",
        safe(&e.eval_id),
        safe(&e.workflow),
        e.set_version,
        safe(&e.config.display()),
        e.baseline_eval.as_deref().map_or_else(
            || "the recorded runs".to_string(),
            |b| format!("eval {}", safe(b))
        ),
        if r.passed { "PASSED" } else { "FAILED" }
    ));
    output::line(&format!(
        "cases {} passed {} missing {} · outcome {} citations {} ({} stale/deprecated) writes {} \
         · policy failures {} · refused/escalated {} (baseline {})",
        t.cases,
        t.passed,
        t.missing,
        t.outcome_matches,
        t.citation_matches,
        t.stale_citations,
        t.write_matches,
        t.policy_failures,
        t.refused_or_escalated,
        t.baseline_refused_or_escalated
    ));
    output::line(&format!(
        "cost {} vs {} ({}), {} over ceiling · latency {} ms vs {} ms ({}), {} over ceiling",
        t.cost_micros,
        t.baseline_cost_micros,
        change(r.cost_change),
        t.over_cost_ceiling,
        t.latency_ms,
        t.baseline_latency_ms,
        change(r.latency_change),
        t.over_latency_ceiling
    ));
    for reason in &r.reasons {
        output::line(&format!("  verdict: {}", safe(reason)));
    }
    for c in r.cases.iter().filter(|c| !c.passed) {
        output::line(&format!("FAIL {}", safe(&c.case_id)));
        for reason in &c.reasons {
            output::line(&format!("  {}", safe(reason)));
        }
    }
    Ok(r.passed)
}

fn change(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{:+.1} %", x * 100.0))
}
