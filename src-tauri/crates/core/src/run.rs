//! A workflow run as a backend records it: inputs, ordered tool calls, citations into the exact
//! source passage, outputs, cost, latency, outcome and policy checks. This is a superset of the
//! seed run log (`run_id`, `user_id`, `workflow`, `inputs`, `model`, `tool_calls`, `outputs`,
//! `cost_usd`, `latency_ms`, `decision`, `policy_checks`, `timestamp`).

use crate::money::Micros;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a run ended (or that it has not yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The workflow finished and its result stands.
    Success,
    /// The workflow failed (tool error, invalid output, timeout).
    Fail,
    /// The workflow handed the case to a human (low confidence or policy).
    Escalated,
    /// A reviewer denied the write the run proposed.
    Denied,
    /// The run waits on a reviewer's decision.
    Pending,
    /// The backend stopped the run because it would have exceeded a hard budget cap.
    BudgetStopped,
}

impl Outcome {
    /// Every outcome, in display order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Success,
        Outcome::Fail,
        Outcome::Escalated,
        Outcome::Denied,
        Outcome::Pending,
        Outcome::BudgetStopped,
    ];

    /// The wire spelling (`success`, `budget_stopped`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Fail => "fail",
            Outcome::Escalated => "escalated",
            Outcome::Denied => "denied",
            Outcome::Pending => "pending",
            Outcome::BudgetStopped => "budget_stopped",
        }
    }

    /// Reads the wire spelling back.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// Tokens a run consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TokenUsage {
    /// Prompt / input tokens.
    pub input: u64,
    /// Completion / output tokens.
    pub output: u64,
}

/// One tool invocation inside a run, in the order the agent made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ToolCall {
    /// Identifier unique within the run.
    pub call_id: String,
    /// The enclosing step when calls nest (a sub-agent's calls under its step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Tool name, e.g. `kb_search`.
    pub tool: String,
    /// Arguments as the agent sent them.
    #[serde(default)]
    pub arguments: Value,
    /// Short human summary of what came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_summary: Option<String>,
    /// Full result as returned, when the backend keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// When it returned (absent while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// What the call cost.
    #[serde(default)]
    pub cost_micros: Micros,
    /// Documents or records the call read or wrote (ids).
    #[serde(default)]
    pub documents: Vec<String>,
    /// Error text when the call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A citation that lands on the exact passage of a source document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Citation {
    /// Source document id (`kb_102`).
    pub doc_id: String,
    /// Document title.
    pub title: String,
    /// Where to open the source; only http(s) URLs are ever opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The tool call that retrieved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The exact quoted passage.
    pub passage: String,
    /// Start of the passage in the source text, in Unicode scalar values (chars).
    pub start: u32,
    /// End (exclusive) of the passage in the source text, in chars.
    pub end: u32,
    /// Source text around the passage, so it can be read in context.
    #[serde(default)]
    pub context: String,
    /// Offset (chars) of `context` within the source text.
    #[serde(default)]
    pub context_start: u32,
    /// Version label of the source when it was cited.
    #[serde(default)]
    pub source_version: String,
    /// When the source was last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_updated_at: Option<DateTime<Utc>>,
    /// The source is marked deprecated by its owner.
    #[serde(default)]
    pub deprecated: bool,
}

impl Citation {
    /// The passage's span within `context`, in chars, when it lies inside it.
    pub fn span_in_context(&self) -> Option<(u32, u32)> {
        let s = self.start.checked_sub(self.context_start)?;
        let e = self.end.checked_sub(self.context_start)?;
        let len = self.context.chars().count() as u32;
        (s <= e && e <= len).then_some((s, e))
    }

    /// True when the source is deprecated or was last updated more than `max_age_days`
    /// before `now`.
    pub fn is_stale(&self, now: DateTime<Utc>, max_age_days: i64) -> bool {
        self.deprecated
            || self
                .source_updated_at
                .is_some_and(|t| (now - t).num_days() > max_age_days)
    }
}

/// A deterministic check the backend ran before letting the run act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PolicyCheck {
    /// Check name, e.g. `pii_redaction`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why, in the check's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A change the run made (or proposed) to a system of record: before → after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecordChange {
    /// System of record, e.g. `billing` or `crm`.
    pub system: String,
    /// Record id in that system.
    pub record_id: String,
    /// Field changed.
    pub field: String,
    /// Value before the change.
    #[serde(default)]
    pub before: Value,
    /// Value after the change.
    #[serde(default)]
    pub after: Value,
    /// The pending action that carries the write, when it needed approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
}

