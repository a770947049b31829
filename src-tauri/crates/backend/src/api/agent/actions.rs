//! Agents' pending high-risk writes: posted under an idempotency key (the same key and body
//! give the same action, another body is a 409), reviewed in the console like the seeded
//! ones, waited on by long-poll or webhook, and executed by the agent, which reports the result
//! once.

use super::long_poll::{WaitQuery, long_poll};
use super::validate::{self, canonical, identifier, text, unit_interval};
use super::{Agent, AgentResult, AppState, body_json};
use crate::api::problem::{Problem, invalid_field, problem};
use crate::api::with_db;
use crate::db::agent::{self as store, ActionWrite, AgentAction, NewAction};
use crate::db::pg::CHANNEL;
use crate::db::sql::{Conn, Engine, Sql, args};
use crate::db::{self, get_json};
use crate::{State, random_token, webhook};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use countersign_core::action::FieldRule;
use countersign_core::autonomy::treatment;
use countersign_core::{
    ActionStatus, AutonomyLevel, AutonomySetting, DecisionKind, PendingAction, PolicyCheck,
    ReviewField, RiskLevel, TargetRecord, WriteTreatment,
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// How an agent would undo the write, as it describes it.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Rollback {
    /// Whether the write can be undone at all.
    supported: bool,
    /// What undoing it means, for the reviewer.
    #[serde(default)]
    description: String,
    /// The inverse write, as the agent would run it.
    #[serde(default)]
    inverse: Value,
}

/// The body of `POST /v1/actions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    idempotency_key: String,
    run_id: String,
    #[serde(default)]
    tenant: String,
    kind: String,
    title: String,
    target: TargetRecord,
    risk: RiskLevel,
    fields: Vec<ReviewField>,
    #[serde(default)]
    proposed: Value,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    policy_checks: Vec<PolicyCheck>,
    #[serde(default)]
    deny_reasons: Vec<String>,
    #[serde(default)]
    escalate_to: Option<String>,
    #[serde(default)]
    field_rules: BTreeMap<String, FieldRule>,
    #[serde(default)]
    allowed_decisions: Vec<DecisionKind>,
    /// Seconds from now until the decision deadline (default 900).
    #[serde(default)]
    expires_in_secs: Option<i64>,
    /// The decision deadline (instead of `expires_in_secs`).
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    rollback: Option<Rollback>,
    /// The workflow the write belongs to, when its run is not reported (yet); a reported run's
    /// workflow is used otherwise. Its autonomy level decides what becomes of the write.
    #[serde(default)]
    workflow: Option<String>,
    /// Where to POST the decision (unsigned; prefer `webhook_id`).
    #[serde(default)]
    webhook_url: Option<String>,
    /// A webhook the agent registered (`POST /v1/webhooks`): the decision is POSTed there,
    /// signed with its secret.
    #[serde(default)]
    webhook_id: Option<String>,
}

