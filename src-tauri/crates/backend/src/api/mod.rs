//! The `/v1` HTTP surface: the router, bearer-token auth and role checks, and the small
//! endpoints; problem responses, paging, decisions, admin and the agent side live in their
//! own modules.

mod admin;
pub(crate) mod agent;
mod autonomy;
mod checkpoints;
pub(crate) mod decisions;
mod evals;
mod identity;
mod paging;
pub(crate) mod problem;

use crate::db::sql::Conn;
use crate::{State, db, faults};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use countersign_core::{Role, Whoami};
use problem::{Problem, problem};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The shared server state as handlers extract it.
type AppState = axum::extract::State<Arc<State>>;

/// What a handler answers: a response, or a problem.
type ApiResult = Result<Response, Problem>;

/// A 200 response with a JSON body already serialised.
fn json_response(text: String) -> Response {
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A 200 response with `v` as its body.
fn ok_json(v: &Value) -> ApiResult {
    Ok(json_response(v.to_string()))
}

/// Runs `f` on a database connection off the async threads.
async fn with_db<T, F>(st: &Arc<State>, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn<'_>) -> Result<T, Problem> + Send + 'static,
{
    let st = st.clone();
    tokio::task::spawn_blocking(move || st.db.with(f)?)
        .await
        .map_err(|e| {
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
                &e.to_string(),
            )
        })?
}

/// The `/v1` router with auth and fault injection.
pub(crate) fn router(state: Arc<State>) -> Router {
    let authed = Router::new()
        .route("/v1/whoami", get(whoami))
        .route("/v1/runs", get(paging::list_runs))
        .route("/v1/runs/{run_id}", get(get_run))
        .route("/v1/actions", get(paging::list_actions))
        .route("/v1/actions/{action_id}", get(get_action))
        .route("/v1/actions/{action_id}/decision", post(decisions::decide))
        .route(
            "/v1/actions/{action_id}/rollback",
            post(decisions::rollback),
        )
        .route(
            "/v1/budgets",
            get(admin::get_budgets).put(admin::put_budgets),
        )
        .route("/v1/sources", get(admin::sources))
        .route("/v1/workflows/autonomy", get(autonomy::list))
        .route(
            "/v1/workflows/{workflow}/autonomy",
            get(autonomy::get).put(autonomy::put),
        )
        .route("/v1/evals", post(evals::create))
        .route("/v1/evals/{eval_id}", get(evals::get))
        .route("/v1/admin/simulate", post(admin::simulate))
        .route(
            "/v1/admin/keys",
            post(admin::create_key).get(admin::list_keys),
        )
        .route("/v1/admin/keys/{key_id}/revoke", post(admin::revoke_key))
        .route("/v1/system/{table}", get(admin::system))
        .route(
            "/v1/audit/checkpoints",
            post(checkpoints::post).get(checkpoints::list),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    authed
        .merge(agent::routes(state.clone()))
        .route("/v1/health", get(health))
        .route("/v1/audit/key", get(checkpoints::key))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .with_state(state)
}

/// The answer for an unknown path.
async fn not_found() -> Problem {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such endpoint",
    )
}

/// The bearer token of a request, if any.
fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The 401 answer, with its `WWW-Authenticate` challenge.
fn unauthorized() -> Response {
    let mut resp = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        "send Authorization: Bearer <token>",
    )
    .into_response();
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

/// Middleware of the console's endpoints: resolves the bearer token to a person's identity (an
/// extension of the request), answers 401 for an unknown token and 403 for an agent's key,
/// which may report and wait but never read the console's feeds, decide or edit budgets.
async fn auth(axum::extract::State(st): AppState, mut req: Request, next: Next) -> Response {
    let caller = match bearer(&req) {
        Some(t) => identity::resolve(&st, t).await,
        None => None,
    };
    match caller {
        Some(identity::Caller::Person(who)) => {
            req.extensions_mut().insert(who);
            next.run(req).await
        }
        Some(identity::Caller::Agent(a)) => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            &format!(
                "{} holds an ingest key: it may report and wait for decisions, not use the console's endpoints",
                a.name
            ),
        )
        .into_response(),
        None => unauthorized(),
    }
}

/// Refuses (403) unless `who` holds one of `roles`.
fn require(who: &Whoami, roles: &[Role]) -> Result<(), Problem> {
    if roles.iter().any(|r| who.has(*r)) {
        Ok(())
    } else {
        let names: Vec<String> = roles
            .iter()
            .map(|r| format!("{r:?}").to_lowercase())
            .collect();
        Err(problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            &format!("{} lacks the role {}", who.subject, names.join(" or ")),
        ))
    }
}

/// `GET /v1/health`, open to all.
async fn health() -> Response {
    json_response(json!({"status": "ok", "protocol": "v1"}).to_string())
}

/// `GET /v1/whoami`: the caller's identity.
async fn whoami(Extension(who): Extension<Whoami>) -> ApiResult {
    ok_json(&serde_json::to_value(who)?)
}

/// One run or action as stored (due actions are expired first), or 404.
async fn get_one(st: &Arc<State>, table: &'static str, id: String) -> ApiResult {
    let what = if table == "runs" { "run" } else { "action" };
    let detail = format!("no {what} {id}");
    let found = with_db(st, move |c| {
        if table == "actions" {
            db::expire_due(c, Utc::now())?;
        }
        Ok(db::get_json(c, table, &id)?)
    })
    .await?;
    match found {
        Some(j) => Ok(json_response(j)),
        None => Err(problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &detail,
        )),
    }
}

/// `GET /v1/runs/{run_id}`.
async fn get_run(st: AppState, Path(id): Path<String>) -> ApiResult {
    get_one(&st.0, "runs", id).await
}

/// `GET /v1/actions/{action_id}`.
async fn get_action(st: AppState, Path(id): Path<String>) -> ApiResult {
    get_one(&st.0, "actions", id).await
}

/// The request body as JSON of `T`, or a 400 problem.
fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            "Invalid request body",
            &e.to_string(),
        )
    })
}
