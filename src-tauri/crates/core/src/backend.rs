//! Who a backend token belongs to and what it may do.

use serde::{Deserialize, Serialize};

/// Roles a backend grants a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Decides pending actions.
    Reviewer,
    /// Edits budgets.
    Finance,
    /// Reads runs and exports.
    Operator,
    /// Everything.
    Admin,
}

/// The identity behind a token (`GET /v1/whoami`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Whoami {
    /// Subject id.
    pub subject: String,
    /// Name to show.
    pub display_name: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// Tenants visible to this token.
    pub tenants: Vec<String>,
}

impl Whoami {
    /// Whether the token holds `role` (admins hold every role).
    pub fn has(&self, role: Role) -> bool {
        crate::authority::holds(&self.roles, role)
    }
}

/// A document in a knowledge source, with its freshness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SourceDoc {
    /// Document id (`kb_102`).
    pub doc_id: String,
    /// Title.
    pub title: String,
    /// Version label.
    pub version: String,
    /// When it was last updated.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Marked deprecated by its owner.
    pub deprecated: bool,
}

/// A knowledge source connected to a backend (`GET /v1/sources`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KnowledgeSource {
    /// Source id.
    pub source_id: String,
    /// Name (`Policy wiki`).
    pub name: String,
    /// Kind (`confluence`, `sharepoint`, `kb`).
    pub kind: String,
    /// Groups or roles that may read it.
    pub access: Vec<String>,
    /// When it was last indexed.
    pub last_indexed_at: chrono::DateTime<chrono::Utc>,
    /// Its documents.
    pub documents: Vec<SourceDoc>,
}
