//! Support triage: search the knowledge base, classify the ticket, draft a reply, then resolve
//! it or escalate it to tier 2 (or fail on a model timeout). Writes the ticket status directly;
//! proposes nothing for review.

use super::{Context, Draft};
use crate::generate::common::{Step, kb_search, pick, step};
use countersign_core::{Outcome, RecordChange};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Drafts one run of the workflow.
pub(super) fn draft(rng: &mut ChaCha8Rng, cx: &Context<'_>) -> Draft {
    let &Context { confidence, .. } = cx;
    let mut steps: Vec<Step> = Vec::new();
    let mut citations_from: Vec<(usize, &'static str)> = Vec::new();
    let mut changes = Vec::new();
    let mut ticket = None;
    let outcome;
    let decision;
    let rationale;
    let outputs;
    let ticket_id = format!("T-{}", rng.random_range(40000..99999));
    let (subject, message) = *pick(
        rng,
        &[
            (
                "Refund for damaged blender",
                "My blender arrived with a cracked jug. Can I get my money back?",
            ),
            (
                "Where is my order?",
                "I ordered two weeks ago and the tracking has not moved since Monday.",
            ),
            (
                "Price question",
                "Is the Team plan still 19 USD per seat? Your page says something else.",
            ),
            (
                "Cancel subscription",
                "Please cancel my subscription at the end of this month.",
            ),
            (
                "Chargeback warning",
                "If I don't hear back by Friday I will file a chargeback with my bank.",
            ),
        ],
    );
    let inputs =
        json!({"ticket_id": ticket_id, "channel": "email", "subject": subject, "message": message});
    let docs: &[&str] = match rng.random_range(0..4) {
        0 => &["kb_150", "kb_302"],
        1 => &["kb_401", "kb_150"],
        2 => &["kb_101", "kb_100"],
        _ => &["kb_302"],
    };
    steps.push(kb_search(rng, subject, docs));
    for d in docs {
        citations_from.push((0, d));
    }
    let label = *pick(
        rng,
        &[
            "refund_question",
            "shipping_delay",
            "pricing",
            "cancellation",
            "complaint",
        ],
    );
    steps.push(step(
        "classify",
        json!({"labels": ["refund_question", "shipping_delay", "pricing", "cancellation", "complaint"], "text": message}),
        json!({"label": label, "confidence": confidence}),
        format!("classified as {label} ({confidence:.2})"),
        rng.random_range(50..200),
    ));
    let draft = format!(
        "Hi, thanks for reaching out about \"{subject}\". We are looking into it and will get back to you within one business day."
    );
    steps.push(step(
        "draft_reply",
        json!({"tone": "friendly", "label": label, "max_words": 120}),
        json!({"draft": draft}),
        "reply drafted".into(),
        rng.random_range(80..300),
    ));
    if rng.random_bool(0.05) {
        if let Some(s) = steps.last_mut() {
            s.error = Some("upstream model timeout after 30000 ms".into());
            s.result = Value::Null;
            s.summary = "timed out".into();
        }
        outcome = Outcome::Fail;
        decision = "failed";
        rationale = "The reply could not be drafted: the model call timed out.".to_string();
        outputs = json!({"error": "draft_reply timed out"});
    } else if confidence < 0.7 || subject.contains("Chargeback") {
        steps.push(step(
            "escalate_to_human",
            json!({"queue": "tier2", "ticket_id": ticket_id}),
            json!({"queued": true, "position": rng.random_range(1..40)}),
            "escalated to tier 2".into(),
            40,
        ));
        outcome = Outcome::Escalated;
        decision = "escalated_to_human";
        rationale = format!(
            "Confidence {confidence:.2} is below the 0.70 threshold of the escalation SOP, or the customer mentioned a chargeback."
        );
        outputs = json!({"label": label, "reply": draft, "queue": "tier2"});
        ticket = Some((ticket_id.clone(), "escalated".to_string()));
    } else {
        outcome = Outcome::Success;
        decision = "auto_resolved";
        rationale = format!(
            "Classified as {label} with confidence {confidence:.2}; a standard reply applies."
        );
        outputs = json!({"label": label, "reply": draft});
        ticket = Some((ticket_id.clone(), "resolved".to_string()));
    }
    if let Some((tid, st)) = &ticket {
        changes.push(RecordChange {
            system: "helpdesk".into(),
            record_id: tid.clone(),
            field: "status".into(),
            before: json!("open"),
            after: json!(st),
            action_id: None,
        });
    }
    Draft {
        inputs,
        steps,
        citations_from,
        checks: vec![],
        outcome,
        decision,
        rationale,
        outputs,
        changes,
        action: None,
        ticket,
    }
}
