//! Pure mapping between LangGraph's shapes and Countersign's: an Agent Inbox interrupt becomes
//! a [`PendingAction`], a thread and its history become a [`Run`], a reviewer's [`Decision`]
//! becomes the Agent Inbox response a resume carries. No I/O.
//!
//! # Decisions
//!
//! | interrupt `config` | console decision | resume value (`[HumanResponse]`) |
//! | --- | --- | --- |
//! | `allow_accept` | Approve | `{"type": "accept", "args": null}` |
//! | `allow_edit` | Approve with edits | `{"type": "edit", "args": {"action", "args": proposed args with the edits}}` |
//! | `allow_respond` | Deny (reason required) | `{"type": "response", "args": reason}` |
//! | `allow_ignore` (without `allow_respond`) | Deny (reason kept in the console's audit) | `{"type": "ignore", "args": null}` |
//! | any of the above | Escalate | nothing is resumed: the action stays pending for the role |
//!
//! Escalation is the console's own hand-over between reviewers, so it is offered whenever the
//! interrupt allows any answer. An interrupt that allows none offers only escalation (an empty
//! list would mean "everything" to the review rules).
//!
//! # Status of an interrupt that is no longer pending
//!
//! The run whose `command.resume` answered it (the first resume run after the interrupt was
//! raised that names its id, or an unkeyed one) says what happened: accept/edit → executed
//! (approved while that run is still going, failed when it ended in error), response/ignore →
//! denied. `decided_by` names the console reviewer when the run carries the console's
//! idempotency key, otherwise says it was decided outside the console. When no such run can be
//! found (the thread's state was edited directly, or its runs were deleted), the action is
//! marked expired with `decided_by` saying so: it is no longer decidable and the console does
//! not pretend to know the outcome.

use crate::config::LangGraphConfig;
use crate::wire::{HistoryState, META_ACTOR, RunInfo, Thread};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{
    ActionStatus, ConfirmMode, Decision, DecisionKind, FieldKind, Micros, Outcome, PendingAction,
    ReviewField, RiskLevel, Run, TargetRecord, TokenUsage, ToolCall,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// `decided_by` of an action answered by a resume that did not come from a console.
pub const DECIDED_OUTSIDE: &str = "outside the console (LangGraph)";
/// `decided_by` of an action whose interrupt disappeared without any resume run.
pub const GONE_WITHOUT_RESUME: &str = "outside the console (no resume found)";

/// The console's action id for an interrupt of a thread: stable for the pair.
pub fn action_id(thread_id: &str, interrupt_id: &str) -> String {
    format!("{thread_id}:{interrupt_id}")
}

/// Splits an action id back into (thread id, interrupt id).
pub fn split_action_id(action_id: &str) -> Option<(&str, &str)> {
    action_id
        .rsplit_once(':')
        .filter(|(t, i)| !t.is_empty() && !i.is_empty())
}

/// An Agent Inbox request (`HumanInterrupt`) read from an interrupt value.
#[derive(Clone, Debug, PartialEq)]
pub struct InboxRequest {
    /// `action_request.action`.
    pub action: String,
    /// `action_request.args`.
    pub args: Map<String, Value>,
    /// `config.allow_accept`.
    pub allow_accept: bool,
    /// `config.allow_edit`.
    pub allow_edit: bool,
    /// `config.allow_respond`.
    pub allow_respond: bool,
    /// `config.allow_ignore`.
    pub allow_ignore: bool,
    /// `description`.
    pub description: Option<String>,
    /// The interrupt value was a list (`interrupt([request])`, Agent Inbox's convention), so
    /// the resume is a list of responses too.
    pub listed: bool,
    /// The JSON Schema of the arguments, when the graph put one beside the request (not part
    /// of Agent Inbox; see [`crate::kinds`]).
    pub args_schema: Option<Value>,
}

/// Reads an interrupt value as an Agent Inbox request: `[HumanInterrupt]` or a bare one. Only
/// the first request of a list is used, as Agent Inbox does.
pub fn inbox_request(value: &Value) -> Result<InboxRequest, String> {
    let (req, listed) = match value {
        Value::Array(list) => (list.first().ok_or("empty interrupt list")?, true),
        other => (other, false),
    };
    let ar = req
        .get("action_request")
        .ok_or("interrupt value is not an Agent Inbox request (no action_request)")?;
    let action = ar
        .get("action")
        .and_then(Value::as_str)
        .filter(|a| !a.trim().is_empty())
        .ok_or("action_request.action is missing or empty")?;
    let args = match ar.get("args") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("action_request.args is not an object".into()),
    };
    let cfg = req.get("config").cloned().unwrap_or(Value::Null);
    let flag = |k: &str| cfg.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(InboxRequest {
        action: action.to_string(),
        args,
        allow_accept: flag("allow_accept"),
        allow_edit: flag("allow_edit"),
        allow_respond: flag("allow_respond"),
        allow_ignore: flag("allow_ignore"),
        description: req
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        listed,
        args_schema: req.as_object().and_then(crate::kinds::args_schema),
    })
}

