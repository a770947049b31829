//! Weekly failure review: which bucket a failed, escalated, denied or rolled-back run most
//! likely belongs to, suggested by pure rules from the run record and what the store knows
//! (the backend's freshness window and source catalog, rollbacks of its approved writes,
//! backend outages), each suggestion with the evidence that triggered it. An operator confirms
//! or changes it; the suggestion never decides anything by itself.
//!
//! Rules, strongest cause first (the first that fires names the bucket; every rule that fired
//! is kept as evidence):
//!
//! 1. **connector outage** — the backend was down (sync health) while the run ran, or a tool
//!    timed out or answered that it was unavailable (5xx, connection refused/reset);
//! 2. **permission boundary** — a tool answered 401/403 (unauthorized, forbidden);
//! 3. **stale retrieval** — a citation of a deprecated source, of a source older than the
//!    backend's freshness window when the run started ([`crate::Citation::is_stale`] with the
//!    run's start as "now"), or of a version the catalog had already replaced;
//! 4. **loose policy** — an approved write of the run was rolled back, or a policy check
//!    failed;
//! 5. **bad threshold** — the run was escalated or denied with a confidence just under the
//!    workflow's cut (`cut - margin <= confidence < cut`, [`FailureRules`]);
//! 6. **model error** — any other tool error, or the run's outputs carry an error;
//! 7. **other** — nothing above.

use crate::backend::SourceDoc;
use crate::run::{Outcome, Run};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where a failure's cause lies, as the weekly review sorts it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum FailureBucket {
    /// The run relied on a deprecated, outdated or replaced source.
    StaleRetrieval,
    /// A tool refused the run's credentials (401/403): a missing permission boundary.
    PermissionBoundary,
    /// The backend or a connector was down, unavailable or timed out.
    ConnectorOutage,
    /// The confidence cut sent a near-miss to people (or denied it).
    BadThreshold,
    /// A policy let through what it should not have (approved then rolled back, failed check).
    LoosePolicy,
    /// The model or a tool erred otherwise.
    ModelError,
    /// None of the above.
    Other,
}

impl FailureBucket {
    /// Every bucket, in display order.
    pub const ALL: [FailureBucket; 7] = [
        FailureBucket::StaleRetrieval,
        FailureBucket::PermissionBoundary,
        FailureBucket::ConnectorOutage,
        FailureBucket::BadThreshold,
        FailureBucket::LoosePolicy,
        FailureBucket::ModelError,
        FailureBucket::Other,
    ];

    /// The wire and storage spelling (`stale_retrieval`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureBucket::StaleRetrieval => "stale_retrieval",
            FailureBucket::PermissionBoundary => "permission_boundary",
            FailureBucket::ConnectorOutage => "connector_outage",
            FailureBucket::BadThreshold => "bad_threshold",
            FailureBucket::LoosePolicy => "loose_policy",
            FailureBucket::ModelError => "model_error",
            FailureBucket::Other => "other",
        }
    }

    /// Reads the spelling back.
    pub fn parse(text: &str) -> Option<FailureBucket> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
    }
}

/// Which rule fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The backend's sync was down during the run.
    BackendDown,
    /// A tool call timed out.
    ToolTimeout,
    /// A tool answered unavailable (5xx, connection refused or reset).
    ToolUnavailable,
    /// A tool answered 401 or 403.
    ToolDenied,
    /// A cited source is marked deprecated.
    DeprecatedCitation,
    /// A cited source was older than the freshness window when the run started.
    StaleCitation,
    /// The catalog had a newer version of a cited source before the run started.
    OutdatedVersion,
    /// An approved write of the run was rolled back.
    RolledBackAfterApproval,
    /// A policy check failed.
    PolicyCheckFailed,
    /// Confidence just under the workflow's cut.
    ConfidenceNearCut,
    /// A tool call erred (not a timeout, outage or permission refusal).
    ToolError,
    /// The run's outputs carry an error.
    RunError,
}

impl Signal {
    /// The bucket this signal points at.
    pub fn bucket(self) -> FailureBucket {
        match self {
            Signal::BackendDown | Signal::ToolTimeout | Signal::ToolUnavailable => {
                FailureBucket::ConnectorOutage
            }
            Signal::ToolDenied => FailureBucket::PermissionBoundary,
            Signal::DeprecatedCitation | Signal::StaleCitation | Signal::OutdatedVersion => {
                FailureBucket::StaleRetrieval
            }
            Signal::RolledBackAfterApproval | Signal::PolicyCheckFailed => {
                FailureBucket::LoosePolicy
            }
            Signal::ConfidenceNearCut => FailureBucket::BadThreshold,
            Signal::ToolError | Signal::RunError => FailureBucket::ModelError,
        }
    }
}

/// One fact that triggered a rule. `detail` quotes record text (tool errors, check details):
/// untrusted, shown as text only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Evidence {
    /// The rule that fired.
    pub signal: Signal,
    /// The bucket it points at.
    pub bucket: FailureBucket,
    /// What was seen, e.g. `kb_102 deprecated (v3)` or `lookup_order: 403 forbidden`.
    pub detail: String,
}

