//! Who may change the console-wide rules (readiness thresholds, failure-bucketing rules):
//! an identity holding the admin role on a connected backend — the check the UI makes to show
//! the editors, made again here so no other caller of the commands can skip it.

use crate::error::{CmdError, CmdResult};
use countersign_core::Role;
use countersign_store::backends;
use countersign_store::rusqlite::Connection;

/// The subject of the first backend identity holding the admin role (the actor recorded in
/// the audit trail), or `forbidden`.
pub fn require_admin(conn: &Connection, what: &str) -> CmdResult<String> {
    backends::list(conn)?
        .into_iter()
        .filter_map(|b| b.whoami)
        .find(|w| w.roles.contains(&Role::Admin))
        .map(|w| w.subject)
        .ok_or_else(|| {
            CmdError::new(
                "forbidden",
                format!("changing {what} needs the admin role on a connected backend"),
            )
        })
}
