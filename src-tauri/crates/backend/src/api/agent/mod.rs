//! The agent side of `/v1`: what agents report (runs, traces, pending writes and their
//! results), how they wait for decisions, and budget reservations. Every request passes one
//! gate first: a key that may act as an agent, its rate limit, and the request size limit.

mod actions;
mod budget;
mod long_poll;
mod rollback;
mod runs;
mod traces;
pub(crate) mod validate;
mod webhooks;

pub(crate) use super::identity::Agent;

use super::identity::{Caller, resolve};
use super::problem::{Problem, problem, too_large};
use super::{bearer, unauthorized};
use crate::State;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

pub(crate) use actions::{announce, owe_missing};

/// The shared server state as handlers extract it.
type AppState = axum::extract::State<Arc<State>>;

/// What an agent endpoint answers.
type AgentResult = Result<Response, Problem>;

/// The agent routes, behind [`gate`].
pub(crate) fn routes(state: Arc<State>) -> Router<Arc<State>> {
    Router::new()
        .route("/v1/runs", post(runs::post))
        .route("/v1/actions", post(actions::post))
        .route(
            "/v1/actions/{action_id}/decision",
            get(actions::wait_decision),
        )
        .route("/v1/actions/{action_id}/result", post(actions::post_result))
        .route(
            "/v1/actions/{action_id}/rollback",
            get(rollback::wait_request),
        )
        .route(
            "/v1/actions/{action_id}/rolled-back",
            post(rollback::post_rolled_back),
        )
        .route("/v1/budget/reserve", post(budget::reserve))
        .route("/v1/budget/settle", post(budget::settle))
        .route("/v1/traces", post(traces::post))
        .route("/v1/webhooks", post(webhooks::register).get(webhooks::list))
        .route(
            "/v1/webhooks/{webhook_id}",
            axum::routing::delete(webhooks::delete),
        )
        .route_layer(middleware::from_fn_with_state(state, gate))
}

/// Middleware: the caller must be able to act as an agent (an ingest key, or an admin), within
/// its key's rate, with a body no larger than the limit (read here, so a chunked body is held
/// to it too).
async fn gate(axum::extract::State(st): AppState, req: Request, next: Next) -> Response {
    let caller = match bearer(&req) {
        Some(t) => resolve(&st, t).await,
        None => None,
    };
    let Some(caller) = caller else {
        return unauthorized();
    };
    let Some(agent) = caller.as_agent() else {
        let who = match &caller {
            Caller::Person(w) => w.subject.clone(),
            Caller::Agent(a) => a.name.clone(),
        };
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            &format!("{who} is not an agent: reporting needs a key of the ingest scope"),
        )
        .into_response();
    };
    if let Err(wait) = st.rate.take(&agent.key_id, Instant::now()) {
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            "this key's request rate is exceeded; retry after the given seconds",
        )
        .retry_after(wait.as_secs_f64().ceil().max(1.0) as u64)
        .into_response();
    }
    let max = st.agents.max_request_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max).into_response();
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(b) => b,
        Err(_) => return too_large(max).into_response(),
    };
    parts.extensions.insert(agent);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The body as JSON, or a 400 problem.
fn body_json(body: &Bytes) -> Result<Value, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            "Invalid request body",
            &format!("not JSON: {e}"),
        )
    })
}
