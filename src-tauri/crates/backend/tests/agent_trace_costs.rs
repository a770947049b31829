//! OTLP traces that report tokens but no cost, posted to the server on both engines: the cost
//! is computed with the console's price logic (the built-in example table, or the server's
//! `prices`), and a model without a price leaves the cost unknown — flagged on the run by a
//! failed `cost_known` check and in the export answer — rather than passing 0 for the cost.

mod engines;

mod agent_support;

use agent_support::{Env, R, env, env_with};
use serde_json::{Value, json};

/// An OTLP/JSON export of one chat span of `model` with 1000 input and 100 output tokens.
fn export(trace: &str, model: &str) -> Value {
    let start: u64 = 1_795_132_800_000_000_000;
    let attr = |k: &str, v: Value| json!({"key": k, "value": v});
    json!({"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", json!({"stringValue": "agent"}))]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": [{
            "traceId": trace,
            "spanId": "0102030405060708",
            "name": format!("chat {model}"),
            "kind": 3,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + 1_000_000_000).to_string(),
            "attributes": [
                attr("gen_ai.operation.name", json!({"stringValue": "chat"})),
                attr("gen_ai.request.model", json!({"stringValue": model})),
                attr("gen_ai.usage.input_tokens", json!({"intValue": "1000"})),
                attr("gen_ai.usage.output_tokens", json!({"intValue": "100"})),
            ]
        }]}]
    }]})
}

/// Posts the export; the answer's body and the stored run.
async fn post(e: &Env, trace: &str, model: &str) -> R<(Value, Value)> {
    let r = e.agent_post("/v1/traces", &export(trace, model)).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let run = e
        .get_as(&e.h.token, &format!("/v1/runs/otel-{trace}"))
        .await?;
    assert_eq!(run.status, 200, "{}", run.body);
    Ok((r.body, run.body))
}

fn cost_check(run: &Value) -> Option<Value> {
    run["policy_checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == "cost_known").cloned())
}

async fn token_costs_are_priced_and_an_unpriced_model_is_flagged_unknown() -> R {
    let e = env().await?;
    // gpt-4o in the example table: 1000 × $2.50/M + 100 × $10/M = $0.0035.
    let (answer, run) = post(&e, "0102030405060708090a0b0c0d0e0f11", "gpt-4o").await?;
    assert_eq!(run["cost_micros"], json!(3500), "{run}");
    assert_eq!(cost_check(&run), None);
    assert!(!answer.to_string().contains("cost unknown"), "{answer}");
    // A model the table does not price: the cost is unknown, and said so.
    let (answer, run) = post(&e, "0102030405060708090a0b0c0d0e0f12", "acme-llm-9").await?;
    let check = cost_check(&run).ok_or("the run is flagged")?;
    assert_eq!(check["passed"], json!(false));
    assert!(
        check["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("acme-llm-9"),
        "{check}"
    );
    assert_eq!(run["tokens"]["input"], json!(1000), "{run}");
    assert!(
        answer["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("cost unknown"),
        "{answer}"
    );
    e.h.shutdown().await;
    Ok(())
}

async fn the_servers_own_price_table_prices_what_the_example_does_not() -> R {
    let e = env_with(|c| {
        c.prices = Some(
            json!({"prices": [{"model": "acme-llm-9", "effective_from": "2026-01-01",
                               "input_usd_per_mtok": "1.00", "output_usd_per_mtok": "2.00"}]})
            .to_string(),
        )
    })
    .await?;
    let (_, run) = post(&e, "0102030405060708090a0b0c0d0e0f13", "acme-llm-9").await?;
    assert_eq!(run["cost_micros"], json!(1200), "{run}");
    assert_eq!(cost_check(&run), None);
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    token_costs_are_priced_and_an_unpriced_model_is_flagged_unknown,
    the_servers_own_price_table_prices_what_the_example_does_not,
);
