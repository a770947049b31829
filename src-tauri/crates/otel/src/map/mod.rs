//! One trace → one run: the GenAI and OpenInference attributes mapped onto the run record.
//!
//! [`trace_to_run`] runs in phases, one module each: [`index`] sorts the spans and finds the
//! root; [`identity`] reads workflow, model, tenant, user, session and times (user, tenant and
//! session also from metadata keys set per source: [`IdentityKeys`]); [`tools`] turns tool and
//! retriever spans into tool calls with their [`citations`]; [`usage`] sums tokens and cost;
//! [`outcome`] adds the [`deferred`] calls and decides the outcome; [`io`] picks inputs and
//! outputs. Framework envelopes (LangChain messages, LangGraph commands) are unwrapped by
//! [`envelope`]. [`assemble`] puts the run together.

mod attrs;
mod citations;
mod cost;
mod deferred;
mod envelope;
mod identity;
mod index;
mod io;
mod outcome;
mod tools;
mod usage;

use crate::otlp::Trace;
use crate::price::PriceTable;
use countersign_core::{IdentityKeys, Outcome, Run};
use index::Spans;
use outcome::Verdict;
use tools::ToolCalls;
use usage::Usage;

pub(crate) use deferred::tool_response_in;
pub(crate) use outcome::{AWAITING, AWAITING_EXTERNAL};

/// Maps a trace; `Err` says why it cannot be a run. Warnings do not stop the import. `keys` say
/// which metadata keys name the user, tenant and session.
pub fn trace_to_run(
    trace: &Trace,
    prices: &PriceTable,
    keys: &IdentityKeys,
) -> Result<(Run, Vec<String>), String> {
    if let Some(e) = trace.errors.first() {
        return Err(e.clone());
    }
    let spans = Spans::index(trace)?;
    let mut tools = tools::tool_calls(&spans);
    let mut usage = usage::usage(&spans, prices, &tools.calls)?;
    let mut warnings = std::mem::take(&mut usage.warnings);
    let verdict = outcome::settle(&spans, &trace.trace_id, &mut tools, &mut warnings);
    let who = Who {
        tenant: identity::tenant(&spans, keys),
        user_id: identity::user_id(&spans, keys),
        session: identity::session(&spans, keys),
    };
    Ok((
        assemble(trace, &spans, who, tools, usage, verdict),
        warnings,
    ))
}

/// For whom the run ran.
struct Who {
    tenant: String,
    user_id: String,
    session: Option<String>,
}

/// The run of `trace` from the phases' results: revision 1, without an end while pending.
fn assemble(
    trace: &Trace,
    spans: &Spans,
    who: Who,
    tools: ToolCalls,
    usage: Usage,
    verdict: Verdict,
) -> Run {
    let times = identity::times(spans);
    let ended_at = if verdict.outcome == Outcome::Pending {
        None
    } else {
        times.end
    };
    Run {
        eval_id: None,
        prompt: identity::prompt(spans),
        retrieval: identity::retrieval(spans),
        run_id: format!("otel-{}", trace.trace_id),
        revision: 1,
        tenant: who.tenant,
        user_id: who.user_id,
        team: None,
        workflow: identity::workflow(spans),
        workflow_version: identity::workflow_version(spans),
        model: identity::model(spans),
        inputs: io::inputs(spans, who.session),
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
