//! Printing for the CLI: plain text tables and JSON lines. Untrusted run text is printed with
//! control characters escaped so it cannot drive the terminal.

use chrono::{DateTime, Utc};
use countersign_core::{PendingAction, Run, RunSummary};
use serde::Serialize;
use std::io::Write;

/// Prints a line to stdout, ignoring a closed pipe.
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Prints one value as a JSON line.
pub fn json_line<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(s) => line(&s),
        Err(e) => eprintln!("error: cannot encode: {e}"),
    }
}

/// Escapes control, bidi and zero-width characters so untrusted text prints as what it is.
pub fn safe(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() || countersign_core::text::is_invisible_or_bidi(c) {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The run list, written as it streams: a table, or one JSON object per line. Buffered (a
/// million rows are not a million flushes); a closed pipe stops it.
pub struct Rows {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    json: bool,
    header: bool,
    closed: bool,
}

impl Rows {
    /// A run list on stdout, as JSON lines or a table.
    pub fn new(json: bool) -> Rows {
        Rows {
            out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
            json,
            header: false,
            closed: false,
        }
    }

    /// Writes one run.
    pub fn run(&mut self, r: &RunSummary) -> std::io::Result<()> {
        let res = self.write(r);
        self.closed |= res.is_err();
        res
    }

    fn write(&mut self, r: &RunSummary) -> std::io::Result<()> {
        if self.json {
            serde_json::to_writer(&mut self.out, r)?;
            return writeln!(self.out);
        }
        if !self.header {
            self.header = true;
            writeln!(
                self.out,
                "{:<20}  {:<28}  {:<18}  {:<14}  {:>10}  {:>8}  MODEL",
                "STARTED (UTC)", "RUN", "WORKFLOW", "OUTCOME", "COST", "LATENCY"
            )?;
        }
        writeln!(
            self.out,
            "{:<20}  {:<28}  {:<18}  {:<14}  {:>10}  {:>6}ms  {}",
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            safe(&r.run_id),
            safe(&r.workflow),
            r.outcome.as_str(),
            r.cost_micros.to_string(),
            r.latency_ms,
            safe(&r.model)
        )
    }

    /// Whether the reader went away.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Ends the list: a table says how many runs it showed and whether more match.
    pub fn finish(mut self, shown: u64, more: bool) {
        if !self.json {
            let _ = if more {
                writeln!(self.out, "first {shown} matching runs (more match)")
            } else {
                writeln!(self.out, "{shown} runs")
            };
        }
        let _ = self.out.flush();
    }
}

/// One run in full.
pub fn run_detail(backend: &str, r: &Run) {
    line(&format!(
        "run {}  (backend {backend}, revision {})",
        safe(&r.run_id),
        r.revision
    ));
    line(&format!(
        "  workflow  {} {}",
        safe(&r.workflow),
        safe(&r.workflow_version)
    ));
    line(&format!(
        "  user      {}  tenant {}",
        safe(&r.user_id),
        safe(&r.tenant)
    ));
    line(&format!("  model     {}", safe(&r.model)));
    line(&format!(
        "  outcome   {}  decision {}",
        r.outcome.as_str(),
        safe(&r.decision)
    ));
    line(&format!(
        "  cost      {} ({} USD)  tokens {}/{}  latency {} ms",
        r.cost_micros,
        r.cost_micros.to_decimal_string(),
        r.tokens.input,
        r.tokens.output,
        r.latency_ms
    ));
    if let Some(c) = r.confidence {
        line(&format!("  confidence {c:.2}"));
    }
    line(&format!("  started   {}", r.started_at.to_rfc3339()));
    line("  tool calls:");
    for (i, c) in r.tool_calls.iter().enumerate() {
        line(&format!(
            "    {}. {}  {}  cost {}{}",
            i + 1,
            safe(&c.tool),
            safe(&c.arguments.to_string()),
            c.cost_micros,
            c.error
                .as_deref()
                .map(|e| format!("  ERROR {}", safe(e)))
                .unwrap_or_default()
        ));
        if let Some(s) = &c.result_summary {
            line(&format!("       → {}", safe(s)));
        }
    }
    line("  citations:");
    for c in &r.citations {
        line(&format!(
            "    [{}] {} ({}){}: \"{}\" @{}..{}",
            safe(&c.doc_id),
            safe(&c.title),
            safe(&c.source_version),
            if c.deprecated { " DEPRECATED" } else { "" },
            safe(&c.passage),
            c.start,
            c.end
        ));
    }
    line("  policy checks:");
    for p in &r.policy_checks {
        line(&format!(
            "    {} {}{}",
            if p.passed { "pass" } else { "FAIL" },
            safe(&p.name),
            p.detail
                .as_deref()
                .map(|d| format!(" — {}", safe(d)))
                .unwrap_or_default()
        ));
    }
}

/// One action as a line.
pub fn action_line(backend: &str, a: &PendingAction, now: DateTime<Utc>) {
    let fields: Vec<String> = a
        .fields
        .iter()
        .map(|f| format!("{}={}", safe(&f.name), safe(&f.value)))
        .collect();
    line(&format!(
        "{:<24}  {:<12}  {:<18}  {:<8}  {}  [{}]  backend {backend}",
        safe(&a.action_id),
        a.effective_status(now).as_str(),
        safe(&a.kind),
        format!("{:?}", a.risk).to_lowercase(),
        safe(&a.target.record_id),
        fields.join(", ")
    ));
}