/// Longest and shortest decision windows an agent may ask for.
const MAX_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// Checks an action request; builds the pending action it asks for.
fn check(req: &ActionRequest, now: DateTime<Utc>) -> Result<PendingAction, Problem> {
    identifier("idempotency_key", &req.idempotency_key)?;
    identifier("run_id", &req.run_id)?;
    identifier("kind", &req.kind)?;
    text("title", &req.title, validate::MAX_ID)?;
    identifier("target.system", &req.target.system)?;
    identifier("target.record_id", &req.target.record_id)?;
    if !req.tenant.is_empty() {
        text("tenant", &req.tenant, validate::MAX_ID)?;
    }
    if let Some(w) = &req.workflow {
        identifier("workflow", w)?;
    }
    unit_interval("confidence", req.confidence)?;
    if req.fields.is_empty() || req.fields.len() > 50 {
        return Err(invalid_field("fields", "an action has 1-50 review fields"));
    }
    let mut names = BTreeSet::new();
    for (i, f) in req.fields.iter().enumerate() {
        identifier(&format!("fields[{i}].name"), &f.name)?;
        text(&format!("fields[{i}].label"), &f.label, validate::MAX_ID)?;
        if !names.insert(f.name.as_str()) {
            return Err(invalid_field(&format!("fields[{i}].name"), "appears twice"));
        }
        f.kind
            .check(&f.value)
            .map_err(|why| invalid_field(&format!("fields[{i}].value"), why))?;
    }
    if let Some(name) = req.field_rules.keys().find(|k| !names.contains(k.as_str())) {
        return Err(invalid_field(
            &format!("field_rules.{name}"),
            "names no field of the action",
        ));
    }
    for (name, rule) in &req.field_rules {
        rule.policy_max()
            .map_err(|why| invalid_field(&format!("field_rules.{name}.max"), &why))?;
    }
    if req.deny_reasons.len() > 20 {
        return Err(invalid_field("deny_reasons", "more than 20 reasons"));
    }
    for (i, r) in req.deny_reasons.iter().enumerate() {
        text(&format!("deny_reasons[{i}]"), r, validate::MAX_ID)?;
    }
    let expires_at = match (req.expires_in_secs, req.expires_at) {
        (Some(_), Some(_)) => {
            return Err(invalid_field(
                "expires_at",
                "give expires_at or expires_in_secs, not both",
            ));
        }
        (Some(s), None) => {
            if !(1..=MAX_WINDOW_SECS).contains(&s) {
                return Err(invalid_field(
                    "expires_in_secs",
                    &format!("must be 1-{MAX_WINDOW_SECS} seconds"),
                ));
            }
            now + Duration::seconds(s)
        }
        (None, Some(t)) => {
            if t <= now || t > now + Duration::seconds(MAX_WINDOW_SECS) {
                return Err(invalid_field("expires_at", "must be in the next 7 days"));
            }
            t
        }
        (None, None) => now + Duration::seconds(900),
    };
    if let Some(url) = &req.webhook_url {
        webhook::check_url(url).map_err(|why| invalid_field("webhook_url", &why))?;
    }
    if let Some(id) = &req.webhook_id {
        identifier("webhook_id", id)?;
        if req.webhook_url.is_some() {
            return Err(invalid_field(
                "webhook_id",
                "give webhook_id or webhook_url, not both",
            ));
        }
    }
    if let Some(r) = &req.rollback
        && r.description.len() > validate::MAX_STRING
    {
        return Err(invalid_field("rollback.description", "too long"));
    }
    Ok(PendingAction {
        action_id: random_token("act"),
        revision: 1,
        run_id: req.run_id.clone(),
        tenant: req.tenant.clone(),
        kind: req.kind.clone(),
        title: req.title.clone(),
        target: req.target.clone(),
        risk: req.risk,
        fields: req.fields.clone(),
        proposed: req.proposed.clone(),
        rationale: req.rationale.clone(),
        confidence: req.confidence,
        policy_checks: req.policy_checks.clone(),
        deny_reasons: req.deny_reasons.clone(),
        escalate_to: req.escalate_to.clone(),
        // The agent executes the write, so only the agent can undo it: when it says it can,
        // the console offers a rollback, which the agent performs and confirms.
        rollback_supported: req.rollback.as_ref().is_some_and(|r| r.supported),
        escalated_to: None,
        field_rules: req.field_rules.clone(),
        allowed_decisions: req.allowed_decisions.clone(),
        status: ActionStatus::Pending,
        requested_at: now,
        expires_at,
        decided_by: None,
        decided_at: None,
        updated_at: now,
        batch: None,
        opaque_payload: false,
    })
}

/// What posting an action came to.
enum Posted {
    /// Stored (new, replayed or refused for a reused key), with the action as stored.
    Written(
        ActionWrite,
        Option<String>,
        Box<PendingAction>,
        WriteTreatment,
    ),
    /// Refused by the workflow's read-only level.
    Refused(String, AutonomyLevel),
}

/// Applies the autonomy level of the action's workflow: read-only refuses (counted), draft
/// records it as a draft, a write the level lets through is approved at once by the level
/// (the agent executes it; its undo descriptor is kept), otherwise it waits for review.
fn apply_level(
    c: &mut dyn Sql,
    req: &ActionRequest,
    a: &mut PendingAction,
    now: DateTime<Utc>,
) -> Result<(WriteTreatment, Option<String>, AutonomySetting), Problem> {
    let workflow = match db::autonomy::workflow_of_run(c, &a.run_id)? {
        Some(w) => Some(w),
        None => req.workflow.clone(),
    };
    let setting = match &workflow {
        Some(w) => db::autonomy::get(c, w)?.setting(),
        None => AutonomySetting::default(),
    };
    let reversible = req.rollback.as_ref().is_some_and(|r| r.supported);
    let t = treatment(&setting, &crate::autonomy::facts(a, reversible));
    match t {
        WriteTreatment::Draft => a.status = ActionStatus::Draft,
        WriteTreatment::Execute => {
            a.status = ActionStatus::Approved;
            a.decided_by = Some(crate::autonomy::decider(&setting));
            a.decided_at = Some(now);
        }
        WriteTreatment::Review | WriteTreatment::Refuse => {}
    }
    Ok((t, workflow, setting))
}

