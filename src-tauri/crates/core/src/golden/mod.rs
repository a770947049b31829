//! Golden sets: real runs of a workflow kept as cases, each with what is expected of a run
//! from the same inputs (outcome, decision, the exact passages it must cite, the fields of its
//! proposed write, cost and latency ceilings). A change of prompt, retrieval or model is
//! replayed against the set ([`compare`]) before it goes live.
//!
//! A set is versioned: every change makes a new version holding the whole list of cases. On
//! disk a version is JSONL ([`to_jsonl`], [`from_jsonl`]): one line per case, the run record
//! exactly as synced (the seed's run-record shape) plus an `expect` object.

pub mod compare;

use crate::money::Micros;
use crate::run::{Outcome, Run};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A source passage a run must cite: the document and the exact quoted text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CitationExpectation {
    /// Source document id (`kb_102`).
    pub doc_id: String,
    /// The exact passage, compared character for character.
    pub passage: String,
}

/// A field of a proposed write that must match: `system` / `record_id` narrow which write
/// (any when absent), `after` is the value it must propose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct WriteExpectation {
    /// System of record, e.g. `billing`; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub system: Option<String>,
    /// Record id; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub record_id: Option<String>,
    /// Field written.
    pub field: String,
    /// The value it must propose.
    #[ts(type = "unknown")]
    pub after: Value,
}

/// What a run of a case's inputs is expected to do. Absent parts are not checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Expectations {
    /// The outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub outcome: Option<Outcome>,
    /// The decision label.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub decision: Option<String>,
    /// Passages it must cite (more citations are allowed).
    pub citations: Vec<CitationExpectation>,
    /// Fields its proposed writes must carry.
    pub writes: Vec<WriteExpectation>,
    /// Policy checks expected to fail (a refund over the agent's limit fails
    /// `amount_within_policy` and goes to a reviewer); any other failed check fails the case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<String>,
    /// Cost ceiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_cost_micros: Option<Micros>,
    /// Latency ceiling in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_latency_ms: Option<u64>,
}

impl Expectations {
    /// What `run` did, as expectations: its outcome, decision, every citation, every proposed
    /// write's value, and ceilings at `headroom` times its cost and latency (1.5 = +50 %).
    pub fn from_run(run: &Run, headroom: f64) -> Expectations {
        let up = |v: f64| (v * headroom.max(1.0)).ceil();
        Expectations {
            outcome: Some(run.outcome),
            decision: Some(run.decision.clone()),
            citations: run
                .citations
                .iter()
                .map(|c| CitationExpectation {
                    doc_id: c.doc_id.clone(),
                    passage: c.passage.clone(),
                })
                .collect(),
            writes: run
                .changes
                .iter()
                .map(|c| WriteExpectation {
                    system: Some(c.system.clone()),
                    record_id: Some(c.record_id.clone()),
                    field: c.field.clone(),
                    after: c.after.clone(),
                })
                .collect(),
            failed_checks: run
                .policy_checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.name.clone())
                .collect(),
            max_cost_micros: Some(Micros(up(run.cost_micros.0 as f64) as i64)),
            max_latency_ms: Some(up(run.latency_ms as f64) as u64),
        }
    }

    /// Checks the values are usable; the first problem is returned.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_cost_micros.is_some_and(|m| m.0 < 0) {
            return Err("max_cost_micros is negative".into());
        }
        for c in &self.citations {
            if c.doc_id.trim().is_empty() || c.passage.is_empty() {
                return Err("a required citation needs a doc_id and a passage".into());
            }
        }
        if self.writes.iter().any(|w| w.field.trim().is_empty()) {
            return Err("a write expectation needs a field".into());
        }
        Ok(())
    }
}

/// One case of a golden set: a recorded run (its inputs are replayed; it is the baseline) and
/// what is expected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GoldenCase {
    /// The recorded run; `run.run_id` identifies the case within its set.
    pub run: Run,
    /// What a replay must do.
    pub expect: Expectations,
}

impl GoldenCase {
    /// The case's id: its run's id.
    pub fn case_id(&self) -> &str {
        &self.run.run_id
    }