/// A suggested bucket with the evidence behind it: the suggestion's own evidence first, then
/// whatever else fired (pointing at other buckets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Suggestion {
    /// The suggested bucket.
    pub bucket: FailureBucket,
    /// Every rule that fired, the suggestion's first.
    pub evidence: Vec<Evidence>,
}

/// An approved write of the run that was later rolled back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolledBack {
    /// The action id.
    pub action_id: String,
    /// Its kind (`issue_refund`).
    pub kind: String,
    /// Who approved it, when known.
    pub decided_by: Option<String>,
}

/// A stretch of time the console saw the run's backend down (consecutive sync failures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    /// When the backend went down.
    pub from: DateTime<Utc>,
    /// When it came back (`None`: still down).
    pub until: Option<DateTime<Utc>>,
    /// The last error seen.
    pub last_error: Option<String>,
}

/// Tunables of the rules: the confidence cut per workflow and how far under it counts as
/// "just under". Defaults: cut 0.70 (the reference backend's escalation SOP), margin 0.05.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct FailureRules {
    /// The cut for workflows without their own.
    pub default_cut: f64,
    /// Cuts per workflow.
    pub cuts: BTreeMap<String, f64>,
    /// How far under the cut a confidence still counts as a near miss.
    pub margin: f64,
}

impl Default for FailureRules {
    fn default() -> Self {
        FailureRules {
            default_cut: 0.70,
            cuts: BTreeMap::new(),
            margin: 0.05,
        }
    }
}

impl FailureRules {
    /// Checks every value is in range (cuts and margin between 0 and 1, workflow names not
    /// blank); the first problem is returned.
    pub fn validate(&self) -> Result<(), String> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and 1"))
            }
        };
        unit("default_cut", self.default_cut)?;
        unit("margin", self.margin)?;
        for (workflow, cut) in &self.cuts {
            if workflow.trim().is_empty() {
                return Err("a workflow cut needs a workflow name".into());
            }
            unit(&format!("the cut of {workflow}"), *cut)?;
        }
        Ok(())
    }

    /// The cut that applies to `workflow`.
    pub fn cut_for(&self, workflow: &str) -> f64 {
        self.cuts.get(workflow).copied().unwrap_or(self.default_cut)
    }
}

/// Everything the rules look at for one run.
#[derive(Clone, Debug)]
pub struct FailureFacts<'a> {
    /// The run.
    pub run: &'a Run,
    /// The backend's freshness window in days.
    pub freshness_days: i64,
    /// The backend's source catalog, by document id.
    pub catalog: &'a BTreeMap<String, SourceDoc>,
    /// Approved writes of the run that were rolled back.
    pub rolled_back: &'a [RolledBack],
    /// Outages of the run's backend.
    pub outages: &'a [Outage],
    /// Confidence cut and margin.
    pub rules: &'a FailureRules,
}

/// Whether a run belongs in the failure review: it failed, was escalated or denied, or an
/// approved write of it was rolled back.
pub fn reviewable(outcome: Outcome, rolled_back: bool) -> bool {
    rolled_back
        || matches!(
            outcome,
            Outcome::Fail | Outcome::Escalated | Outcome::Denied
        )
}

