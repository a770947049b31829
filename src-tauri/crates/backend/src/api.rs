//! The `/v1` HTTP surface.

use crate::{Error, State, corpus, db, faults};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::{DateTime, Utc};
use countersign_core::{
    ActionStatus, Budget, Decision, DecisionKind, FieldKind, Micros, Outcome, PendingAction,
    RecordChange, Role, Run, Whoami,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

type AppState = axum::extract::State<Arc<State>>;

/// An `application/problem+json` error.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: String,
    detail: String,
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

/// Builds a problem; `kind` becomes the last segment of its `type` URI.
pub(crate) fn problem(
    status: StatusCode,
    kind: &'static str,
    title: &str,
    detail: &str,
) -> Problem {
    Problem {
        status,
        kind,
        title: title.into(),
        detail: detail.into(),
        extra: Map::new(),
        retry_after: None,
    }
}

impl Problem {
    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("https://countersign.dev/problems/{}", self.kind)),
        );
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("detail".into(), json!(self.detail));
        body.extend(self.extra);
        let mut resp = (self.status, Value::Object(body).to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        tracing::error!("backend error: {e}");
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            &e.to_string(),
        )
    }
}

impl From<rusqlite::Error> for Problem {
    fn from(e: rusqlite::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<serde_json::Error> for Problem {
    fn from(e: serde_json::Error) -> Self {
        Error::from(e).into()
    }
}

type ApiResult = Result<Response, Problem>;

fn json_response(text: String) -> Response {
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn ok_json(v: &Value) -> ApiResult {
    Ok(json_response(v.to_string()))
}

/// Runs `f` on the database off the async threads.
async fn with_db<T, F>(st: &Arc<State>, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, Problem> + Send + 'static,
{
    let st = st.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = st.db.lock().map_err(|_| {
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
                "database lock poisoned",
            )
        })?;
        f(&mut conn)
    })
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
        .route("/v1/runs", get(list_runs))
        .route("/v1/runs/{run_id}", get(get_run))
        .route("/v1/actions", get(list_actions))
        .route("/v1/actions/{action_id}", get(get_action))
        .route("/v1/actions/{action_id}/decision", post(decide))
        .route("/v1/actions/{action_id}/rollback", post(rollback))
        .route("/v1/budgets", get(get_budgets).put(put_budgets))
        .route("/v1/sources", get(sources))
        .route("/v1/admin/simulate", post(simulate))
        .route("/v1/system/{table}", get(system))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    authed
        .route("/v1/health", get(health))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .with_state(state)
}

async fn not_found() -> Problem {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such endpoint",
    )
}

