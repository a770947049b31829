//! What becomes of a proposed write: when it expires, and in seeded (historical) data whether a
//! reviewer already decided it or it expired unanswered.

use super::Mode;
use super::common::pick;
use chrono::{DateTime, Duration, Utc};
use countersign_core::{ActionStatus, Outcome, PendingAction, RecordChange, Run};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How long before the end of seeded history a proposed write still waits for review (the
/// 24 hours reviewers have to decide).
pub(crate) const OPEN_WINDOW: Duration = Duration::days(1);

/// Dates the action requested when the run ended at `ended`, with the run's checks, and sets
/// its expiry. Live actions expire 24 h after they are requested. In seeded data ending at
/// `now`, an action of the last [`OPEN_WINDOW`] still waits for review and expires at a
/// realistic spread after `now` (see [`open_expiry`]); an older one was mostly decided already
/// (executed or denied) or expired unanswered; returns the write the backend executed for it,
/// if any.
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
    let now = match mode {
        Mode::Live => {
            a.expires_at = ended + Duration::hours(24);
            return None;
        }
        Mode::Seeded(now) => now,
    };
    if now - ended <= OPEN_WINDOW {
        a.expires_at = open_expiry(rng, now);
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

/// When a seeded action still open at `now` expires (two draws): 30 % within the hour (10 to
/// 59 minutes), 45 % later today (1 to 12 hours), 25 % around a day (20 to 30 hours).
pub(crate) fn open_expiry(rng: &mut ChaCha8Rng, now: DateTime<Utc>) -> DateTime<Utc> {
    let roll: u32 = rng.random_range(0..100);
    let minutes = match roll {
        0..30 => rng.random_range(10..60),
        30..75 => rng.random_range(60..12 * 60),
        _ => rng.random_range(20 * 60..30 * 60),
    };
    now + Duration::minutes(minutes)
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
