//! Tables that hold a backend's latest snapshot of a small list (budgets, sources): each row is
//! (backend id, item id, JSON body), replaced whole on every sync.

use crate::error::Result;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A snapshot table: its name and the column holding the item id.
pub(crate) struct Table {
    pub name: &'static str,
    pub id_col: &'static str,
}

/// Replaces a backend's rows of `t` with `items` (id, value); writes nothing when they are what
/// is stored already. Returns whether anything changed.
pub(crate) fn replace<'a, T: Serialize + 'a>(
    conn: &Connection,
    t: &Table,
    backend_id: &str,
    items: impl IntoIterator<Item = (&'a str, &'a T)>,
) -> Result<bool> {
    let mut next = items
        .into_iter()
        .map(|(id, v)| Ok((id.to_string(), serde_json::to_string(v)?)))
        .collect::<Result<Vec<(String, String)>>>()?;
    next.sort();
    let stored = conn
        .prepare_cached(&format!(
            "SELECT {id}, body FROM {name} WHERE backend_id = ?1 ORDER BY {id}",
            id = t.id_col,
            name = t.name
        ))?
        .query_map([backend_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    if stored == next {
        return Ok(false);
    }
    conn.execute(
        &format!("DELETE FROM {} WHERE backend_id = ?1", t.name),
        [backend_id],
    )?;
    let mut st = conn.prepare_cached(&format!(
        "INSERT INTO {} (backend_id, {}, body) VALUES (?1, ?2, ?3)",
        t.name, t.id_col
    ))?;
    for (id, body) in &next {
        st.execute(params![backend_id, id, body])?;
    }
    Ok(true)
}

/// Every row of `t`, as (backend id, value), by backend then item id.
pub(crate) fn list<T: DeserializeOwned>(conn: &Connection, t: &Table) -> Result<Vec<(String, T)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT backend_id, body FROM {} ORDER BY backend_id, {}",
        t.name, t.id_col
    ))?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(b, body)| Ok((b, serde_json::from_str(&body)?)))
        .collect()
}
