//! What becomes of a proposed write: when it expires, and in seeded (historical) data whether a
//! reviewer already decided it or it expired unanswered.

use super::common::pick;
use super::{Mode, base_time};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{ActionStatus, Outcome, PendingAction, RecordChange, Run};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Dates the action requested when the run ended at `ended`, with the run's checks, and sets
/// its expiry. In seeded data, an action requested more than two days before the base time
/// was mostly decided already (executed or denied) or expired unanswered; returns the write
/// the backend executed for it, if any.
pub(super) fn settle(
    rng: &mut ChaCha8Rng,
    mode: Mode,
    run: &mut Run,
    action: &mut PendingAction,
    ended: DateTime<Utc>,
) -> Option<RecordChange> {
    let a = action;
    a.requested_at = ended;
    a.updated_at = ended;
    a.policy_checks = run.policy_checks.clone();
    a.expires_at = match mode {
        Mode::Live => ended + Duration::hours(24),
        Mode::Seeded if rng.random_bool(0.2) => ended + Duration::hours(24),
        Mode::Seeded => {
            base_time() + Duration::days(30) + Duration::minutes(rng.random_range(0..1440))
        }
    };
    if mode != Mode::Seeded || base_time() - ended <= Duration::days(2) {
        return None;
    }
    let mut execution = None;
    let roll: f64 = rng.random();
    let decided = ended + Duration::minutes(rng.random_range(3..600));
    let reviewer = *pick(rng, &["u_grace", "u_hiro", "u_chen"]);
    if roll < 0.85 {
        a.revision = 2;
        a.decided_by = Some(reviewer.into());
        a.decided_at = Some(decided);
        a.updated_at = decided;
        a.expires_at = ended + Duration::hours(24);
        run.revision = 2;
        run.ended_at = Some(decided);
        run.updated_at = decided;
        if roll < 0.70 {
            a.status = ActionStatus::Executed;
            run.outcome = Outcome::Success;
            run.decision = "approved_and_executed".into();
            execution = run.changes.iter().find(|c| c.action_id.is_some()).cloned();
        } else {
            a.status = ActionStatus::Denied;
            run.outcome = Outcome::Denied;
            run.changes.retain(|c| c.action_id.is_none());
        }
    } else {
        a.expires_at = ended + Duration::hours(24);
        a.status = ActionStatus::Expired;
        a.revision = 2;
        a.updated_at = a.expires_at;
        expire_run(run, a.expires_at, a.expires_at);
    }
    execution
}

/// What expiry of its pending action does to a run: no decision is coming, so the case goes
/// back to people (escalated), and the proposed change is dropped.
pub(crate) fn expire_run(run: &mut Run, expired_at: DateTime<Utc>, now: DateTime<Utc>) {
    if run.outcome != Outcome::Pending {
        return;
    }
    run.outcome = Outcome::Escalated;
    run.decision = "approval_expired".into();
    run.changes.retain(|c| c.action_id.is_none());
    run.ended_at = Some(expired_at.max(run.started_at));
    run.updated_at = now;
    run.revision += 1;
}
