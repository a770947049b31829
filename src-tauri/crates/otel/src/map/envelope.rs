//! Framework envelopes unwrapped to what a reviewer reads.
//!
//! OpenInference's LangChain instrumentation writes a span's `input.value` / `output.value` as
//! JSON holding LangChain's own serialisations: a message as `message_to_dict` writes it
//! (`{"type": "tool", "data": {"content": ..., "additional_kwargs": ..., "tool_call_id": ...}}`),
//! as `dumpd` writes it (`{"lc": 1, "type": "constructor", "id": [..., "AIMessage"],
//! "kwargs": {...}}`) or as its `model_dump` (`{"type": "ai", "content": ...,
//! "additional_kwargs": ...}`), and a LangGraph node's `Command` (`{"graph": null, "update":
//! {...}}`). [`readable`] turns each message into `{"role", "content", "name"?, "tool_calls"?,
//! "tool_call_id"?, "status"?}` (text content holding a JSON object or array parsed) and each
//! command into its update; [`tool_output`] reads a tool span's result out of its
//! `ToolMessage`. Anything else is left exactly as it was.

use serde_json::{Map, Value, json};

/// `type` values of LangChain messages (`BaseMessage.type`).
const MESSAGE_TYPES: &[&str] = &[
    "human",
    "ai",
    "tool",
    "system",
    "function",
    "chat",
    "developer",
    "AIMessageChunk",
    "HumanMessageChunk",
    "ToolMessageChunk",
    "SystemMessageChunk",
    "FunctionMessageChunk",
    "ChatMessageChunk",
];

/// Deepest nesting [`readable`] rewrites; below it values are kept as they are.
const MAX_DEPTH: usize = 32;

/// `v` with every LangChain message and LangGraph command in it unwrapped (see the module docs).
pub(super) fn readable(v: &Value) -> Value {
    readable_at(v, 0)
}

fn readable_at(v: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return v.clone();
    }
    if let Some((role, fields)) = message(v) {
        return compact(&role, fields, depth);
    }
    if let Some(update) = command_update(v) {
        return readable_at(update, depth + 1);
    }
    match v {
        Value::Array(items) => items.iter().map(|x| readable_at(x, depth + 1)).collect(),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), readable_at(x, depth + 1)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The role and fields of a serialised LangChain message, if `v` is one.
fn message(v: &Value) -> Option<(String, &Map<String, Value>)> {
    let m = v.as_object()?;
    // dumpd: {"lc": 1, "type": "constructor", "id": [..., "ToolMessage"], "kwargs": {...}}
    if m.get("lc").is_some() && m.get("type").and_then(Value::as_str) == Some("constructor") {
        let class = m.get("id")?.as_array()?.last()?.as_str()?;
        let kwargs = m.get("kwargs")?.as_object()?;
        let base = class
            .strip_suffix("MessageChunk")
            .or_else(|| class.strip_suffix("Message"))?;
        let role = match base {
            "AI" => "ai".to_string(),
            "Human" => "human".to_string(),
            other => other.to_ascii_lowercase(),
        };
        return kwargs.contains_key("content").then_some((role, kwargs));
    }
    let kind = m.get("type")?.as_str()?;
    if !MESSAGE_TYPES.contains(&kind) {
        return None;
    }
    let role = role_of(kind);
    // message_to_dict: {"type": "ai", "data": {"content": ..., ...}}
    if let Some(data) = m.get("data").and_then(Value::as_object)
        && m.len() == 2
    {
        return data.contains_key("content").then_some((role, data));
    }
    // model_dump: {"type": "ai", "content": ..., "additional_kwargs": ..., ...}
    let dumped = m.contains_key("content")
        && (m.contains_key("additional_kwargs") || m.contains_key("response_metadata"));
    dumped.then_some((role, m))
}

/// `ai` for `ai` and `AIMessageChunk`, `tool` for `ToolMessageChunk`, ...
fn role_of(kind: &str) -> String {
    match kind.strip_suffix("MessageChunk") {
        Some("AI") => "ai".into(),
        Some(base) => base.to_ascii_lowercase(),
        None => kind.to_string(),
    }
}

