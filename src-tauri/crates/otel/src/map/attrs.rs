//! Reading span attributes: the first of several keys, JSON in a string, error messages.

use crate::otlp::Span;
use serde_json::Value;

/// Keys naming the model of a model (or agent) span, most specific first.
pub(super) const MODEL_KEYS: &[&str] = &[
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "model_name",
];

/// The first of `keys` that holds a non-empty string.
pub(super) fn first_str(s: &Span, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| s.str_attr(k))
        .filter(|v| !v.is_empty())
}

/// The first of `keys` that holds an unsigned integer.
pub(super) fn first_u64(s: &Span, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| s.u64_attr(k))
}

/// The first of `keys` that is set (not null): a JSON-in-a-string attribute parsed, else the
/// text itself; any other value as it is.
pub(super) fn json_attr(s: &Span, keys: &[&str]) -> Option<Value> {
    keys.iter().find_map(|k| match s.attrs.get(*k)? {
        Value::Null => None,
        Value::String(t) => Some(json_or_text(t)),
        other => Some(other.clone()),
    })
}

/// `text` parsed as JSON, else the text itself as a JSON string.
pub(super) fn json_or_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// A value shown in at most 200 characters (`…` when cut); a string without its quotes.
pub(super) fn summary(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// The message of the span's first `exception` event.
fn exception_message(s: &Span) -> Option<String> {
    s.events
        .iter()
        .filter(|e| e.name == "exception")
        .find_map(|e| {
            e.attrs
                .get("exception.message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

/// Why the span failed, when its status is ERROR: the status message, else the exception
/// event's message, else `error`.
pub(super) fn span_error(s: &Span) -> Option<String> {
    let msg = s.error.as_ref()?;
    Some(if msg.is_empty() {
        exception_message(s).unwrap_or_else(|| "error".to_string())
    } else {
        msg.clone()
    })
}