/// One workflow run, as the backend protocol (`/v1/runs`) carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Run {
    /// The backend's id for the run; unique per backend.
    pub run_id: String,
    /// Revision number; a later revision of the same run replaces an earlier one.
    #[serde(default)]
    pub revision: u64,
    /// Tenant (customer or business unit) the run belongs to.
    #[serde(default)]
    pub tenant: String,
    /// Who triggered the run.
    pub user_id: String,
    /// Team the user belongs to, for budgets by team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Workflow name, e.g. `support_triage`.
    pub workflow: String,
    /// Workflow version, e.g. `v2`.
    #[serde(default)]
    pub workflow_version: String,
    /// Model used.
    pub model: String,
    /// Prompt label (a prompt's name and version, e.g. `refund-v8`), when the backend names
    /// prompts apart from the workflow version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub prompt: Option<String>,
    /// Retrieval label (the index or corpus snapshot searched, e.g. `kb-2026-11`), when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retrieval: Option<String>,
    /// Inputs the run started from.
    #[serde(default)]
    pub inputs: Value,
    /// Tool calls in order.
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// Citations into sources.
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// What the run produced.
    #[serde(default)]
    pub outputs: Value,
    /// Model confidence in its output, 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Total cost.
    pub cost_micros: Micros,
    /// Tokens used.
    #[serde(default)]
    pub tokens: TokenUsage,
    /// Wall time in milliseconds.
    pub latency_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// The decision label the workflow recorded (`escalated_to_human`, `auto_resolved`).
    #[serde(default)]
    pub decision: String,
    /// Why it decided so: the rule or confidence that led to its decision or escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Policy checks run before any write.
    #[serde(default)]
    pub policy_checks: Vec<PolicyCheck>,
    /// Data the run changed or proposes to change.
    #[serde(default)]
    pub changes: Vec<RecordChange>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished (absent while pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// When the backend last changed this record.
    pub updated_at: DateTime<Utc>,
    /// The eval this run belongs to: a replay of a golden set's case in eval mode (its writes
    /// proposed, never executed). Absent for production runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub eval_id: Option<String>,
}

impl Run {
    /// Number of policy checks that failed.
    pub fn policy_failures(&self) -> usize {
        self.policy_checks.iter().filter(|c| !c.passed).count()
    }

    /// Number of citations that hit a deprecated or stale source.
    pub fn citation_warnings(&self, now: DateTime<Utc>, max_age_days: i64) -> usize {
        self.citations
            .iter()
            .filter(|c| c.is_stale(now, max_age_days))
            .count()
    }

    /// Checks the invariants a stored run must hold; the first broken one is returned.
    /// Records that fail are quarantined by sync, never stored half-valid.
    pub fn validate(&self) -> Result<(), String> {
        self.columns().validate()
    }
}

/// The columns an operator scans in the run list; what the store returns for list views.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunSummary {
    /// Backend the run came from (console-side id).
    pub backend_id: String,
    /// The backend's run id.
    pub run_id: String,
    /// Tenant.
    pub tenant: String,
    /// Workflow.
    pub workflow: String,
    /// Workflow version.
    pub workflow_version: String,
    /// Who triggered it.
    pub user_id: String,
    /// Model.
    pub model: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Decision label.
    pub decision: String,
    /// Cost.
    pub cost_micros: Micros,
    /// Latency.
    pub latency_ms: u64,
    /// Number of tool calls.
    pub tool_calls: u32,
    /// Failed policy checks.
    pub policy_failures: u32,
    /// Citations of deprecated or stale sources.
    pub citation_warnings: u32,
    /// Start time.
    pub started_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citation() -> Citation {
        Citation {
            doc_id: "kb_102".into(),
            title: "Refund policy (EU)".into(),
            url: Some("https://kb.example/kb_102".into()),
            call_id: Some("c1".into()),
            passage: "within 14 days".into(),
            start: 37,
            end: 51,
            context: "Customers may request a refund within 14 days of delivery.".into(),
            context_start: 6,
            source_version: "v3".into(),
            source_updated_at: Some("2026-01-01T00:00:00Z".parse().unwrap_or_default()),
            deprecated: false,
        }
    }

    #[test]
    fn citation_span_lands_on_the_passage() {
        let c = citation();
        let (s, e) = c.span_in_context().unwrap_or((0, 0));
        let got: String = c
            .context
            .chars()
            .skip(s as usize)
            .take((e - s) as usize)
            .collect();
        assert_eq!(got, "within 14 days");
    }

    #[test]
    fn staleness_counts_deprecation_and_age() {
        let now: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap_or_default();
        let mut c = citation();
        assert!(c.is_stale(now, 180));
        assert!(!c.is_stale(now, 365));
        c.deprecated = true;
        assert!(c.is_stale(now, 365));
    }

    #[test]
    fn outcome_spellings_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            let json = serde_json::to_string(&o).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
        assert_eq!(Outcome::parse("nope"), None);
    }
}
