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
    /// The admin allowed its token over plain http to a host that is not this machine.
    #[serde(default)]
    pub allow_http: bool,
}

impl BackendRow {
    /// The settings an admin chooses, as the audit trail records them before and after a
    /// change (never the token, which is not in the store).
    pub fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "url": self.url,
            "kind": self.kind,
            "allow_http": self.allow_http,
            "config": self.config,
            "embedded": self.embedded,
        })
    }
}

/// A backend to add (see [`add`]).
#[derive(Clone, Debug)]
pub struct NewBackend<'a> {
    /// Name to show (the URL when blank).
    pub name: &'a str,
    /// Base URL.
    pub url: &'a str,
    /// Protocol kind.
    pub kind: &'a str,
    /// Per-kind settings (a JSON object).
    pub config: &'a serde_json::Value,
    /// Token allowed over plain http to a host that is not this machine.
    pub allow_http: bool,
}

/// What [`add`] did: the row before (when an existing backend was replaced) and after.
#[derive(Clone, Debug)]
pub struct Added {
    /// The replaced backend's row, if the URL was known.
    pub before: Option<BackendRow>,
    /// The stored row.
    pub row: BackendRow,
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
        allow_http: r.get("allow_http")?,
    })
}

fn display_name(name: &str, url: &str) -> String {
    if name.trim().is_empty() {
        url.to_string()
    } else {
        name.trim().to_string()
    }
}

/// Whether the known backend `b` may be added again: the embedded backend never
/// ([`StoreError::Invalid`]); any other only with `replace` ([`StoreError::Exists`]), so its
/// settings are never replaced silently.
pub fn check_re_add(b: &BackendRow, replace: bool) -> Result<()> {
    if b.embedded {
        return Err(StoreError::Invalid(format!(
            "{} is the app's embedded backend; it cannot be added again",
            b.url
        )));
    }
    if !replace {
        return Err(StoreError::Exists(format!(
            "backend {} is already connected as {:?}; its settings and token were left as they \
             are (edit it in the Backends view, or add it again choosing to replace them)",
            b.url, b.name
        )));
    }
    Ok(())
}

/// Adds a backend. A URL already known is refused ([`StoreError::Exists`]) so its settings
/// are never replaced silently; with `replace` its name, kind, settings and plain-http choice
/// are replaced (and its last identity forgotten) and the old row is returned in
/// [`Added::before`]. The embedded backend cannot be replaced.
pub fn add(conn: &Connection, new: &NewBackend<'_>, replace: bool) -> Result<Added> {
    let url = normalize_url(new.url)?;
    let id = backend_id_for_url(&url);
    let name = display_name(new.name, &url);
    let config = serde_json::to_string(new.config)?;
    let before = get(conn, &id)?;
    if let Some(b) = &before {
        check_re_add(b, replace)?;
    }
    match &before {
        Some(_) => {
            conn.execute(
                "UPDATE backends SET name = ?2, kind = ?3, config = ?4, allow_http = ?5,
                     whoami = NULL WHERE backend_id = ?1",
                params![id, name, new.kind, config, new.allow_http],
            )?;
        }
        None => {
            conn.execute(
                "INSERT INTO backends (backend_id, name, url, kind, embedded, added_at_ms,
                     config, allow_http)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)",
                params![
                    id,
                    name,
                    url,
                    new.kind,
                    to_ms(Utc::now()),
                    config,
                    new.allow_http
                ],
            )?;
        }
    }
    let row = get(conn, &id)?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
    Ok(Added { before, row })
}

/// Sets whether a backend's token may go over plain http to a host that is not this machine.
/// Returns whether the backend exists.
pub fn set_allow_http(conn: &Connection, backend_id: &str, allow: bool) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE backends SET allow_http = ?2 WHERE backend_id = ?1",
        params![backend_id, allow],
    )? > 0)
}