async fn auth(axum::extract::State(st): AppState, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match token.and_then(|t| st.tokens.get(t)) {
        Some(who) => {
            req.extensions_mut().insert(who.clone());
            next.run(req).await
        }
        None => {
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
    }
}

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

async fn health() -> Response {
    json_response(json!({"status": "ok", "protocol": "v1"}).to_string())
}

async fn whoami(Extension(who): Extension<Whoami>) -> ApiResult {
    ok_json(&serde_json::to_value(who)?)
}

fn encode_cursor(seq: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

fn decode_cursor(c: &str) -> Result<i64, Problem> {
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
    let n: i64 = text
        .strip_prefix("seq:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)?;
    if n < 0 {
        return Err(bad());
    }
    Ok(n)
}

fn page_params(q: &HashMap<String, String>) -> Result<(i64, usize, Option<String>), Problem> {
    let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
    let after = match &cursor {
        Some(c) => decode_cursor(c)?,
        None => 0,
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

async fn list_runs(st: AppState, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    list_page(&st.0, "runs", q).await
}

async fn list_actions(st: AppState, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    list_page(&st.0, "actions", q).await
}

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

async fn get_run(st: AppState, Path(id): Path<String>) -> ApiResult {
    get_one(&st.0, "runs", id).await
}

async fn get_action(st: AppState, Path(id): Path<String>) -> ApiResult {
    get_one(&st.0, "actions", id).await
}

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

fn unprocessable(kind: &'static str, title: &str, detail: &str) -> Problem {
    problem(StatusCode::UNPROCESSABLE_ENTITY, kind, title, detail)
}

fn load_action(c: &Connection, id: &str) -> Result<PendingAction, Problem> {
    let j = db::get_json(c, "actions", id)?.ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no action {id}"),
        )
    })?;
    Ok(serde_json::from_str(&j)?)
}

fn load_run(c: &Connection, id: &str) -> Result<Option<Run>, Problem> {
    Ok(db::get_json(c, "runs", id)?.and_then(|j| serde_json::from_str(&j).ok()))
}

fn stored_response(
    c: &Connection,
    op: &str,
    id: &str,
    key: &str,
) -> Result<Option<Value>, Problem> {
    let r: Option<String> = c
        .query_row(
            "SELECT response FROM decisions WHERE op = ?1 AND action_id = ?2 AND idempotency_key = ?3",
            params![op, id, key],
            |r| r.get(0),
        )
        .optional()?;
    match r {
        Some(text) => {
            let mut v: Value = serde_json::from_str(&text)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("replayed".into(), json!(true));
            }
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

fn conflict(a: &PendingAction, detail: &str) -> Problem {
    problem(StatusCode::CONFLICT, "conflict", "Conflict", detail)
        .with("current_status", json!(a.status.as_str()))
}

fn validate_kind(kind: FieldKind, v: &str) -> Result<(), String> {
    let ok = match kind {
        FieldKind::Money => Micros::parse_usd(v).is_ok_and(|m| m.0 >= 0),
        FieldKind::Currency => v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()),
        FieldKind::Region => v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()),
        FieldKind::Identifier => !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()),
        FieldKind::Text => true,
        FieldKind::Bool => v == "true" || v == "false",
    };
    if ok {
        Ok(())
    } else {
        Err(match kind {
            FieldKind::Money => "must be an exact decimal amount >= 0 with at most 6 decimals",
            FieldKind::Currency => "must be 3 uppercase ASCII letters",
            FieldKind::Region => "must be 2 uppercase ASCII letters",
            FieldKind::Identifier => "must be non-empty printable ASCII without spaces",
            FieldKind::Bool => "must be true or false",
            FieldKind::Text => "",
        }
        .into())
    }
}

/// Checks the confirmed values; returns the values to execute, by field name.
fn confirmed_values(a: &PendingAction, d: &Decision) -> Result<HashMap<String, String>, Problem> {
    let mut out = HashMap::new();
    for f in &a.fields {
        let Some(v) = d.fields.get(&f.name) else {
            return Err(unprocessable(
                "missing-field",
                "Field not confirmed",
                &format!("field {} must be confirmed", f.name),
            )
            .with("field", json!(f.name)));
        };
        if *v != f.value {
            let mismatch = |why: &str| {
                unprocessable(
                    "field-mismatch",
                    "Confirmed value differs",
                    &format!("field {}: {why}", f.name),
                )
                .with("field", json!(f.name))
            };
            if d.decision == DecisionKind::Approve {
                return Err(mismatch(
                    "the confirmed value differs from the proposed value",
                ));
            }
            if !f.editable {
                return Err(mismatch("this field cannot be edited"));
            }
            validate_kind(f.kind, v).map_err(|why| {
                unprocessable(
                    "invalid-field",
                    "Invalid field value",
                    &format!("field {}: {why}", f.name),
                )
                .with("field", json!(f.name))
            })?;
        }
        out.insert(f.name.clone(), v.clone());
    }
    let known: BTreeSet<&str> = a.fields.iter().map(|f| f.name.as_str()).collect();
    if let Some(extra) = d.fields.keys().find(|k| !known.contains(k.as_str())) {
        return Err(unprocessable(
            "unknown-field",
            "Unknown field",
            &format!("the action has no field {extra}"),
        )
        .with("field", json!(extra)));
    }
    Ok(out)
}

fn proposed_str(a: &PendingAction, key: &str) -> String {
    a.proposed
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Executes the write against the system-of-record tables; returns the change made.
fn execute(
    c: &Connection,
    a: &PendingAction,
    vals: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<RecordChange, Problem> {
    let get = |k: &str| vals.get(k).cloned().unwrap_or_else(|| proposed_str(a, k));
    let (system, record_id, field, before, after) = match a.kind.as_str() {
        "issue_refund" => {
            let order = get("order_id");
            let amount_text = get("amount");
            let amount = Micros::parse_usd(&amount_text).map_err(|e| {
                unprocessable(
                    "invalid-field",
                    "Invalid field value",
                    &format!("field amount: {e}"),
                )
                .with("field", json!("amount"))
            })?;
            let currency = get("currency");
            c.execute(
                "INSERT INTO refunds(refund_id, action_id, order_id, amount_micros, currency, region, created_at)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![format!("rf_{}", a.action_id), a.action_id, order, amount.0, currency, get("region"), now.to_rfc3339()],
            )?;
            (
                "billing",
                order,
                "refund".to_string(),
                Value::Null,
                json!({"amount": amount_text, "currency": currency}),
            )
        }
        "update_crm_field" => {
            let record = get("record_id");
            let field = get("field");
            let value = get("value");
            let current: Option<String> = c
                .query_row(
                    "SELECT value FROM crm_fields WHERE record_id = ?1 AND field = ?2",
                    params![record, field],
                    |r| r.get(0),
                )
                .optional()?;
            let before = current.or_else(|| {
                a.fields
                    .iter()
                    .find(|f| f.name == "value")
                    .and_then(|f| f.current.clone())
            });
            c.execute(
                "INSERT INTO crm_fields(record_id, field, value, updated_at) VALUES(?1, ?2, ?3, ?4)
                 ON CONFLICT(record_id, field) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![record, field, value, now.to_rfc3339()],
            )?;
            (
                "crm",
                record,
                field,
                before.map(Value::String).unwrap_or(Value::Null),
                json!(value),
            )
        }
        other => {
            return Err(problem(
                StatusCode::CONFLICT,
                "unsupported",
                "Unsupported action",
                &format!("this backend cannot execute {other}"),
            ));
        }
    };
    c.execute(
        "INSERT INTO executions(action_id, system, record_id, field, before, after) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        params![a.action_id, system, record_id, field, before.to_string(), after.to_string()],
    )?;
    Ok(RecordChange {
        system: system.into(),
        record_id,
        field,
        before,
        after,
        action_id: Some(a.action_id.clone()),
    })
}

async fn decide(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Reviewer])?;
    let d: Decision = parse_body(&body)?;
    if d.idempotency_key.trim().is_empty() {
        return Err(unprocessable(
            "missing-idempotency-key",
            "Idempotency key required",
            "idempotency_key must not be empty",
        ));
    }
    let v = with_db(&st.0, move |c| decide_tx(c, &who, &id, &d)).await?;
    ok_json(&v)
}

fn decide_tx(c: &mut Connection, who: &Whoami, id: &str, d: &Decision) -> Result<Value, Problem> {
    let now = Utc::now();
    let tx = c.transaction()?;
    if let Some(v) = stored_response(&tx, "decision", id, &d.idempotency_key)? {
        return Ok(v);
    }
    let mut a = load_action(&tx, id)?;
    if a.status == ActionStatus::Pending && now >= a.expires_at {
        a.status = ActionStatus::Expired;
        a.revision += 1;
        a.updated_at = now;
        db::save_action(&tx, &a)?;
        db::expire_run_of(&tx, &a, now)?;
        tx.commit()?;
        return Err(problem(
            StatusCode::CONFLICT,
            "expired",
            "Action expired",
            &format!("action {id} expired at {}", a.expires_at.to_rfc3339()),
        )
        .with("current_status", json!("expired")));
    }
    if !a.status.is_decidable() {
        return Err(conflict(
            &a,
            &format!("action {id} is already {}", a.status.as_str()),
        ));
    }
    if let Some(role) = a.escalated_to
        && !who.has(role)
    {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "escalated",
            "Escalated to another role",
            &format!(
                "action {id} was escalated to {role:?}; only that role or an admin may decide it"
            ),
        ));
    }
    let mut run = load_run(&tx, &a.run_id)?;
    let executed = match d.decision {
        DecisionKind::Escalate => {
            let reason = d.reason.as_deref().map(str::trim).unwrap_or_default();
            let Some(role) = d.escalate_to.filter(|_| !reason.is_empty()) else {
                return Err(unprocessable(
                    "escalation-incomplete",
                    "Escalation incomplete",
                    "an escalation needs a non-empty reason and the role to escalate to",
                ));
            };
            a.escalated_to = Some(role);
            if let Some(r) = run.as_mut() {
                r.decision = format!("escalated_to_{}", format!("{role:?}").to_lowercase());
            }
            false
        }
        DecisionKind::Deny => {
            let reason = d.reason.as_deref().map(str::trim).unwrap_or_default();
            if reason.is_empty() {
                return Err(unprocessable(
                    "reason-required",
                    "Reason required",
                    "a denial needs a non-empty reason",
                ));
            }
            a.status = ActionStatus::Denied;
            if let Some(r) = run.as_mut() {
                r.outcome = Outcome::Denied;
                r.changes.retain(|ch| ch.action_id.as_deref() != Some(id));
            }
            false
        }
        DecisionKind::Approve | DecisionKind::ApproveWithEdits => {
            let vals = confirmed_values(&a, d)?;
            let change = execute(&tx, &a, &vals, now)?;
            a.status = ActionStatus::Executed;
            if let Some(r) = run.as_mut() {
                r.outcome = Outcome::Success;
                r.decision = "approved_and_executed".into();
                r.changes.retain(|ch| ch.action_id.as_deref() != Some(id));
                r.changes.push(change);
            }
            true
        }
    };
    a.revision += 1;
    let decided = a.status != ActionStatus::Pending;
    if decided {
        a.decided_by = Some(who.subject.clone());
        a.decided_at = Some(now);
    }
    a.updated_at = now;
    db::save_action(&tx, &a)?;
    if let Some(mut r) = run {
        r.revision += 1;
        if decided {
            r.ended_at = Some(now.max(r.started_at));
        }
        r.updated_at = now;
        db::save_run(&tx, &r)?;
    }
    let resp = json!({"action": a, "executed": executed, "replayed": false});
    tx.execute(
        "INSERT INTO decisions(op, action_id, idempotency_key, response, reason, decided_at) VALUES('decision', ?1, ?2, ?3, ?4, ?5)",
        params![id, d.idempotency_key, resp.to_string(), d.reason, now.to_rfc3339()],
    )?;
    tx.commit()?;
    Ok(resp)
}

