//! Budget caps that backends enforce: by scope and period, hard or soft.

use crate::money::Micros;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a cap applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct BudgetScope {
    /// Kind of scope.
    pub kind: ScopeKind,
    /// Workflow, team or user name; absent for the whole backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The period a cap counts over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// The backend stops or refuses the run.
    Hard,
    /// The console alerts when spend crosses the threshold.
    Soft,
}

/// The limits of a cap; an absent limit does not apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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

/// Checks a whole set of caps for one backend: each cap valid, ids unique, and no two caps with
/// the same scope, period and enforcement (that would be a contradiction with no precedence).
/// Overlapping caps of different scopes are fine: every applicable hard cap is enforced, so the
/// strictest one wins.
pub fn validate_set(budgets: &[Budget]) -> Result<(), String> {
    let mut ids = std::collections::BTreeSet::new();
    let mut slots = std::collections::BTreeMap::new();
    for b in budgets {
        b.validate().map_err(|e| format!("{}: {e}", b.budget_id))?;
        if b.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(format!(
                "{}: unknown time zone {:?}",
                b.budget_id, b.time_zone
            ));
        }
        if !ids.insert(b.budget_id.as_str()) {
            return Err(format!("budget id {} appears twice", b.budget_id));
        }
        let slot = (
            b.scope.kind as u8,
            b.scope.value.clone(),
            b.period as u8,
            b.enforcement as u8,
        );
        if let Some(other) = slots.insert(slot, b.budget_id.clone()) {
            return Err(format!(
                "{} and {other} cap the same scope and period; merge them into one cap",
                b.budget_id
            ));
        }
    }
    Ok(())
}

/// The calendar period containing `now` in the cap's time zone, as UTC instants
/// `[start, end)`; `None` for per-run caps.
pub fn period_bounds(b: &Budget, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::{Datelike, Duration, NaiveDate, TimeZone};
    let tz = b
        .time_zone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let local = now.with_timezone(&tz).date_naive();
    let (start, end): (NaiveDate, NaiveDate) = match b.period {
        Period::Run => return None,
        Period::Day => (local, local + Duration::days(1)),
        Period::Week => {
            let s = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
            (s, s + Duration::days(7))
        }
        Period::Month => {
            let s = local.with_day(1)?;
            let e = if s.month() == 12 {
                NaiveDate::from_ymd_opt(s.year() + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(s.year(), s.month() + 1, 1)?
            };
            (s, e)
        }
    };
    let at = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    Some((at(start)?, at(end)?))
}

#[cfg(test)]
mod set_tests {
    use super::*;

    fn cap(id: &str, kind: ScopeKind, value: Option<&str>, period: Period, tz: &str) -> Budget {
        Budget {
            budget_id: id.into(),
            scope: BudgetScope {
                kind,
                value: value.map(Into::into),
            },
            period,
            time_zone: tz.into(),
            limits: BudgetLimits {
                max_cost_micros: Some(Micros::from_usd(10)),
                ..Default::default()
            },
            enforcement: Enforcement::Hard,
            alert_at_percent: 80,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn contradictory_duplicates_are_refused_overlaps_are_not() {
        let a = cap("a", ScopeKind::Workflow, Some("refund"), Period::Day, "UTC");
        let b = cap("b", ScopeKind::Workflow, Some("refund"), Period::Day, "UTC");
        let c = cap("c", ScopeKind::Backend, None, Period::Day, "UTC");
        assert!(validate_set(&[a.clone(), b]).is_err());
        assert!(validate_set(&[a.clone(), c]).is_ok());
        assert!(validate_set(&[a.clone(), a.clone()]).is_err());
        assert!(
            validate_set(&[cap(
                "z",
                ScopeKind::Backend,
                None,
                Period::Day,
                "Mars/Olympus"
            )])
            .is_err()
        );
    }

    #[test]
    fn calendar_periods_follow_the_time_zone() {
        let now: DateTime<Utc> = "2026-11-25T23:30:00Z".parse().unwrap_or_default();
        let day = cap("d", ScopeKind::Backend, None, Period::Day, "Europe/Berlin");
        // 23:30 UTC is 00:30 on the 26th in Berlin.
        let (s, e) = period_bounds(&day, now).unwrap_or_default();
        assert_eq!(s.to_rfc3339(), "2026-11-25T23:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2026-11-26T23:00:00+00:00");
        let week = cap("w", ScopeKind::Backend, None, Period::Week, "UTC");
        assert_eq!(
            period_bounds(&week, now).map(|p| p.0.to_rfc3339()),
            Some("2026-11-23T00:00:00+00:00".into())
        );
        let month = cap("m", ScopeKind::Backend, None, Period::Month, "UTC");
        assert_eq!(
            period_bounds(&month, now).map(|p| p.1.to_rfc3339()),
            Some("2026-12-01T00:00:00+00:00".into())
        );
        assert_eq!(
            period_bounds(&cap("r", ScopeKind::Backend, None, Period::Run, "UTC"), now),
            None
        );
    }
}