    /// The run of this case in eval `eval_id` (at `position`) when the replay could not run
    /// it: failed, decision `error`, the error text as its rationale, under `config`'s labels.
    pub fn failed_run(
        &self,
        eval_id: &str,
        position: usize,
        config: &ConfigLabel,
        error: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Run {
        Run {
            run_id: format!("{eval_id}-{position:05}"),
            revision: 1,
            tenant: self.run.tenant.clone(),
            user_id: self.run.user_id.clone(),
            team: None,
            workflow: self.run.workflow.clone(),
            workflow_version: config.version.clone(),
            model: config.model.clone(),
            prompt: config.prompt_label(),
            retrieval: config.retrieval_label(),
            inputs: self.run.inputs.clone(),
            tool_calls: vec![],
            citations: vec![],
            outputs: Value::Null,
            confidence: None,
            cost_micros: Micros(0),
            tokens: Default::default(),
            latency_ms: 0,
            outcome: Outcome::Fail,
            decision: "error".into(),
            rationale: Some(format!("replay stopped by a server error: {error}")),
            policy_checks: vec![],
            changes: vec![],
            started_at: now,
            ended_at: Some(now),
            updated_at: now,
            eval_id: Some(eval_id.to_string()),
        }
    }
}

/// The configuration a workflow runs with, as labels: what a change of prompt, retrieval or
/// model changes. Synced runs carry `workflow_version` and `model`, and `prompt` and
/// `retrieval` when the backend names them (empty when not).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct ConfigLabel {
    /// Workflow version, e.g. `v3`.
    pub version: String,
    /// Model, e.g. `gpt-4.1-mini`.
    pub model: String,
    /// Prompt label, when the team names prompts separately.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prompt: String,
    /// Retrieval label (index or corpus snapshot), when the team names it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub retrieval: String,
}

/// A label as a run carries it: absent when empty or blank.
fn named(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

impl ConfigLabel {
    /// The labels `run` ran with (an unnamed prompt or retrieval is empty).
    pub fn of_run(run: &Run) -> ConfigLabel {
        ConfigLabel {
            version: run.workflow_version.clone(),
            model: run.model.clone(),
            prompt: run.prompt.clone().unwrap_or_default(),
            retrieval: run.retrieval.clone().unwrap_or_default(),
        }
    }

    /// The prompt label as a run carries it: absent when not named.
    pub fn prompt_label(&self) -> Option<String> {
        named(&self.prompt)
    }

    /// The retrieval label as a run carries it: absent when not named.
    pub fn retrieval_label(&self) -> Option<String> {
        named(&self.retrieval)
    }

    /// `version / model` (and ` / prompt`, ` / retrieval` when named).
    pub fn display(&self) -> String {
        let mut s = format!("{} / {}", self.version, self.model);
        for part in [&self.prompt, &self.retrieval] {
            if !part.is_empty() {
                s.push_str(" / ");
                s.push_str(part);
            }
        }
        s
    }

    /// What changed from `before` to `self`, in words (`prompt refund-v7 → refund-v8`), one
    /// part per label that differs; empty when equal.
    pub fn changes_from(&self, before: &ConfigLabel) -> Vec<String> {
        let show = |s: &str| {
            if s.is_empty() {
                "none".to_string()
            } else {
                s.to_string()
            }
        };
        [
            ("version", &before.version, &self.version),
            ("model", &before.model, &self.model),
            ("prompt", &before.prompt, &self.prompt),
            ("retrieval", &before.retrieval, &self.retrieval),
        ]
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(what, a, b)| format!("{what} {} → {}", show(a), show(b)))
        .collect()
    }
}

/// A line of a JSONL file that could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct JsonlError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The cases as JSONL: per line the run record with an `expect` object.
pub fn to_jsonl(cases: &[GoldenCase]) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for c in cases {
        let mut v = serde_json::to_value(&c.run)?;
        if let Value::Object(m) = &mut v {
            m.insert("expect".into(), serde_json::to_value(&c.expect)?);
        }
        out.push_str(&serde_json::to_string(&v)?);
        out.push('\n');
    }
    Ok(out)
}

/// Reads JSONL written by [`to_jsonl`] (blank lines skipped; `expect` optional). Every case
/// must be of `workflow` when one is given, and case ids must be unique.
pub fn from_jsonl(text: &str, workflow: Option<&str>) -> Result<Vec<GoldenCase>, JsonlError> {
    let mut cases: Vec<GoldenCase> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let err = |message: String| JsonlError {
            line: i + 1,
            message,
        };
        if line.trim().is_empty() {
            continue;
        }
        let mut v: Value = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        let expect = match v.as_object_mut().and_then(|m| m.remove("expect")) {
            Some(e) => serde_json::from_value(e).map_err(|e| err(format!("expect: {e}")))?,
            None => Expectations::default(),
        };
        let run: Run = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
        run.validate().map_err(err)?;
        Expectations::validate(&expect).map_err(err)?;
        if let Some(w) = workflow
            && run.workflow != w
        {
            return Err(err(format!(
                "run {} is of workflow {}, not {w}",
                run.run_id, run.workflow
            )));
        }
        if !seen.insert(run.run_id.clone()) {
            return Err(err(format!("run {} appears twice", run.run_id)));
        }
        cases.push(GoldenCase { run, expect });
    }
    Ok(cases)
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
