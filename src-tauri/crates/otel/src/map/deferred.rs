//! Deferred tool calls: the calls an agent asked for but stopped on (pydantic-ai
//! `DeferredToolRequests`), and the answers later requests carried back for them.

use super::attrs::{json_attr, json_or_text};
use super::index::Spans;
use crate::otlp::Span;
use serde_json::Value;

/// A tool call the agent asked for but deferred (pydantic-ai `DeferredToolRequests`).
pub(super) struct Deferred {
    /// Needs a reviewer (`approvals`), as opposed to an external result (`calls`).
    pub approval: bool,
    /// The tool call id; may be empty.
    pub call_id: String,
    /// The tool's name (`deferred_tool` when not given).
    pub tool: String,
    /// The call's arguments (a JSON string parsed).
    pub args: Value,
    /// The agent span that stopped on it.
    pub agent: usize,
}

/// The deferred calls of every agent span, each call id once, and whether any agent span
/// flagged deferred requests at all (even ones that could not be read).
pub(super) fn deferred_calls(spans: &Spans) -> (Vec<Deferred>, bool) {
    let mut out: Vec<Deferred> = Vec::new();
    let mut flagged = false;
    for &a in &spans.agents {
        let (values, flags) = deferral_values(spans.list[a]);
        flagged |= flags;
        for d in values.iter().flat_map(|v| requests_in(v, a)) {
            if !out
                .iter()
                .any(|o| !d.call_id.is_empty() && o.call_id == d.call_id)
            {
                out.push(d);
            }
        }
    }
    (out, flagged)
}

/// The values of an agent span that may hold `DeferredToolRequests`: attributes whose key
/// contains `deferred`, every event attribute when an event's name contains `deferred`, and a
/// final result that is one. The flag says whether any was found.
fn deferral_values(s: &Span) -> (Vec<Value>, bool) {
    let mut values: Vec<Value> = Vec::new();
    let mut flagged = false;
    for (k, v) in &s.attrs {
        if k.to_ascii_lowercase().contains("deferred") {
            flagged = true;
            values.push(match v {
                Value::String(t) => json_or_text(t),
                other => other.clone(),
            });
        }
    }
    if s.events
        .iter()
        .any(|e| e.name.to_ascii_lowercase().contains("deferred"))
    {
        flagged = true;
        for e in &s.events {
            values.extend(e.attrs.values().cloned());
        }
    }
    if let Some(fr) = json_attr(s, &["final_result", "output.value", "pydantic_ai.output"])
        && is_deferred_requests(&fr)
    {
        flagged = true;
        values.push(fr);
    }
    (values, flagged)
}

/// A final result that is `DeferredToolRequests` (as JSON with `approvals` and `calls`, or
/// as its text).
fn is_deferred_requests(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.contains_key("approvals") && o.contains_key("calls"),
        Value::String(t) => t.contains("DeferredToolRequests"),
        _ => false,
    }
}

/// The calls listed under `approvals`, then `calls`, of one `DeferredToolRequests` object
/// found on agent span `agent`.
fn requests_in(v: &Value, agent: usize) -> Vec<Deferred> {
    let mut out = Vec::new();
    for key in ["approvals", "calls"] {
        for c in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            out.push(deferred(c, key == "approvals", agent));
        }
    }
    out
}

/// One entry of `approvals` or `calls` (`{tool_call_id, tool_name, args}`).
fn deferred(c: &Value, approval: bool, agent: usize) -> Deferred {
    let text = |k: &str| c.get(k).and_then(Value::as_str);
    Deferred {
        approval,
        call_id: text("tool_call_id").unwrap_or_default().to_string(),
        tool: text("tool_name").unwrap_or("deferred_tool").to_string(),
        args: match c.get("args") {
            Some(Value::String(t)) => json_or_text(t),
            Some(v) => v.clone(),
            None => Value::Null,
        },
        agent,
    }
}

/// The text a later model request carried back for `call_id` (`tool_call_response` part).
pub(crate) fn tool_response_in(messages: &Value, call_id: &str) -> Option<Value> {
    messages
        .as_array()?
        .iter()
        .flat_map(|m| {
            m.get("parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .find(|p| {
            p.get("type").and_then(Value::as_str) == Some("tool_call_response")
                && p.get("id").and_then(Value::as_str) == Some(call_id)
        })
        .map(|p| {
            p.get("result")
                .or_else(|| p.get("response"))
                .cloned()
                .unwrap_or_default()
        })
}

/// The answer to `d` carried back by the first model call of the trace that starts after its
/// agent span ended (a reviewer's denial, or the external result); none without a call id.
pub(super) fn answer(spans: &Spans, d: &Deferred) -> Option<Value> {
    if d.call_id.is_empty() {
        return None;
    }
    let agent = spans.list[d.agent];
    let agent_end = agent.end_ns.unwrap_or(agent.start_ns);
    spans
        .model_spans()
        .filter(|s| s.start_ns >= agent_end)
        .find_map(|s| {
            json_attr(s, &["gen_ai.input.messages"])
                .and_then(|msgs| tool_response_in(&msgs, &d.call_id))
        })
}
