//! The `settings` table: console settings edited in the UI (the model price table, the OTLP
//! receiver, the identity keys of imported traces), each a JSON value under a key.

use crate::error::Result;
use crate::time::to_ms;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Key of the model price table (the OTel crate's JSON shape).
pub const PRICE_TABLE: &str = "price_table";
/// Key of the OTLP/HTTP receiver settings.
pub const OTLP_RECEIVER: &str = "otlp_receiver";
/// Key of the metadata keys naming a run's user, tenant and session in imported traces and
/// the OTLP receiver's (`countersign_core::IdentityKeys` as JSON).
pub const IDENTITY_KEYS: &str = "identity_keys";

/// The raw JSON text stored under `key`, if any.
pub fn get_text(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The value stored under `key`, if any and if it reads as `T`.
pub fn get<T: DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    Ok(get_text(conn, key)?.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Stores JSON text under `key` (the caller has validated it).
pub fn set_text(conn: &Connection, key: &str, json: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value, updated_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value,
             updated_at_ms = excluded.updated_at_ms",
        params![key, json, to_ms(Utc::now())],
    )?;
    Ok(())
}

/// Stores `value` under `key`.
pub fn set<T: Serialize>(conn: &Connection, key: &str, value: &T) -> Result<()> {
    set_text(conn, key, &serde_json::to_string(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn set_replaces_and_get_reads_back() -> Result<()> {
        let store = Store::open_in_memory()?;
        assert_eq!(get_text(store.conn(), PRICE_TABLE)?, None);
        set(
            store.conn(),
            OTLP_RECEIVER,
            &serde_json::json!({"enabled": true}),
        )?;
        set(
            store.conn(),
            OTLP_RECEIVER,
            &serde_json::json!({"enabled": false}),
        )?;
        let v: Option<serde_json::Value> = get(store.conn(), OTLP_RECEIVER)?;
        assert_eq!(v, Some(serde_json::json!({"enabled": false})));
        Ok(())
    }
}