/// The decisions the console offers for a request (see the module docs).
pub fn allowed_decisions(req: &InboxRequest) -> Vec<DecisionKind> {
    let mut out = Vec::new();
    if req.allow_accept {
        out.push(DecisionKind::Approve);
    }
    if req.allow_edit {
        out.push(DecisionKind::ApproveWithEdits);
    }
    if req.allow_respond || req.allow_ignore {
        out.push(DecisionKind::Deny);
    }
    out.push(DecisionKind::Escalate);
    out
}

pub use crate::kinds::infer_kind;

/// A JSON value as the text a reviewer confirms: strings as they are, the rest as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `issue_refund` → `Issue refund`.
pub fn humanize(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut c = words.trim().chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The review fields of a request: every argument, in argument order; those the config says
/// must be confirmed (all of them for an action it does not list) are `required`. Each kind
/// comes from the argument schema, the config or the name ([`crate::kinds::argument_kind`]).
pub fn review_fields(req: &InboxRequest, cfg: &LangGraphConfig) -> Vec<ReviewField> {
    req.args
        .iter()
        .map(|(name, value)| {
            let (kind, kind_source) = crate::kinds::argument_kind(
                &req.action,
                name,
                value,
                req.args_schema.as_ref(),
                cfg,
            );
            ReviewField {
                name: name.clone(),
                label: humanize(name),
                kind,
                value: value_text(value),
                current: None,
                confirm: if kind == FieldKind::Money {
                    ConfirmMode::Reenter
                } else {
                    ConfirmMode::Tick
                },
                editable: req.allow_edit && !value.is_object() && !value.is_array(),
                required: cfg.requires_confirmation(&req.action, name),
                kind_source,
            }
        })
        .collect()
}

/// An edited text put back into the JSON type the argument had.
fn typed(original: &Value, text: &str) -> Result<Value, String> {
    match original {
        Value::String(_) | Value::Null => Ok(Value::String(text.to_string())),
        Value::Number(_) => match serde_json::from_str::<Value>(text.trim()) {
            Ok(v @ Value::Number(_)) => Ok(v),
            _ => Err(format!("{text:?} is not a number")),
        },
        Value::Bool(_) => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{text:?} is not true or false")),
        },
        _ => serde_json::from_str(text).map_err(|e| format!("not JSON: {e}")),
    }
}

/// The Agent Inbox response that carries `decision` for `req` (a one-element list when the
/// interrupt value was a list). `None` for an escalation, which resumes nothing.
pub fn resume_value(req: &InboxRequest, decision: &Decision) -> Result<Option<Value>, String> {
    let response = match decision.decision {
        DecisionKind::Escalate => return Ok(None),
        DecisionKind::Approve if req.allow_accept => json!({"type": "accept", "args": null}),
        DecisionKind::ApproveWithEdits if req.allow_edit => {
            let mut args = req.args.clone();
            for (name, text) in &decision.fields {
                let Some(original) = req.args.get(name) else {
                    return Err(format!("the request has no argument {name:?}"));
                };
                if value_text(original) != *text {
                    args.insert(name.clone(), typed(original, text)?);
                }
            }
            json!({"type": "edit", "args": {"action": req.action, "args": args}})
        }
        DecisionKind::Deny if req.allow_respond => {
            json!({"type": "response", "args": decision.reason.clone().unwrap_or_default()})
        }
        DecisionKind::Deny if req.allow_ignore => json!({"type": "ignore", "args": null}),
        other => return Err(format!("the interrupt does not allow {other:?}")),
    };
    Ok(Some(if req.listed {
        json!([response])
    } else {
        response
    }))
}

