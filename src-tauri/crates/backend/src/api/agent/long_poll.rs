//! The long-poll both agent waits share (a decision, a rollback request): hold the request
//! until what it waits on settles, a deadline passes or the caller's `wait` runs out.

use super::{AgentResult, AppState};
use crate::api::problem::{Problem, invalid_field};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::Value;
use std::future::Future;
use tokio::time::Instant;

/// The query of a long-poll.
#[derive(Debug, Deserialize)]
pub(super) struct WaitQuery {
    /// Seconds to hold the request while nothing has settled (0-60; default 0).
    #[serde(default)]
    pub(super) wait: Option<u64>,
}

/// Longest long-poll.
pub(super) const MAX_WAIT_SECS: u64 = 60;

/// Reads the view of `id` with `read` until `settled` holds or `q.wait` seconds pass, and
/// answers the last view read. It subscribes to `id`'s wake-ups before the first read, so a
/// change committed between a read and the wait still wakes it. `wake_at` may name an earlier
/// instant to read again without a wake-up (an expiry that settles the view by itself).
pub(super) async fn long_poll<R, F>(
    st: &AppState,
    id: &str,
    q: &WaitQuery,
    mut read: R,
    settled: impl Fn(&Value) -> bool,
    wake_at: impl Fn(&Value, Instant) -> Option<Instant>,
) -> AgentResult
where
    R: FnMut() -> F,
    F: Future<Output = Result<Value, Problem>>,
{
    let wait = q.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(invalid_field(
            "wait",
            &format!("at most {MAX_WAIT_SECS} seconds"),
        ));
    }
    let until = Instant::now() + std::time::Duration::from_secs(wait);
    let mut sub = st.0.wakeups.subscribe(id);
    loop {
        let v = read().await?;
        let now = Instant::now();
        if settled(&v) || now >= until {
            return Ok(axum::Json(v).into_response());
        }
        let wake = wake_at(&v, now).map_or(until, |t| t.min(until));
        tokio::select! {
            _ = sub.changed() => {}
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}
