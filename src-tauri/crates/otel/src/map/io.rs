//! Phase six: the run's inputs and outputs, from the agent spans, else the model spans.

use super::attrs::json_attr;
use super::envelope::{final_answer, readable};
use super::index::Spans;
use crate::otlp::Span;
use serde_json::{Map, Value};

/// `key` of `first` as JSON, else of `fallback`.
fn either(first: &Span, fallback: Option<&Span>, key: &str) -> Option<Value> {
    json_attr(first, &[key]).or_else(|| fallback.and_then(|s| json_attr(s, &[key])))
}

/// `conversation_id` (the run's session), `messages` and `input` (the root, else the first
/// model span; framework envelopes unwrapped).
pub(super) fn inputs(spans: &Spans, session: Option<String>) -> Value {
    let mut inputs = Map::new();
    if let Some(c) = session {
        inputs.insert("conversation_id".into(), Value::String(c));
    }
    let root = spans.root();
    let first_model = spans.model_spans().next();
    if let Some(v) = either(root, first_model, "gen_ai.input.messages") {
        inputs.insert("messages".into(), v);
    }
    if let Some(v) = either(root, first_model, "input.value") {
        inputs.insert("input".into(), readable(&v));
    }
    Value::Object(inputs)
}

/// `final_result` (the last outermost agent span's, else the final answer among its output
/// messages), `messages` and `output` (that agent span, else the last model span; framework
/// envelopes unwrapped); null when there is none of them.
pub(super) fn outputs(spans: &Spans) -> Value {
    let mut outputs = Map::new();
    let last_agent = spans.last_outer_agent();
    let last_model = spans.model_spans().last();
    if let Some(v) = json_attr(last_agent, &["final_result"]) {
        outputs.insert("final_result".into(), v);
    }
    if let Some(v) = either(last_agent, last_model, "gen_ai.output.messages") {
        outputs.insert("messages".into(), v);
    }
    if let Some(v) = either(last_agent, last_model, "output.value") {
        let v = readable(&v);
        if !outputs.contains_key("final_result")
            && let Some(answer) = final_answer(&v)
        {
            outputs.insert("final_result".into(), Value::String(answer));
        }
        outputs.insert("output".into(), v);
    }
    if outputs.is_empty() {
        Value::Null
    } else {
        Value::Object(outputs)
    }
}
