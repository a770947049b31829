//! The `trusted_keys` table: the Ed25519 public keys the admin trusts when verifying audit
//! bundles — installation keys (who may sign a bundle) and backend keys (whose checkpoint
//! receipts anchor the chain). Every add, change and removal appends an audit event with the
//! entry before and after, in the same transaction.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::audit::kinds;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a trusted key may vouch for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "TrustedKeyRole")]
pub enum KeyRole {
    /// A console installation: bundles it signs are accepted.
    Installation,
    /// A backend: checkpoint receipts it countersigns anchor the chain.
    Backend,
}

impl KeyRole {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Installation => "installation",
            KeyRole::Backend => "backend",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<KeyRole> {
        match s {
            "installation" => Some(KeyRole::Installation),
            "backend" => Some(KeyRole::Backend),
            _ => None,
        }
    }
}

/// How the key came to be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "TrustedKeySource")]
pub enum KeySource {
    /// This installation's own signing key.
    ThisInstallation,
    /// Added by an admin (after comparing its fingerprint out of band).
    Imported,
    /// A backend's receipt key, pinned when the console first checkpointed with it.
    Pinned,
}

impl KeySource {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::ThisInstallation => "this_installation",
            KeySource::Imported => "imported",
            KeySource::Pinned => "pinned",
        }
    }

    fn parse(s: &str) -> KeySource {
        match s {
            "this_installation" => KeySource::ThisInstallation,
            "pinned" => KeySource::Pinned,
            _ => KeySource::Imported,
        }
    }
}

/// A trusted public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrustedKey {
    /// Ed25519 public key, 64 lowercase hex digits.
    pub public_key: String,
    /// Its [`fingerprint`], for people to compare.
    pub fingerprint: String,
    /// What it may vouch for.
    pub role: KeyRole,
    /// Name to show (`Ana's laptop`, `ref backend`).
    pub label: String,
    /// How it came to be trusted.
    pub source: KeySource,
    /// The backend it belongs to, for backend keys the console pinned.
    pub backend_id: Option<String>,
    /// When it was trusted.
    #[ts(type = "string")]
    pub added_at: DateTime<Utc>,
}

/// A key to trust.
#[derive(Clone, Debug)]
pub struct NewTrustedKey<'a> {
    /// Ed25519 public key, 64 hex digits (any case; stored lowercase).
    pub public_key: &'a str,
    /// What it may vouch for.
    pub role: KeyRole,
    /// Name to show.
    pub label: &'a str,
    /// How it came to be trusted.
    pub source: KeySource,
    /// The backend it belongs to, if any.
    pub backend_id: Option<&'a str>,
}

/// A short, comparable name of a public key: the first 16 bytes of the SHA-256 of its 32 raw
/// bytes, as eight colon-separated groups of four hex digits (`3f2a:91bc:…`). Text that is not
/// 64 hex digits gets the fingerprint of its UTF-8 bytes, so it never matches a real key's.
pub fn fingerprint(public_key_hex: &str) -> String {
    let trimmed = public_key_hex.trim();
    let digest = match hex::decode(trimmed) {
        Ok(bytes) if bytes.len() == 32 => Sha256::digest(&bytes),
        _ => Sha256::digest(trimmed.as_bytes()),
    };
    let hex = hex::encode(&digest[..16]);
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// `text` as a public key: 64 hex digits, returned lowercase.
pub fn normalize_key(text: &str) -> Result<String> {
    let k = text.trim().to_ascii_lowercase();
    if k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(k)
    } else {
        Err(StoreError::Invalid(format!(
            "a public key is 64 hex digits, not {:?}",
            text.chars().take(80).collect::<String>()
        )))
    }
}

const COLUMNS: &str = "public_key, role, label, source, backend_id, added_at_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<TrustedKey> {
    let public_key: String = r.get(0)?;
    let role: String = r.get(1)?;
    Ok(TrustedKey {
        fingerprint: fingerprint(&public_key),
        public_key,
        role: KeyRole::parse(&role).unwrap_or(KeyRole::Installation),
        label: r.get(2)?,
        source: KeySource::parse(&r.get::<_, String>(3)?),
        backend_id: r.get(4)?,
        added_at: from_ms(r.get(5)?),
    })
}

/// Every trusted key: installation keys first, then by label.
pub fn list(conn: &Connection) -> Result<Vec<TrustedKey>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM trusted_keys ORDER BY role <> 'installation', label, public_key"
    ))?;
    let rows = st
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One trusted key.
pub fn get(conn: &Connection, public_key: &str) -> Result<Option<TrustedKey>> {
    let key = normalize_key(public_key)?;
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM trusted_keys WHERE public_key = ?1"),
            [key],
            from_row,
        )
        .optional()?)
}

/// The backend key pinned for `backend_id`, if any.
pub fn pinned_for_backend(conn: &Connection, backend_id: &str) -> Result<Option<TrustedKey>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM trusted_keys
                 WHERE role = 'backend' AND backend_id = ?1 ORDER BY added_at_ms LIMIT 1"
            ),
            [backend_id],
            from_row,
        )
        .optional()?)
}