/// The update a serialised LangGraph `Command` carries (`{"graph": .., "update": X, ..}`).
fn command_update(v: &Value) -> Option<&Value> {
    let m = v.as_object()?;
    let only_command_keys = m
        .keys()
        .all(|k| matches!(k.as_str(), "graph" | "update" | "resume" | "goto"));
    (only_command_keys && m.contains_key("graph"))
        .then(|| m.get("update"))
        .flatten()
}

/// A message as a reviewer reads it.
fn compact(role: &str, f: &Map<String, Value>, depth: usize) -> Value {
    let mut out = Map::new();
    out.insert("role".into(), json!(role));
    let content = f.get("content").unwrap_or(&Value::Null);
    out.insert("content".into(), content_value(content, depth));
    if let Some(name) = f
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        out.insert("name".into(), json!(name));
    }
    let calls: Vec<Value> = f
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let c = c.as_object()?;
            Some(json!({
                "id": c.get("id").cloned().unwrap_or(Value::Null),
                "name": c.get("name").cloned().unwrap_or(Value::Null),
                "args": c.get("args").cloned().unwrap_or(Value::Null),
            }))
        })
        .collect();
    if !calls.is_empty() {
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    if let Some(id) = f.get("tool_call_id").and_then(Value::as_str) {
        out.insert("tool_call_id".into(), json!(id));
    }
    if f.get("status").and_then(Value::as_str) == Some("error") {
        out.insert("status".into(), json!("error"));
    }
    Value::Object(out)
}

/// Message content: text holding a JSON object or array parsed; a list of text blocks joined;
/// anything else made [`readable`].
fn content_value(content: &Value, depth: usize) -> Value {
    match content {
        Value::String(text) => json_in_text(text).unwrap_or_else(|| content.clone()),
        Value::Array(blocks) => match text_blocks(blocks) {
            Some(text) => json_in_text(&text).unwrap_or(Value::String(text)),
            None => readable_at(content, depth + 1),
        },
        other => readable_at(other, depth + 1),
    }
}

/// `text` parsed when it holds a JSON object or array.
fn json_in_text(text: &str) -> Option<Value> {
    let t = text.trim();
    let looks =
        (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']'));
    if !looks {
        return None;
    }
    serde_json::from_str::<Value>(t)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// The text of a list of content blocks that are all text (`"..."` or
/// `{"type": "text", "text": "..."}`), joined by newlines.
fn text_blocks(blocks: &[Value]) -> Option<String> {
    if blocks.is_empty() {
        return None;
    }
    let parts: Option<Vec<&str>> = blocks
        .iter()
        .map(|b| match b {
            Value::String(s) => Some(s.as_str()),
            Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("text") => {
                m.get("text").and_then(Value::as_str)
            }
            _ => None,
        })
        .collect();
    parts.map(|p| p.join("\n"))
}

/// A tool span's result as a reviewer reads it.
#[derive(Debug, PartialEq)]
pub(super) struct ToolOutput {
    /// The result: the `ToolMessage`'s content when the tool answered with one.
    pub value: Value,
    /// The `ToolMessage`'s `tool_call_id`, if any.
    pub call_id: Option<String>,
    /// The content, when the `ToolMessage` says `status: error`.
    pub error: Option<String>,
}