#[derive(Deserialize)]
struct RollbackBody {
    idempotency_key: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn rollback(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require(&who, &[Role::Reviewer])?;
    let b: RollbackBody = parse_body(&body)?;
    if b.idempotency_key.trim().is_empty() {
        return Err(unprocessable(
            "missing-idempotency-key",
            "Idempotency key required",
            "idempotency_key must not be empty",
        ));
    }
    let v = with_db(&st.0, move |c| rollback_tx(c, &id, &b)).await?;
    ok_json(&v)
}

fn rollback_tx(c: &mut Connection, id: &str, b: &RollbackBody) -> Result<Value, Problem> {
    let now = Utc::now();
    let tx = c.transaction()?;
    if let Some(v) = stored_response(&tx, "rollback", id, &b.idempotency_key)? {
        return Ok(v);
    }
    let mut a = load_action(&tx, id)?;
    if a.status != ActionStatus::Executed {
        return Err(conflict(
            &a,
            &format!("action {id} is {}, not executed", a.status.as_str()),
        ));
    }
    if !a.rollback_supported {
        return Err(conflict(&a, &format!("action {id} cannot be rolled back")));
    }
    let (system, record_id, field, before, after): (String, String, String, String, String) = tx
        .query_row(
            "SELECT system, record_id, field, before, after FROM executions WHERE action_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .ok_or_else(|| conflict(&a, "no execution record to undo"))?;
    let before: Value = serde_json::from_str(&before)?;
    let after: Value = serde_json::from_str(&after)?;
    match system.as_str() {
        "billing" => {
            tx.execute("DELETE FROM refunds WHERE action_id = ?1", [id])?;
        }
        "crm" => match before.as_str() {
            Some(v) => {
                tx.execute(
                    "UPDATE crm_fields SET value = ?3, updated_at = ?4 WHERE record_id = ?1 AND field = ?2",
                    params![record_id, field, v, now.to_rfc3339()],
                )?;
            }
            None => {
                tx.execute(
                    "DELETE FROM crm_fields WHERE record_id = ?1 AND field = ?2",
                    params![record_id, field],
                )?;
            }
        },
        _ => return Err(conflict(&a, "rollback unsupported for this system")),
    }
    a.status = ActionStatus::RolledBack;
    a.revision += 1;
    a.updated_at = now;
    db::save_action(&tx, &a)?;
    if let Some(mut r) = load_run(&tx, &a.run_id)? {
        r.revision += 1;
        r.updated_at = now;
        r.changes.push(RecordChange {
            system,
            record_id,
            field,
            before: after,
            after: before,
            action_id: Some(id.to_string()),
        });
        db::save_run(&tx, &r)?;
    }
    let resp = json!({"action": a, "replayed": false});
    tx.execute(
        "INSERT INTO decisions(op, action_id, idempotency_key, response, reason, decided_at) VALUES('rollback', ?1, ?2, ?3, ?4, ?5)",
        params![id, b.idempotency_key, resp.to_string(), b.reason, now.to_rfc3339()],
    )?;
    tx.commit()?;
    Ok(resp)
}

async fn get_budgets(st: AppState) -> ApiResult {
    let items = with_db(&st.0, |c| Ok(db::load_budgets(c)?)).await?;
    ok_json(&json!({"items": items}))
}

#[derive(Deserialize)]
struct BudgetsBody {
    items: Vec<Budget>,
}

async fn put_budgets(st: AppState, Extension(who): Extension<Whoami>, body: Bytes) -> ApiResult {
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
        let tx = c.transaction()?;
        db::replace_budgets(&tx, &items)?;
        tx.commit()?;
        Ok(db::load_budgets(c)?)
    })
    .await?;
    ok_json(&json!({"items": saved}))
}

