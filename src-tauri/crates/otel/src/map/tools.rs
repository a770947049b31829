//! Phase three: tool calls. Every tool or retriever span becomes a tool call, in start order,
//! with the citations of the documents it returned.

use super::attrs::{first_str, json_attr, json_or_text, span_error, summary};
use super::citations::{result_citations, retrieval_citations};
use super::cost::reported_cost;
use super::envelope::{ToolOutput, tool_output};
use super::index::{Kind, Spans};
use crate::otlp::Span;
use countersign_core::{Citation, ToolCall};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// The tool calls of a trace and the citations they found.
pub(super) struct ToolCalls {
    /// The calls, in start order (deferred calls are appended later).
    pub calls: Vec<ToolCall>,
    /// The citations of every call, in call order.
    pub citations: Vec<Citation>,
    /// Every call id given out, so that no two calls share one.
    pub used: BTreeSet<String>,
}

/// The tool calls of the tool and retriever spans.
pub(super) fn tool_calls(spans: &Spans) -> ToolCalls {
    let mut out = ToolCalls {
        calls: Vec::new(),
        citations: Vec::new(),
        used: BTreeSet::new(),
    };
    let mut call_of_span: BTreeMap<usize, String> = BTreeMap::new();
    let requested = requested_calls(spans);
    for (i, s) in spans.list.iter().enumerate() {
        if !matches!(spans.kinds[i], Kind::Tool | Kind::Retriever) {
            continue;
        }
        let output = json_attr(
            s,
            &["gen_ai.tool.call.result", "tool_response", "output.value"],
        )
        .map(|raw| tool_output(&raw));
        let answered = output.as_ref().and_then(|o| o.call_id.as_deref());
        let call_id = call_id(s, answered, &out.used);
        out.used.insert(call_id.clone());
        let parent_id = parent_call(spans, i, &call_of_span);
        let asked = requested.get(&call_id);
        let (call, found) = tool_call(s, call_id.clone(), parent_id, output, asked);
        out.calls.push(call);
        out.citations.extend(found);
        call_of_span.insert(i, call_id);
    }
    out
}

/// The span's tool call id (its attribute, else the id its `ToolMessage` answered), unless an
/// earlier call took it; else the span id.
fn call_id(s: &Span, answered: Option<&str>, used: &BTreeSet<String>) -> String {
    first_str(s, &["gen_ai.tool.call.id", "tool_call.id"])
        .or_else(|| answered.map(str::to_string))
        .filter(|c| !used.contains(c))
        .unwrap_or_else(|| s.span_id.clone())
}

/// The arguments of every tool call a model asked for, by call id, from OpenInference's
/// flattened `llm.output_messages.N.message.tool_calls.M.tool_call.{id,function.arguments}`
/// (a tool span may carry only the bare value of a one-argument tool as its input).
fn requested_calls(spans: &Spans) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for s in spans.model_spans() {
        for (k, v) in s
            .attrs
            .range::<str, _>((Bound::Included("llm.output_messages."), Bound::Unbounded))
        {
            if !k.starts_with("llm.output_messages.") {
                break;
            }
            let Some(prefix) = k.strip_suffix(".tool_call.id") else {
                continue;
            };
            let (Some(id), Some(args)) = (
                v.as_str(),
                s.attrs
                    .get(&format!("{prefix}.tool_call.function.arguments"))
                    .and_then(Value::as_str),
            ) else {
                continue;
            };
            found
                .entry(id.to_string())
                .or_insert_with(|| json_or_text(args));
        }
    }
    found
}

/// The call id of the nearest ancestor of span `i` that is a tool call.
fn parent_call(spans: &Spans, i: usize, call_of_span: &BTreeMap<usize, String>) -> Option<String> {
    let mut ancestor = spans.parent(i);
    while let Some(p) = ancestor {
        if let Some(c) = call_of_span.get(&p) {
            return Some(c.clone());
        }
        ancestor = spans.parent(p);
    }
    None
}

/// The tool call of one tool or retriever span, and the citations of what it returned.
/// `output` is its result unwrapped; `asked` the arguments the model asked for under its call
/// id, which replace arguments that are not an object.
fn tool_call(
    s: &Span,
    call_id: String,
    parent_id: Option<String>,
    output: Option<ToolOutput>,
    asked: Option<&Value>,
) -> (ToolCall, Vec<Citation>) {
    let tool = first_str(s, &["gen_ai.tool.name", "tool.name"]).unwrap_or_else(|| {
        s.name
            .strip_prefix("execute_tool ")
            .unwrap_or(&s.name)
            .to_string()
    });
    let arguments = json_attr(
        s,
        &[
            "gen_ai.tool.call.arguments",
            "tool_arguments",
            "input.value",
            "tool.parameters",
        ],
    )
    .unwrap_or_default();
    let arguments = match asked {
        Some(a) if !arguments.is_object() && a.is_object() => a.clone(),
        _ => arguments,
    };
    let (result, failed) = match output {
        Some(o) => (Some(o.value), o.error),
        None => (None, None),
    };
    let mut found = retrieval_citations(s, &call_id);
    if let Some(r) = &result {
        found.extend(result_citations(r, &call_id));
    }
    let call = ToolCall {
        call_id,
        parent_id,
        tool,
        arguments,
        result_summary: result.as_ref().map(summary),
        result,
        started_at: s.start(),
        ended_at: s.end(),
        cost_micros: reported_cost(s).unwrap_or_default(),
        documents: found.iter().map(|c| c.doc_id.clone()).collect(),
        error: span_error(s).or(failed),
    };
    (call, found)
}
