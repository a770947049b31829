//! Pure mapping between LangGraph's shapes and Countersign's: an interrupt becomes one
//! [`PendingAction`] per request it holds ([`crate::shapes`] reads Agent Inbox requests,
//! LangChain's human-in-the-loop middleware in both its modes, and any other payload), a
//! thread and its history become a [`Run`], a reviewer's [`Decision`] becomes the response a
//! resume carries. No I/O.
//!
//! # Action ids
//!
//! `thread:interrupt` for an interrupt that holds one request (Agent Inbox, a per-call tool
//! approval, a custom payload: unchanged since the first release), `thread:interrupt.INDEX`
//! for request INDEX of a batched middleware interrupt. [`split_action_id`] splits at the last
//! `:` either way; [`parse_action_id`] also reads the index.
//!
//! # Decisions (Agent Inbox; see [`crate::shapes`] for the other shapes)
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
//! raised that names its id, or an unkeyed one) says what happened: accept/edit (Agent Inbox)
//! or approve/edit (the middleware; for a batched interrupt, the decision at the request's
//! position) → executed (approved while that run is still going, failed when it ended in
//! error), response/ignore or reject/respond → denied. A custom payload's resume value has no
//! fixed meaning: the console's decision recorded in the run's metadata says it (deny →
//! denied), and an answer from outside the console counts as the graph going on with it
//! (executed, or failed with its run). `decided_by` names the console reviewer when the run carries the console's
//! idempotency key, otherwise says it was decided outside the console. When no such run can be
//! found (the thread's state was edited directly, or its runs were deleted), the action is
//! marked expired with `decided_by` saying so: it is no longer decidable and the console does
//! not pretend to know the outcome.

use crate::config::LangGraphConfig;
use crate::shapes::{Request, requests};
use crate::wire::{HistoryState, RunInfo, Thread};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{
    ActionBatch, ActionStatus, ConfirmMode, Decision, DecisionKind, FieldKind, Micros, Outcome,
    PendingAction, PolicyCheck, RecordChange, ReviewField, RiskLevel, Run, TargetRecord,
    TokenUsage, ToolCall,
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

/// The console's action id for request `index` of a batched interrupt: stable for the triple.
pub fn batch_action_id(thread_id: &str, interrupt_id: &str, index: usize) -> String {
    format!("{thread_id}:{interrupt_id}.{index}")
}

/// Splits an action id back into (thread id, interrupt id); for a request of a batched
/// interrupt the second part is `interrupt.INDEX` (see [`parse_action_id`]).
pub fn split_action_id(action_id: &str) -> Option<(&str, &str)> {
    action_id
        .rsplit_once(':')
        .filter(|(t, i)| !t.is_empty() && !i.is_empty())
}

/// Splits an action id into (thread id, interrupt id, index in a batched interrupt).
pub fn parse_action_id(action_id: &str) -> Option<(&str, &str, Option<usize>)> {
    let (thread, rest) = split_action_id(action_id)?;
    match rest.rsplit_once('.') {
        Some((interrupt, n))
            if !interrupt.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some((thread, interrupt, Some(n.parse().ok()?)))
        }
        _ => Some((thread, rest, None)),
    }
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
    fields_for(
        &req.action,
        &req.args,
        req.args_schema.as_ref(),
        req.allow_edit,
        cfg,
    )
}

/// The review fields of any request (see [`review_fields`]).
pub fn request_fields(req: &Request, cfg: &LangGraphConfig) -> Vec<ReviewField> {
    fields_for(
        req.action(),
        req.args(),
        req.args_schema(),
        req.allows_edit(cfg),
        cfg,
    )
}

fn fields_for(
    action: &str,
    args: &Map<String, Value>,
    schema: Option<&Value>,
    allow_edit: bool,
    cfg: &LangGraphConfig,
) -> Vec<ReviewField> {
    args.iter()
        .map(|(name, value)| {
            let (kind, kind_source) = crate::kinds::argument_kind(action, name, value, schema, cfg);
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
                editable: allow_edit && !value.is_object() && !value.is_array(),
                required: cfg.requires_confirmation(action, name),
                kind_source,
            }
        })
        .collect()
}

