//! Reported costs: a USD amount a span carries, read into micros through its decimal text.

use crate::otlp::Span;
use countersign_core::Micros;
use serde_json::Value;

/// A USD amount given as a JSON number or string (`0.00042`, `"3.75e-5"`), through its decimal
/// text with [`Micros::parse_usd_rounded`]: scientific notation allowed, rounded half away from
/// zero at the micro. `None` for anything else.
pub(super) fn json_usd(v: &Value) -> Option<Micros> {
    match v {
        Value::Number(n) => Micros::parse_usd_rounded(&n.to_string()).ok(),
        Value::String(s) => Micros::parse_usd_rounded(s).ok(),
        _ => None,
    }
}

/// The cost a span reports: `llm.cost.total`, else `llm.cost.prompt` + `llm.cost.completion`
/// (either may be missing), else `gen_ai.usage.cost`, else `operation.cost`.
pub(super) fn reported_cost(s: &Span) -> Option<Micros> {
    let get = |k: &str| s.attrs.get(k).and_then(json_usd);
    get("llm.cost.total")
        .or_else(
            || match (get("llm.cost.prompt"), get("llm.cost.completion")) {
                (None, None) => None,
                (p, c) => Some(p.unwrap_or_default() + c.unwrap_or_default()),
            },
        )
        .or_else(|| get("gen_ai.usage.cost"))
        .or_else(|| get("operation.cost"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_numbers_and_strings_read_as_rounded_usd() {
        assert_eq!(json_usd(&json!(0.000123)), Some(Micros(123)));
        assert_eq!(json_usd(&json!(12)), Some(Micros(12_000_000)));
        assert_eq!(json_usd(&json!("12")), Some(Micros(12_000_000)));
        assert_eq!(json_usd(&json!("0.12")), Some(Micros(120_000)));
        assert_eq!(json_usd(&json!("3.75e-5")), Some(Micros(38)));
        assert_eq!(json_usd(&json!(3.75e-5)), Some(Micros(38)));
        assert_eq!(json_usd(&json!("1e-30")), Some(Micros(0)));
        assert_eq!(json_usd(&json!("abc")), None);
        assert_eq!(json_usd(&json!("")), None);
        assert_eq!(json_usd(&json!(null)), None);
        assert_eq!(json_usd(&json!(true)), None);
    }
}