/// `POST /v1/actions` (agents).
pub(super) async fn post(
    st: AppState,
    Extension(agent): Extension<Agent>,
    body: Bytes,
) -> AgentResult {
    let v = body_json(&body)?;
    let hash = hex::encode(Sha256::digest(canonical(&v).as_bytes()));
    let req: ActionRequest = validate::record(v)?;
    let now = Utc::now();
    let mut a = check(&req, now)?;
    a.tenant = agent.tenant_for(&req.tenant, "tenant")?;
    let name = agent.name.clone();
    let rollback = req.rollback.as_ref().map(|r| json!(r));
    let posted = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        if let Some(id) = &req.webhook_id
            && crate::db::webhooks::get(&mut tx, &name, id)?.is_none()
        {
            return Err(invalid_field(
                "webhook_id",
                "names no webhook this agent registered",
            ));
        }
        let (t, workflow, setting) = apply_level(&mut tx, &req, &mut a, now)?;
        if t == WriteTreatment::Refuse {
            let used = tx.text(
                "SELECT action_id FROM agent_actions WHERE agent = ?1 AND idempotency_key = ?2",
                args![name, req.idempotency_key],
            )?;
            if used.is_none() {
                let w = workflow.unwrap_or_default();
                db::autonomy::count_refused(&mut tx, &w, now)?;
                tx.commit()?;
                return Ok(Posted::Refused(w, setting.level));
            }
        }
        let w = store::write_action(
            &mut tx,
            &NewAction {
                action: &a,
                agent: &name,
                idempotency_key: &req.idempotency_key,
                request_hash: &hash,
                webhook_url: req.webhook_url.as_deref(),
                webhook_id: req.webhook_id.as_deref(),
                rollback: rollback.as_ref(),
            },
        )?;
        let stored = match &w {
            ActionWrite::Replayed(id) => get_json(&mut tx, "actions", id)?,
            ActionWrite::Created if t == WriteTreatment::Execute => {
                let fields: BTreeMap<String, String> = a
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), f.value.clone()))
                    .collect();
                store::set_approved_fields(&mut tx, &a.action_id, &fields)?;
                None
            }
            _ => None,
        };
        tx.commit()?;
        Ok(Posted::Written(w, stored, Box::new(a), t))
    })
    .await?;
    let (write, stored, action, t) = match posted {
        Posted::Refused(w, level) => {
            return Err(crate::api::autonomy::read_only_refusal(&w, level));
        }
        Posted::Written(w, stored, a, t) => (w, stored, *a, t),
    };
    match write {
        ActionWrite::Created => {
            if action.status == ActionStatus::Pending {
                schedule_expiry(&st.0, &action);
            }
            Ok((
                StatusCode::CREATED,
                axum::Json(json!({"action": action, "replayed": false, "autonomy": t})),
            )
                .into_response())
        }
        ActionWrite::Replayed(_) => {
            let stored: Value = stored
                .map(|j| serde_json::from_str(&j))
                .transpose()?
                .unwrap_or(Value::Null);
            Ok(axum::Json(json!({"action": stored, "replayed": true})).into_response())
        }
        ActionWrite::KeyReused(id) => Err(problem(
            StatusCode::CONFLICT,
            "idempotency-key-reused",
            "Idempotency key reused",
            &format!("this idempotency key already created action {id} with a different body"),
        )
        .with("action_id", json!(id))
        .with("field", json!("idempotency_key"))),
    }
}

/// Wakes waiters (and the webhook) when a still-pending action's deadline passes: the timer
/// ends the wait at the deadline, the database decides whether it expired.
fn schedule_expiry(st: &Arc<State>, a: &PendingAction) {
    let st = st.clone();
    let id = a.action_id.clone();
    let wait = (a.expires_at - Utc::now()).to_std().unwrap_or_default();
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let expired = with_db(&st, |c| Ok(db::expire_due(c, Utc::now())?)).await;
        if expired.is_ok() {
            announce(&st, &id).await;
        }
    });
}

