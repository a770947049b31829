//! The workflows the simulated organisation runs. Each module drafts one workflow's run from
//! the shared stream: its inputs, tool steps, citations, outcome and the write it proposes.

mod crm_update;
mod invoice_reconcile;
mod refund_request;
mod support_triage;

use super::common::Step;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use countersign_core::{Outcome, PendingAction, PolicyCheck, RecordChange};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// A workflow the generator knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Workflow {
    /// Classify a helpdesk ticket and resolve or escalate it (writes the ticket status).
    SupportTriage,
    /// Look up an order and propose a refund for review.
    RefundRequest,
    /// Enrich a CRM account and propose a field update for review.
    CrmUpdate,
    /// Match an invoice against its purchase order and flag differences.
    InvoiceReconcile,
}

/// What a workflow's draft starts from.
pub(super) struct Context<'a> {
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// The tenant it runs for.
    pub tenant: &'static str,
    /// Id of the run.
    pub run_id: &'a str,
    /// Id its proposed write gets, if it proposes one.
    pub action_id: &'a str,
    /// The model's confidence as drawn (before [`Workflow::confidence`]).
    pub confidence: f64,
}

/// A workflow's run before the timeline, citations, budgets and history are applied.
pub(super) struct Draft {
    /// The run's inputs.
    pub inputs: Value,
    /// Tool steps, in order.
    pub steps: Vec<Step>,
    /// Documents to cite, each with the index of the step that retrieved it.
    pub citations_from: Vec<(usize, &'static str)>,
    /// Policy checks of the workflow, after the common ones.
    pub checks: Vec<PolicyCheck>,
    /// Outcome.
    pub outcome: Outcome,
    /// Decision label.
    pub decision: &'static str,
    /// Why.
    pub rationale: String,
    /// The run's outputs.
    pub outputs: Value,
    /// Changes to systems of record (direct, or proposed with the action id).
    pub changes: Vec<RecordChange>,
    /// The write it proposes, held for review.
    pub action: Option<PendingAction>,
    /// A helpdesk ticket status written directly (ticket id, status).
    pub ticket: Option<(String, String)>,
}

impl Workflow {
    /// The workflow a roll in `[0, 1)` picks: 40 % triage, 30 % refunds, 15 % CRM updates,
    /// 15 % invoices.
    pub(super) fn from_roll(roll: f64) -> Self {
        if roll < 0.40 {
            Workflow::SupportTriage
        } else if roll < 0.70 {
            Workflow::RefundRequest
        } else if roll < 0.85 {
            Workflow::CrmUpdate
        } else {
            Workflow::InvoiceReconcile
        }
    }

    /// Its name on the run.
    pub(super) fn name(self) -> &'static str {
        match self {
            Workflow::SupportTriage => "support_triage",
            Workflow::RefundRequest => "refund_request",
            Workflow::CrmUpdate => "crm_update",
            Workflow::InvoiceReconcile => "invoice_reconcile",
        }
    }

    /// Its version on the run.
    pub(super) fn version(self) -> &'static str {
        match self {
            Workflow::SupportTriage => "v2",
            Workflow::RefundRequest => "v3",
            Workflow::CrmUpdate | Workflow::InvoiceReconcile => "v1",
        }
    }

    /// The model a run started at `started_at` uses when the data is generated for `now`.
    /// Triage moved to a new model 36 days before `now` (midnight UTC), so the change shows
    /// in the history whenever it is seeded; refunds draw theirs (one draw), the others draw
    /// nothing.
    pub(super) fn model(
        self,
        rng: &mut ChaCha8Rng,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> &'static str {
        match self {
            Workflow::SupportTriage => {
                if started_at < midnight_before(now, 36) {
                    "gpt-4.1-mini"
                } else {
                    "claude-sonnet-4"
                }
            }
            Workflow::RefundRequest => {
                if rng.random_bool(0.8) {
                    "claude-sonnet-4"
                } else {
                    "gpt-4.1-mini"
                }
            }
            Workflow::CrmUpdate => "llama-3.3-70b",
            Workflow::InvoiceReconcile => "gpt-4.1-mini",
        }
    }

    /// The prompt label of a run started at `started_at` for data generated for `now` (no
    /// draw). Refunds moved to prompt `refund-v8` 12 days before `now` (midnight UTC), with
    /// the same workflow version and model: a prompt-only change.
    pub(super) fn prompt(self, started_at: DateTime<Utc>, now: DateTime<Utc>) -> &'static str {
        match self {
            Workflow::SupportTriage => "triage-v4",
            Workflow::RefundRequest => {
                if started_at < midnight_before(now, 12) {
                    "refund-v7"
                } else {
                    "refund-v8"
                }
            }
            Workflow::CrmUpdate => "crm-enrich-v2",
            Workflow::InvoiceReconcile => "reconcile-v1",
        }
    }

    /// The retrieval label (knowledge-base snapshot) of a run, for the workflows that search
    /// one (no draw). Triage moved to snapshot `kb-2026-11` 5 days before `now`: a
    /// retrieval-only change.
    pub(super) fn retrieval(
        self,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<&'static str> {
        match self {
            Workflow::SupportTriage => Some(if started_at < midnight_before(now, 5) {
                "kb-2026-10"
            } else {
                "kb-2026-11"
            }),
            Workflow::RefundRequest => Some("kb-2026-10"),
            Workflow::CrmUpdate | Workflow::InvoiceReconcile => None,
        }
    }

    /// Drafts the run.
    pub(super) fn draft(self, rng: &mut ChaCha8Rng, cx: &Context<'_>) -> Draft {
        match self {
            Workflow::SupportTriage => support_triage::draft(rng, cx),
            Workflow::RefundRequest => refund_request::draft(rng, cx),
            Workflow::CrmUpdate => crm_update::draft(rng, cx),
            Workflow::InvoiceReconcile => invoice_reconcile::draft(rng, cx),
        }
    }

    /// The confidence reported on the run given the drawn one: triage reports it as drawn,
    /// the others at least 0.6.
    pub(super) fn confidence(self, drawn: f64) -> f64 {
        match self {
            Workflow::SupportTriage => drawn,
            _ => super::common::round2(drawn.max(0.6)),
        }
    }
}

/// Midnight UTC of the day `days` days before `now`.
fn midnight_before(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let day = (now - Duration::days(days)).date_naive();
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}
