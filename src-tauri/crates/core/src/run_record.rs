//! What the store keeps beside a run's JSON body — the columns the run list filters, sorts and
//! rolls up on — and the run invariants, read straight from a run record's JSON.
//!
//! Sync stores each record exactly as the backend sent it, so it does not need the whole
//! [`Run`] tree: [`RunColumns::from_json`] reads the record with the same acceptance as
//! `serde_json::from_str::<Run>` (same required fields, same types) but only checks the shape of
//! free-form JSON (inputs, outputs, tool arguments and results) and of text it does not keep,
//! instead of building it. That is most of the cost of parsing a run.

use crate::money::Micros;
use crate::run::{Outcome, Run, TokenUsage};
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// What the store needs to know about a citation's source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CitationFacts {
    /// Source document id.
    pub doc_id: String,
    /// Start of the passage (chars).
    pub start: u32,
    /// End of the passage (chars, exclusive).
    pub end: u32,
    /// When the source was last updated.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// The source is deprecated.
    pub deprecated: bool,
}

impl CitationFacts {
    /// True when the source is deprecated or older than `max_age_days` at `now`.
    pub fn is_stale(&self, now: DateTime<Utc>, max_age_days: i64) -> bool {
        self.deprecated
            || self
                .source_updated_at
                .is_some_and(|t| (now - t).num_days() > max_age_days)
    }
}

/// The columns of a stored run, and what its invariants need.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunColumns {
    /// The backend's run id.
    pub run_id: String,
    /// Revision.
    pub revision: u64,
    /// Tenant.
    pub tenant: String,
    /// Who triggered it.
    pub user_id: String,
    /// Team, if any.
    pub team: Option<String>,
    /// Workflow.
    pub workflow: String,
    /// Workflow version.
    pub workflow_version: String,
    /// Model.
    pub model: String,
    /// Prompt label, if named.
    pub prompt: Option<String>,
    /// Retrieval label, if named.
    pub retrieval: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Decision label.
    pub decision: String,
    /// Total cost.
    pub cost_micros: Micros,
    /// Wall time in milliseconds.
    pub latency_ms: u64,
    /// Model confidence, if reported.
    pub confidence: Option<f64>,
    /// Number of tool calls.
    pub tool_calls: usize,
    /// Number of failed policy checks.
    pub policy_failures: usize,
    /// Each citation's source facts.
    pub citations: Vec<CitationFacts>,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time, if finished.
    pub ended_at: Option<DateTime<Utc>>,
    /// Last change at the backend.
    pub updated_at: DateTime<Utc>,
}

impl RunColumns {
    /// Reads a run record's JSON. Fails exactly when `serde_json::from_str::<Run>` would.
    pub fn from_json(json: &str) -> Result<RunColumns, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Number of citations that hit a deprecated or stale source.
    pub fn citation_warnings(&self, now: DateTime<Utc>, max_age_days: i64) -> usize {
        self.citations
            .iter()
            .filter(|c| c.is_stale(now, max_age_days))
            .count()
    }

    /// Checks the invariants a stored run must hold; the first broken one is returned.
    pub fn validate(&self) -> Result<(), String> {
        if self.run_id.trim().is_empty() {
            return Err("run_id is empty".into());
        }
        if self.run_id.len() > 200 {
            return Err("run_id longer than 200 bytes".into());
        }
        if self.workflow.trim().is_empty() {
            return Err("workflow is empty".into());
        }
        if self.cost_micros.0 < 0 {
            return Err(format!("negative cost {}", self.cost_micros));
        }
        if let Some(c) = self.confidence
            && !(0.0..=1.0).contains(&c)
        {
            return Err(format!("confidence {c} outside 0..=1"));
        }
        if let Some(end) = self.ended_at
            && end < self.started_at
        {
            return Err("ended_at is before started_at".into());
        }
        for c in &self.citations {
            if c.start > c.end {
                return Err(format!("citation of {} has start > end", c.doc_id));
            }
        }
        Ok(())
    }
}

