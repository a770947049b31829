//! `POST/GET /v1/webhooks` and `DELETE /v1/webhooks/{id}`: an agent registers where its
//! decisions are POSTed and gets the webhook's signing secret once; actions name the webhook
//! by `webhook_id`.

use super::validate::{self, text};
use super::{Agent, AgentResult, AppState, body_json};
use crate::api::problem::{invalid_field, problem};
use crate::api::with_db;
use crate::db::webhooks::{self as store, Webhook};
use crate::{random_token, webhook};
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

/// The body of a registration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    url: String,
}

/// Most webhooks one agent keeps.
const MAX_PER_AGENT: usize = 100;

/// `POST /v1/webhooks` (agents): registers a webhook; the answer carries its secret, shown
/// this once.
pub(super) async fn register(
    st: AppState,
    Extension(agent): Extension<Agent>,
    body: Bytes,
) -> AgentResult {
    let b: RegisterBody = validate::record(body_json(&body)?)?;
    text("url", &b.url, 2000)?;
    webhook::check_url(&b.url).map_err(|why| invalid_field("url", &why))?;
    let hook = Webhook {
        webhook_id: random_token("wh"),
        agent: agent.name.clone(),
        url: b.url,
        created_at: Utc::now().to_rfc3339(),
    };
    let h = hook.clone();
    with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        crate::db::sql::lock_key(&mut tx, &format!("webhooks:{}", h.agent))?;
        if store::list(&mut tx, &h.agent)?.len() >= MAX_PER_AGENT {
            return Err(invalid_field(
                "url",
                &format!("an agent keeps at most {MAX_PER_AGENT} webhooks; delete one first"),
            ));
        }
        store::register(&mut tx, &h)?;
        tx.commit()?;
        Ok(())
    })
    .await?;
    let secret = st.0.webhooks.secret(&hook.webhook_id);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "webhook_id": hook.webhook_id,
            "url": hook.url,
            "created_at": hook.created_at,
            "secret": secret,
        })),
    )
        .into_response())
}

/// `GET /v1/webhooks` (agents): the agent's webhooks (never their secrets).
pub(super) async fn list(st: AppState, Extension(agent): Extension<Agent>) -> AgentResult {
    let items = with_db(&st.0, move |c| Ok(store::list(c, &agent.name)?)).await?;
    Ok(axum::Json(json!({"items": items})).into_response())
}

/// `DELETE /v1/webhooks/{webhook_id}` (agents): nothing more is sent to it.
pub(super) async fn delete(
    st: AppState,
    Extension(agent): Extension<Agent>,
    Path(id): Path<String>,
) -> AgentResult {
    let key = id.clone();
    let gone = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        let n = store::delete(&mut tx, &agent.name, &key, Utc::now())?;
        tx.commit()?;
        Ok(n)
    })
    .await?;
    if !gone {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no webhook {id} of this agent"),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
