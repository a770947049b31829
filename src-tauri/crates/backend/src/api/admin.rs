//! Administration endpoints: budget caps, the policy sources, simulating runs, and reading the
//! system-of-record tables.

use super::problem::{problem, unprocessable};
use super::{ApiResult, AppState, json_response, ok_json, parse_body, require, with_db};
use crate::db::sql::{Sql, V, args};
use crate::{corpus, db};
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use countersign_core::{Budget, Role, Whoami};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;

/// `GET /v1/budgets`: the caps in force.
pub(super) async fn get_budgets(st: AppState) -> ApiResult {
    let items = with_db(&st.0, |c| Ok(db::load_budgets(c)?)).await?;
    ok_json(&json!({"items": items}))
}

/// The body of a budgets update: the whole new set.
#[derive(Deserialize)]
struct BudgetsBody {
    items: Vec<Budget>,
}

/// `PUT /v1/budgets` (finance): replaces the caps after checking each and the set.
pub(super) async fn put_budgets(
    st: AppState,
    Extension(who): Extension<Whoami>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Finance])?;
    let b: BudgetsBody = parse_body(&body)?;
    let mut seen = BTreeSet::new();
    for budget in &b.items {
        if let Err(why) = budget.validate() {
            return Err(unprocessable(
                "invalid-budget",
                "Invalid budget",
                &format!("budget {}: {why}", budget.budget_id),
            )
            .with("budget_id", json!(budget.budget_id)));
        }
        if !seen.insert(budget.budget_id.clone()) {
            return Err(unprocessable(
                "invalid-budget",
                "Invalid budget",
                &format!("budget {} appears twice", budget.budget_id),
            )
            .with("budget_id", json!(budget.budget_id)));
        }
    }
    if let Err(why) = countersign_core::budget::validate_set(&b.items) {
        return Err(unprocessable("invalid-budget", "Invalid budget set", &why));
    }
    let items = b.items;
    let saved = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        db::replace_budgets(&mut tx, &items)?;
        tx.commit()?;
        Ok(db::load_budgets(c)?)
    })
    .await?;
    ok_json(&json!({"items": saved}))
}

/// `GET /v1/sources`: the policy documents runs cite.
pub(super) async fn sources() -> ApiResult {
    ok_json(&json!({"items": corpus::sources()}))
}

/// The body of a simulate request.
#[derive(Deserialize)]
struct SimulateBody {
    runs: u64,
    /// Actions of these runs expire this many seconds from now (tests of expiry).
    #[serde(default)]
    expires_in_secs: Option<i64>,
    /// Put a look-alike region (Cyrillic "Е" in "EU") into these runs' actions.
    #[serde(default)]
    homoglyph_region: bool,
    /// State the refund amount's policy maximum in this currency (e.g. "USD").
    #[serde(default)]
    policy_max_currency: Option<String>,
}

/// `POST /v1/admin/simulate` (admin): generates live runs now.
pub(super) async fn simulate(
    st: AppState,
    Extension(who): Extension<Whoami>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Admin])?;
    let b: SimulateBody = parse_body(&body)?;
    if b.runs > 10_000 {
        return Err(unprocessable(
            "too-many",
            "Too many runs",
            "simulate at most 10000 runs at once",
        ));
    }
    let (seed, hostile) = (st.seed, st.hostile);
    let tweak = db::SimTweak {
        expires_in_secs: b.expires_in_secs,
        homoglyph_region: b.homoglyph_region,
        policy_max_currency: b.policy_max_currency,
    };
    let made = with_db(&st.0, move |c| {
        Ok(db::simulate_with(c, b.runs, seed, hostile, &tweak)?)
    })
    .await?;
    // Each write a read-only level refused, as the problem an agent would have been answered.
    let refused: Vec<serde_json::Value> = made
        .refused
        .iter()
        .map(|r| {
            super::autonomy::read_only_refusal(&r.workflow, r.level)
                .with("run_id", json!(r.run_id))
                .to_value()
        })
        .collect();
    ok_json(&json!({"created": made.ids, "refused": refused}))
}

