//! Pending high-risk writes and the decisions reviewers make on them.
//!
//! A backend queues an action (a refund, a CRM update, closing a ticket) and names the fields a
//! reviewer must confirm. The state machine here says which transitions are legal, so that no
//! action is executed twice and an expired action is never mistaken for a denial.

pub use crate::field::{ConfirmMode, FieldKind, FieldRule, ReviewField};
use crate::run::PolicyCheck;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// How dangerous the write is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Reversible, small.
    Low,
    /// Reversible, material.
    Medium,
    /// Touches money or customer-visible records.
    High,
    /// Irreversible or large.
    Critical,
}

/// Where a pending action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waiting for a reviewer.
    Pending,
    /// Approved; execution is under way or about to be.
    Approved,
    /// A reviewer denied it.
    Denied,
    /// Its deadline passed with no decision. Not a denial.
    Expired,
    /// The write was executed against the system of record.
    Executed,
    /// The executed write was undone.
    RolledBack,
    /// Execution was attempted and failed.
    Failed,
    /// Recorded as a draft at the workflow's `draft` autonomy level: never decided, never
    /// executed.
    Draft,
}

impl ActionStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::Approved => "approved",
            ActionStatus::Denied => "denied",
            ActionStatus::Expired => "expired",
            ActionStatus::Executed => "executed",
            ActionStatus::RolledBack => "rolled_back",
            ActionStatus::Failed => "failed",
            ActionStatus::Draft => "draft",
        }
    }

    /// Every status, in display order.
    pub const ALL: [ActionStatus; 8] = [
        ActionStatus::Pending,
        ActionStatus::Approved,
        ActionStatus::Denied,
        ActionStatus::Expired,
        ActionStatus::Executed,
        ActionStatus::RolledBack,
        ActionStatus::Failed,
        ActionStatus::Draft,
    ];

    /// Reads the wire spelling back.
    pub fn parse(text: &str) -> Option<ActionStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a reviewer may still decide.
    pub fn is_decidable(self) -> bool {
        self == ActionStatus::Pending
    }
}

/// The record a write targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TargetRecord {
    /// System of record (`billing`, `crm`, `helpdesk`).
    pub system: String,
    /// Record id.
    pub record_id: String,
}

/// A high-risk write proposed by a run and held for review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PendingAction {
    /// Backend's id for the action.
    pub action_id: String,
    /// Revision; a later one replaces an earlier one.
    #[serde(default)]
    pub revision: u64,
    /// The run that proposed it.
    pub run_id: String,
    /// Tenant.
    #[serde(default)]
    pub tenant: String,
    /// Action kind (`issue_refund`, `update_crm_field`, `close_ticket`).
    pub kind: String,
    /// Title to show (`Issue refund`).
    pub title: String,
    /// What it writes to.
    pub target: TargetRecord,
    /// Risk level.
    pub risk: RiskLevel,
    /// Fields that must be reviewed.
    pub fields: Vec<ReviewField>,
    /// The full write payload the backend would execute.
    #[serde(default)]
    pub proposed: Value,
    /// The model's rationale.
    #[serde(default)]
    pub rationale: String,
    /// Model confidence, 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Policy checks on the proposed write.
    #[serde(default)]
    pub policy_checks: Vec<PolicyCheck>,
    /// Reasons a reviewer may pick when denying.
    #[serde(default)]
    pub deny_reasons: Vec<String>,
    /// Role the action escalates to on expiry, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// Whether the backend can undo the write once executed.
    #[serde(default)]
    pub rollback_supported: bool,
    /// A reviewer escalated it: only this role (or an admin) may decide it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<crate::backend::Role>,
    /// What the run's cited policy says about each field (maximum amount, allowed regions,
    /// the customer's currency); values outside it are traps the reviewer must acknowledge.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_rules: BTreeMap<String, FieldRule>,
    /// The decisions this backend accepts for the action (a LangGraph interrupt may forbid
    /// edits or denials); empty means every kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_decisions: Vec<DecisionKind>,
    /// Status.
    pub status: ActionStatus,
    /// When the run asked for approval.
    pub requested_at: DateTime<Utc>,
    /// Decision deadline.
    pub expires_at: DateTime<Utc>,
    /// Who decided, once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// When, once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// When the backend last changed this record.
    pub updated_at: DateTime<Utc>,
    /// The group this action belongs to when the backend decides several actions together
    /// (a LangChain agent's batched human-in-the-loop interrupt): the agent goes on only once
    /// every member is decided. Absent for an action decided on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<ActionBatch>,
    /// `proposed` has no shape the console knows (a LangGraph graph's own `interrupt()` value):
    /// the review fields hold only its top-level values, so the whole payload is shown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opaque_payload: bool,
}

