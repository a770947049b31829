//! Hand-made runs for the golden-set tests.

use crate::run::Run;
use serde_json::json;

/// A refund run of case `id`: success, one citation of `kb_102` (deprecated when asked), one
/// proposed refund of `amount`, the given cost and latency.
pub(crate) fn refund(id: &str, amount: &str, deprecated: bool, cost: i64, latency: u64) -> Run {
    let v = json!({
        "run_id": id, "revision": 1, "tenant": "acme", "user_id": "u1",
        "workflow": "refund_request", "workflow_version": "v3", "model": "m1",
        "inputs": {"order_id": format!("ord_{id}")},
        "citations": [{
            "doc_id": "kb_102", "title": "Refund policy", "passage": "within 14 days",
            "start": 10, "end": 24, "source_version": "v3",
            "source_updated_at": "2026-10-01T00:00:00Z", "deprecated": deprecated
        }],
        "cost_micros": cost, "latency_ms": latency, "outcome": "success",
        "decision": "refund_proposed",
        "policy_checks": [{"name": "pii_redaction", "passed": true}],
        "changes": [{"system": "billing", "record_id": format!("ord_{id}"), "field": "refund",
                      "before": null, "after": amount}],
        "started_at": "2026-11-01T10:00:00Z", "ended_at": "2026-11-01T10:00:02Z",
        "updated_at": "2026-11-01T10:00:02Z"
    });
    serde_json::from_value(v).unwrap_or_else(|e| panic!("fixture: {e}"))
}