impl Run {
    /// The run's store columns.
    pub fn columns(&self) -> RunColumns {
        RunColumns {
            run_id: self.run_id.clone(),
            revision: self.revision,
            tenant: self.tenant.clone(),
            user_id: self.user_id.clone(),
            team: self.team.clone(),
            workflow: self.workflow.clone(),
            workflow_version: self.workflow_version.clone(),
            model: self.model.clone(),
            prompt: self.prompt.clone(),
            retrieval: self.retrieval.clone(),
            outcome: self.outcome,
            decision: self.decision.clone(),
            cost_micros: self.cost_micros,
            latency_ms: self.latency_ms,
            confidence: self.confidence,
            tool_calls: self.tool_calls.len(),
            policy_failures: self.policy_failures(),
            citations: self
                .citations
                .iter()
                .map(|c| CitationFacts {
                    doc_id: c.doc_id.clone(),
                    start: c.start,
                    end: c.end,
                    source_updated_at: c.source_updated_at,
                    deprecated: c.deprecated,
                })
                .collect(),
            started_at: self.started_at,
            ended_at: self.ended_at,
            updated_at: self.updated_at,
        }
    }
}

/// A JSON string whose text is not kept: checked to be a string, never copied.
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        d.deserialize_str(V)
    }
}

/// The JSON shape of a [`Run`], field for field, with the parts the store does not keep read
/// as [`Text`] or [`IgnoredAny`] (any JSON, as `serde_json::Value` accepts). Keep in step
/// with `Run`; `tests::acceptance_matches_run` fails when the two drift.
#[derive(Deserialize)]
struct RunRecord<'a> {
    #[serde(borrow)]
    run_id: Cow<'a, str>,
    #[serde(default)]
    revision: u64,
    #[serde(default, borrow)]
    tenant: Cow<'a, str>,
    #[serde(borrow)]
    user_id: Cow<'a, str>,
    #[serde(default)]
    team: Option<String>,
    #[serde(borrow)]
    workflow: Cow<'a, str>,
    #[serde(default, borrow)]
    workflow_version: Cow<'a, str>,
    #[serde(borrow)]
    model: Cow<'a, str>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    retrieval: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    inputs: IgnoredAny,
    #[serde(default)]
    tool_calls: Vec<CallRecord>,
    #[serde(default)]
    citations: Vec<CitationRecord>,
    #[serde(default)]
    #[allow(dead_code)]
    outputs: IgnoredAny,
    #[serde(default)]
    confidence: Option<f64>,
    cost_micros: Micros,
    #[serde(default)]
    #[allow(dead_code)]
    tokens: TokenUsage,
    latency_ms: u64,
    outcome: Outcome,
    #[serde(default, borrow)]
    decision: Cow<'a, str>,
    #[serde(default)]
    #[allow(dead_code)]
    rationale: Option<Text>,
    #[serde(default)]
    policy_checks: Vec<CheckRecord>,
    #[serde(default)]
    #[allow(dead_code)]
    changes: Vec<ChangeRecord>,
    started_at: DateTime<Utc>,
    #[serde(default)]
    ended_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

/// [`crate::ToolCall`]'s shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct CallRecord {
    call_id: Text,
    #[serde(default)]
    parent_id: Option<Text>,
    tool: Text,
    #[serde(default)]
    arguments: IgnoredAny,
    #[serde(default)]
    result_summary: Option<Text>,
    #[serde(default)]
    result: Option<IgnoredAny>,
    started_at: DateTime<Utc>,
    #[serde(default)]
    ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    cost_micros: Micros,
    #[serde(default)]
    documents: Vec<Text>,
    #[serde(default)]
    error: Option<Text>,
}

/// [`crate::Citation`]'s shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct CitationRecord {
    doc_id: String,
    title: Text,
    #[serde(default)]
    url: Option<Text>,
    #[serde(default)]
    call_id: Option<Text>,
    passage: Text,
    start: u32,
    end: u32,
    #[serde(default)]
    context: Text,
    #[serde(default)]
    context_start: u32,
    #[serde(default)]
    source_version: Text,
    #[serde(default)]
    source_updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    deprecated: bool,
}

