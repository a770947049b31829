//! Cursor paging of the run and action lists: opaque cursors over the store's sequence
//! numbers, the `cursor` and `limit` parameters, and the page body.

use super::problem::{Problem, problem};
use super::{ApiResult, AppState, json_response, with_db};
use crate::db::Cursor;
use crate::{State, db};
use axum::extract::Query;
use axum::http::StatusCode;
use base64::Engine;
use chrono::Utc;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The cursor that continues after `c`: `seq:N` on SQLite (as always), `xid:X:N` on
/// PostgreSQL (the transaction and change number of the last item served).
fn encode_cursor(c: Cursor) -> String {
    let text = if c.xid == 0 {
        format!("seq:{}", c.seq)
    } else {
        format!("xid:{}:{}", c.xid, c.seq)
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// Where a cursor of this backend continues, or a 400 problem.
fn decode_cursor(c: &str) -> Result<Cursor, Problem> {
    let bad = || {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid-cursor",
            "Invalid cursor",
            "the cursor was not issued by this backend",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let number = |t: &str| t.parse::<i64>().ok().filter(|n| *n >= 0);
    let cursor = if let Some(n) = text.strip_prefix("seq:") {
        Cursor {
            xid: 0,
            seq: number(n).ok_or_else(bad)?,
        }
    } else {
        let (x, n) = text
            .strip_prefix("xid:")
            .and_then(|t| t.split_once(':'))
            .ok_or_else(bad)?;
        Cursor {
            xid: number(x).ok_or_else(bad)?,
            seq: number(n).ok_or_else(bad)?,
        }
    };
    Ok(cursor)
}

/// The page asked for: (after this position, limit clamped to 1..=1000 with 500 by default,
/// the cursor as given).
fn page_params(q: &HashMap<String, String>) -> Result<(Cursor, usize, Option<String>), Problem> {
    let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
    let after = match &cursor {
        Some(c) => decode_cursor(c)?,
        None => Cursor::default(),
    };
    let limit = match q.get("limit").filter(|l| !l.is_empty()) {
        Some(l) => l.parse::<i64>().map_err(|_| {
            problem(
                StatusCode::BAD_REQUEST,
                "invalid-limit",
                "Invalid limit",
                "limit must be an integer",
            )
        })?,
        None => 500,
    };
    Ok((after, limit.clamp(1, 1000) as usize, cursor))
}

/// One page of `table` (due actions are expired first); an empty page keeps the cursor.
async fn list_page(st: &Arc<State>, table: &'static str, q: HashMap<String, String>) -> ApiResult {
    let (after, limit, cursor) = page_params(&q)?;
    let (items, last, more) = with_db(st, move |c| {
        if table == "actions" {
            db::expire_due(c, Utc::now())?;
        }
        Ok(db::page(c, table, after, limit)?)
    })
    .await?;
    let next = if items.is_empty() {
        cursor.unwrap_or_else(|| encode_cursor(after))
    } else {
        encode_cursor(last)
    };
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 128);
    out.push_str("{\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push_str("],\"next_cursor\":");
    out.push_str(&Value::String(next).to_string());
    out.push_str(",\"has_more\":");
    out.push_str(if more { "true" } else { "false" });
    out.push('}');
    Ok(json_response(out))
}

/// `GET /v1/runs`: a page of runs.
pub(super) async fn list_runs(st: AppState, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    list_page(&st.0, "runs", q).await
}

/// `GET /v1/actions`: a page of actions.
pub(super) async fn list_actions(
    st: AppState,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    list_page(&st.0, "actions", q).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_sqlite_cursors_keep_their_old_form() -> Result<(), String> {
        let sqlite = Cursor { xid: 0, seq: 42 };
        let pg = Cursor { xid: 9001, seq: 7 };
        let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("seq:42");
        assert_eq!(encode_cursor(sqlite), plain);
        for c in [sqlite, pg] {
            assert_eq!(decode_cursor(&encode_cursor(c)).map_err(|p| p.kind())?, c);
        }
        for bad in ["seq:-1", "xid:1", "xid:a:1", "xid:1:-2", "other"] {
            let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bad);
            assert!(decode_cursor(&text).is_err(), "{bad}");
        }
        Ok(())
    }
}