/// Tells the agent of a change of action `id`: wakes its long-polls (on PostgreSQL those of
/// every server process, by `NOTIFY`) and, once the action is decided, owes its webhook the
/// decision (kept in the database; the delivery worker sends it).
pub(crate) async fn announce(st: &Arc<State>, id: &str) {
    st.wakeups.wake(id);
    let key = id.to_string();
    let owed = with_db(st, move |c| {
        if c.engine() == Engine::Postgres {
            c.rows("SELECT pg_notify(?1, ?2)", args![CHANNEL, key])?;
        }
        owe_delivery(c, &key)
    })
    .await;
    if matches!(owed, Ok(true)) {
        st.webhooks.poke();
    }
}

/// Owes the webhook of action `id` its decision, when the action has a webhook and is decided
/// (approved, denied or expired); whether a delivery was newly owed. Owing twice is harmless:
/// one delivery per action and decision.
fn owe_delivery(c: &mut Conn<'_>, id: &str) -> Result<bool, Problem> {
    let Some(row) = store::agent_action(c, id)? else {
        return Ok(false);
    };
    let url = match (&row.webhook_id, &row.webhook_url) {
        (Some(w), _) => match crate::db::webhooks::get(c, &row.agent, w)? {
            Some(hook) => hook.url,
            None => return Ok(false),
        },
        (None, Some(u)) => u.clone(),
        (None, None) => return Ok(false),
    };
    let Some(v) = read_view(c, id, &row)? else {
        return Ok(false);
    };
    let status = v["status"].as_str().unwrap_or_default().to_string();
    if !matches!(status.as_str(), "approved" | "denied" | "expired") {
        return Ok(false);
    }
    let d = crate::db::webhooks::Delivery {
        delivery_id: random_token("dlv"),
        webhook_id: row.webhook_id.clone(),
        url,
        action_id: id.to_string(),
        event: format!("decision.{status}"),
        body: v.to_string(),
        attempts: 0,
    };
    Ok(crate::db::webhooks::enqueue(c, &d, Utc::now())?)
}

/// Owes the deliveries nobody owed yet: actions whose deadline passed with no server left to
/// notice, and decisions a server stopped before owing (run by the delivery worker's sweep).
pub(crate) async fn owe_missing(st: &Arc<State>) {
    let owed = with_db(st, |c| {
        db::expire_due(c, Utc::now())?;
        let mut n = 0;
        for id in crate::db::webhooks::undelivered_decisions(c, 100)? {
            if owe_delivery(c, &id)? {
                n += 1;
            }
        }
        Ok(n)
    })
    .await;
    match owed {
        Ok(n) if n > 0 => st.webhooks.poke(),
        Ok(_) => {}
        Err(p) => tracing::warn!("webhook sweep: {}", p.to_value()),
    }
}

/// What an agent learns of its action: status, and once decided who decided, the reason, and
/// for an approval the values to execute (with the names the reviewer edited).
fn view(a: &PendingAction, row: &AgentAction, reason: Option<String>) -> Value {
    let mut v = json!({
        "action_id": a.action_id,
        "status": a.status.as_str(),
        "decided": a.status != ActionStatus::Pending,
        "expires_at": a.expires_at,
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(role) = a.escalated_to {
            o.insert("escalated_to".into(), json!(role));
        }
        if let Some(by) = &a.decided_by {
            o.insert("decided_by".into(), json!(by));
        }
        if let Some(at) = a.decided_at {
            o.insert("decided_at".into(), json!(at));
        }
        if let Some(r) = reason {
            o.insert("reason".into(), json!(r));
        }
        if let Some(fields) = &row.approved_fields {
            let edited: Vec<&String> = a
                .fields
                .iter()
                .filter(|f| fields.get(&f.name).is_some_and(|v| *v != f.value))
                .map(|f| &f.name)
                .collect();
            o.insert("fields".into(), json!(fields));
            o.insert("edited".into(), json!(edited));
        }
        if let Some(r) = &row.result {
            o.insert("result".into(), r.clone());
        }
    }
    v
}

/// The agent's view of action `id` (due actions expired first), when it is an agent's action.
fn read_view(c: &mut Conn<'_>, id: &str, row: &AgentAction) -> Result<Option<Value>, Problem> {
    db::expire_due(c, Utc::now())?;
    let Some(j) = get_json(c, "actions", id)? else {
        return Ok(None);
    };
    let a: PendingAction = serde_json::from_str(&j)?;
    let reason = store::decision_reason(c, id)?;
    Ok(Some(view(&a, row, reason)))
}

/// The action `id` if `agent` may see it (its own, or any for an admin), else 404.
pub(super) fn owned(c: &mut dyn Sql, agent: &Agent, id: &str) -> Result<AgentAction, Problem> {
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            &format!("no action {id} of this agent"),
        )
    };
    let row = store::agent_action(c, id)?.ok_or_else(not_found)?;
    if row.agent != agent.name && !agent.admin {
        return Err(not_found());
    }
    Ok(row)
}