/// Checks that what the reviewer confirmed is what the interrupt asks now: every confirmed
/// value that the reviewer did not edit equals the argument's current value.
pub fn check_unchanged(
    req: &InboxRequest,
    stored: &PendingAction,
    decision: &Decision,
) -> Result<(), String> {
    for (name, confirmed) in &decision.fields {
        let proposed_then = stored.fields.iter().find(|f| &f.name == name);
        let edited = proposed_then.is_some_and(|f| f.value != *confirmed);
        if edited {
            continue;
        }
        let now = req.args.get(name).map(value_text);
        if now.as_deref() != Some(confirmed.as_str()) {
            return Err(format!(
                "argument {name:?} is now {now:?}, the reviewer confirmed {confirmed:?}"
            ));
        }
    }
    Ok(())
}

/// The Agent Inbox response type (`accept`, `edit`, `response`, `ignore`) in a resume value for
/// one interrupt (a list of responses or one).
pub fn response_type(v: &Value) -> Option<&str> {
    let first = match v {
        Value::Array(list) => list.first()?,
        other => other,
    };
    first.get("type").and_then(Value::as_str)
}

fn looks_like_interrupt_id(k: &str) -> bool {
    k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The resume value a run gave to interrupt `interrupt_id`, if it answered it: a map keyed by
/// interrupt ids that names it, or an unkeyed resume (which answers the single pending one).
pub fn resume_for<'a>(run: &'a RunInfo, interrupt_id: &str) -> Option<&'a Value> {
    let resume = run.resume()?;
    match resume {
        Value::Object(m) if m.contains_key(interrupt_id) => m.get(interrupt_id),
        Value::Object(m) if !m.is_empty() && m.keys().all(|k| looks_like_interrupt_id(k)) => None,
        other => Some(other),
    }
}

/// The run that answered interrupt `interrupt_id` raised at `raised_at`: the first resume run
/// created after it that names it (or is unkeyed). Runs must be oldest first.
pub fn resolver<'a>(
    runs: &'a [RunInfo],
    interrupt_id: &str,
    raised_at: Option<DateTime<Utc>>,
) -> Option<(&'a RunInfo, &'a Value)> {
    runs.iter()
        .filter(|r| match (raised_at, r.created_at) {
            (Some(raised), Some(created)) => created >= raised,
            _ => true,
        })
        .find_map(|r| resume_for(r, interrupt_id).map(|v| (r, v)))
}

/// What the console records for an interrupt that is no longer pending.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    /// New status.
    pub status: ActionStatus,
    /// Who decided (see the module docs).
    pub decided_by: String,
    /// When the answering run was created.
    pub decided_at: Option<DateTime<Utc>>,
    /// The run that answered it, when one did.
    pub run_id: Option<String>,
}

/// How an interrupt that is no longer pending was resolved, from the thread's runs.
pub fn resolution(
    runs: &[RunInfo],
    interrupt_id: &str,
    raised_at: Option<DateTime<Utc>>,
) -> Resolution {
    let Some((run, value)) = resolver(runs, interrupt_id, raised_at) else {
        return Resolution {
            status: ActionStatus::Expired,
            decided_by: GONE_WITHOUT_RESUME.to_string(),
            decided_at: None,
            run_id: None,
        };
    };
    let in_flight = matches!(run.status.as_str(), "pending" | "running");
    let status = match response_type(value) {
        Some("accept" | "edit") if in_flight => ActionStatus::Approved,
        Some("accept" | "edit") if run.status == "error" || run.status == "timeout" => {
            ActionStatus::Failed
        }
        Some("accept" | "edit") => ActionStatus::Executed,
        Some("response" | "ignore") => ActionStatus::Denied,
        _ => ActionStatus::Failed,
    };
    let decided_by = match (
        run.countersign_key(),
        run.metadata.get(META_ACTOR).and_then(Value::as_str),
    ) {
        (Some(_), Some(actor)) => actor.to_string(),
        (Some(_), None) => "a Countersign console".to_string(),
        _ => DECIDED_OUTSIDE.to_string(),
    };
    Resolution {
        status,
        decided_by,
        decided_at: run.created_at,
        run_id: Some(run.run_id.clone()),
    }
}

