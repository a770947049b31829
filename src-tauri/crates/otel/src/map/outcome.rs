//! Phase five: approvals and outcome. Deferred calls that were not executed join the tool
//! calls (awaiting, denied or answered); failures, waits, denials and approvals decide the
//! run's outcome, decision and rationale.

use super::attrs::{span_error, summary};
use super::deferred::{Deferred, answer, deferred_calls};
use super::index::Spans;
use super::tools::ToolCalls;
use countersign_core::{Micros, Outcome, ToolCall};
use std::iter;

/// `result_summary` of a deferred tool call that waits on a reviewer.
pub(crate) const AWAITING: &str = "awaiting approval";

/// `result_summary` of a deferred tool call that waits on an external result
/// (pydantic-ai `CallDeferred`: `DeferredToolRequests.calls`).
pub(crate) const AWAITING_EXTERNAL: &str = "awaiting external result";

/// How the run ended.
pub(super) struct Verdict {
    /// Success, failure, pending or denied.
    pub outcome: Outcome,
    /// `completed`, `failed`, `awaiting_approval`, `awaiting_external_result`, `denied` or
    /// `approved`.
    pub decision: String,
    /// Why, when there is more to say than the decision.
    pub rationale: Option<String>,
}

/// What became of the deferred calls.
#[derive(Default)]
struct Deferrals {
    /// Waiting on a reviewer (or unreadable).
    pending: usize,
    /// Waiting on an external result.
    pending_external: usize,
    /// Executed after all.
    approved: usize,
    /// `tool: reason` of each call a reviewer denied.
    denied: Vec<String>,
}

/// Adds the deferred calls that were not executed to `tools` and decides the outcome. A
/// trace that flags deferred requests none of which can be read is pending, with a warning.
pub(super) fn settle(
    spans: &Spans,
    trace_id: &str,
    tools: &mut ToolCalls,
    warnings: &mut Vec<String>,
) -> Verdict {
    let failed = iter::once(spans.top)
        .chain(spans.agents.iter().copied())
        .find_map(|i| span_error(spans.list[i]));
    let (deferred, flagged) = deferred_calls(spans);
    let mut seen = Deferrals::default();
    for d in &deferred {
        let executed = !d.call_id.is_empty() && tools.calls.iter().any(|t| t.call_id == d.call_id);
        if executed {
            seen.approved += 1;
        } else {
            let call = unexecuted_call(spans, d, tools, &mut seen);
            tools.calls.push(call);
        }
    }
    if flagged && deferred.is_empty() {
        warnings.push(format!(
            "trace {trace_id}: deferred tool requests flagged but none could be read; outcome pending"
        ));
        seen.pending += 1;
    }
    verdict(failed, &seen)
}

/// The tool call of a deferred call that was not executed, at the end of its agent span (else
/// its start), counted in `seen`. Its call id is a fresh `deferred-N` when it has none or an
/// earlier call took it.
fn unexecuted_call(
    spans: &Spans,
    d: &Deferred,
    tools: &mut ToolCalls,
    seen: &mut Deferrals,
) -> ToolCall {
    let answer = answer(spans, d);
    let agent = spans.list[d.agent];
    let call_id = if d.call_id.is_empty() || tools.used.contains(&d.call_id) {
        format!("deferred-{}", tools.calls.len() + 1)
    } else {
        d.call_id.clone()
    };
    tools.used.insert(call_id.clone());
    ToolCall {
        call_id,
        parent_id: None,
        tool: d.tool.clone(),
        arguments: d.args.clone(),
        result_summary: Some(seen.count(d, answer.as_ref())),
        result: answer,
        started_at: agent.end().unwrap_or_else(|| agent.start()),
        ended_at: None,
        cost_micros: Micros::ZERO,
        documents: Vec::new(),
        error: None,
    }
}

impl Deferrals {
    /// Counts an unexecuted deferred call by its answer, if any; returns its result summary.
    fn count(&mut self, d: &Deferred, answer: Option<&serde_json::Value>) -> String {
        match (answer, d.approval) {
            (Some(a), true) => {
                let why = summary(a);
                self.denied.push(format!("{}: {why}", d.tool));
                format!("denied by reviewer: {why}")
            }
            (Some(a), false) => format!("external result: {}", summary(a)),
            (None, true) => {
                self.pending += 1;
                AWAITING.to_string()
            }
            (None, false) => {
                self.pending_external += 1;
                AWAITING_EXTERNAL.to_string()
            }
        }
    }
}

/// The outcome, first match wins: a failure, calls awaiting approval, calls awaiting an
/// external result, denials, approvals; else success.
fn verdict(failed: Option<String>, seen: &Deferrals) -> Verdict {
    let v = |outcome, decision: &str, rationale: Option<String>| Verdict {
        outcome,
        decision: decision.to_string(),
        rationale,
    };
    if let Some(msg) = failed {
        v(Outcome::Fail, "failed", Some(msg))
    } else if seen.pending > 0 {
        let why = format!("{} tool call(s) await approval", seen.pending);
        v(Outcome::Pending, "awaiting_approval", Some(why))
    } else if seen.pending_external > 0 {
        let why = format!(
            "{} tool call(s) await an external result",
            seen.pending_external
        );
        v(Outcome::Pending, "awaiting_external_result", Some(why))
    } else if !seen.denied.is_empty() {
        v(Outcome::Denied, "denied", Some(seen.denied.join("; ")))
    } else if seen.approved > 0 {
        let why = "deferred tool calls approved by a reviewer".to_string();
        v(Outcome::Success, "approved", Some(why))
    } else {
        v(Outcome::Success, "completed", None)
    }
}