/// The place of an action in a group of actions that are resumed together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ActionBatch {
    /// The group's id (for LangGraph, `thread:interrupt`), the same on every member.
    pub group_id: String,
    /// Position in the group, from 0.
    pub index: u32,
    /// How many actions the group holds.
    pub size: u32,
    /// The action ids of every member, in order (this one included).
    pub members: Vec<String>,
}

impl PendingAction {
    /// Whether the backend accepts a decision of this kind for the action.
    pub fn allows(&self, kind: DecisionKind) -> bool {
        self.allowed_decisions.is_empty() || self.allowed_decisions.contains(&kind)
    }

    /// The status as of `now`: a pending action past its deadline is expired.
    pub fn effective_status(&self, now: DateTime<Utc>) -> ActionStatus {
        if self.status == ActionStatus::Pending && now >= self.expires_at {
            ActionStatus::Expired
        } else {
            self.status
        }
    }
}

/// The kinds of decision a reviewer can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Execute as proposed.
    Approve,
    /// Execute with corrected field values.
    ApproveWithEdits,
    /// Do not execute; a reason is required.
    Deny,
    /// Hand the decision to another role (e.g. finance for a large refund); a reason is
    /// required. The action stays pending and only that role (or an admin) may decide it.
    Escalate,
}

/// A reviewer's decision as sent to the backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Approve, approve with edits, deny or escalate.
    pub decision: DecisionKind,
    /// Required for a denial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The values the reviewer confirmed (or corrected), by field name. The backend rejects a
    /// decision whose confirmed values differ from what it would execute.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Makes retries safe: the same key never executes twice.
    pub idempotency_key: String,
    /// For an escalation: the role that must decide instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<crate::backend::Role>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_past_deadline_is_expired_not_denied() {
        let t: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap_or_default();
        let a = PendingAction {
            action_id: "a1".into(),
            revision: 1,
            run_id: "r1".into(),
            tenant: "acme".into(),
            kind: "issue_refund".into(),
            title: "Issue refund".into(),
            target: TargetRecord {
                system: "billing".into(),
                record_id: "ord_1".into(),
            },
            risk: RiskLevel::High,
            fields: vec![],
            proposed: Value::Null,
            rationale: String::new(),
            confidence: None,
            policy_checks: vec![],
            deny_reasons: vec![],
            escalate_to: None,
            rollback_supported: true,
            escalated_to: None,
            field_rules: Default::default(),
            allowed_decisions: vec![],
            status: ActionStatus::Pending,
            requested_at: t,
            expires_at: t + chrono::Duration::hours(1),
            decided_by: None,
            decided_at: None,
            updated_at: t,
            batch: None,
            opaque_payload: false,
        };
        assert_eq!(a.effective_status(t), ActionStatus::Pending);
        assert_eq!(
            a.effective_status(t + chrono::Duration::hours(2)),
            ActionStatus::Expired
        );
        assert!(!ActionStatus::Expired.is_decidable());
        assert_eq!(
            ActionStatus::parse("rolled_back"),
            Some(ActionStatus::RolledBack)
        );
    }
}
