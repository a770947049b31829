//! Agent and person keys kept in the database: only the SHA-256 of each key is stored, with its
//! name (the agent or person it identifies), its scope and, when bound to one, its tenant. The
//! plain key is shown once, when it is created. A revoked key is refused at once: servers
//! cache keys they found ([`KeyCache`]) only on PostgreSQL, where a revocation notifies every
//! server process on the database to drop it (SQLite is read on every request, so a key
//! revoked by the CLI while the server runs is refused on its next request).

use super::sql::{Conn, Engine, Sql, args};
use crate::Error;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// The one tenant it may report for, when bound to one.
    pub tenant: Option<String>,
}

/// A stored key as listed (never its secret or hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Public id of the key.
    pub key_id: String,
    /// The agent or person it identifies.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// The one tenant it may report for, if bound to one.
    pub tenant: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
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
    tenant: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    c.exec(
        "INSERT INTO api_keys(key_id, key_hash, name, scope, created_at, tenant)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            key_id,
            hash(plain),
            name,
            scope.as_str(),
            now.to_rfc3339(),
            tenant
        ],
    )?;
    Ok(())
}

/// Every key, oldest first (revoked ones too, marked).
pub(crate) fn list(c: &mut dyn Sql) -> Result<Vec<KeyInfo>, Error> {
    let mut out = Vec::new();
    for mut r in c.rows(
        "SELECT key_id, name, scope, tenant, created_at, revoked_at FROM api_keys
         ORDER BY created_at, key_id",
        args![],
    )? {
        let (key_id, scope) = (r.text(0)?, r.text(2)?);
        let scope = Scope::parse(&scope)
            .ok_or_else(|| Error::Invalid(format!("key {key_id} has unknown scope {scope}")))?;
        out.push(KeyInfo {
            key_id,
            name: r.text(1)?,
            scope,
            tenant: r.opt_text(3)?,
            created_at: r.text(4)?,
            revoked_at: r.opt_text(5)?,
        });
    }
    Ok(out)
}

/// What revoking a key did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now,
    /// Revoked before, at the given time (RFC 3339).
    Already(String),
    /// No such key.
    Unknown,
}

/// Revokes key `key_id` (in one transaction) and, on PostgreSQL, tells every server process
/// on the database to drop it from its cache when the revocation commits. Returns the hash
/// the caller's own cache drops.
pub(crate) fn revoke(
    conn: &mut Conn<'_>,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<(Revoked, Option<String>), Error> {
    let mut tx = conn.begin()?;
    let Some(mut r) = tx.row(
        "SELECT key_hash, revoked_at FROM api_keys WHERE key_id = ?1",
        args![key_id],
    )?
    else {
        tx.commit()?;
        return Ok((Revoked::Unknown, None));
    };
    let (key_hash, revoked_at) = (r.text(0)?, r.opt_text(1)?);
    if let Some(at) = revoked_at {
        tx.commit()?;
        return Ok((Revoked::Already(at), Some(key_hash)));
    }
    tx.exec(
        "UPDATE api_keys SET revoked_at = ?2 WHERE key_id = ?1",
        args![key_id, now.to_rfc3339()],
    )?;
    if tx.engine() == Engine::Postgres {
        // Delivered to every listener when (and only if) the transaction commits.
        tx.rows(
            "SELECT pg_notify(?1, ?2)",
            args![super::pg::CHANNEL, format!("{REVOKED_PREFIX}{key_hash}")],
        )?;
    }
    tx.commit()?;
    Ok((Revoked::Now, Some(key_hash)))
}

/// Prefix of the notification payload that names a revoked key's hash (action ids never
/// start with it).
pub(crate) const REVOKED_PREFIX: &str = "key-revoked:";

/// Keys found by their hash, kept by a server on PostgreSQL so most requests skip the lookup;
/// a revocation drops its key (and a lost notification connection drops them all).
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    map: Mutex<HashMap<String, KeyRow>>,
    /// Bumped by every drop: a lookup that started before a drop does not put back what the
    /// drop removed.
    generation: AtomicU64,
}

impl KeyCache {
    /// The cached key with hash `h`.
    pub(crate) fn get(&self, h: &str) -> Option<KeyRow> {
        self.map.lock().ok().and_then(|m| m.get(h).cloned())
    }

    /// The generation to pass to [`KeyCache::put`] (read before the lookup).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a key found by a lookup that started at generation `seen`, unless a drop came
    /// since.
    pub(crate) fn put(&self, seen: u64, h: String, row: KeyRow) {
        if let Ok(mut m) = self.map.lock()
            && self.generation.load(Ordering::Acquire) == seen
        {
            m.insert(h, row);
        }
    }

    /// Drops the key with hash `h`.
    pub(crate) fn drop_key(&self, h: &str) {
        if let Ok(mut m) = self.map.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            m.remove(h);
        }
    }

    /// Drops every key (notifications may have been missed).
    pub(crate) fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            m.clear();
        }
    }
}

/// The unrevoked key whose hash is `key_hash`, if any.
pub(crate) fn find(c: &mut dyn Sql, key_hash: &str) -> Result<Option<KeyRow>, Error> {
    let row = c.row(
        "SELECT key_id, name, scope, tenant FROM api_keys
         WHERE key_hash = ?1 AND revoked_at IS NULL",
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
            tenant: r.opt_text(3)?,
        })
    })
    .transpose()
}