/// An edited text put back into the JSON type the argument had.
pub(crate) fn typed(original: &Value, text: &str) -> Result<Value, String> {
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
    check_args_unchanged(&req.args, stored, decision)
}

/// [`check_unchanged`] for any request's arguments.
pub fn check_args_unchanged(
    args: &Map<String, Value>,
    stored: &PendingAction,
    decision: &Decision,
) -> Result<(), String> {
    for (name, confirmed) in &decision.fields {
        let proposed_then = stored.fields.iter().find(|f| &f.name == name);
        let edited = proposed_then.is_some_and(|f| f.value != *confirmed);
        if edited {
            continue;
        }
        let now = args.get(name).map(value_text);
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

/// Which answer of an interrupt's resume an action reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The interrupt's one request (Agent Inbox, a per-call approval).
    One,
    /// Request INDEX of a batched middleware interrupt.
    Batched(usize),
    /// A custom payload (its meaning comes from the console's metadata).
    Custom,
}

/// How an interrupt that is no longer pending was resolved, from the thread's runs.
pub fn resolution(
    runs: &[RunInfo],
    interrupt_id: &str,
    raised_at: Option<DateTime<Utc>>,
) -> Resolution {
    resolution_of(runs, interrupt_id, raised_at, Slot::One)
}

/// [`resolution`] of one request of an interrupt (see the module docs).
pub fn resolution_of(
    runs: &[RunInfo],
    interrupt_id: &str,
    raised_at: Option<DateTime<Utc>>,
    slot: Slot,
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
    let index = match slot {
        Slot::Batched(i) => Some(i),
        _ => None,
    };
    let ahead = match slot {
        Slot::Custom => Some(run.countersign_decision(None) != Some("deny")),
        _ => crate::shapes::decision_type(value, index).and_then(crate::shapes::goes_ahead),
    };
    let status = match ahead {
        Some(true) if in_flight => ActionStatus::Approved,
        Some(true) if run.status == "error" || run.status == "timeout" => ActionStatus::Failed,
        Some(true) => ActionStatus::Executed,
        Some(false) => ActionStatus::Denied,
        None => ActionStatus::Failed,
    };
    let decided_by = match (run.countersign_key(), run.countersign_actor(index)) {
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
    response_schema: Option<Value>,
    /// The node (task name) that raised it.
    node: String,
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
                        response_schema: i.response_schema.clone(),
                        node: t.name.clone(),
                        raised_at: s.created_at,
                    });
                }
            }
        }
    }
    let task_name = |task_id: &str| {
        oldest_first
            .iter()
            .rev()
            .flat_map(|s| s.tasks.iter())
            .find(|t| t.id == task_id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    for (task, i) in thread.pending() {
        if i.id.is_empty() {
            continue;
        }
        match out.iter_mut().find(|o| o.id == i.id) {
            Some(o) => {
                o.value = i.value.clone();
                if i.response_schema.is_some() {
                    o.response_schema = i.response_schema.clone();
                }
            }
            None => out.push(Seen {
                id: i.id.clone(),
                value: i.value.clone(),
                response_schema: i.response_schema.clone(),
                node: task_name(task),
                raised_at: None,
            }),
        }
    }
    out
}

/// The policy check a custom interrupt without a resume template carries: what the reviewer
/// and the admin see.
pub const NO_TEMPLATE_CHECK: &str = "resume_template";

/// The note shown on a custom interrupt no template answers.
pub fn no_template_note(graph: &str, node: &str) -> String {
    format!(
        "This interrupt is not an Agent Inbox or LangChain human-in-the-loop request, and no \
         resume template is configured for node {node:?} of graph {graph:?}: it can only be \
         escalated. An admin sets what approve and deny resume it with in Backends → this \
         backend → Interrupt templates."
    )
}

/// What one thread becomes.
#[derive(Clone, Debug, Default)]
pub struct Built {
    /// The thread as a run (`None` for a thread that never ran).
    pub run: Option<Run>,
    /// Its interrupts as actions.
    pub actions: Vec<PendingAction>,
    /// Interrupts whose value is malformed: (reason, raw value).
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
        let reqs = match requests(
            &seen.value,
            seen.response_schema.as_ref(),
            &graph,
            &seen.node,
        ) {
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
        let group_id = action_id(&thread.thread_id, &seen.id);
        let members: Vec<String> = reqs
            .iter()
            .enumerate()
            .map(|(i, r)| match r.batch() {
                Some(_) => batch_action_id(&thread.thread_id, &seen.id, i),
                None => group_id.clone(),
            })
            .collect();
        for (req, id) in reqs.iter().zip(&members) {
            let slot = match (req, req.batch()) {
                (_, Some((i, _))) => Slot::Batched(i),
                (Request::Custom(_), _) => Slot::Custom,
                _ => Slot::One,
            };
            let action = action_of(
                thread, &seen, req, id, slot, &members, &group_id, runs, cfg, existing, &graph,
                revision, updated_at,
            );
            built.actions.push(action);
        }
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

/// One request of an interrupt as an action.
#[allow(clippy::too_many_arguments)]
fn action_of(
    thread: &Thread,
    seen: &Seen,
    req: &Request,
    id: &str,
    slot: Slot,
    members: &[String],
    group_id: &str,
    runs: &[RunInfo],
    cfg: &LangGraphConfig,
    existing: &BTreeMap<String, PendingAction>,
    graph: &str,
    revision: u64,
    updated_at: DateTime<Utc>,
) -> PendingAction {
    let prior = existing.get(id);
    let requested_at = seen.raised_at.unwrap_or(updated_at);
    let kind = req.action().to_string();
    let allowed = req.allowed_decisions(cfg);
    let policy_checks = match req {
        Request::Custom(c) if allowed == [DecisionKind::Escalate] => vec![PolicyCheck {
            name: NO_TEMPLATE_CHECK.to_string(),
            passed: false,
            detail: Some(no_template_note(&c.graph, &c.node)),
        }],
        _ => vec![],
    };
    let mut action = PendingAction {
        action_id: id.to_string(),
        revision,
        run_id: thread.thread_id.clone(),
        tenant: thread.meta("tenant").unwrap_or_default().to_string(),
        title: humanize(&kind),
        target: TargetRecord {
            system: format!("langgraph/{graph}"),
            record_id: req
                .args()
                .iter()
                .find(|(k, v)| k.ends_with("_id") && v.is_string())
                .map(|(_, v)| value_text(v))
                .unwrap_or_else(|| thread.thread_id.clone()),
        },
        risk: cfg.risk.get(&kind).copied().unwrap_or(RiskLevel::High),
        fields: request_fields(req, cfg),
        proposed: req.proposed(),
        rationale: req.description().unwrap_or_default().to_string(),
        confidence: None,
        policy_checks,
        deny_reasons: vec![],
        escalate_to: None,
        rollback_supported: false,
        escalated_to: None,
        field_rules: cfg.field_rules.get(&kind).cloned().unwrap_or_default(),
        allowed_decisions: allowed,
        status: ActionStatus::Pending,
        requested_at,
        expires_at: requested_at + Duration::hours(cfg.expire_after_hours),
        decided_by: None,
        decided_at: None,
        updated_at,
        batch: req.batch().map(|(index, size)| ActionBatch {
            group_id: group_id.to_string(),
            index: index as u32,
            size: size as u32,
            members: members.to_vec(),
        }),
        opaque_payload: matches!(req, Request::Custom(_)),
        kind,
    };
    if thread.has_pending(&seen.id) {
        // Console-side state of a still-pending action: an escalation.
        action.escalated_to = prior.and_then(|p| p.escalated_to);
    } else {
        let r = resolution_of(runs, &seen.id, seen.raised_at, slot);
        action.status = r.status;
        action.decided_at = r.decided_at;
        action.decided_by = Some(r.decided_by);
        // The console's own record of its decision wins over the inference.
        if let Some(p) = prior.filter(|p| {
            p.decided_by.is_some()
                && !matches!(p.status, ActionStatus::Pending | ActionStatus::Expired)
        }) {
            if !(p.status == ActionStatus::Approved && action.status != ActionStatus::Approved) {
                action.status = p.status;
            }
            action.decided_by = p.decided_by.clone();
            action.decided_at = p.decided_at.or(action.decided_at);
        }
    }
    action
}

/// The writes the actions propose, one change per argument (a custom payload, which has no
/// named arguments, is one change of field `value`): system and record of the action's target,
/// `after` the proposed value. A golden set compares them (`expect.writes`).
pub fn proposed_changes(actions: &[PendingAction]) -> Vec<RecordChange> {
    let mut out = Vec::new();
    for a in actions {
        let change = |field: &str, after: &Value| RecordChange {
            system: a.target.system.clone(),
            record_id: a.target.record_id.clone(),
            field: field.to_string(),
            before: Value::Null,
            after: after.clone(),
            action_id: Some(a.action_id.clone()),
        };
        match a.proposed.get("args").and_then(Value::as_object) {
            Some(args) if !a.opaque_payload => {
                out.extend(args.iter().map(|(k, v)| change(k, v)));
            }
            _ => out.push(change("value", &a.proposed)),
        }
    }
    out
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
                if let Ok(reqs) = requests(&i.value, i.response_schema.as_ref(), graph, &t.name) {
                    let mut shown: Vec<Value> = reqs.iter().map(Request::proposed).collect();
                    interrupt_args = if shown.len() == 1 {
                        shown.remove(0)
                    } else {
                        Value::Array(shown)
                    };
                    if thread.has_pending(&i.id) {
                        let names: Vec<&str> = reqs.iter().map(Request::action).collect();
                        waiting = Some(format!("waiting for review: {}", names.join(", ")));
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
        eval_id: None,
        prompt: None,
        retrieval: None,
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
        changes: proposed_changes(actions),
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

    /// A thread interrupted by `value` (raised by task `node`), with a one-step history.
    fn interrupted(
        graph: &str,
        node: &str,
        value: Value,
        schema: Option<Value>,
    ) -> (Thread, Vec<HistoryState>) {
        let interrupt = crate::wire::Interrupt {
            id: "f".repeat(32),
            value,
            response_schema: schema,
        };
        let at: Option<DateTime<Utc>> = "2026-01-01T00:00:00Z".parse().ok();
        let thread = Thread {
            thread_id: "t-1".into(),
            created_at: at,
            updated_at: at,
            metadata: json!({"graph_id": graph, "tenant": "acme"}),
            status: "interrupted".into(),
            values: json!({}),
            interrupts: BTreeMap::from([("task-1".to_string(), vec![interrupt.clone()])]),
            error: Value::Null,
        };
        let history = vec![HistoryState {
            values: json!({}),
            next: vec![node.to_string()],
            tasks: vec![crate::wire::Task {
                id: "task-1".into(),
                name: node.into(),
                error: None,
                interrupts: vec![interrupt],
                result: None,
            }],
            metadata: json!({}),
            created_at: at,
            checkpoint_id: Some("c1".into()),
        }];
        (thread, history)
    }

    #[test]
    fn a_batched_middleware_interrupt_becomes_one_linked_action_per_request() {
        let value = json!({
            "action_requests": [
                {"name": "issue_refund", "args": {"order_id": "ord_1001", "amount": "120.00",
                 "currency": "EUR", "notify": true}, "description": "Refunds move money"},
                {"name": "update_crm", "args": {"customer_id": "cus_77", "note": "refunded"},
                 "description": "CRM note"}],
            "review_configs": [
                {"action_name": "issue_refund", "allowed_decisions": ["approve", "edit", "reject"]},
                {"action_name": "update_crm", "allowed_decisions": ["approve", "reject"]}]
        });
        let (thread, history) = interrupted(
            "hitl_batched",
            "HumanInTheLoopMiddleware.after_model",
            value,
            None,
        );
        let built = build(
            &thread,
            &history,
            &[],
            &LangGraphConfig::default(),
            &BTreeMap::new(),
        );
        assert!(built.quarantined.is_empty());
        let ids: Vec<&str> = built.actions.iter().map(|a| a.action_id.as_str()).collect();
        let iid = "f".repeat(32);
        assert_eq!(ids, vec![format!("t-1:{iid}.0"), format!("t-1:{iid}.1")]);
        assert_eq!(
            parse_action_id(ids[1]),
            Some(("t-1", iid.as_str(), Some(1)))
        );
        assert_eq!(
            split_action_id(ids[1]),
            Some(("t-1", format!("{iid}.1").as_str()))
        );
        assert_eq!(
            parse_action_id(&action_id("t-1", &iid)),
            Some(("t-1", iid.as_str(), None))
        );
        let refund = &built.actions[0];
        assert_eq!(refund.kind, "issue_refund");
        assert!(!refund.opaque_payload);
        assert_eq!(refund.rationale, "Refunds move money");
        assert_eq!(refund.target.record_id, "ord_1001");
        let batch = refund.batch.as_ref().expect("batch");
        assert_eq!((batch.index, batch.size), (0, 2));
        assert_eq!(batch.group_id, format!("t-1:{iid}"));
        assert_eq!(batch.members, ids);
        assert!(refund.fields.iter().all(|f| f.editable), "edit allowed");
        let crm = &built.actions[1];
        assert_eq!(crm.batch.as_ref().map(|b| b.index), Some(1));
        assert!(crm.fields.iter().all(|f| !f.editable), "no edit allowed");
        assert_eq!(
            crm.allowed_decisions,
            vec![
                DecisionKind::Approve,
                DecisionKind::Deny,
                DecisionKind::Escalate
            ]
        );
        let run = built.run.expect("run");
        assert_eq!(run.decision, "interrupted: issue_refund, update_crm");
        assert_eq!(
            run.tool_calls[0].result_summary.as_deref(),
            Some("waiting for review: issue_refund, update_crm")
        );
    }

    #[test]
    fn a_per_call_approval_takes_kinds_from_the_tools_schema() {
        let value = json!({"type": "tool_approval", "tool_call_id": "call_0", "name": "issue_refund",
            "args": {"order_id": "ord_1001", "amount": "120.00", "notify": "yes"}, "description": "d"});
        let schema = json!({"$defs": {
            "A": {"properties": {"type": {"const": "approve"}}},
            "E": {"properties": {"type": {"const": "edit"}, "edited_action": {"$ref": "#/$defs/EA"}}},
            "EA": {"properties": {"name": {"const": "issue_refund"}, "args": {"$ref": "#/$defs/T"}}},
            "T": {"properties": {"notify": {"type": "boolean"}, "amount": {"type": "string"}}}},
            "oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/E"}]});
        let (thread, history) = interrupted("hitl_per_call", "tools", value, Some(schema));
        let built = build(
            &thread,
            &history,
            &[],
            &LangGraphConfig::default(),
            &BTreeMap::new(),
        );
        let a = &built.actions[0];
        assert_eq!(a.action_id, format!("t-1:{}", "f".repeat(32)));
        assert_eq!(a.batch, None);
        assert_eq!(
            a.allowed_decisions,
            vec![
                DecisionKind::Approve,
                DecisionKind::ApproveWithEdits,
                DecisionKind::Escalate
            ]
        );
        let kind = |n: &str| {
            a.fields
                .iter()
                .find(|f| f.name == n)
                .map(|f| (f.kind, f.kind_source))
        };
        assert_eq!(kind("notify"), Some((FieldKind::Bool, KindSource::Schema)));
        assert_eq!(
            kind("amount"),
            Some((FieldKind::Money, KindSource::Inferred))
        );
    }

    #[test]
    fn a_custom_payload_is_pending_never_quarantined_and_escalates_until_a_template_exists() {
        let value = json!({"question": "Ship?", "order_id": "ord_1", "amount": "120.00",
            "details": {"<script>": "x"}});
        let (thread, history) = interrupted("custom_ask", "ask_shipping", value.clone(), None);
        let built = build(
            &thread,
            &history,
            &[],
            &LangGraphConfig::default(),
            &BTreeMap::new(),
        );
        assert!(built.quarantined.is_empty());
        let a = &built.actions[0];
        assert_eq!(a.kind, "ask_shipping");
        assert_eq!(a.title, "Ask shipping");
        assert_eq!(a.proposed, value, "the payload is shown as it came");
        assert!(a.opaque_payload);
        assert_eq!(a.rationale, "Ship?");
        assert_eq!(a.allowed_decisions, vec![DecisionKind::Escalate]);
        assert_eq!(a.policy_checks.len(), 1);
        assert_eq!(a.policy_checks[0].name, NO_TEMPLATE_CHECK);
        assert!(!a.policy_checks[0].passed);
        let note = a.policy_checks[0].detail.clone().unwrap_or_default();
        assert!(
            note.contains("Interrupt templates") && note.contains("ask_shipping"),
            "{note}"
        );
        let names: Vec<&str> = a.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["amount", "order_id", "question"]);
        assert!(a.fields.iter().all(|f| !f.editable));
        let cfg = LangGraphConfig::from_backend_config(&json!({"interrupt_templates": [
            {"graph": "custom_ask", "node": "*", "decisions": {"approve": {"ship": true},
             "deny": {"ship": false, "reason": "{{reason}}"}}}]}));
        let built = build(&thread, &history, &[], &cfg, &BTreeMap::new());
        let a = &built.actions[0];
        assert_eq!(
            a.allowed_decisions,
            vec![
                DecisionKind::Approve,
                DecisionKind::Deny,
                DecisionKind::Escalate
            ]
        );
        assert!(a.policy_checks.is_empty());
        // Malformed data of a known shape is still quarantined.
        let (thread, history) =
            interrupted("g", "n", json!({"action_requests": "issue_refund"}), None);
        let built = build(&thread, &history, &[], &cfg, &BTreeMap::new());
        assert!(built.actions.is_empty());
        assert_eq!(built.quarantined.len(), 1);
        assert!(built.quarantined[0].0.contains("action_requests"));
    }

    #[test]
    fn batched_and_custom_resumes_resolve_each_request() {
        let a = "a".repeat(32);
        let mut batched = run(
            "r1",
            "2026-01-01T00:01:00Z",
            json!({a.clone(): {"decisions": [{"type": "edit", "edited_action": {}},
                                             {"type": "reject", "message": "no"}]}}),
            "success",
            Some("k0"),
        );
        batched.metadata["countersign_keys"] = json!(["k0", "k1"]);
        batched.metadata["countersign_actors"] = json!(["rita", "sam"]);
        let runs = vec![batched.clone()];
        let r0 = resolution_of(&runs, &a, None, Slot::Batched(0));
        assert_eq!(
            (r0.status, r0.decided_by.as_str()),
            (ActionStatus::Executed, "rita")
        );
        let r1 = resolution_of(&runs, &a, None, Slot::Batched(1));
        assert_eq!(
            (r1.status, r1.decided_by.as_str()),
            (ActionStatus::Denied, "sam")
        );
        assert!(
            batched.carries_key("k1") && batched.carries_key("k0") && !batched.carries_key("k2")
        );
        let per_call = vec![run(
            "r2",
            "2026-01-01T00:01:00Z",
            json!({a.clone(): {"type": "respond",
            "message": "x"}}),
            "success",
            None,
        )];
        assert_eq!(resolution(&per_call, &a, None).status, ActionStatus::Denied);
        // Custom: the console's decision says it; from outside, the graph went on with it.
        let mut denied = run(
            "r3",
            "2026-01-01T00:01:00Z",
            json!({a.clone(): {"ship": false}}),
            "success",
            Some("k"),
        );
        denied.metadata["countersign_decision"] = json!("deny");
        assert_eq!(
            resolution_of(&[denied], &a, None, Slot::Custom).status,
            ActionStatus::Denied
        );
        let outside = run(
            "r4",
            "2026-01-01T00:01:00Z",
            json!({a.clone(): {"ship": true}}),
            "error",
            None,
        );
        let r = resolution_of(&[outside], &a, None, Slot::Custom);
        assert_eq!(
            (r.status, r.decided_by.as_str()),
            (ActionStatus::Failed, DECIDED_OUTSIDE)
        );
    }
}
