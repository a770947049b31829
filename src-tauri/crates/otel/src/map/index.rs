//! Phase one: the trace's spans in start order, what kind each is, and the spans the other
//! phases start from (the top span, the agent spans, the model spans, the root).

use super::attrs::first_str;
use crate::otlp::{Span, Trace};
use countersign_core::identity::identity_text;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::ops::Bound;

/// What a span is, from its GenAI operation name or OpenInference span kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// An agent run (`invoke_agent`, OpenInference AGENT or CHAIN).
    Agent,
    /// A tool execution (`execute_tool`, OpenInference TOOL).
    Tool,
    /// A model call (`chat`, `text_completion`, ..., OpenInference LLM or EMBEDDING).
    Model,
    /// A document retrieval (OpenInference RETRIEVER).
    Retriever,
    /// Anything else.
    Other,
}

/// The kind of `s`.
fn kind(s: &Span) -> Kind {
    let op = s.str_attr("gen_ai.operation.name").unwrap_or_default();
    let oi = s
        .str_attr("openinference.span.kind")
        .unwrap_or_default()
        .to_ascii_uppercase();
    match (op.as_str(), oi.as_str()) {
        ("execute_tool", _) | (_, "TOOL") => Kind::Tool,
        (_, "RETRIEVER") => Kind::Retriever,
        ("chat" | "text_completion" | "generate_content" | "embeddings", _)
        | (_, "LLM" | "EMBEDDING") => Kind::Model,
        ("invoke_agent", _) | (_, "AGENT" | "CHAIN") => Kind::Agent,
        // pydantic-ai before the GenAI operation names.
        _ if s.name == "agent run" => Kind::Agent,
        _ if s.name == "running tool" && s.attrs.contains_key("gen_ai.tool.name") => Kind::Tool,
        _ => Kind::Other,
    }
}

/// A trace's spans, indexed. Span positions (`usize`) are indexes into [`Spans::list`].
pub(super) struct Spans<'t> {
    /// Every span, by start time (then span id).
    pub list: Vec<&'t Span>,
    /// The kind of each span.
    pub kinds: Vec<Kind>,
    /// Each span's parent, when the parent is in the trace.
    parents: Vec<Option<usize>>,
    /// The first span whose parent is not in the trace (else the first span).
    pub top: usize,
    /// The agent spans, in start order.
    pub agents: Vec<usize>,
    /// The model spans, in start order.
    pub models: Vec<usize>,
    /// Each span's metadata (see [`metadata`]).
    meta: Vec<Map<String, Value>>,
}

impl<'t> Spans<'t> {
    /// Sorts and indexes the spans of `trace`; `Err` when it has none.
    pub fn index(trace: &'t Trace) -> Result<Spans<'t>, String> {
        let mut list: Vec<&Span> = trace.spans.iter().collect();
        if list.is_empty() {
            return Err("trace has no spans".into());
        }
        list.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
        let parents = parents(&list);
        let top = parents.iter().position(Option::is_none).unwrap_or(0);
        let kinds: Vec<Kind> = list.iter().map(|s| kind(s)).collect();
        let of = |k: Kind| (0..list.len()).filter(|&i| kinds[i] == k).collect();
        let meta = list.iter().map(|s| metadata(s)).collect();
        Ok(Spans {
            meta,
            agents: of(Kind::Agent),
            models: of(Kind::Model),
            list,
            kinds,
            parents,
            top,
        })
    }

    /// The parent of span `i`, when it is in the trace.
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parents[i]
    }

    /// The top span: its times are the run's, its resource names the tenant.
    pub fn top_span(&self) -> &'t Span {
        self.list[self.top]
    }

    /// The root: the first agent span, else the top span.
    pub fn root(&self) -> &'t Span {
        self.list[self.agents.first().copied().unwrap_or(self.top)]
    }

    /// The agent spans, in start order.
    pub fn agent_spans(&self) -> impl Iterator<Item = &'t Span> + '_ {
        self.agents.iter().map(|&a| self.list[a])
    }

    /// The model spans, in start order.
    pub fn model_spans(&self) -> impl Iterator<Item = &'t Span> + '_ {
        self.models.iter().map(|&m| self.list[m])
    }

    /// The first non-empty string of `keys` on any span, in start order.
    pub fn any(&self, keys: &[&str]) -> Option<String> {
        self.list.iter().find_map(|s| first_str(s, keys))
    }

    /// The last agent span that no other agent span encloses (the outermost agent run), else
    /// the root.
    pub fn last_outer_agent(&self) -> &'t Span {
        let inner = |i: usize| {
            let mut p = self.parent(i);
            while let Some(a) = p {
                if self.kinds[a] == Kind::Agent {
                    return true;
                }
                p = self.parent(a);
            }
            false
        };
        self.agents
            .iter()
            .rev()
            .find(|&&a| !inner(a))
            .map_or_else(|| self.root(), |&a| self.list[a])
    }

    /// The first metadata value of `keys` on any span, in start order: for each span, each key
    /// in turn in its [`metadata`], then as a plain attribute of that name (as connectors that
    /// flatten metadata into attributes, such as Langfuse's, leave it).
    pub fn any_meta(&self, keys: &[String]) -> Option<String> {
        (0..self.list.len()).find_map(|i| {
            keys.iter().find_map(|k| {
                self.meta[i]
                    .get(k)
                    .or_else(|| self.list[i].attrs.get(k))
                    .and_then(identity_text)
            })
        })
    }
}

/// A span's metadata: the OpenInference `metadata` attribute (a JSON object in a string, or a
/// key/value list) with flattened `metadata.KEY` attributes added.
fn metadata(s: &Span) -> Map<String, Value> {
    let mut meta = match s.attrs.get("metadata") {
        Some(Value::String(text)) => serde_json::from_str::<Map<String, Value>>(text)
            .ok()
            .unwrap_or_default(),
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for (k, v) in s
        .attrs
        .range::<str, _>((Bound::Included("metadata."), Bound::Unbounded))
    {
        let Some(key) = k.strip_prefix("metadata.") else {
            break;
        };
        meta.entry(key.to_string()).or_insert_with(|| v.clone());
    }
    meta
}

/// For each span of `list`, the position of its parent in `list`.
fn parents(list: &[&Span]) -> Vec<Option<usize>> {
    let by_id: BTreeMap<&str, usize> = list
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    list.iter()
        .map(|s| {
            s.parent_span_id
                .as_deref()
                .and_then(|p| by_id.get(p).copied())
        })
        .collect()
}
