//! Shared pieces of every workflow: drawing from a list, rounding, money text, model cost, and
//! the drafted tool step (with the knowledge-base search most workflows start with).

use countersign_core::TokenUsage;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// One item of `items`, drawn uniformly (one draw).
pub(super) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// `x` rounded to two decimals.
pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Cents as a plain decimal with two places (`1234` → `12.34`).
pub(super) fn money_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// What `t` tokens of `model` cost, in micro-dollars.
pub(super) fn model_cost(model: &str, t: TokenUsage) -> i64 {
    // Micro-dollars per token = dollars per million tokens.
    let (inp, out) = match model {
        "claude-sonnet-4" => (300, 1500),
        "llama-3.3-70b" => (60, 60),
        _ => (40, 160),
    };
    (t.input as i64 * inp + t.output as i64 * out) / 100
}

/// A tool call as a workflow drafts it, before the timeline gives it times and an id.
pub(super) struct Step {
    /// Tool name.
    pub tool: &'static str,
    /// Arguments passed.
    pub arguments: Value,
    /// Result returned (`null` when it failed).
    pub result: Value,
    /// One-line summary of the result.
    pub summary: String,
    /// Cost in micro-dollars.
    pub cost: i64,
    /// Documents it retrieved.
    pub documents: Vec<String>,
    /// Error it ended with, if any.
    pub error: Option<String>,
}

/// A step that succeeded and retrieved no documents.
pub(super) fn step(
    tool: &'static str,
    arguments: Value,
    result: Value,
    summary: String,
    cost: i64,
) -> Step {
    Step {
        tool,
        arguments,
        result,
        summary,
        cost,
        documents: vec![],
        error: None,
    }
}

/// A knowledge-base search for `query` that finds `docs` (one score draw per doc, then the
/// cost).
pub(super) fn kb_search(rng: &mut ChaCha8Rng, query: &str, docs: &[&str]) -> Step {
    let hits: Vec<Value> = docs
        .iter()
        .map(|d| json!({"doc_id": d, "score": round2(rng.random_range(0.55..0.97))}))
        .collect();
    let mut s = step(
        "kb_search",
        json!({"query": query, "top_k": 3}),
        json!({"hits": hits}),
        format!("{} passages found", docs.len()),
        rng.random_range(300..900),
    );
    s.documents = docs.iter().map(|d| d.to_string()).collect();
    s
}