/// Renames a backend (a blank name shows its URL). Returns whether the backend exists.
pub fn set_name(conn: &Connection, backend_id: &str, name: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE backends SET name = CASE WHEN trim(?2) = '' THEN url ELSE trim(?2) END
         WHERE backend_id = ?1",
        params![backend_id, name],
    )? > 0)
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
    let name = display_name(name, &url);
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

/// [`add`], recorded: a `backend_added` audit event by `actor` with the settings before (when
/// replaced) and after, never a token; `token` says whether one was stored, when known. Run it
/// inside the transaction that commits the backend.
pub fn add_recorded(
    conn: &Connection,
    new: &NewBackend<'_>,
    replace: bool,
    actor: &str,
    token: Option<bool>,
) -> Result<Added> {
    let added = add(conn, new, replace)?;
    let mut details = serde_json::json!({
        "before": added.before.as_ref().map(BackendRow::settings),
        "after": added.row.settings(),
        "replaced": added.before.is_some(),
    });
    if let Some(stored) = token {
        details["token"] = serde_json::json!(if stored { "stored" } else { "none" });
    }
    crate::audit::append(
        conn,
        actor,
        countersign_core::audit::kinds::BACKEND_ADDED,
        &added.row.backend_id,
        details,
        Utc::now(),
    )?;
    Ok(added)
}

/// [`remove`], recorded: a `backend_removed` audit event by `actor` with the settings before.
/// Returns the removed row, `None` when there was none.
pub fn remove_recorded(
    conn: &Connection,
    backend_id: &str,
    actor: &str,
) -> Result<Option<BackendRow>> {
    let Some(row) = get(conn, backend_id)? else {
        return Ok(None);
    };
    remove(conn, backend_id)?;
    crate::audit::append(
        conn,
        actor,
        countersign_core::audit::kinds::BACKEND_REMOVED,
        backend_id,
        serde_json::json!({
            "name": row.name,
            "url": row.url,
            "before": row.settings(),
            "after": null,
        }),
        Utc::now(),
    )?;
    Ok(Some(row))
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

    #[test]
    fn adding_a_known_url_again_needs_replace() -> Result<()> {
        let store = Store::open_in_memory()?;
        let cfg = serde_json::json!({"project": "p1"});
        let first = NewBackend {
            name: "First",
            url: "https://lg.example.com/",
            kind: "langgraph",
            config: &cfg,
            allow_http: false,
        };
        let added = add(store.conn(), &first, false)?;
        assert!(added.before.is_none());
        assert_eq!(added.row.config, cfg);
        let other_cfg = serde_json::json!({});
        let again = NewBackend {
            name: "Second",
            url: "https://lg.example.com",
            kind: "phoenix",
            config: &other_cfg,
            allow_http: true,
        };
        let err = add(store.conn(), &again, false).expect_err("refused");
        assert!(matches!(err, StoreError::Exists(_)), "{err}");
        let kept =
            get(store.conn(), &added.row.backend_id)?.ok_or(StoreError::NotFound("row".into()))?;
        assert_eq!(kept, added.row, "nothing changed");
        let replaced = add(store.conn(), &again, true)?;
        assert_eq!(replaced.before, Some(added.row.clone()));
        assert_eq!(replaced.row.name, "Second");
        assert_eq!(replaced.row.kind, "phoenix");
        assert_eq!(replaced.row.config, other_cfg);
        assert!(replaced.row.allow_http);
        assert_eq!(replaced.row.added_at, added.row.added_at);
        assert_eq!(replaced.row.settings()["allow_http"], true);
        assert!(set_allow_http(store.conn(), &added.row.backend_id, false)?);
        assert!(set_name(store.conn(), &added.row.backend_id, "  ")?);
        let row =
            get(store.conn(), &added.row.backend_id)?.ok_or(StoreError::NotFound("row".into()))?;
        assert!(!row.allow_http);
        assert_eq!(row.name, "https://lg.example.com");
        Ok(())
    }
}