/// Microseconds since the epoch: the revision of everything built from a thread, so a later
/// state of the thread always replaces an earlier one.
pub fn revision_of(t: DateTime<Utc>) -> u64 {
    t.timestamp_micros().max(0) as u64
}

/// When interrupt `interrupt_id` was raised: the time of the oldest checkpoint whose tasks
/// carry it.
pub fn raised_at(
    history_newest_first: &[HistoryState],
    interrupt_id: &str,
) -> Option<DateTime<Utc>> {
    history_newest_first
        .iter()
        .rev()
        .find(|s| {
            s.tasks
                .iter()
                .any(|t| t.interrupts.iter().any(|i| i.id == interrupt_id))
        })
        .and_then(|s| s.created_at)
}

/// An interrupt found in a thread, pending or from its history.
#[derive(Clone, Debug)]
struct Seen {
    id: String,
    value: Value,
    raised_at: Option<DateTime<Utc>>,
}

/// Every interrupt the thread ever raised (history, oldest first) plus the pending ones.
fn interrupts_of(thread: &Thread, oldest_first: &[&HistoryState]) -> Vec<Seen> {
    let mut out: Vec<Seen> = Vec::new();
    for s in oldest_first {
        for t in &s.tasks {
            for i in &t.interrupts {
                if !i.id.is_empty() && !out.iter().any(|o| o.id == i.id) {
                    out.push(Seen {
                        id: i.id.clone(),
                        value: i.value.clone(),
                        raised_at: s.created_at,
                    });
                }
            }
        }
    }
    for (_, i) in thread.pending() {
        if i.id.is_empty() {
            continue;
        }
        match out.iter_mut().find(|o| o.id == i.id) {
            Some(o) => o.value = i.value.clone(),
            None => out.push(Seen {
                id: i.id.clone(),
                value: i.value.clone(),
                raised_at: None,
            }),
        }
    }
    out
}

/// What one thread becomes.
#[derive(Clone, Debug, Default)]
pub struct Built {
    /// The thread as a run (`None` for a thread that never ran).
    pub run: Option<Run>,
    /// Its interrupts as actions.
    pub actions: Vec<PendingAction>,
    /// Interrupts that are not Agent Inbox requests: (reason, raw value).
    pub quarantined: Vec<(String, Vec<u8>)>,
}