/// The bucket the rules suggest for a run, with the evidence.
pub fn suggest(f: &FailureFacts<'_>) -> Suggestion {
    let mut evidence = Vec::new();
    let mut add = |signal: Signal, detail: String| {
        evidence.push(Evidence {
            signal,
            bucket: signal.bucket(),
            detail,
        })
    };
    let run = f.run;
    let end = run.ended_at.unwrap_or(run.updated_at).max(run.started_at);
    for o in f.outages {
        if o.from <= end && o.until.is_none_or(|u| u >= run.started_at) {
            let why = o.last_error.as_deref().unwrap_or("no answer");
            add(
                Signal::BackendDown,
                format!("backend down from {} ({why})", o.from.to_rfc3339()),
            );
        }
    }
    for call in &run.tool_calls {
        let error = call.error.as_deref().unwrap_or("");
        let status = result_status(call.result.as_ref());
        let text = error.to_ascii_lowercase();
        let quoted = || format!("{}: {}", call.tool, clip(error_or_status(error, status)));
        if status == Some(401) || status == Some(403) || denies(&text) {
            add(Signal::ToolDenied, quoted());
        } else if text.contains("timeout") || text.contains("timed out") || status == Some(504) {
            add(Signal::ToolTimeout, quoted());
        } else if status.is_some_and(|s| (500..600).contains(&s)) || unavailable(&text) {
            add(Signal::ToolUnavailable, quoted());
        }
    }
    for c in &run.citations {
        let version = if c.source_version.is_empty() {
            String::new()
        } else {
            format!(" ({})", c.source_version)
        };
        if c.deprecated {
            add(
                Signal::DeprecatedCitation,
                format!("{} deprecated{version}", c.doc_id),
            );
        } else if c.is_stale(run.started_at, f.freshness_days) {
            let age = c
                .source_updated_at
                .map(|t| (run.started_at - t).num_days())
                .unwrap_or_default();
            add(
                Signal::StaleCitation,
                format!(
                    "{}{version} last updated {age} days before the run (window {} days)",
                    c.doc_id, f.freshness_days
                ),
            );
        } else if let Some(doc) = f.catalog.get(&c.doc_id)
            && !c.source_version.is_empty()
            && doc.version != c.source_version
            && doc.updated_at <= run.started_at
        {
            add(
                Signal::OutdatedVersion,
                format!(
                    "{} cited at {} while {} was current since {}",
                    c.doc_id,
                    c.source_version,
                    doc.version,
                    doc.updated_at.to_rfc3339()
                ),
            );
        }
    }
    for rb in f.rolled_back {
        let by = rb.decided_by.as_deref().unwrap_or("a reviewer");
        add(
            Signal::RolledBackAfterApproval,
            format!(
                "{} {} approved by {by}, then rolled back",
                rb.kind, rb.action_id
            ),
        );
    }
    for check in run.policy_checks.iter().filter(|c| !c.passed) {
        let detail = check.detail.as_deref().unwrap_or("failed");
        add(
            Signal::PolicyCheckFailed,
            format!("{}: {}", check.name, clip(detail)),
        );
    }
    if matches!(run.outcome, Outcome::Escalated | Outcome::Denied)
        && let Some(conf) = run.confidence
    {
        let cut = f.rules.cut_for(&run.workflow);
        if conf < cut && conf >= cut - f.rules.margin - 1e-9 {
            add(
                Signal::ConfidenceNearCut,
                format!(
                    "confidence {conf:.2} just under the cut {cut:.2} (margin {:.2})",
                    f.rules.margin
                ),
            );
        }
    }
    for call in &run.tool_calls {
        let Some(error) = call.error.as_deref() else {
            continue;
        };
        let text = error.to_ascii_lowercase();
        let status = result_status(call.result.as_ref());
        let classified = status.is_some_and(|s| s == 401 || s == 403 || s >= 500)
            || denies(&text)
            || unavailable(&text)
            || text.contains("timeout")
            || text.contains("timed out");
        if !classified {
            add(Signal::ToolError, format!("{}: {}", call.tool, clip(error)));
        }
    }
    if let Some(err) = run.outputs.get("error") {
        let text = match err {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        add(Signal::RunError, clip(&text));
    }
    let bucket = PRIORITY
        .into_iter()
        .find(|b| evidence.iter().any(|e| e.bucket == *b))
        .unwrap_or(FailureBucket::Other);
    // The suggestion's own evidence first, the rest after, each group in rule order.
    evidence.sort_by_key(|e| e.bucket != bucket);
    Suggestion { bucket, evidence }
}

/// Which bucket wins when several rules fire: the strongest cause first.
const PRIORITY: [FailureBucket; 6] = [
    FailureBucket::ConnectorOutage,
    FailureBucket::PermissionBoundary,
    FailureBucket::StaleRetrieval,
    FailureBucket::LoosePolicy,
    FailureBucket::BadThreshold,
    FailureBucket::ModelError,
];

/// An HTTP status a tool result reports (`status` or `status_code`).
fn result_status(result: Option<&Value>) -> Option<u64> {
    let r = result?;
    ["status", "status_code", "http_status"]
        .iter()
        .find_map(|k| r.get(k).and_then(Value::as_u64))
}

fn error_or_status(error: &str, status: Option<u64>) -> String {
    match (error.is_empty(), status) {
        (false, _) | (true, None) => error.to_string(),
        (true, Some(s)) => format!("status {s}"),
    }
}

/// A tool error that is a refusal of the caller's credentials.
fn denies(lower: &str) -> bool {
    starts_or_has_code(lower, "401")
        || starts_or_has_code(lower, "403")
        || lower.contains("unauthorized")
        || lower.contains("unauthorised")
        || lower.contains("forbidden")
        || lower.contains("permission denied")
        || lower.contains("access denied")
}

/// A tool error that says the remote side is down.
fn unavailable(lower: &str) -> bool {
    ["500", "502", "503", "504"]
        .iter()
        .any(|c| starts_or_has_code(lower, c))
        || lower.contains("unavailable")
        || lower.contains("connection refused")
        || lower.contains("connection reset")
        || lower.contains("unreachable")
}

/// `code` as a whole number in the text (`403: ...`, `HTTP 403`, `status=403`), not inside a
/// longer number or id.
fn starts_or_has_code(lower: &str, code: &str) -> bool {
    lower.match_indices(code).any(|(i, _)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Quoted record text is kept short.
fn clip(text: impl AsRef<str>) -> String {
    let t = text.as_ref();
    match t.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// Monday 00:00 UTC of the week holding `t`: review weeks run Monday to Monday, UTC.
pub fn week_start(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, Duration, TimeZone};
    let days = i64::from(t.weekday().num_days_from_monday());
    let d = t.date_naive() - Duration::days(days);
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

mod weekly;
pub use weekly::{BucketChange, WeekCount, week_changes};

#[cfg(test)]
mod tests;
