//! The `backends` table: connected backends (never their tokens).

use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::Whoami;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

/// A connected backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendRow {
    /// Console-side id, stable for a URL (see [`backend_id_for_url`]).
    pub backend_id: String,
    /// Name to show.
    pub name: String,
    /// Base URL (`http://127.0.0.1:8080`).
    pub url: String,
    /// Protocol kind (`countersign`).
    pub kind: String,
    /// Started by the app itself (the embedded reference backend).
    pub embedded: bool,
    /// Citations of sources older than this many days are flagged stale.
    pub freshness_days: i64,
    /// When it was added.
    pub added_at: DateTime<Utc>,
    /// Identity behind its token, as last reported.
    pub whoami: Option<Whoami>,
    /// Per-kind settings (a Phoenix project, confirm fields per action name, ...); `{}` if none.
    #[serde(default)]
    pub config: serde_json::Value,
}

/// Normalises a backend base URL: trimmed, no trailing slash. Only http(s) is accepted.
pub fn normalize_url(url: &str) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    let lower = u.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://"))
        || u.contains(char::is_whitespace)
    {
        return Err(StoreError::Invalid(format!(
            "backend URL must be http(s): {url:?}"
        )));
    }
    Ok(u.to_string())
}

/// A stable id for a backend URL (FNV-1a of the normalised URL), so syncing the same URL twice
/// lands in the same backend.
pub fn backend_id_for_url(url: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("be-{:012x}", h >> 16)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<BackendRow> {
    let whoami: Option<String> = r.get("whoami")?;
    Ok(BackendRow {
        backend_id: r.get("backend_id")?,
        name: r.get("name")?,
        url: r.get("url")?,
        kind: r.get("kind")?,
        embedded: r.get("embedded")?,
        freshness_days: r.get("freshness_days")?,
        added_at: from_ms(r.get("added_at_ms")?),
        whoami: whoami.and_then(|w| serde_json::from_str(&w).ok()),
        config: serde_json::from_str(&r.get::<_, String>("config")?)
            .unwrap_or_else(|_| serde_json::json!({})),
    })
}

/// Adds a backend, or updates its name/kind/embedded flag if the URL is already known.
/// Returns the stored row.
pub fn upsert(
    conn: &Connection,
    name: &str,
    url: &str,
    kind: &str,
    embedded: bool,
) -> Result<BackendRow> {
    let url = normalize_url(url)?;
    upsert_with_id(conn, &backend_id_for_url(&url), name, &url, kind, embedded)
}

/// Adds or updates the backend with a given id (the embedded backend keeps one id while its
/// port changes between launches).
pub fn upsert_with_id(
    conn: &Connection,
    backend_id: &str,
    name: &str,
    url: &str,
    kind: &str,
    embedded: bool,
) -> Result<BackendRow> {
    let url = normalize_url(url)?;
    let name = if name.trim().is_empty() {
        url.clone()
    } else {
        name.trim().to_string()
    };
    conn.execute(
        "INSERT INTO backends (backend_id, name, url, kind, embedded, added_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(backend_id) DO UPDATE SET name = excluded.name, url = excluded.url,
             kind = excluded.kind, embedded = excluded.embedded",
        params![backend_id, name, url, kind, embedded, to_ms(Utc::now())],
    )?;
    get(conn, backend_id)?.ok_or_else(|| StoreError::NotFound(backend_id.to_string()))
}

/// One backend by id.
pub fn get(conn: &Connection, backend_id: &str) -> Result<Option<BackendRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM backends WHERE backend_id = ?1",
            [backend_id],
            from_row,
        )
        .optional()?)
}

/// Every backend, by name.
pub fn list(conn: &Connection) -> Result<Vec<BackendRow>> {
    let mut st = conn.prepare("SELECT * FROM backends ORDER BY embedded DESC, name")?;
    let rows = st
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Records who the backend says the token belongs to.
pub fn set_whoami(conn: &Connection, backend_id: &str, whoami: &Whoami) -> Result<()> {
    conn.execute(
        "UPDATE backends SET whoami = ?2 WHERE backend_id = ?1",
        params![backend_id, serde_json::to_string(whoami)?],
    )?;
    Ok(())
}

/// Replaces a backend's per-kind settings. Returns whether the backend exists.
pub fn set_config(conn: &Connection, backend_id: &str, config: &serde_json::Value) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE backends SET config = ?2 WHERE backend_id = ?1",
        params![backend_id, serde_json::to_string(config)?],
    )? > 0)
}

/// Removes a backend and everything synced from it. Returns whether it existed.
pub fn remove(conn: &Connection, backend_id: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM backends WHERE backend_id = ?1", [backend_id])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn same_url_same_backend_and_bad_urls_refused() -> Result<()> {
        let store = Store::open_in_memory()?;
        let a = upsert(
            store.conn(),
            "A",
            "http://127.0.0.1:9/",
            "countersign",
            false,
        )?;
        let b = upsert(
            store.conn(),
            "B",
            "http://127.0.0.1:9",
            "countersign",
            false,
        )?;
        assert_eq!(a.backend_id, b.backend_id);
        assert_eq!(list(store.conn())?.len(), 1);
        assert_eq!(list(store.conn())?[0].name, "B");
        assert!(
            upsert(
                store.conn(),
                "x",
                "javascript:alert(1)",
                "countersign",
                false
            )
            .is_err()
        );
        assert!(remove(store.conn(), &a.backend_id)?);
        assert!(list(store.conn())?.is_empty());
        Ok(())
    }
}
