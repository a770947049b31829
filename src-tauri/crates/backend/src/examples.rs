//! Example requests of the agent protocol, shared by the server's tests and the CLI's load
//! agents, so both post the same well-formed bodies.

use serde_json::{Value, json};

/// A refund of `amount` EUR on order `ord_1001` an agent asks approval for (`POST
/// /v1/actions`), under idempotency key `key`, with the review fields a reviewer confirms and a
/// rollback descriptor.
pub fn refund_request(key: &str, run_id: &str, amount: &str) -> Value {
    json!({
        "idempotency_key": key,
        "run_id": run_id,
        "tenant": "northwind-eu",
        "kind": "issue_refund",
        "title": "Issue refund",
        "target": {"system": "billing", "record_id": "ord_1001"},
        "risk": "high",
        "fields": [
            {"name": "amount", "label": "Refund amount", "kind": "money", "value": amount, "confirm": "reenter"},
            {"name": "currency", "label": "Currency", "kind": "currency", "value": "EUR", "confirm": "tick", "editable": false},
            {"name": "order_id", "label": "Order", "kind": "identifier", "value": "ord_1001", "confirm": "tick", "editable": false}
        ],
        "proposed": {"order_id": "ord_1001", "amount": amount, "currency": "EUR"},
        "rationale": "damaged on arrival",
        "confidence": 0.82,
        "rollback": {"supported": true, "description": "reverse the refund", "inverse": {"op": "charge"}},
        "expires_in_secs": 600
    })
}
