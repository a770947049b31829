//! Phase two: what ran, for whom and when: workflow, model, prompt and retrieval labels,
//! tenant, user, session, version, times.

use super::attrs::{MODEL_KEYS, first_str};
use super::index::Spans;
use chrono::{DateTime, Utc};
use countersign_core::IdentityKeys;
use serde_json::Value;

/// Root span names that name a framework, not the agent (`create_agent` without a name is
/// "LangGraph"): never a run's workflow while anything better is known.
const GENERIC_NAMES: &[&str] = &[
    "LangGraph",
    "CompiledStateGraph",
    "Pregel",
    "RunnableSequence",
    "RunnableLambda",
    "RunnableParallel",
    "RunnableWithMessageHistory",
    "AgentExecutor",
    "agent run",
    "invoke_agent",
];

/// Metadata keys naming the agent or graph: LangChain's `create_agent(name=...)`, a LangGraph
/// Server run's graph.
const AGENT_META_KEYS: &[&str] = &["lc_agent_name", "graph_id"];

/// The workflow, first found: an agent name on an agent span, else on any span (GenAI
/// `gen_ai.agent.name`, OpenInference `agent.name`); the agent or graph name in metadata; the
/// root span's name (without `invoke_agent `) unless it is a framework's generic one; the
/// top span's resource `service.name`; else the root span's name whatever it is.
pub(super) fn workflow(spans: &Spans) -> String {
    let root = spans.root();
    let root_name = root
        .name
        .strip_prefix("invoke_agent ")
        .unwrap_or(&root.name)
        .trim()
        .to_string();
    let meta_keys: Vec<String> = AGENT_META_KEYS.iter().map(|k| k.to_string()).collect();
    spans
        .agent_spans()
        .find_map(|s| first_str(s, &["gen_ai.agent.name", "agent_name", "agent.name"]))
        .or_else(|| spans.any(&["gen_ai.agent.name", "agent.name"]))
        .or_else(|| spans.any_meta(&meta_keys))
        .or_else(|| {
            let generic = root_name.is_empty() || GENERIC_NAMES.contains(&root_name.as_str());
            (!generic).then(|| root_name.clone())
        })
        .or_else(|| resource_str(spans, "service.name").filter(|n| !n.trim().is_empty()))
        .unwrap_or(root_name)
}

/// The model of the first model span that names one (the root when there is no model span),
/// else of any agent span, else `unknown`.
pub(super) fn model(spans: &Spans) -> String {
    let called = if spans.models.is_empty() {
        first_str(spans.root(), MODEL_KEYS)
    } else {
        spans.model_spans().find_map(|s| first_str(s, MODEL_KEYS))
    };
    called
        .or_else(|| spans.agent_spans().find_map(|s| first_str(s, MODEL_KEYS)))
        .unwrap_or_else(|| "unknown".into())
}

/// A string of the top span's resource (`service.name`, ...).
fn resource_str(spans: &Spans, key: &str) -> Option<String> {
    spans
        .top_span()
        .resource
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The tenant named in metadata under one of `keys` (any span, in start order), else empty.
/// Never the resource's `service.name`: that names the agent, not whom it serves.
pub(super) fn tenant(spans: &Spans, keys: &IdentityKeys) -> String {
    spans.any_meta(&keys.tenant_keys).unwrap_or_default()
}

/// `user.id` or `enduser.id` on any span, else the user named in metadata under one of `keys`,
/// else `unknown`.
pub(super) fn user_id(spans: &Spans, keys: &IdentityKeys) -> String {
    spans
        .any(&["user.id", "enduser.id"])
        .or_else(|| spans.any_meta(&keys.user_keys))
        .unwrap_or_else(|| "unknown".into())
}

/// `gen_ai.conversation.id` or `session.id` on any span, else the session named in metadata
/// under one of `keys`.
pub(super) fn session(spans: &Spans, keys: &IdentityKeys) -> Option<String> {
    spans
        .any(&["gen_ai.conversation.id", "session.id"])
        .or_else(|| spans.any_meta(&keys.session_keys))
}

/// `gen_ai.agent.version` on any span, else the top span's resource `service.version`, else
/// empty.
pub(super) fn workflow_version(spans: &Spans) -> String {
    spans
        .any(&["gen_ai.agent.version"])
        .or_else(|| resource_str(spans, "service.version"))
        .unwrap_or_default()
}

/// Attributes naming the prompt a run used, most specific first.
const PROMPT_KEYS: &[&str] = &["prompt.label", "prompt_label", "gen_ai.prompt.name"];
/// Langfuse's prompt link: name and version (an integer), read as `name:version`.
const LANGFUSE_PROMPT: [(&str, &str); 2] = [
    (
        "langfuse.observation.prompt.name",
        "langfuse.observation.prompt.version",
    ),
    ("langfuse.prompt.name", "langfuse.prompt.version"),
];
/// Metadata keys naming the prompt.
const PROMPT_META_KEYS: &[&str] = &["prompt_label", "prompt_version", "prompt"];
/// Attributes naming the retrieval setup (index or corpus snapshot).
const RETRIEVAL_KEYS: &[&str] = &["retrieval.label", "retrieval_label", "retrieval.index"];
/// Metadata keys naming the retrieval setup.
const RETRIEVAL_META_KEYS: &[&str] = &["retrieval_label", "retrieval_index", "index_version"];

/// The prompt label, first found: `prompt.label` (or `prompt_label`, `gen_ai.prompt.name`) on
/// any span; Langfuse's `langfuse.observation.prompt.name` with its version (`name:3`); the
/// metadata key `prompt_label`, `prompt_version` or `prompt`. Absent when none names it.
pub(super) fn prompt(spans: &Spans) -> Option<String> {
    spans
        .any(PROMPT_KEYS)
        .or_else(|| {
            spans.list.iter().find_map(|s| {
                LANGFUSE_PROMPT.iter().find_map(|(name, version)| {
                    let n = first_str(s, &[name])?;
                    Some(match s.str_attr(version).filter(|v| !v.is_empty()) {
                        Some(v) => format!("{n}:{v}"),
                        None => n,
                    })
                })
            })
        })
        .or_else(|| spans.any_meta(&owned(PROMPT_META_KEYS)))
}

/// The retrieval label, first found: `retrieval.label` (or `retrieval_label`,
/// `retrieval.index`) on any span, else the metadata key `retrieval_label`, `retrieval_index`
/// or `index_version`. Absent when none names it.
pub(super) fn retrieval(spans: &Spans) -> Option<String> {
    spans
        .any(RETRIEVAL_KEYS)
        .or_else(|| spans.any_meta(&owned(RETRIEVAL_META_KEYS)))
}

fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// When the run ran.
pub(super) struct Times {
    /// The top span's start.
    pub started_at: DateTime<Utc>,
    /// The top span's end, else the latest end of any span.
    pub end: Option<DateTime<Utc>>,
    /// From start to end, in whole milliseconds (0 without an end).
    pub latency_ms: u64,
}

/// The run's times, from the top span (its end, else the latest end of any span).
pub(super) fn times(spans: &Spans) -> Times {
    let top = spans.top_span();
    let last_end = spans.list.iter().filter_map(|s| s.end_ns).max();
    let end_ns = top.end_ns.or(last_end);
    Times {
        started_at: top.start(),
        end: end_ns.map(crate::otlp::from_nanos),
        latency_ms: end_ns
            .map(|e| e.saturating_sub(top.start_ns) / 1_000_000)
            .unwrap_or(0),
    }
}
