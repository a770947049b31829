//! Invoice reconciliation: fetch the invoice, search the matching tolerance, match it against
//! its purchase order, and flag an exception above 2 %. Proposes nothing for review.

use super::{Context, Draft};
use crate::generate::common::{Step, kb_search, money_text, step};
use countersign_core::Outcome;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Drafts one run of the workflow.
pub(super) fn draft(rng: &mut ChaCha8Rng, _cx: &Context<'_>) -> Draft {
    let mut steps: Vec<Step> = Vec::new();
    let mut citations_from: Vec<(usize, &'static str)> = Vec::new();
    let outcome;
    let decision;
    let rationale;
    let invoice_id = format!("INV-{}", rng.random_range(10000..99999));
    let po = format!("PO-{}", rng.random_range(1000..9999));
    let po_cents: i64 = rng.random_range(10000..2_000_000);
    let diff_bp: i64 = if rng.random_bool(0.25) {
        rng.random_range(210..900)
    } else {
        rng.random_range(0..150)
    };
    let inv_cents = po_cents + po_cents * diff_bp / 10000;
    let inputs = json!({"invoice_id": invoice_id, "supplier": "Contoso Supplies"});
    steps.push(step(
        "fetch_invoice",
        json!({"invoice_id": invoice_id}),
        json!({"invoice_id": invoice_id, "amount": money_text(inv_cents), "currency": "EUR", "po_number": po}),
        format!("{invoice_id}: {} EUR", money_text(inv_cents)),
        rng.random_range(100..300),
    ));
    steps.push(kb_search(rng, "three-way match tolerance", &["kb_301"]));
    citations_from.push((1, "kb_301"));
    let diff_pct = format!("{}.{:02}", diff_bp / 100, diff_bp % 100);
    steps.push(step(
        "match_po",
        json!({"po_number": po, "invoice_amount": money_text(inv_cents)}),
        json!({"po_amount": money_text(po_cents), "diff_percent": diff_pct}),
        format!("difference {diff_pct} %"),
        rng.random_range(100..300),
    ));
    if diff_bp > 200 {
        steps.push(step(
            "flag_exception",
            json!({"invoice_id": invoice_id, "reason": format!("difference {diff_pct} % above 2 % tolerance")}),
            json!({"exception_id": format!("EXC-{}", rng.random_range(100..999))}),
            "exception flagged for accounts payable".into(),
            60,
        ));
        outcome = Outcome::Escalated;
        decision = "exception_flagged";
        rationale = format!(
            "Invoice differs from {po} by {diff_pct} %, above the 2 % tolerance of the invoice matching SOP."
        );
    } else {
        outcome = Outcome::Success;
        decision = "matched";
        rationale = format!("Invoice matches {po} within tolerance ({diff_pct} %).");
    }
    let outputs =
        json!({"invoice_id": invoice_id, "matched": diff_bp <= 200, "diff_percent": diff_pct});
    Draft {
        inputs,
        steps,
        citations_from,
        checks: vec![],
        outcome,
        decision,
        rationale,
        outputs,
        changes: vec![],
        action: None,
        ticket: None,
    }
}
