//! One trace → one run: the GenAI and OpenInference attributes mapped onto the run record.
//!
//! [`trace_to_run`] runs in phases, one module each: [`index`] sorts the spans and finds the
//! root; [`identity`] reads workflow, model, tenant, user and times; [`tools`] turns tool and
//! retriever spans into tool calls with their [`citations`]; [`usage`] sums tokens and cost;
//! [`outcome`] adds the [`deferred`] calls and decides the outcome; [`io`] picks inputs and
//! outputs. [`assemble`] puts the run together.

mod attrs;
mod citations;
mod cost;
mod deferred;
mod identity;
mod index;
mod io;
mod outcome;
mod tools;
mod usage;

use crate::otlp::Trace;
use crate::price::PriceTable;
use countersign_core::{Outcome, Run};
use index::Spans;
use outcome::Verdict;
use tools::ToolCalls;
use usage::Usage;

pub(crate) use deferred::tool_response_in;
pub(crate) use outcome::{AWAITING, AWAITING_EXTERNAL};

/// Maps a trace; `Err` says why it cannot be a run. Warnings do not stop the import.
pub fn trace_to_run(trace: &Trace, prices: &PriceTable) -> Result<(Run, Vec<String>), String> {
    if let Some(e) = trace.errors.first() {
        return Err(e.clone());
    }
    let spans = Spans::index(trace)?;
    let mut tools = tools::tool_calls(&spans);
    let mut usage = usage::usage(&spans, prices, &tools.calls)?;
    let mut warnings = std::mem::take(&mut usage.warnings);
    let verdict = outcome::settle(&spans, &trace.trace_id, &mut tools, &mut warnings);
    Ok((assemble(trace, &spans, tools, usage, verdict), warnings))
}

/// The run of `trace` from the phases' results: revision 1, without an end while pending.
fn assemble(trace: &Trace, spans: &Spans, tools: ToolCalls, usage: Usage, verdict: Verdict) -> Run {
    let times = identity::times(spans);
    let ended_at = if verdict.outcome == Outcome::Pending {
        None
    } else {
        times.end
    };
    Run {
        run_id: format!("otel-{}", trace.trace_id),
        revision: 1,
        tenant: identity::tenant(spans),
        user_id: identity::user_id(spans),
        team: None,
        workflow: identity::workflow(spans),
        workflow_version: identity::workflow_version(spans),
        model: identity::model(spans),
        inputs: io::inputs(spans),
        tool_calls: tools.calls,
        citations: tools.citations,
        outputs: io::outputs(spans),
        confidence: None,
        cost_micros: usage.cost_micros,
        tokens: usage.tokens,
        latency_ms: times.latency_ms,
        outcome: verdict.outcome,
        decision: verdict.decision,
        rationale: verdict.rationale,
        policy_checks: Vec::new(),
        changes: Vec::new(),
        started_at: times.started_at,
        ended_at,
        updated_at: times.end.unwrap_or(times.started_at),
    }
}