/// `GET /v1/system/{table}` (admin): the refunds, CRM or tickets table.
pub(super) async fn system(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(table): Path<String>,
) -> ApiResult {
    require(&who, &[Role::Admin])?;
    // Each table as (query, names of its columns); the objects are built here so the SQL is
    // the same on both engines. Integer columns stay numbers.
    let (sql, names): (&str, &[&str]) = match table.as_str() {
        "refunds" => (
            "SELECT refund_id, action_id, order_id, amount_micros, currency, region, created_at FROM refunds ORDER BY created_at, refund_id",
            &[
                "refund_id",
                "action_id",
                "order_id",
                "amount_micros",
                "currency",
                "region",
                "created_at",
            ],
        ),
        "crm" => (
            "SELECT record_id, field, value, updated_at FROM crm_fields ORDER BY record_id, field",
            &["record_id", "field", "value", "updated_at"],
        ),
        "tickets" => (
            "SELECT ticket_id, status, updated_at FROM tickets ORDER BY ticket_id",
            &["ticket_id", "status", "updated_at"],
        ),
        _ => {
            return Err(problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                &format!("no system table {table}"),
            ));
        }
    };
    let rows = with_db(&st.0, move |c| {
        let mut out = Vec::new();
        for r in c.rows(sql, args![])? {
            let mut o = serde_json::Map::new();
            for (name, v) in names.iter().zip(r.0) {
                let v = match v {
                    V::Null => serde_json::Value::Null,
                    V::Int(n) => json!(n),
                    V::Text(t) => json!(t),
                };
                o.insert((*name).to_string(), v);
            }
            out.push(serde_json::Value::Object(o).to_string());
        }
        Ok(out)
    })
    .await?;
    Ok(json_response(format!("{{\"items\":[{}]}}", rows.join(","))))
}

/// The body of a key request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    /// The agent or person the key identifies.
    name: String,
    /// `ingest`, `reviewer`, `finance`, `operator` or `admin`.
    scope: String,
    /// The one tenant the key may report for (or see), if bound to one.
    #[serde(default)]
    tenant: Option<String>,
}

/// `POST /v1/admin/keys` (admin): a new key, shown once; only its SHA-256 is stored.
pub(super) async fn create_key(
    st: AppState,
    Extension(who): Extension<Whoami>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Admin])?;
    let b: KeyBody = parse_body(&body)?;
    let scope = crate::Scope::parse(&b.scope).ok_or_else(|| {
        super::problem::invalid_field(
            "scope",
            "must be ingest, reviewer, finance, operator or admin",
        )
    })?;
    super::agent::validate::text("name", &b.name, 100)?;
    super::agent::validate::optional_text("tenant", b.tenant.as_deref(), 200)?;
    let (key_id, key) = crate::new_key(scope);
    let (id, name, plain) = (key_id.clone(), b.name.trim().to_string(), key.clone());
    let tenant = b.tenant.clone();
    with_db(&st.0, move |c| {
        Ok(db::keys::insert(
            c,
            &id,
            &plain,
            &name,
            scope,
            tenant.as_deref(),
            chrono::Utc::now(),
        )?)
    })
    .await?;
    let mut resp = json_response(
        json!({"key_id": key_id, "key": key, "name": b.name.trim(), "scope": scope.as_str(),
               "tenant": b.tenant})
        .to_string(),
    );
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// `GET /v1/admin/keys` (admin): every key without its secret, revoked ones marked.
pub(super) async fn list_keys(st: AppState, Extension(who): Extension<Whoami>) -> ApiResult {
    require(&who, &[Role::Admin])?;
    let items = with_db(&st.0, |c| Ok(db::keys::list(c)?)).await?;
    ok_json(&json!({"items": items}))
}

/// `POST /v1/admin/keys/{key_id}/revoke` (admin): the key is refused from now on, by every
/// server on the database. Revoking a revoked key again answers when it was revoked.
pub(super) async fn revoke_key(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(key_id): Path<String>,
) -> ApiResult {
    require(&who, &[Role::Admin])?;
    let id = key_id.clone();
    let (out, hash) = with_db(&st.0, move |c| {
        Ok(db::keys::revoke(c, &id, chrono::Utc::now())?)
    })
    .await?;
    if let Some(h) = hash {
        st.0.key_cache.drop_key(&h);
    }
    match out {
        db::keys::Revoked::Now => {
            ok_json(&json!({"key_id": key_id, "revoked": true, "already": false}))
        }
        db::keys::Revoked::Already(at) => {
            ok_json(&json!({"key_id": key_id, "revoked": true, "already": true, "revoked_at": at}))
        }
        db::keys::Revoked::Unknown => Err(problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no key {key_id}"),
        )),
    }
}
