//! Budget caps that backends enforce: by scope and period, hard or soft.

use crate::money::Micros;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a cap applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Every run on the backend.
    Backend,
    /// Runs of one workflow.
    Workflow,
    /// Runs triggered by one team.
    Team,
    /// Runs triggered by one user.
    User,
}

/// A cap's scope: the kind and, except for `Backend`, which workflow/team/user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BudgetScope {
    /// Kind of scope.
    pub kind: ScopeKind,
    /// Workflow, team or user name; absent for the whole backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The period a cap counts over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Each run on its own.
    Run,
    /// Calendar day in the cap's time zone.
    Day,
    /// Calendar week (Monday first).
    Week,
    /// Calendar month.
    Month,
}

/// Hard caps stop or refuse runs; soft caps alert at a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// The backend stops or refuses the run.
    Hard,
    /// The console alerts when spend crosses the threshold.
    Soft,
}

/// The limits of a cap; an absent limit does not apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLimits {
    /// Maximum cost in the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_micros: Option<Micros>,
    /// Maximum tool calls per run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_calls: Option<u32>,
    /// Maximum wall time per run, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wall_ms: Option<u64>,
    /// Maximum runs started in the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runs: Option<u32>,
}

/// A budget cap as the backend enforces it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Backend's id for the cap.
    pub budget_id: String,
    /// Scope.
    pub scope: BudgetScope,
    /// Period.
    pub period: Period,
    /// IANA time zone for calendar periods, e.g. `Europe/Berlin`.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Limits.
    pub limits: BudgetLimits,
    /// Hard or soft.
    pub enforcement: Enforcement,
    /// Soft alert threshold in percent of the cost limit.
    #[serde(default = "eighty")]
    pub alert_at_percent: u8,
    /// When the cap last changed.
    pub updated_at: DateTime<Utc>,
}

fn utc() -> String {
    "UTC".into()
}

fn eighty() -> u8 {
    80
}

impl Budget {
    /// Checks that the limits make sense; the first problem is returned.
    pub fn validate(&self) -> Result<(), String> {
        let l = &self.limits;
        if l.max_cost_micros.is_none()
            && l.max_tool_calls.is_none()
            && l.max_wall_ms.is_none()
            && l.max_runs.is_none()
        {
            return Err("a cap needs at least one limit".into());
        }
        if l.max_cost_micros.is_some_and(|m| m.0 <= 0) {
            return Err("cost limit must be above zero".into());
        }
        if l.max_tool_calls == Some(0) || l.max_wall_ms == Some(0) || l.max_runs == Some(0) {
            return Err("limits must be above zero".into());
        }
        if self.scope.kind != ScopeKind::Backend
            && self
                .scope
                .value
                .as_deref()
                .is_none_or(|v| v.trim().is_empty())
        {
            return Err("a workflow, team or user cap must name its subject".into());
        }
        if self.period == Period::Run && l.max_runs.is_some() {
            return Err("a per-run cap cannot limit the number of runs".into());
        }
        if !(1..=100).contains(&self.alert_at_percent) {
            return Err("alert threshold must be 1-100 %".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nonsense_limits() {
        let mut b = Budget {
            budget_id: "b1".into(),
            scope: BudgetScope {
                kind: ScopeKind::Backend,
                value: None,
            },
            period: Period::Day,
            time_zone: "UTC".into(),
            limits: BudgetLimits {
                max_cost_micros: Some(Micros::from_usd(50)),
                ..Default::default()
            },
            enforcement: Enforcement::Hard,
            alert_at_percent: 80,
            updated_at: Utc::now(),
        };
        assert_eq!(b.validate(), Ok(()));
        b.limits.max_cost_micros = Some(Micros(-1));
        assert!(b.validate().is_err());
        b.limits.max_cost_micros = None;
        assert!(b.validate().is_err());
        b.limits.max_runs = Some(10);
        b.scope = BudgetScope {
            kind: ScopeKind::Workflow,
            value: None,
        };
        assert!(b.validate().is_err());
    }
}
