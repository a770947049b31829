//! A drafted run's trace: its steps laid out on a timeline as tool calls, and the passages it
//! cites drawn from the corpus.

use super::common::Step;
use crate::corpus::{self, DOCS, Passage};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{Citation, Micros, ToolCall};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The steps as tool calls `c1, c2, …` one after another from `started_at` (a start offset,
/// then a duration and a gap per step); returns them and when the last one ended.
pub(super) fn tool_calls(
    rng: &mut ChaCha8Rng,
    started_at: DateTime<Utc>,
    steps: Vec<Step>,
) -> (Vec<ToolCall>, DateTime<Utc>) {
    let mut t = started_at + Duration::milliseconds(rng.random_range(20..300));
    let mut tool_calls = Vec::with_capacity(steps.len());
    for (i, s) in steps.into_iter().enumerate() {
        let dur = Duration::milliseconds(rng.random_range(80..1800));
        tool_calls.push(ToolCall {
            call_id: format!("c{}", i + 1),
            parent_id: None,
            tool: s.tool.into(),
            arguments: s.arguments,
            result_summary: Some(s.summary),
            result: Some(s.result),
            started_at: t,
            ended_at: Some(t + dur),
            cost_micros: Micros(s.cost),
            documents: s.documents,
            error: s.error,
        });
        t = t + dur + Duration::milliseconds(rng.random_range(5..150));
    }
    (tool_calls, t)
}

/// One citation per `(step index, document id)`, a passage of that document drawn at random;
/// documents without passages are skipped.
pub(super) fn citations(rng: &mut ChaCha8Rng, from: Vec<(usize, &'static str)>) -> Vec<Citation> {
    let mut citations = Vec::new();
    for (ci, doc) in from {
        let call_id = format!("c{}", ci + 1);
        if let Some(c) = cite(rng, doc, &call_id) {
            citations.push(c);
        }
    }
    citations
}

fn cite(rng: &mut ChaCha8Rng, doc_id: &str, call_id: &str) -> Option<Citation> {
    let ps = corpus::passages_of(doc_id);
    if ps.is_empty() {
        return None;
    }
    let p: &Passage = ps[rng.random_range(0..ps.len())];
    let d = &DOCS[p.doc];
    Some(Citation {
        doc_id: d.doc_id.into(),
        title: d.title.into(),
        url: Some(d.url.into()),
        call_id: Some(call_id.into()),
        passage: p.text.clone(),
        start: p.start,
        end: p.end,
        context: p.context.clone(),
        context_start: p.context_start,
        source_version: d.version.into(),
        source_updated_at: Some(d.updated_at()),
        deprecated: d.deprecated,
    })
}
