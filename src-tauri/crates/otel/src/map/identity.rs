//! Phase two: what ran, for whom and when: workflow, model, tenant, user, version, times.

use super::attrs::{MODEL_KEYS, first_str};
use super::index::Spans;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The first agent name on an agent span, else on any span, else the root span's name
/// without `invoke_agent `.
pub(super) fn workflow(spans: &Spans) -> String {
    spans
        .agent_spans()
        .find_map(|s| first_str(s, &["gen_ai.agent.name", "agent_name", "agent.name"]))
        .or_else(|| spans.any(&["gen_ai.agent.name", "agent.name"]))
        .unwrap_or_else(|| {
            let root = spans.root();
            root.name
                .strip_prefix("invoke_agent ")
                .unwrap_or(&root.name)
                .to_string()
        })
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

/// The top span's resource `service.name`, else empty.
pub(super) fn tenant(spans: &Spans) -> String {
    resource_str(spans, "service.name").unwrap_or_default()
}

/// `user.id` or `enduser.id` on any span, else `unknown`.
pub(super) fn user_id(spans: &Spans) -> String {
    spans
        .any(&["user.id", "enduser.id"])
        .unwrap_or_else(|| "unknown".into())
}

/// `gen_ai.agent.version` on any span, else the top span's resource `service.version`, else
/// empty.
pub(super) fn workflow_version(spans: &Spans) -> String {
    spans
        .any(&["gen_ai.agent.version"])
        .or_else(|| resource_str(spans, "service.version"))
        .unwrap_or_default()
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