impl Default for Text {
    fn default() -> Text {
        Text
    }
}

/// [`crate::PolicyCheck`]'s shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct CheckRecord {
    name: Text,
    passed: bool,
    #[serde(default)]
    detail: Option<Text>,
}

/// [`crate::RecordChange`]'s shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct ChangeRecord {
    system: Text,
    record_id: Text,
    field: Text,
    #[serde(default)]
    before: IgnoredAny,
    #[serde(default)]
    after: IgnoredAny,
    #[serde(default)]
    action_id: Option<Text>,
}

impl<'de> Deserialize<'de> for RunColumns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RunColumns, D::Error> {
        let r = RunRecord::deserialize(d)?;
        Ok(RunColumns {
            run_id: r.run_id.into_owned(),
            revision: r.revision,
            tenant: r.tenant.into_owned(),
            user_id: r.user_id.into_owned(),
            team: r.team,
            workflow: r.workflow.into_owned(),
            workflow_version: r.workflow_version.into_owned(),
            model: r.model.into_owned(),
            prompt: r.prompt,
            retrieval: r.retrieval,
            outcome: r.outcome,
            decision: r.decision.into_owned(),
            cost_micros: r.cost_micros,
            latency_ms: r.latency_ms,
            confidence: r.confidence,
            tool_calls: r.tool_calls.len(),
            policy_failures: r.policy_checks.iter().filter(|c| !c.passed).count(),
            citations: r
                .citations
                .into_iter()
                .map(|c| CitationFacts {
                    doc_id: c.doc_id,
                    start: c.start,
                    end: c.end,
                    source_updated_at: c.source_updated_at,
                    deprecated: c.deprecated,
                })
                .collect(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            updated_at: r.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A run with every optional part present.
    fn full() -> Value {
        json!({
            "run_id": "run_1", "revision": 3, "tenant": "acme", "user_id": "u\u{e9}\\n",
            "team": "support", "workflow": "refunds", "workflow_version": "v2", "model": "m-1",
            "prompt": "refund-v8", "retrieval": "kb-2026-11",
            "inputs": {"ticket": "T-1", "nested": [1, {"a": null}]},
            "tool_calls": [{
                "call_id": "c1", "parent_id": "c0", "tool": "kb_search",
                "arguments": {"q": "refund"}, "result_summary": "2 docs",
                "result": [{"id": "kb_1"}], "started_at": "2026-11-01T10:00:00Z",
                "ended_at": "2026-11-01T10:00:01.250Z", "cost_micros": 120,
                "documents": ["kb_1", "kb_2"], "error": "none"
            }],
            "citations": [{
                "doc_id": "kb_1", "title": "Refund policy", "url": "https://x.test/kb_1",
                "call_id": "c1", "passage": "within 30 days", "start": 10, "end": 24,
                "context": "Refunds within 30 days.", "context_start": 0,
                "source_version": "v7", "source_updated_at": "2025-01-01T00:00:00Z",
                "deprecated": true
            }],
            "outputs": {"reply": "ok"}, "confidence": 0.75, "cost_micros": 2500,
            "tokens": {"input": 100, "output": 20}, "latency_ms": 1250,
            "outcome": "escalated", "decision": "escalated_to_human", "rationale": "low",
            "policy_checks": [{"name": "pii", "passed": false, "detail": "email"},
                              {"name": "amount", "passed": true}],
            "changes": [{"system": "crm", "record_id": "r1", "field": "tier",
                         "before": "gold", "after": {"v": 1}, "action_id": "a1"}],
            "started_at": "2026-11-01T10:00:00Z", "ended_at": "2026-11-01T10:00:02Z",
            "updated_at": "2026-11-01T10:00:03Z"
        })
    }

    /// Values of every JSON type and some near misses, to put in place of each field.
    fn replacements() -> Vec<Value> {
        vec![
            Value::Null,
            json!(true),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(4_294_967_296_u64),
            json!(""),
            json!("x"),
            json!("2026-11-01T10:00:00Z"),
            json!("2026-13-01T10:00:00Z"),
            json!("success"),
            json!([]),
            json!(["a"]),
            json!({}),
        ]
    }

    /// Every path to a value inside `v`.
    fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    prefix.push(json!(k));
                    out.push(prefix.clone());
                    paths(child, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    prefix.push(json!(i));
                    out.push(prefix.clone());
                    paths(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }

    fn at<'v>(v: &'v mut Value, path: &[Value]) -> Option<&'v mut Value> {
        path.iter().try_fold(v, |cur, k| match k {
            Value::String(s) => cur.get_mut(s.as_str()),
            Value::Number(n) => n.as_u64().and_then(|i| cur.get_mut(i as usize)),
            _ => None,
        })
    }

    fn same_acceptance(doc: &Value, what: &str) {
        let text = doc.to_string();
        let run = serde_json::from_str::<Run>(&text);
        let cols = RunColumns::from_json(&text);
        match (&run, &cols) {
            (Ok(r), Ok(c)) => {
                assert_eq!(r.columns(), *c, "{what}");
                assert_eq!(r.validate(), c.validate(), "{what}");
            }
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{what}: Run {} but RunColumns {}",
                if run.is_ok() { "accepts" } else { "refuses" },
                if cols.is_ok() { "accepts" } else { "refuses" }
            ),
        }
    }

    #[test]
    fn acceptance_matches_run() {
        let base = full();
        same_acceptance(&base, "the full run");
        let mut all = Vec::new();
        paths(&base, &mut Vec::new(), &mut all);
        let mut cases = 0;
        for path in &all {
            let what = format!("{path:?}");
            // Removed.
            let mut doc = base.clone();
            let (parent, last) = path.split_at(path.len() - 1);
            if let Some(p) = at(&mut doc, parent) {
                match (p, &last[0]) {
                    (Value::Object(m), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Value::Number(i)) => {
                        a.remove(i.as_u64().unwrap_or(0) as usize);
                    }
                    _ => {}
                }
            }
            same_acceptance(&doc, &format!("{what} removed"));
            // Replaced by each kind of value.
            for r in replacements() {
                let mut doc = base.clone();
                if let Some(slot) = at(&mut doc, path) {
                    *slot = r.clone();
                }
                same_acceptance(&doc, &format!("{what} = {r}"));
                cases += 1;
            }
        }
        assert!(cases > 500, "only {cases} mutations tried");
    }

    #[test]
    fn duplicate_keys_and_escapes_read_like_run() {
        let dup = r#"{"run_id":"a","run_id":"b","user_id":"u","workflow":"w","model":"m",
            "cost_micros":1,"latency_ms":1,"outcome":"success",
            "started_at":"2026-11-01T10:00:00Z","updated_at":"2026-11-01T10:00:00Z"}"#;
        assert_eq!(
            serde_json::from_str::<Run>(dup).is_ok(),
            RunColumns::from_json(dup).is_ok()
        );
        let escaped = dup.replace(r#""run_id":"a","run_id":"b""#, r#""run_id":"r\"\u00e9""#);
        let cols = RunColumns::from_json(&escaped).expect("escaped id reads");
        assert_eq!(cols.run_id, "r\"\u{e9}");
        assert_eq!(cols.validate(), Ok(()));
    }

    #[test]
    fn stale_and_invalid_runs_are_told_apart() {
        let mut doc = full();
        let cols = RunColumns::from_json(&doc.to_string()).expect("reads");
        let now: DateTime<Utc> = "2026-11-25T00:00:00Z".parse().expect("time");
        assert_eq!(cols.citation_warnings(now, 365), 1);
        assert_eq!(cols.policy_failures, 1);
        doc["citations"][0]["start"] = json!(30);
        let bad = RunColumns::from_json(&doc.to_string()).expect("reads");
        assert_eq!(
            bad.validate(),
            Err("citation of kb_1 has start > end".to_string())
        );
    }
}