/// The audit details of a key change: the entry before and after (`null` when absent).
fn change(before: Option<&TrustedKey>, after: Option<&TrustedKey>) -> Result<serde_json::Value> {
    Ok(serde_json::json!({
        "before": before.map(serde_json::to_value).transpose()?,
        "after": after.map(serde_json::to_value).transpose()?,
    }))
}

/// Trusts a key (or changes the role, label or source of one already trusted) and records it
/// as a `trusted_key_added` event by `actor`. Nothing is recorded when nothing changes.
/// Takes a transaction so the key and its event commit together.
pub fn add(
    tx: &Transaction<'_>,
    key: &NewTrustedKey<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TrustedKey> {
    let public_key = normalize_key(key.public_key)?;
    let label = key.label.trim();
    let before = get(tx, &public_key)?;
    if let Some(b) = &before
        && b.role == key.role
        && b.label == label
        && b.source == key.source
        && b.backend_id.as_deref() == key.backend_id
    {
        return Ok(b.clone());
    }
    tx.execute(
        "INSERT INTO trusted_keys (public_key, role, label, source, backend_id, added_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(public_key) DO UPDATE SET role = excluded.role, label = excluded.label,
             source = excluded.source, backend_id = excluded.backend_id",
        params![
            public_key,
            key.role.as_str(),
            label,
            key.source.as_str(),
            key.backend_id,
            to_ms(now)
        ],
    )?;
    let after = get(tx, &public_key)?.ok_or_else(|| StoreError::NotFound(public_key.clone()))?;
    audit::append(
        tx,
        actor,
        kinds::TRUSTED_KEY_ADDED,
        &after.fingerprint,
        change(before.as_ref(), Some(&after))?,
        now,
    )?;
    Ok(after)
}

/// Stops trusting a key and records it as a `trusted_key_removed` event by `actor`. Returns
/// whether it was trusted.
pub fn remove(
    tx: &Transaction<'_>,
    public_key: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(before) = get(tx, public_key)? else {
        return Ok(false);
    };
    tx.execute(
        "DELETE FROM trusted_keys WHERE public_key = ?1",
        [&before.public_key],
    )?;
    audit::append(
        tx,
        actor,
        kinds::TRUSTED_KEY_REMOVED,
        &before.fingerprint,
        change(Some(&before), None)?,
        now,
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    const K1: &str = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
    const K2: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn new<'a>(key: &'a str, role: KeyRole, label: &'a str) -> NewTrustedKey<'a> {
        NewTrustedKey {
            public_key: key,
            role,
            label,
            source: KeySource::Imported,
            backend_id: None,
        }
    }

    #[test]
    fn add_change_remove_are_audited_with_before_and_after() -> Result<()> {
        let mut store = Store::open_in_memory()?;
        let now = Utc::now();
        let tx = store.write()?;
        let a = add(
            &tx,
            &new(&K1.to_uppercase(), KeyRole::Installation, " laptop "),
            "user:ana",
            now,
        )?;
        assert_eq!(a.public_key, K1);
        assert_eq!(a.label, "laptop");
        add(
            &tx,
            &new(K2, KeyRole::Backend, "ref backend"),
            "user:ana",
            now,
        )?;
        // The same entry again changes nothing and records nothing.
        add(
            &tx,
            &new(K1, KeyRole::Installation, "laptop"),
            "user:ana",
            now,
        )?;
        add(
            &tx,
            &new(K1, KeyRole::Installation, "Ana's laptop"),
            "user:ana",
            now,
        )?;
        assert!(remove(&tx, K2, "user:bob", now)?);
        assert!(!remove(&tx, K2, "user:bob", now)?);
        tx.commit()?;

        let keys = list(store.conn())?;
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].label, "Ana's laptop");
        let events = audit::all_in_range(store.conn(), None, None)?;
        let kinds_seen: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds_seen,
            vec![
                kinds::TRUSTED_KEY_ADDED,
                kinds::TRUSTED_KEY_ADDED,
                kinds::TRUSTED_KEY_ADDED,
                kinds::TRUSTED_KEY_REMOVED
            ]
        );
        assert_eq!(events[0].details["before"], serde_json::Value::Null);
        assert_eq!(events[0].details["after"]["public_key"], K1);
        assert_eq!(events[2].details["before"]["label"], "laptop");
        assert_eq!(events[2].details["after"]["label"], "Ana's laptop");
        assert_eq!(events[3].actor, "user:bob");
        assert_eq!(events[3].details["before"]["role"], "backend");
        assert_eq!(events[3].details["after"], serde_json::Value::Null);
        assert_eq!(events[3].subject, fingerprint(K2));
        Ok(())
    }

    #[test]
    fn keys_must_be_hex_and_fingerprints_are_stable() -> Result<()> {
        let mut store = Store::open_in_memory()?;
        let tx = store.write()?;
        assert!(add(&tx, &new("abc", KeyRole::Backend, "x"), "a", Utc::now()).is_err());
        let f = fingerprint(K1);
        assert_eq!(f.len(), 8 * 4 + 7);
        assert_eq!(f, fingerprint(&K1.to_uppercase()));
        assert_ne!(f, fingerprint(K2));
        Ok(())
    }
}