async fn sources() -> ApiResult {
    ok_json(&json!({"items": corpus::sources()}))
}

#[derive(Deserialize)]
struct SimulateBody {
    runs: u64,
    /// Actions of these runs expire this many seconds from now (tests of expiry).
    #[serde(default)]
    expires_in_secs: Option<i64>,
    /// Put a look-alike region (Cyrillic "Е" in "EU") into these runs' actions.
    #[serde(default)]
    homoglyph_region: bool,
}

async fn simulate(st: AppState, Extension(who): Extension<Whoami>, body: Bytes) -> ApiResult {
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
    };
    let created = with_db(&st.0, move |c| {
        Ok(db::simulate_with(c, b.runs, seed, hostile, &tweak)?)
    })
    .await?;
    ok_json(&json!({"created": created}))
}

async fn system(
    st: AppState,
    Extension(who): Extension<Whoami>,
    Path(table): Path<String>,
) -> ApiResult {
    require(&who, &[Role::Admin])?;
    let sql = match table.as_str() {
        "refunds" => {
            "SELECT json_object('refund_id', refund_id, 'action_id', action_id, 'order_id', order_id, 'amount_micros', amount_micros, 'currency', currency, 'region', region, 'created_at', created_at) FROM refunds ORDER BY created_at, refund_id"
        }
        "crm" => {
            "SELECT json_object('record_id', record_id, 'field', field, 'value', value, 'updated_at', updated_at) FROM crm_fields ORDER BY record_id, field"
        }
        "tickets" => {
            "SELECT json_object('ticket_id', ticket_id, 'status', status, 'updated_at', updated_at) FROM tickets ORDER BY ticket_id"
        }
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
        let mut stmt = c.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    })
    .await?;
    Ok(json_response(format!("{{\"items\":[{}]}}", rows.join(","))))
}