/// `GET /v1/actions/{action_id}/decision?wait=N` (agents): the decision, answered at once when
/// there is one; otherwise held until a decision, the deadline or `wait` seconds, whichever
/// comes first.
pub(super) async fn wait_decision(
    st: AppState,
    Extension(agent): Extension<Agent>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> AgentResult {
    let read = || {
        let (a, key, state) = (agent.clone(), id.clone(), st.0.clone());
        async move {
            with_db(&state, move |c| {
                let row = owned(c, &a, &key)?;
                read_view(c, &key, &row)
            })
            .await?
            .ok_or_else(|| {
                problem(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "Not found",
                    "no such action",
                )
            })
        }
    };
    // A pending action is read again when it expires, without a wake-up.
    let expiry = |v: &Value, now: tokio::time::Instant| {
        v["expires_at"]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .map(|t| now + (t - Utc::now()).to_std().unwrap_or_default())
    };
    long_poll(&st, &id, &q, read, |v| v["status"] != "pending", expiry).await
}

/// The body of an agent's report on what it did: `POST /v1/actions/{action_id}/result` and
/// `POST /v1/actions/{action_id}/rolled-back`.
#[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct OutcomeBody {
    /// `executed` or `failed` (a result); `rolled_back` or `failed` (a rollback).
    pub(super) status: String,
    /// What the agent did (the record's new state, an id of the system of record).
    #[serde(default)]
    pub(super) detail: Value,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

/// `POST /v1/actions/{action_id}/result` (agents): the execution result of an approved action,
/// reported once. The same report again is answered as before; another report is a 409.
pub(super) async fn post_result(
    st: AppState,
    Extension(agent): Extension<Agent>,
    Path(id): Path<String>,
    body: Bytes,
) -> AgentResult {
    let b: OutcomeBody = validate::record(body_json(&body)?)?;
    let status = match b.status.as_str() {
        "executed" => ActionStatus::Executed,
        "failed" => ActionStatus::Failed,
        _ => return Err(invalid_field("status", "must be executed or failed")),
    };
    validate::optional_text("error", b.error.as_deref(), validate::MAX_STRING)?;
    let result = json!(b);
    let key = id.clone();
    let (v, replayed) = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        // Locked first: two reports of one action (on two server processes too) take turns.
        let j = db::get_json_for_update(&mut tx, "actions", &key)?.unwrap_or_default();
        let row = owned(&mut tx, &agent, &key)?;
        let mut a: PendingAction = serde_json::from_str(&j)?;
        if let Some(earlier) = &row.result {
            if *earlier == result {
                return Ok((json!({"action": a, "replayed": true}), true));
            }
            return Err(problem(
                StatusCode::CONFLICT,
                "result-reported",
                "Result already reported",
                &format!("action {key} was already reported {}", a.status.as_str()),
            )
            .with("current_status", json!(a.status.as_str())));
        }
        if a.status != ActionStatus::Approved {
            return Err(problem(
                StatusCode::CONFLICT,
                "not-approved",
                "Action not approved",
                &format!(
                    "action {key} is {}; only an approved action is executed",
                    a.status.as_str()
                ),
            )
            .with("current_status", json!(a.status.as_str())));
        }
        let now = Utc::now();
        a.status = status;
        a.revision += 1;
        a.updated_at = now;
        store::set_result(&mut tx, &a, &result)?;
        tx.commit()?;
        Ok((json!({"action": a, "replayed": false}), false))
    })
    .await?;
    if !replayed {
        st.0.wakeups.wake(&id);
    }
    Ok(axum::Json(v).into_response())
}