/// Builds the run and the actions of one thread. `existing` holds the actions the store has
/// for the thread (console-side state such as an escalation or the console's own decision is
/// kept from it); `runs` are the thread's runs, oldest first (needed only when an interrupt is
/// no longer pending).
pub fn build(
    thread: &Thread,
    history_newest_first: &[HistoryState],
    runs: &[RunInfo],
    cfg: &LangGraphConfig,
    existing: &BTreeMap<String, PendingAction>,
) -> Built {
    let mut built = Built::default();
    if history_newest_first.is_empty() {
        return built;
    }
    let oldest_first: Vec<&HistoryState> = history_newest_first.iter().rev().collect();
    let updated_at = thread
        .updated_at
        .or_else(|| history_newest_first.first().and_then(|s| s.created_at))
        .unwrap_or_else(Utc::now);
    let created_at = thread
        .created_at
        .or_else(|| oldest_first.first().and_then(|s| s.created_at))
        .unwrap_or(updated_at);
    let revision = revision_of(updated_at);
    let graph = thread
        .meta("graph_id")
        .or_else(|| thread.meta("assistant_id"))
        .unwrap_or("langgraph")
        .to_string();

    for seen in interrupts_of(thread, &oldest_first) {
        let id = action_id(&thread.thread_id, &seen.id);
        let req = match inbox_request(&seen.value) {
            Ok(r) => r,
            Err(reason) => {
                let raw = serde_json::to_vec(&json!({
                    "thread_id": thread.thread_id, "interrupt_id": seen.id, "value": seen.value,
                }))
                .unwrap_or_default();
                built.quarantined.push((reason, raw));
                continue;
            }
        };
        let prior = existing.get(&id);
        let requested_at = seen.raised_at.unwrap_or(updated_at);
        let mut action = PendingAction {
            action_id: id,
            revision,
            run_id: thread.thread_id.clone(),
            tenant: thread.meta("tenant").unwrap_or_default().to_string(),
            kind: req.action.clone(),
            title: humanize(&req.action),
            target: TargetRecord {
                system: format!("langgraph/{graph}"),
                record_id: req
                    .args
                    .iter()
                    .find(|(k, v)| k.ends_with("_id") && v.is_string())
                    .map(|(_, v)| value_text(v))
                    .unwrap_or_else(|| thread.thread_id.clone()),
            },
            risk: cfg
                .risk
                .get(&req.action)
                .copied()
                .unwrap_or(RiskLevel::High),
            fields: review_fields(&req, cfg),
            proposed: json!({"action": req.action, "args": req.args}),
            rationale: req.description.clone().unwrap_or_default(),
            confidence: None,
            policy_checks: vec![],
            deny_reasons: vec![],
            escalate_to: None,
            rollback_supported: false,
            escalated_to: None,
            field_rules: cfg
                .field_rules
                .get(&req.action)
                .cloned()
                .unwrap_or_default(),
            allowed_decisions: allowed_decisions(&req),
            status: ActionStatus::Pending,
            requested_at,
            expires_at: requested_at + Duration::hours(cfg.expire_after_hours),
            decided_by: None,
            decided_at: None,
            updated_at,
        };
        if thread.has_pending(&seen.id) {
            // Console-side state of a still-pending action: an escalation.
            action.escalated_to = prior.and_then(|p| p.escalated_to);
        } else {
            let r = resolution(runs, &seen.id, seen.raised_at);
            action.status = r.status;
            action.decided_at = r.decided_at;
            action.decided_by = Some(r.decided_by);
            // The console's own record of its decision wins over the inference.
            if let Some(p) = prior.filter(|p| {
                p.decided_by.is_some()
                    && !matches!(p.status, ActionStatus::Pending | ActionStatus::Expired)
            }) {
                if !(p.status == ActionStatus::Approved && action.status != ActionStatus::Approved)
                {
                    action.status = p.status;
                }
                action.decided_by = p.decided_by.clone();
                action.decided_at = p.decided_at.or(action.decided_at);
            }
        }
        built.actions.push(action);
    }

    let who = crate::identity::of_thread(thread, &oldest_first, &cfg.identity);
    for a in &mut built.actions {
        a.tenant = who.tenant.clone().unwrap_or_default();
    }
    let mut run = run_of(
        thread,
        &oldest_first,
        &built.actions,
        &graph,
        revision,
        created_at,
        updated_at,
    );
    who.apply(&mut run);
    built.run = Some(run);
    built
}

fn summary(task_result: &Value) -> String {
    match task_result {
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).take(8).collect();
            format!("wrote {}", keys.join(", "))
        }
        Value::Null => "no output".to_string(),
        _ => "returned a value".to_string(),
    }
}

