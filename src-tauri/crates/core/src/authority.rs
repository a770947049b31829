//! Who may decide an action: the role checks every decision and rollback passes in the core,
//! whatever the backend kind, before anything is queued. They mirror what the native reference
//! backend enforces (`POST /v1/actions/{id}/decision` needs the reviewer role, and an action
//! escalated to a role needs that role too), so a backend without roles (LangGraph) gets the
//! same rule from the console's side.

use crate::action::{ActionStatus, PendingAction};
use crate::backend::Role;

/// Whether `roles` include `role` (an admin holds every role).
pub fn holds(roles: &[Role], role: Role) -> bool {
    roles.contains(&Role::Admin) || roles.contains(&role)
}

/// Why this identity may not decide (or roll back) the action.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// Deciding needs the reviewer role (or admin).
    #[error("deciding needs the reviewer role (or admin)")]
    NotReviewer,
    /// The action was escalated to a role this identity does not hold.
    #[error("the action was escalated to {0:?}: only that role or an admin may decide it")]
    Escalated(Role),
}

/// Checks that an identity holding `roles` may decide `action` (any decision kind, escalating
/// again included): it must hold the reviewer role, and the role the action was escalated to
/// when it was escalated (an admin holds both).
pub fn may_decide(action: &PendingAction, roles: &[Role]) -> Result<(), AuthorityError> {
    if !holds(roles, Role::Reviewer) {
        return Err(AuthorityError::NotReviewer);
    }
    match action.escalated_to {
        Some(role) if !holds(roles, role) => Err(AuthorityError::Escalated(role)),
        _ => Ok(()),
    }
}

/// Why a rollback cannot be queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RollbackError {
    /// The identity may not decide this action.
    #[error("{0}")]
    Authority(#[from] AuthorityError),
    /// The action is not an executed write its backend can undo.
    #[error("action is {status} and {} rollback", supports(.supported))]
    NotRollbackable {
        /// Its stored status.
        status: &'static str,
        /// Whether its backend can undo it.
        supported: bool,
    },
    /// A rollback needs a reason.
    #[error("a rollback needs a reason")]
    MissingReason,
}

fn supports(supported: &bool) -> &'static str {
    if *supported {
        "supports"
    } else {
        "does not support"
    }
}

/// Checks a rollback of `action` by an identity holding `roles` with `reason`: the same role
/// rule as a decision ([`may_decide`]; a rollback is a decision of its own), an executed write
/// whose backend can undo it (LangGraph actions never can), and a non-empty reason. Returns
/// the trimmed reason.
pub fn check_rollback<'r>(
    action: &PendingAction,
    roles: &[Role],
    reason: &'r str,
) -> Result<&'r str, RollbackError> {
    may_decide(action, roles)?;
    if action.status != ActionStatus::Executed || !action.rollback_supported {
        return Err(RollbackError::NotRollbackable {
            status: action.status.as_str(),
            supported: action.rollback_supported,
        });
    }
    match reason.trim() {
        "" => Err(RollbackError::MissingReason),
        r => Ok(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(escalated_to: Option<Role>) -> PendingAction {
        let mut a: PendingAction = serde_json::from_value(serde_json::json!({
            "action_id": "a1", "revision": 1, "run_id": "r1", "tenant": "t", "kind": "k",
            "title": "t", "target": {"system": "s", "record_id": "r"}, "risk": "high",
            "fields": [], "proposed": null, "status": "executed",
            "requested_at": "2026-11-01T00:00:00Z", "expires_at": "2026-11-01T04:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z", "rollback_supported": true
        }))
        .expect("action");
        a.escalated_to = escalated_to;
        a
    }

    #[test]
    fn deciding_needs_reviewer_and_the_escalated_role() {
        use Role::*;
        type Case = (&'static [Role], Option<Role>, Result<(), AuthorityError>);
        let cases: &[Case] = &[
            (&[Reviewer], None, Ok(())),
            (&[Operator], None, Err(AuthorityError::NotReviewer)),
            (&[Finance], None, Err(AuthorityError::NotReviewer)),
            (&[], None, Err(AuthorityError::NotReviewer)),
            (&[Admin], None, Ok(())),
            (
                &[Reviewer],
                Some(Finance),
                Err(AuthorityError::Escalated(Finance)),
            ),
            (
                &[Reviewer, Operator],
                Some(Finance),
                Err(AuthorityError::Escalated(Finance)),
            ),
            (&[Finance], Some(Finance), Err(AuthorityError::NotReviewer)),
            (&[Reviewer, Finance], Some(Finance), Ok(())),
            (&[Admin], Some(Finance), Ok(())),
            (
                &[Reviewer, Finance],
                Some(Admin),
                Err(AuthorityError::Escalated(Admin)),
            ),
            (&[Admin], Some(Admin), Ok(())),
            (&[Reviewer], Some(Reviewer), Ok(())),
        ];
        for (roles, esc, want) in cases {
            assert_eq!(
                &may_decide(&action(*esc), roles),
                want,
                "{roles:?} on {esc:?}"
            );
        }
    }

    #[test]
    fn rollback_needs_the_same_roles_an_undoable_write_and_a_reason() {
        let a = action(Some(Role::Finance));
        assert_eq!(
            check_rollback(&a, &[Role::Reviewer], "oops"),
            Err(RollbackError::Authority(AuthorityError::Escalated(
                Role::Finance
            )))
        );
        assert_eq!(
            check_rollback(&a, &[Role::Reviewer, Role::Finance], "  oops "),
            Ok("oops")
        );
        assert_eq!(
            check_rollback(&a, &[Role::Admin], " "),
            Err(RollbackError::MissingReason)
        );
        let mut b = action(None);
        b.rollback_supported = false;
        assert!(matches!(
            check_rollback(&b, &[Role::Admin], "oops"),
            Err(RollbackError::NotRollbackable {
                supported: false,
                ..
            })
        ));
        b.rollback_supported = true;
        b.status = ActionStatus::Pending;
        assert!(matches!(
            check_rollback(&b, &[Role::Admin], "oops"),
            Err(RollbackError::NotRollbackable {
                status: "pending",
                ..
            })
        ));
    }
}
