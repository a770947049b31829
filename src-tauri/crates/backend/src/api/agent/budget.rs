//! `POST /v1/budget/reserve` and `/v1/budget/settle`: an agent asks before spending and is
//! allowed (with a reservation) or stopped by the hard cap that refuses it; the final cost
//! settles the reservation.

use super::validate::{self, text};
use super::{Agent, AgentResult, AppState, body_json};
use crate::api::problem::{Problem, invalid_field, problem};
use crate::api::with_db;
use crate::db::reservations::{self, Ask, Settled, Verdict};
use crate::random_token;
use axum::body::Bytes;
use axum::extract::Extension;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{Duration, Utc};
use countersign_core::Micros;
use serde::Deserialize;
use serde_json::json;

/// The body of a reservation request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveBody {
    workflow: String,
    #[serde(default)]
    team: Option<String>,
    #[serde(alias = "user")]
    user_id: String,
    /// Exact decimal dollars (`"0.42"`), or
    #[serde(default)]
    estimated_cost: Option<String>,
    /// integer micro-dollars.
    #[serde(default)]
    estimated_cost_micros: Option<i64>,
    #[serde(default)]
    tool_calls: u32,
    /// How long the reservation holds unless settled (default 600 s, at most a day).
    #[serde(default)]
    ttl_secs: Option<i64>,
    /// The run the spend is for: once it is reported its record counts instead, and its
    /// reservations count as one run.
    #[serde(default)]
    run_id: Option<String>,
}

/// An amount given as exact decimal text or integer micros (exactly one), at least zero.
fn amount(field: &str, text: Option<&str>, micros: Option<i64>) -> Result<Micros, Problem> {
    let m = match (text, micros) {
        (Some(t), None) => {
            Micros::parse_usd(t).map_err(|e| invalid_field(field, &e.to_string()))?
        }
        (None, Some(m)) => Micros(m),
        _ => {
            return Err(invalid_field(
                field,
                &format!(
                    "give {field} (exact decimal text) or {field}_micros (integer), one of them"
                ),
            ));
        }
    };
    if m.0 < 0 {
        return Err(invalid_field(field, "must not be negative"));
    }
    Ok(m)
}

/// `POST /v1/budget/reserve` (agents).
pub(super) async fn reserve(
    st: AppState,
    Extension(agent): Extension<Agent>,
    body: Bytes,
) -> AgentResult {
    let b: ReserveBody = validate::record(body_json(&body)?)?;
    text("workflow", &b.workflow, validate::MAX_ID)?;
    text("user_id", &b.user_id, validate::MAX_ID)?;
    validate::optional_text("team", b.team.as_deref(), validate::MAX_ID)?;
    let estimate = amount(
        "estimated_cost",
        b.estimated_cost.as_deref(),
        b.estimated_cost_micros,
    )?;
    if let Some(r) = &b.run_id {
        validate::identifier("run_id", r)?;
    }
    let ttl = b.ttl_secs.unwrap_or(600);
    if !(1..=86_400).contains(&ttl) {
        return Err(invalid_field("ttl_secs", "must be 1-86400 seconds"));
    }
    let id = random_token("res");
    let verdict = with_db(&st.0, move |c| {
        let ask = Ask {
            agent: &agent.name,
            workflow: &b.workflow,
            team: b.team.as_deref(),
            user_id: &b.user_id,
            estimate,
            tool_calls: b.tool_calls,
            run_id: b.run_id.as_deref(),
            ttl: Duration::seconds(ttl),
        };
        Ok(reservations::reserve(c, &ask, &id, Utc::now())?)
    })
    .await?;
    let body = match verdict {
        Verdict::Allowed {
            reservation_id,
            expires_at,
        } => json!({"allowed": true, "reservation_id": reservation_id, "expires_at": expires_at}),
        Verdict::Stopped(s) => json!({
            "allowed": false,
            "stopped_by": {
                "budget_id": s.budget_id,
                "limit": s.limit,
                "max": s.max,
                "used": s.used,
                "requested": s.requested,
                "period": s.period,
            }
        }),
    };
    Ok(axum::Json(body).into_response())
}

/// The body of a settlement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettleBody {
    reservation_id: String,
    #[serde(default)]
    final_cost: Option<String>,
    #[serde(default)]
    final_cost_micros: Option<i64>,
    /// The run that spent it; once that run is reported, its own cost counts instead.
    #[serde(default)]
    run_id: Option<String>,
}

/// `POST /v1/budget/settle` (agents).
pub(super) async fn settle(
    st: AppState,
    Extension(agent): Extension<Agent>,
    body: Bytes,
) -> AgentResult {
    let b: SettleBody = validate::record(body_json(&body)?)?;
    validate::identifier("reservation_id", &b.reservation_id)?;
    if let Some(r) = &b.run_id {
        validate::identifier("run_id", r)?;
    }
    let cost = amount("final_cost", b.final_cost.as_deref(), b.final_cost_micros)?;
    let id = b.reservation_id.clone();
    let out = with_db(&st.0, move |c| {
        Ok(reservations::settle(
            c,
            &agent.name,
            &b.reservation_id,
            cost,
            b.run_id.as_deref(),
            Utc::now(),
        )?)
    })
    .await?;
    match out {
        Settled::Now => Ok(axum::Json(
            json!({"reservation_id": id, "settled": true, "replayed": false}),
        )
        .into_response()),
        Settled::Replayed => Ok(axum::Json(
            json!({"reservation_id": id, "settled": true, "replayed": true}),
        )
        .into_response()),
        Settled::Conflict(m) => Err(problem(
            StatusCode::CONFLICT,
            "already-settled",
            "Reservation already settled",
            &format!("reservation {id} was settled at {m}"),
        )
        .with("field", json!("final_cost"))),
        Settled::OtherRun(run) => Err(problem(
            StatusCode::CONFLICT,
            "other-run",
            "Reservation is for another run",
            &format!("reservation {id} was taken for run {run}"),
        )
        .with("field", json!("run_id"))),
        Settled::Unknown => Err(problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no reservation {id} of this agent"),
        )),
    }
}
