//! Phase four: tokens and cost. Tokens are summed over the model calls; the run's cost is
//! every reported cost plus the priced tokens of model calls that report none, summed exactly
//! in integers and rounded to the micro once.

use super::attrs::{MODEL_KEYS, first_str, first_u64};
use super::cost::reported_cost;
use super::index::Spans;
use crate::otlp::Span;
use crate::price::{PriceTable, per_million};
use countersign_core::{Micros, TokenUsage, ToolCall};

/// Keys of a span's input (prompt) token count.
const IN_KEYS: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
];
/// Keys of a span's output (completion) token count.
const OUT_KEYS: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
];
/// An agent span's input tokens over all its model calls.
const AGG_IN_KEYS: &[&str] = &["gen_ai.aggregated_usage.input_tokens"];
/// An agent span's output tokens over all its model calls.
const AGG_OUT_KEYS: &[&str] = &["gen_ai.aggregated_usage.output_tokens"];

/// The tokens and cost of a run, and what could not be priced.
pub(super) struct Usage {
    /// Tokens summed over the model calls.
    pub tokens: TokenUsage,
    /// Reported and priced costs of model calls and tool calls.
    pub cost_micros: Micros,
    /// One warning per model and day without a price.
    pub warnings: Vec<String>,
}

/// One span whose tokens count: a model call, or the root span when there is none.
struct Metered<'t> {
    span: &'t Span,
    model: Option<String>,
    input: u64,
    output: u64,
}

impl<'t> Metered<'t> {
    /// Reads the model and token counts of `span`; `aggregated` falls back to the agent
    /// span's aggregated usage.
    fn read(span: &'t Span, aggregated: bool) -> Metered<'t> {
        let (agg_in, agg_out): (&[&str], &[&str]) = if aggregated {
            (AGG_IN_KEYS, AGG_OUT_KEYS)
        } else {
            (&[], &[])
        };
        let count = |keys: &[&str], agg: &[&str]| {
            first_u64(span, keys)
                .or_else(|| first_u64(span, agg))
                .unwrap_or(0)
        };
        Metered {
            span,
            model: first_str(span, MODEL_KEYS),
            input: count(IN_KEYS, agg_in),
            output: count(OUT_KEYS, agg_out),
        }
    }
}

/// The spans whose tokens count: every model span; without one, the root span alone, whose
/// aggregated usage then counts too.
fn metered<'t>(spans: &Spans<'t>) -> Vec<Metered<'t>> {
    if spans.models.is_empty() {
        vec![Metered::read(spans.root(), true)]
    } else {
        spans
            .model_spans()
            .map(|s| Metered::read(s, false))
            .collect()
    }
}

/// Running totals over the metered spans.
#[derive(Default)]
struct Tally {
    tokens: TokenUsage,
    /// Reported costs (saturating: an overflow is refused by [`Tally::cost`]).
    reported: Micros,
    /// Priced token costs in micros × 10^6, rounded once at the end.
    numerator: i128,
    warnings: Vec<String>,
}

impl Tally {
    /// Counts one span's tokens, and its reported cost, else its tokens priced at its start.
    fn add(&mut self, m: &Metered, prices: &PriceTable) {
        self.tokens.input = self.tokens.input.saturating_add(m.input);
        self.tokens.output = self.tokens.output.saturating_add(m.output);
        if let Some(c) = reported_cost(m.span) {
            self.reported = self.reported.checked_add(c).unwrap_or(Micros(i64::MAX));
            return;
        }
        if m.input == 0 && m.output == 0 {
            return;
        }
        let name = m.model.as_deref().unwrap_or("unknown");
        let at = m.span.start();
        match prices.cost_numerator(name, at, m.input, m.output) {
            Some(n) => self.numerator = self.numerator.saturating_add(n),
            None => {
                let w = format!("no price for model {name:?} on {}", at.date_naive());
                if !self.warnings.contains(&w) {
                    self.warnings.push(w);
                }
            }
        }
    }

    /// The model costs plus the tool calls' costs; `Err` when the sum does not fit.
    fn cost(&self, tool_calls: &[ToolCall]) -> Result<Micros, String> {
        tool_calls
            .iter()
            .map(|t| t.cost_micros)
            .try_fold(self.reported, Micros::checked_add)
            .and_then(|c| c.checked_add(per_million(self.numerator)))
            .filter(|c| c.0 < i64::MAX)
            .ok_or_else(|| "cost overflows 64-bit micro-dollars".to_string())
    }
}

/// The run's tokens and cost, the cost including the reported costs of `tool_calls`; `Err`
/// when the cost overflows 64-bit micro-dollars.
pub(super) fn usage(
    spans: &Spans,
    prices: &PriceTable,
    tool_calls: &[ToolCall],
) -> Result<Usage, String> {
    let mut tally = Tally::default();
    for m in metered(spans) {
        tally.add(&m, prices);
    }
    let cost_micros = tally.cost(tool_calls)?;
    Ok(Usage {
        tokens: tally.tokens,
        cost_micros,
        warnings: tally.warnings,
    })
}
