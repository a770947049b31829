//! Eval mode: the simulated agent answers a golden set's case under a configuration (workflow
//! version, model, prompt and retrieval labels) without writing anything. Its model is deterministic, so
//! under the configuration it recorded a run with it answers that run's inputs as it did
//! then; the configuration asked for changes the answer:
//!
//! - model [`LEGACY_KB_MODEL`] retrieves the deprecated EU refund policy (`kb_100`) where the
//!   current one (`kb_101`) was cited, and costs three times as much on those cases;
//! - any other label answers as recorded (the labels are kept on the run).
//!
//! Proposed writes are kept on the run (`changes`, with no action id): no action is created,
//! nothing is executed, no budget is charged.

use crate::corpus::{DOCS, passages_of};
use chrono::{DateTime, Duration, Utc};
use countersign_core::golden::ConfigLabel;
use countersign_core::{Citation, Micros, Outcome, Run};
use serde_json::Value;

/// The model label that cites a deprecated source and costs 3× (documented in the protocol).
pub(crate) const LEGACY_KB_MODEL: &str = "legacy-kb-1";

/// The current EU refund policy, and its deprecated predecessor.
const CURRENT_DOC: &str = "kb_101";
const DEPRECATED_DOC: &str = "kb_100";

/// The eval's run of one case: `recorded` is the run the backend recorded for the case's
/// inputs, if any.
pub(crate) fn answer(
    eval_id: &str,
    position: usize,
    workflow: &str,
    config: &ConfigLabel,
    inputs: &Value,
    recorded: Option<&Run>,
    now: DateTime<Utc>,
) -> Run {
    let run_id = format!("{eval_id}-{position:05}");
    let Some(rec) = recorded.filter(|r| r.workflow == workflow && r.inputs == *inputs) else {
        return unanswerable(run_id, eval_id, workflow, config, inputs, now);
    };
    let mut run = rec.clone();
    run.run_id = run_id;
    run.revision = 1;
    run.eval_id = Some(eval_id.to_string());
    run.workflow_version = config.version.clone();
    run.model = config.model.clone();
    // A label the eval does not name stays as recorded; a named one is what ran.
    if let Some(p) = config.prompt_label() {
        run.prompt = Some(p);
    }
    if let Some(r) = config.retrieval_label() {
        run.retrieval = Some(r);
    }
    for c in &mut run.changes {
        c.action_id = None;
    }
    if config.model == LEGACY_KB_MODEL && run.citations.iter().any(|c| c.doc_id == CURRENT_DOC) {
        for c in &mut run.citations {
            if c.doc_id == CURRENT_DOC {
                *c = deprecated_citation(c);
            }
        }
        run.cost_micros = Micros(run.cost_micros.0.saturating_mul(3));
        for t in &mut run.tool_calls {
            t.cost_micros = Micros(t.cost_micros.0.saturating_mul(3));
        }
    }
    let took = Duration::milliseconds(run.latency_ms as i64);
    let shift = now - rec.started_at;
    run.started_at = now;
    run.ended_at = rec.ended_at.map(|_| now + took);
    run.updated_at = now + took;
    for t in &mut run.tool_calls {
        t.started_at += shift;
        t.ended_at = t.ended_at.map(|e| e + shift);
    }
    run
}

/// The deprecated policy's first passage, cited in place of `c`.
fn deprecated_citation(c: &Citation) -> Citation {
    let Some(p) = passages_of(DEPRECATED_DOC).into_iter().nth(1) else {
        return Citation {
            deprecated: true,
            ..c.clone()
        };
    };
    let d = &DOCS[p.doc];
    Citation {
        doc_id: d.doc_id.into(),
        title: d.title.into(),
        url: Some(d.url.into()),
        call_id: c.call_id.clone(),
        passage: p.text.clone(),
        start: p.start,
        end: p.end,
        context: p.context.clone(),
        context_start: p.context_start,
        source_version: d.version.into(),
        source_updated_at: Some(d.updated_at()),
        deprecated: d.deprecated,
    }
}

/// A case the backend has no recorded answer for: a failed run saying so.
fn unanswerable(
    run_id: String,
    eval_id: &str,
    workflow: &str,
    config: &ConfigLabel,
    inputs: &Value,
    now: DateTime<Utc>,
) -> Run {
    Run {
        run_id,
        revision: 1,
        tenant: String::new(),
        user_id: "eval".into(),
        team: None,
        workflow: workflow.into(),
        workflow_version: config.version.clone(),
        model: config.model.clone(),
        inputs: inputs.clone(),
        tool_calls: vec![],
        citations: vec![],
        outputs: Value::Null,
        confidence: None,
        cost_micros: Micros(0),
        tokens: Default::default(),
        latency_ms: 0,
        outcome: Outcome::Fail,
        decision: String::new(),
        rationale: Some(
            "the reference backend has no recorded answer for these inputs in this workflow".into(),
        ),
        policy_checks: vec![],
        changes: vec![],
        started_at: now,
        ended_at: Some(now),
        updated_at: now,
        eval_id: Some(eval_id.to_string()),
        prompt: config.prompt_label(),
        retrieval: config.retrieval_label(),
    }
}
