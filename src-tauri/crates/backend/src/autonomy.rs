//! Autonomy levels applied to the writes the server itself generates (trickle, simulate):
//! a read-only workflow's write is refused, a draft is recorded and never executed, a write
//! the level lets through is executed at once against the system-of-record tables with its
//! undo recorded (budgets were already applied by the generator, which stops a run at a hard
//! cap before it proposes anything). Agents' writes go through the same rule in
//! `api::agent::actions`.

use crate::generate::GenRun;
use chrono::{DateTime, Utc};
use countersign_core::autonomy::{WriteFacts, treatment};
use countersign_core::{ActionStatus, AutonomySetting, Outcome, PendingAction, WriteTreatment};

/// Who a write executed by the level counts as decided by.
pub(crate) fn decider(setting: &AutonomySetting) -> String {
    format!("autonomy:{}", setting.level.as_str())
}

/// The rule's facts about action `a`.
pub(crate) fn facts(a: &PendingAction, reversible: bool) -> WriteFacts<'_> {
    WriteFacts {
        key: &a.action_id,
        reversible,
        checks_passed: a.policy_checks.iter().all(|c| c.passed),
    }
}

/// Applies `setting` to a generated live run's proposed write; returns what it did (`None`
/// when the run proposed no write).
pub(crate) fn apply(
    g: &mut GenRun,
    setting: &AutonomySetting,
    now: DateTime<Utc>,
) -> Option<WriteTreatment> {
    let a = g.action.as_mut()?;
    let t = treatment(setting, &facts(a, a.rollback_supported));
    let run = &mut g.run;
    // The run's steps end when it proposes the write: that, or now, whichever is later.
    let ended = now.max(a.requested_at).max(run.started_at);
    match t {
        WriteTreatment::Review => return Some(t),
        WriteTreatment::Refuse => {
            run.outcome = Outcome::Escalated;
            run.decision = "write_refused_read_only".into();
            run.changes.retain(|c| c.action_id.is_none());
            g.action = None;
        }
        WriteTreatment::Draft => {
            a.status = ActionStatus::Draft;
            run.outcome = Outcome::Escalated;
            run.decision = "write_drafted".into();
            run.changes.retain(|c| c.action_id.is_none());
        }
        WriteTreatment::Execute => {
            a.status = ActionStatus::Executed;
            a.revision = 2;
            a.decided_by = Some(decider(setting));
            a.decided_at = Some(ended);
            a.updated_at = ended;
            run.outcome = Outcome::Success;
            run.decision = "executed_by_autonomy".into();
            g.execution = run.changes.iter().find(|c| c.action_id.is_some()).cloned();
        }
    }
    run.ended_at = Some(ended);
    run.updated_at = ended;
    g.json = serde_json::to_string(&g.run).unwrap_or_else(|_| g.json.clone());
    Some(t)
}