/// The result of a tool span from its raw output (a `ToolMessage`, alone, in a command's
/// update or in a one-message `{"messages": [...]}`); any other output made [`readable`].
pub(super) fn tool_output(raw: &Value) -> ToolOutput {
    let value = readable(raw);
    let msg = tool_message(&value).cloned();
    match msg {
        Some(m) => {
            let content = m.get("content").cloned().unwrap_or(Value::Null);
            let error =
                (m.get("status").and_then(Value::as_str) == Some("error")).then(
                    || match &content {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                );
            ToolOutput {
                call_id: m
                    .get("tool_call_id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                value: content,
                error,
            }
        }
        None => ToolOutput {
            value,
            call_id: None,
            error: None,
        },
    }
}

/// The one tool message `v` is or holds.
fn tool_message(v: &Value) -> Option<&Map<String, Value>> {
    let is_tool = |m: &Map<String, Value>| m.get("role").and_then(Value::as_str) == Some("tool");
    let m = v.as_object()?;
    if is_tool(m) {
        return Some(m);
    }
    match m.get("messages")?.as_array()?.as_slice() {
        [one] => one.as_object().filter(|o| is_tool(o)),
        _ => None,
    }
}

/// The text of the last AI message without tool calls in a readable `{"messages": [...]}` (the
/// agent's final answer), if any.
pub(super) fn final_answer(readable_output: &Value) -> Option<String> {
    let messages = readable_output.get("messages")?.as_array()?;
    let last_ai = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("ai"))?;
    if last_ai.get("tool_calls").is_some() {
        return None;
    }
    last_ai
        .get("content")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_langchain_message_serialisation_becomes_role_and_content() {
        let to_dict = json!({"type": "tool", "data": {
            "content": "[{\"id\": \"kb_1\", \"content\": \"text\"}]",
            "additional_kwargs": {}, "response_metadata": {}, "type": "tool",
            "name": "search_kb", "id": null, "tool_call_id": "call_1", "artifact": null,
            "status": "success"}});
        assert_eq!(
            readable(&to_dict),
            json!({"role": "tool", "content": [{"id": "kb_1", "content": "text"}],
                   "name": "search_kb", "tool_call_id": "call_1"})
        );
        let dumpd = json!({"lc": 1, "type": "constructor",
            "id": ["langchain", "schema", "messages", "AIMessage"],
            "kwargs": {"content": "", "type": "ai", "tool_calls": [
                {"name": "lookup_order", "args": {"order_id": "A-1"}, "id": "c2", "type": "tool_call"}]}});
        assert_eq!(
            readable(&dumpd),
            json!({"role": "ai", "content": "", "tool_calls": [
                {"id": "c2", "name": "lookup_order", "args": {"order_id": "A-1"}}]})
        );
        let dumped = json!({"type": "AIMessageChunk", "content": [{"type": "text", "text": "a"},
            {"type": "text", "text": "b"}], "additional_kwargs": {}});
        assert_eq!(readable(&dumped), json!({"role": "ai", "content": "a\nb"}));
        let command = json!([{"graph": null, "update": {"messages": [to_dict]}}]);
        assert_eq!(
            readable(&command)[0]["messages"][0]["tool_call_id"],
            "call_1"
        );
    }

    #[test]
    fn other_values_are_left_as_they_were() {
        for v in [
            json!({"type": "ai", "text": "no content"}),
            json!({"type": "refund", "data": {"content": "x"}}),
            json!({"update": 5, "status": "ok"}),
            json!({"status": "delivered", "order_id": "A-1"}),
            json!("[not json"),
            json!({"type": "tool", "data": {"content": "x"}, "more": 1}),
        ] {
            assert_eq!(readable(&v), v);
        }
    }

    #[test]
    fn a_tool_message_gives_its_content_call_id_and_error() {
        let ok = json!({"type": "tool", "data": {"content": "refunded 49.90", "tool_call_id": "c1",
            "additional_kwargs": {}, "status": "success"}});
        assert_eq!(
            tool_output(&ok),
            ToolOutput {
                value: json!("refunded 49.90"),
                call_id: Some("c1".into()),
                error: None
            }
        );
        let failed = json!({"messages": [{"type": "tool", "data": {"content": "boom",
            "tool_call_id": "c2", "status": "error"}}]});
        let out = tool_output(&failed);
        assert_eq!(
            (out.error.as_deref(), out.call_id.as_deref()),
            (Some("boom"), Some("c2"))
        );
        let plain = json!({"status": "delivered"});
        assert_eq!(tool_output(&plain).value, plain);
        assert_eq!(tool_output(&plain).call_id, None);
    }

    #[test]
    fn the_final_answer_is_the_last_ai_text_without_tool_calls() {
        let out = readable(&json!({"messages": [
            {"type": "human", "data": {"content": "refund?"}},
            {"type": "ai", "data": {"content": "Yes, refunded."}}]}));
        assert_eq!(final_answer(&out).as_deref(), Some("Yes, refunded."));
        let waiting = json!({"messages": [{"role": "ai", "content": "", "tool_calls": [{}]}]});
        assert_eq!(final_answer(&waiting), None);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut v = json!({"type": "ai", "data": {"content": "deep"}});
        for _ in 0..100 {
            v = json!([v]);
        }
        // Deeper than MAX_DEPTH: kept as it was, no stack exhaustion.
        assert_eq!(readable(&v), v);
    }
}