fn run_of(
    thread: &Thread,
    oldest_first: &[&HistoryState],
    actions: &[PendingAction],
    graph: &str,
    revision: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> Run {
    let mut calls = Vec::new();
    let mut inputs = Value::Null;
    for (n, s) in oldest_first.iter().enumerate() {
        let started = s.created_at.unwrap_or(created_at);
        let next_at = oldest_first.get(n + 1).and_then(|x| x.created_at);
        for t in &s.tasks {
            if t.name == "__start__" {
                if inputs.is_null() {
                    inputs = t.result.clone().unwrap_or(Value::Null);
                }
                continue;
            }
            let mut interrupt_args = Value::Null;
            let mut waiting = None;
            for i in &t.interrupts {
                if let Ok(req) = inbox_request(&i.value) {
                    interrupt_args = json!({"action": req.action, "args": req.args});
                    if thread.has_pending(&i.id) {
                        waiting = Some(format!("waiting for review: {}", req.action));
                    }
                }
            }
            let error = t.error.as_ref().filter(|e| !e.is_null()).map(value_text);
            let done = t.result.is_some() || error.is_some();
            calls.push(ToolCall {
                call_id: format!("{}/{}", s.id(), t.id),
                parent_id: None,
                tool: t.name.clone(),
                arguments: interrupt_args,
                result_summary: Some(match (&error, &t.result, waiting) {
                    (Some(_), _, _) => "failed".to_string(),
                    (None, _, Some(w)) => w,
                    (None, Some(r), None) => summary(r),
                    (None, None, None) => "not finished".to_string(),
                }),
                result: t.result.clone(),
                started_at: started,
                ended_at: if done {
                    next_at.or(Some(updated_at))
                } else {
                    None
                },
                cost_micros: Micros::ZERO,
                documents: vec![],
                error,
            });
        }
    }
    let last_decided = actions
        .iter()
        .filter(|a| a.status != ActionStatus::Pending)
        .max_by_key(|a| a.decided_at);
    let pending: Vec<&str> = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Pending)
        .map(|a| a.kind.as_str())
        .collect();
    let (outcome, decision) = match thread.status.as_str() {
        "error" => (Outcome::Fail, "error".to_string()),
        "interrupted" => (
            Outcome::Pending,
            format!("interrupted: {}", pending.join(", ")),
        ),
        "busy" => (Outcome::Pending, "running".to_string()),
        _ => match last_decided {
            Some(a) if a.status == ActionStatus::Denied => {
                (Outcome::Denied, format!("{} denied", a.kind))
            }
            _ => (Outcome::Success, "completed".to_string()),
        },
    };
    let finished = matches!(thread.status.as_str(), "idle" | "error");
    let first = oldest_first.first().and_then(|s| s.created_at);
    let last = oldest_first.last().and_then(|s| s.created_at);
    let latency_ms = match (first, last) {
        (Some(a), Some(b)) if b > a => (b - a).num_milliseconds().max(0) as u64,
        _ => 0,
    };
    let started_at = first.unwrap_or(created_at).min(created_at);
    Run {
        run_id: thread.thread_id.clone(),
        revision,
        // Tenant, user, model and tokens: set by `identity::RunIdentity::apply` in `build`.
        tenant: String::new(),
        user_id: String::new(),
        team: thread.meta("team").map(str::to_string),
        workflow: graph.to_string(),
        workflow_version: String::new(),
        model: String::new(),
        inputs,
        tool_calls: calls,
        citations: vec![],
        outputs: thread.values.clone(),
        confidence: None,
        cost_micros: Micros::ZERO,
        tokens: TokenUsage::default(),
        latency_ms,
        outcome,
        decision,
        rationale: match &thread.error {
            Value::Null => None,
            e => Some(value_text(e)),
        },
        policy_checks: vec![],
        changes: vec![],
        started_at,
        ended_at: if finished {
            Some(updated_at.max(started_at))
        } else {
            None
        },
        updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_core::KindSource;

    fn req_value(allow_edit: bool, allow_respond: bool) -> Value {
        json!([{
            "action_request": {"action": "issue_refund", "args": {
                "order_id": "ord_1", "amount": "120.00", "currency": "EUR", "region": "DE",
                "qty": 2, "notify": true}},
            "config": {"allow_accept": true, "allow_edit": allow_edit,
                       "allow_respond": allow_respond, "allow_ignore": true},
            "description": "Refund"
        }])
    }

    fn decision(kind: DecisionKind, fields: &[(&str, &str)], reason: Option<&str>) -> Decision {
        Decision {
            decision: kind,
            reason: reason.map(str::to_string),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            idempotency_key: "k".into(),
            escalate_to: None,
        }
    }

    #[test]
    fn agent_inbox_request_maps_to_fields_kinds_and_decisions() -> Result<(), String> {
        let req = inbox_request(&req_value(true, true))?;
        assert!(req.listed);
        let cfg = LangGraphConfig::default();
        let fields = review_fields(&req, &cfg);
        let kind = |n: &str| fields.iter().find(|f| f.name == n).map(|f| f.kind);
        assert_eq!(kind("amount"), Some(FieldKind::Money));
        assert_eq!(kind("currency"), Some(FieldKind::Currency));
        assert_eq!(kind("region"), Some(FieldKind::Region));
        assert_eq!(kind("order_id"), Some(FieldKind::Identifier));
        assert_eq!(kind("notify"), Some(FieldKind::Bool));
        assert_eq!(kind("qty"), Some(FieldKind::Text));
        assert_eq!(fields.len(), 6);
        assert!(
            fields
                .iter()
                .any(|f| f.name == "amount" && f.confirm == ConfirmMode::Reenter)
        );
        assert_eq!(
            allowed_decisions(&req),
            vec![
                DecisionKind::Approve,
                DecisionKind::ApproveWithEdits,
                DecisionKind::Deny,
                DecisionKind::Escalate
            ]
        );
        let cfg = LangGraphConfig::from_backend_config(
            &json!({"confirm_fields": {"issue_refund": ["amount", "region"]}}),
        );
        let fields = review_fields(&req, &cfg);
        let required: Vec<&str> = fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(required, vec!["amount", "region"]);
        assert_eq!(
            fields.len(),
            6,
            "unlisted arguments are shown, not required"
        );
        let none = inbox_request(&json!({"action_request": {"action": "x", "args": {}},
            "config": {}}))?;
        assert_eq!(allowed_decisions(&none), vec![DecisionKind::Escalate]);
        assert!(!none.listed);
        assert!(inbox_request(&json!("please approve")).is_err());
        assert!(inbox_request(&json!([])).is_err());
        Ok(())
    }

    #[test]
    fn decisions_become_agent_inbox_responses() -> Result<(), String> {
        let req = inbox_request(&req_value(true, true))?;
        let approve = resume_value(&req, &decision(DecisionKind::Approve, &[], None))?;
        assert_eq!(approve, Some(json!([{"type": "accept", "args": null}])));
        let edit = resume_value(
            &req,
            &decision(
                DecisionKind::ApproveWithEdits,
                &[("amount", "80.00"), ("qty", "3"), ("region", "DE")],
                None,
            ),
        )?
        .ok_or("no edit")?;
        assert_eq!(edit[0]["type"], "edit");
        assert_eq!(edit[0]["args"]["action"], "issue_refund");
        assert_eq!(edit[0]["args"]["args"]["amount"], "80.00");
        assert_eq!(edit[0]["args"]["args"]["qty"], 3);
        assert_eq!(edit[0]["args"]["args"]["order_id"], "ord_1");
        assert!(
            resume_value(
                &req,
                &decision(DecisionKind::ApproveWithEdits, &[("qty", "many")], None)
            )
            .is_err()
        );
        let deny = resume_value(
            &req,
            &decision(DecisionKind::Deny, &[], Some("over policy")),
        )?;
        assert_eq!(
            deny,
            Some(json!([{"type": "response", "args": "over policy"}]))
        );
        let no_respond = inbox_request(&req_value(false, false))?;
        assert_eq!(
            resume_value(&no_respond, &decision(DecisionKind::Deny, &[], Some("no")))?,
            Some(json!([{"type": "ignore", "args": null}]))
        );
        assert!(
            resume_value(
                &no_respond,
                &decision(DecisionKind::ApproveWithEdits, &[("amount", "1.00")], None)
            )
            .is_err()
        );
        assert_eq!(
            resume_value(&req, &decision(DecisionKind::Escalate, &[], Some("big")))?,
            None
        );
        Ok(())
    }

    fn run(id: &str, at: &str, resume: Value, status: &str, key: Option<&str>) -> RunInfo {
        RunInfo {
            run_id: id.into(),
            status: status.into(),
            created_at: at.parse().ok(),
            metadata: match key {
                Some(k) => json!({"countersign_key": k, "countersign_actor": "rita"}),
                None => json!({}),
            },
            kwargs: if resume.is_null() {
                json!({"input": {}})
            } else {
                json!({"command": {"resume": resume}})
            },
        }
    }

    #[test]
    fn the_first_resume_naming_an_interrupt_resolves_it() {
        let a = "a".repeat(32);
        let b = "b".repeat(32);
        let runs = vec![
            run("r0", "2026-01-01T00:00:00Z", Value::Null, "success", None),
            run(
                "r1",
                "2026-01-01T00:01:00Z",
                json!({b.clone(): [{"type": "response", "args": "no"}]}),
                "success",
                None,
            ),
            run(
                "r2",
                "2026-01-01T00:02:00Z",
                json!({a.clone(): [{"type": "accept", "args": null}]}),
                "success",
                Some("k1"),
            ),
            run(
                "r3",
                "2026-01-01T00:03:00Z",
                json!({a.clone(): [{"type": "response", "args": "late"}]}),
                "success",
                Some("k2"),
            ),
        ];
        let raised = "2026-01-01T00:00:30Z".parse().ok();
        let ra = resolution(&runs, &a, raised);
        assert_eq!(ra.status, ActionStatus::Executed);
        assert_eq!(ra.run_id.as_deref(), Some("r2"));
        assert_eq!(ra.decided_by, "rita");
        let rb = resolution(&runs, &b, raised);
        assert_eq!(rb.status, ActionStatus::Denied);
        assert_eq!(rb.decided_by, DECIDED_OUTSIDE);
        let gone = resolution(&runs, &"c".repeat(32), raised);
        assert_eq!(gone.status, ActionStatus::Expired);
        assert_eq!(gone.decided_by, GONE_WITHOUT_RESUME);
        // An unkeyed resume answers whatever was pending.
        let unkeyed = vec![run(
            "r9",
            "2026-01-01T00:05:00Z",
            json!([{"type": "ignore"}]),
            "running",
            None,
        )];
        let r = resolution(&unkeyed, &a, raised);
        assert_eq!(r.status, ActionStatus::Denied);
        let unkeyed = vec![run(
            "r9",
            "2026-01-01T00:05:00Z",
            json!({"type": "accept"}),
            "running",
            None,
        )];
        assert_eq!(
            resolution(&unkeyed, &a, raised).status,
            ActionStatus::Approved
        );
    }

    #[test]
    fn ids_kinds_and_labels() {
        assert_eq!(
            split_action_id(&action_id("t-1", "abc")),
            Some(("t-1", "abc"))
        );
        assert_eq!(split_action_id("nocolon"), None);
        assert_eq!(humanize("issue_refund"), "Issue refund");
        assert_eq!(infer_kind("refund_amount", &json!("1")), FieldKind::Money);
        assert_eq!(infer_kind("country", &json!("DE")), FieldKind::Region);
        assert_eq!(
            infer_kind("customer_id", &json!("c")),
            FieldKind::Identifier
        );
        assert_eq!(infer_kind("note", &json!("x")), FieldKind::Text);
    }

    #[test]
    fn review_fields_take_kinds_from_schema_config_or_name_and_mark_fallbacks() -> Result<(), String>
    {
        let value = json!([{
            "action_request": {"action": "pay_out", "args": {
                "amount_eur": "120.00", "iban": "DE89370400440532013000",
                "amount_cents": 12000, "beneficiary": "DE89 3704 0044 0532 0130 00",
                "memo": "thanks", "urgent": "yes"}},
            "config": {"allow_accept": true},
            "args_schema": {"properties": {"urgent": {"type": "boolean"}}}
        }]);
        let req = inbox_request(&value)?;
        let field = |fields: &[ReviewField], n: &str| {
            fields
                .iter()
                .find(|f| f.name == n)
                .map(|f| (f.kind, f.kind_source))
        };
        let fields = review_fields(&req, &LangGraphConfig::default());
        assert_eq!(
            field(&fields, "amount_eur"),
            Some((FieldKind::Money, KindSource::Inferred))
        );
        assert_eq!(
            field(&fields, "iban"),
            Some((FieldKind::Identifier, KindSource::Inferred))
        );
        assert_eq!(
            field(&fields, "urgent"),
            Some((FieldKind::Bool, KindSource::Schema))
        );
        assert_eq!(
            field(&fields, "amount_cents"),
            Some((FieldKind::Text, KindSource::Fallback))
        );
        assert_eq!(
            field(&fields, "beneficiary"),
            Some((FieldKind::Text, KindSource::Fallback))
        );
        assert_eq!(
            field(&fields, "memo"),
            Some((FieldKind::Text, KindSource::Inferred))
        );
        // The review makes the reviewer acknowledge each fallback.
        let warned: Vec<String> =
            countersign_core::review::review_warnings(&fields, &BTreeMap::new(), &BTreeMap::new())
                .into_iter()
                .filter(|w| w.code == "kind_guessed")
                .map(|w| w.field)
                .collect();
        assert_eq!(warned, vec!["amount_cents", "beneficiary"]);
        // The admin sets the kinds in the Backends view: no more fallback.
        let cfg = LangGraphConfig::from_backend_config(&json!({"field_kinds": {"pay_out": {
            "amount_cents": "text", "beneficiary": "identifier", "urgent": "text"}}}));
        let fields = review_fields(&req, &cfg);
        assert_eq!(
            field(&fields, "amount_cents"),
            Some((FieldKind::Text, KindSource::Config))
        );
        assert_eq!(
            field(&fields, "beneficiary"),
            Some((FieldKind::Identifier, KindSource::Config))
        );
        assert_eq!(
            field(&fields, "urgent"),
            Some((FieldKind::Bool, KindSource::Schema)),
            "the tool's schema comes first"
        );
        Ok(())
    }
}
