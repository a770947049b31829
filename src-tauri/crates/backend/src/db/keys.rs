//! Agent and person keys kept in the database: only the SHA-256 of each key is stored, with its
//! name (the agent or person it identifies) and its scope. The plain key is shown once, when
//! it is created.

use super::sql::{Sql, args};
use crate::Error;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// An agent: reports runs, actions, traces and results, reserves budget, waits for
    /// decisions. Never decides, never edits budgets, never reads the console's feeds.
    Ingest,
    /// A person who decides pending actions.
    Reviewer,
    /// A person who edits budgets.
    Finance,
    /// A person who reads runs.
    Operator,
    /// Everything.
    Admin,
}

impl Scope {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Reviewer => "reviewer",
            Scope::Finance => "finance",
            Scope::Operator => "operator",
            Scope::Admin => "admin",
        }
    }

    /// Reads the wire spelling back.
    pub fn parse(text: &str) -> Option<Scope> {
        [
            Scope::Ingest,
            Scope::Reviewer,
            Scope::Finance,
            Scope::Operator,
            Scope::Admin,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A stored key without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyRow {
    /// Public id of the key (`key_…`).
    pub key_id: String,
    /// The agent or person it identifies.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
}

/// Lowercase hex SHA-256 of a presented key.
pub(crate) fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Stores a new key's hash; the caller shows the plain key once.
pub(crate) fn insert(
    c: &mut dyn Sql,
    key_id: &str,
    plain: &str,
    name: &str,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    c.exec(
        "INSERT INTO api_keys(key_id, key_hash, name, scope, created_at) VALUES(?1, ?2, ?3, ?4, ?5)",
        args![key_id, hash(plain), name, scope.as_str(), now.to_rfc3339()],
    )?;
    Ok(())
}

/// The key whose hash is `key_hash`, if any.
pub(crate) fn find(c: &mut dyn Sql, key_hash: &str) -> Result<Option<KeyRow>, Error> {
    let row = c.row(
        "SELECT key_id, name, scope FROM api_keys WHERE key_hash = ?1",
        args![key_hash],
    )?;
    row.map(|mut r| {
        let (key_id, name, scope) = (r.text(0)?, r.text(1)?, r.text(2)?);
        let scope = Scope::parse(&scope)
            .ok_or_else(|| Error::Invalid(format!("key {key_id} has unknown scope {scope}")))?;
        Ok(KeyRow {
            key_id,
            name,
            scope,
        })
    })
    .transpose()
}
