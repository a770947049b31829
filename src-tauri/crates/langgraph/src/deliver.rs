//! Delivering queued decisions to a LangGraph Server, with the contract of
//! [`countersign_sync::outbox::deliver`]: every queued entry of the backend, oldest first; an
//! unreachable server leaves the entry (and the rest) queued with the attempt recorded; the
//! answer, the action's new status and an audit event commit together.
//!
//! The server does not protect a decision: a resume of a thread that is no longer interrupted,
//! or a second resume of the same interrupt, is answered 200 and does nothing. So the console
//! checks for itself:
//!
//! 1. **Before**: the thread must be `interrupted` with this interrupt pending, asking what the
//!    reviewer confirmed. If the interrupt is gone, the thread's runs say who answered it: a run
//!    tagged with this entry's idempotency key is this decision delivered by an earlier attempt
//!    (reported delivered, `replayed: true`, nothing sent); anything else is a **conflict**.
//! 2. **Resume**: one `POST /threads/{id}/runs` with `command.resume` keyed by the interrupt id,
//!    `multitask_strategy: reject` (a thread busy with another run answers 409: the entry
//!    waits), and the idempotency key and reviewer in the run's metadata. Never retried
//!    blindly: an attempt whose answer was lost is recognised by its key next time.
//! 3. **After** the run finished: the interrupt must be gone and the first run that answered it
//!    must be this one (or carry this key). If another console's resume got there first, ours
//!    did nothing and the entry is a conflict.
//!
//! An escalation resumes nothing: it is recorded on the action in the store (the console's own
//! hand-over between reviewers) and delivered at once. Rollbacks are rejected: a LangGraph
//! graph cannot undo what it executed.
//!
//! # Batched interrupts
//!
//! The requests of a batched LangChain middleware interrupt ([`crate::shapes`]) are decided one
//! by one but answered by one resume, `{"decisions": [...]}` in request order. A decision on
//! one of them stays queued, **held** (`response: {"held": "batch", "waiting_for": k, "size":
//! n}` and a note in `last_error`, no attempt counted), until every request of the interrupt
//! has a queued decision; an escalated request holds the batch until its escalation role
//! decides. The delivery that finds the batch complete checks every request against the
//! interrupt, resumes once (run metadata: the first request's idempotency key in
//! `countersign_key`, every request's key, reviewer and decision in `countersign_keys`,
//! `countersign_actors`, `countersign_decisions`) and answers every request's entry together.
//! The before/after checks are the same as for one decision: a replayed entry is recognised by
//! its key among the run's keys, a race is a conflict for every entry of the batch.

use crate::client::LangGraphClient;
use crate::config::LangGraphConfig;
use crate::map::{self, parse_action_id};
use crate::shapes::{self, Fill, HitlMode, Request};
use crate::sync::{Fetched, apply_thread, fetch_thread};
use crate::wire::{
    META_ACTOR, META_ACTORS, META_DECISION, META_DECISIONS, META_KEY, META_KEYS, Thread,
};
use chrono::Utc;
use countersign_core::{ActionStatus, Decision, DecisionKind, PendingAction};
use countersign_store::outbox::{self, Entry, EntryState};
use countersign_store::{actions, audit, backends};
use countersign_sync::SyncError;
use countersign_sync::outbox::DeliveryReport;
use countersign_sync::outbox::blocking;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// The outcome of one entry.
enum Answer {
    /// Final: record it.
    Final {
        state: EntryState,
        response: Value,
        error: Option<String>,
        /// The thread as it is now, to rebuild its run and actions from.
        fetched: Option<Box<Fetched>>,
        /// An action to store as is (escalation, deleted thread).
        local: Option<Box<PendingAction>>,
        /// The other entries answered the same way (the rest of a batch).
        also: Vec<Entry>,
    },
    /// Not answered yet; the entry stays queued. `stop` when the server is unreachable.
    Wait { error: String, stop: bool },
    /// Held back on purpose: the other requests of its batched interrupt are not decided yet.
    Held { note: String, response: Value },
}

/// The requests of the batched interrupt an entry belongs to, as the store has them.
struct Batch {
    /// Per request, in order: its action id, the stored action and its queued entry.
    members: Vec<(String, Option<PendingAction>, Option<Entry>)>,
}

/// One delivery at a time per backend in this process; across processes (app and CLI, two
/// consoles) the before/after checks on the server decide.
fn backend_lock(backend_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let map = LOCKS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut m = match map.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    m.entry(backend_id.to_string()).or_default().clone()
}

fn final_answer(
    state: EntryState,
    response: Value,
    error: Option<String>,
    fetched: Option<Fetched>,
) -> Answer {
    Answer::Final {
        state,
        response,
        error,
        fetched: fetched.map(Box::new),
        local: None,
        also: Vec::new(),
    }
}

/// `answer` for every entry of a batch (the first is the one being delivered).
fn for_all(answer: Answer, rest: Vec<Entry>) -> Answer {
    match answer {
        Answer::Final {
            state,
            response,
            error,
            fetched,
            local,
            ..
        } => Answer::Final {
            state,
            response,
            error,
            fetched,
            local,
            also: rest,
        },
        other => other,
    }
}

fn rejected(message: String) -> Answer {
    final_answer(
        EntryState::Rejected,
        json!({"code": "invalid_input", "message": message}),
        Some(message),
        None,
    )
}

/// Whether a failed request means "try again later" (and whether to stop the pass).
fn transient(e: &SyncError) -> bool {
    matches!(
        e,
        SyncError::Unreachable(_)
            | SyncError::Status {
                status: 500..=599 | 408 | 429,
                ..
            }
    )
}

/// Sends every queued decision of a LangGraph Server backend, oldest first (see the module
/// docs). Stops at the first entry the server cannot be reached for; the rest stay queued.
pub async fn deliver(
    store_path: &Path,
    backend_id: &str,
    client: &LangGraphClient,
) -> Result<DeliveryReport, SyncError> {
    let lock = backend_lock(backend_id);
    let _guard = lock.lock().await;
    let id = backend_id.to_string();
    let (entries, cfg, fresh_days) = blocking(store_path, move |s| {
        let b = backends::get(s.conn(), &id)?;
        let cfg = b
            .as_ref()
            .map(|b| LangGraphConfig::from_backend_config(&b.config))
            .unwrap_or_default();
        let days = b.map(|b| b.freshness_days).unwrap_or(365);
        Ok((outbox::queued(s.conn(), &id)?, cfg, days))
    })
    .await?;
    let mut report = DeliveryReport::default();
    for (i, e) in entries.iter().enumerate() {
        // Another delivery (this process before the lock, or another process) may have
        // answered it since the list was read.
        let eid = e.id;
        let still = blocking(store_path, move |s| Ok(outbox::get(s.conn(), eid)?)).await?;
        if still.is_none_or(|x| x.state != EntryState::Queued) {
            continue;
        }
        let bid = backend_id.to_string();
        let aid = e.action_id.clone();
        let (stored, batch) = blocking(store_path, move |s| {
            let stored = actions::get(s.conn(), &bid, &aid)?;
            let batch = match stored.as_ref().and_then(|a| a.batch.as_ref()) {
                Some(b) => {
                    let queued = outbox::queued(s.conn(), &bid)?;
                    let mut members = Vec::new();
                    for m in &b.members {
                        let entry = queued
                            .iter()
                            .find(|q| &q.action_id == m && q.op == "decision")
                            .cloned();
                        members.push((m.clone(), actions::get(s.conn(), &bid, m)?, entry));
                    }
                    Some(Batch { members })
                }
                None => None,
            };
            Ok((stored, batch))
        })
        .await?;
        let answer = deliver_one(client, e, stored.as_ref(), batch, &cfg).await;
        match answer {
            Answer::Held { note, response } => {
                let changed = blocking(store_path, move |s| {
                    Ok(outbox::hold(s.conn(), eid, &note, &response)?)
                })
                .await?;
                report.waiting += 1;
                if changed {
                    report.held += 1;
                }
            }
            Answer::Wait { error, stop } => {
                let msg = error.clone();
                blocking(store_path, move |s| {
                    Ok(outbox::attempt_failed(s.conn(), eid, &msg)?)
                })
                .await?;
                tracing::warn!(action = %e.action_id, error = %error, "decision waiting to send");
                report.last_error = Some(error);
                if stop {
                    report.waiting += (entries.len() - i) as u32;
                    return Ok(report);
                }
                report.waiting += 1;
            }
            Answer::Final {
                state,
                response,
                error,
                fetched,
                local,
                also,
            } => {
                let n = 1 + also.len() as u32;
                match state {
                    EntryState::Delivered => report.delivered += n,
                    EntryState::Conflict => report.conflicts += n,
                    _ => report.rejected += n,
                }
                let (first, bid, cfg) = (e.clone(), backend_id.to_string(), cfg.clone());
                let max_record = countersign_sync::SyncOptions::default().max_record_bytes;
                blocking(store_path, move |s| {
                    let now = Utc::now();
                    let tx = s.write()?;
                    let entries: Vec<Entry> = std::iter::once(first).chain(also).collect();
                    for entry in &entries {
                        outbox::answered(&tx, entry.id, state, &response, error.as_deref(), now)?;
                    }
                    if let Some(f) = &fetched {
                        apply_thread(&tx, &bid, &cfg, fresh_days, max_record, f)?;
                    }
                    if let Some(a) = &local {
                        actions::upsert(&tx, &bid, a)?;
                    }
                    for entry in &entries {
                    let status = actions::get(&tx, &bid, &entry.action_id)?.map(|a| a.status);
                    audit::append(
                        &tx,
                        &entry.actor,
                        countersign_core::audit::kinds::DECISION_DELIVERY,
                        &format!("{bid}/{}", entry.action_id),
                        json!({
                            "op": entry.op,
                            "idempotency_key": entry.idempotency_key,
                            "outcome": match state {
                                EntryState::Delivered => "delivered",
                                EntryState::Conflict => "conflict",
                                _ => "rejected",
                            },
                            "error": error,
                            "replayed": response.get("replayed").cloned().unwrap_or(Value::Null),
                            "action_status": status.map(|s| s.as_str()),
                            "langgraph_run_id": response.get("run_id").cloned().unwrap_or(Value::Null),
                            "batch": response.get("batch").cloned().unwrap_or(Value::Null),
                        }),
                        now,
                    )?;
                    }
                    tx.commit().map_err(countersign_store::StoreError::from)?;
                    Ok(())
                })
                .await?;
            }
        }
    }
    Ok(report)
}

async fn deliver_one(
    client: &LangGraphClient,
    e: &Entry,
    stored: Option<&PendingAction>,
    batch: Option<Batch>,
    cfg: &LangGraphConfig,
) -> Answer {
    if e.op == "rollback" {
        return rejected("a LangGraph Server cannot roll back an executed write".into());
    }
    let decision: Decision = match serde_json::from_value(e.body.clone()) {
        Ok(d) => d,
        Err(err) => return rejected(format!("unreadable decision: {err}")),
    };
    let Some((thread_id, interrupt_id, _)) = parse_action_id(&e.action_id) else {
        return rejected(format!("{:?} is not a LangGraph action id", e.action_id));
    };
    let Some(stored) = stored else {
        return rejected(format!("no action {} in the store", e.action_id));
    };
    if decision.decision == DecisionKind::Escalate {
        let mut a = stored.clone();
        a.escalated_to = decision.escalate_to;
        a.revision += 1;
        a.updated_at = Utc::now().max(a.updated_at);
        return Answer::Final {
            state: EntryState::Delivered,
            response: json!({"escalated_to": decision.escalate_to, "local": true}),
            error: None,
            fetched: None,
            local: Some(Box::new(a)),
            also: Vec::new(),
        };
    }

    // 1. Before.
    let thread = match client.thread(thread_id).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            let mut a = stored.clone();
            if a.status == ActionStatus::Pending {
                a.status = ActionStatus::Expired;
                a.decided_by = Some("thread deleted on the server".into());
                a.revision += 1;
                a.updated_at = Utc::now().max(a.updated_at);
            }
            let msg = format!("thread {thread_id} no longer exists on the server");
            return Answer::Final {
                state: EntryState::Conflict,
                response: json!({"code": "conflict", "message": msg}),
                error: Some(msg),
                fetched: None,
                local: Some(Box::new(a)),
                also: Vec::new(),
            };
        }
        Err(err) => return wait_or_reject(err),
    };
    if !thread.has_pending(interrupt_id) {
        return already_answered(client, thread, interrupt_id, e).await;
    }
    if thread.status == "busy" {
        return Answer::Wait {
            error: "the thread is running another task; the decision will be sent after it".into(),
            stop: false,
        };
    }
    let Some(pending) = thread
        .pending()
        .into_iter()
        .find(|(_, i)| i.id == interrupt_id)
        .map(|(_, i)| i.clone())
    else {
        return already_answered(client, thread, interrupt_id, e).await;
    };
    let graph = thread
        .meta("graph_id")
        .or_else(|| thread.meta("assistant_id"))
        .unwrap_or("langgraph")
        .to_string();
    // The node a custom interrupt came from is its action's kind (see `shapes::Request::action`).
    let reqs = match shapes::requests(
        &pending.value,
        pending.response_schema.as_ref(),
        &graph,
        &stored.kind,
    ) {
        Ok(r) => r,
        Err(reason) => return rejected(reason),
    };
    let planned = match &batch {
        Some(b) => plan_batch(e, &decision, &reqs, b, &graph),
        None => plan_one(e, &decision, &reqs, stored, cfg, &graph),
    };
    let Plan {
        resume,
        metadata,
        rest,
    } = match planned {
        Ok(p) => p,
        Err(Refusal::Rejected(reason)) => return rejected(reason),
        Err(Refusal::Held(note, response)) => return Answer::Held { note, response },
        Err(Refusal::Changed(changed)) => {
            let msg = format!("the request changed since it was reviewed: {changed}");
            let fetched = fetch_thread(client, thread).await.ok();
            return for_all(
                final_answer(
                    EntryState::Conflict,
                    json!({"code": "conflict", "message": msg}),
                    Some(msg),
                    fetched,
                ),
                batch_rest(&batch, e),
            );
        }
    };
    let resume = json!({ interrupt_id: resume });
    let Some(assistant) = thread.assistant().map(str::to_string) else {
        return rejected("the thread names no assistant or graph to resume".into());
    };
    let batch_note = batch.as_ref().map(|b| json!({"size": b.members.len()}));
    let answer = resume_once(
        client,
        e,
        thread_id,
        interrupt_id,
        &assistant,
        &resume,
        &metadata,
        batch_note,
    )
    .await;
    for_all(answer, rest)
}

/// The other entries of `e`'s batch that are queued.
fn batch_rest(batch: &Option<Batch>, e: &Entry) -> Vec<Entry> {
    batch
        .iter()
        .flat_map(|b| b.members.iter())
        .filter_map(|(_, _, q)| q.clone())
        .filter(|q| q.id != e.id)
        .collect()
}

/// What one resume sends.
struct Plan {
    /// The resume value for the interrupt.
    resume: Value,
    /// The run's metadata.
    metadata: Value,
    /// The other entries it answers (the rest of a batch).
    rest: Vec<Entry>,
}

/// Why nothing is resumed now.
enum Refusal {
    /// The decision cannot be sent (a final rejection).
    Rejected(String),
    /// The request changed since it was reviewed (a conflict).
    Changed(String),
    /// The rest of the batch is not decided yet.
    Held(String, Value),
}

/// The resume of an interrupt that holds one request.
fn plan_one(
    e: &Entry,
    decision: &Decision,
    reqs: &[Request],
    stored: &PendingAction,
    cfg: &LangGraphConfig,
    graph: &str,
) -> Result<Plan, Refusal> {
    let [req] = reqs else {
        return Err(Refusal::Rejected(format!(
            "the interrupt now holds {} requests; sync and review them",
            reqs.len()
        )));
    };
    map::check_args_unchanged(req.args(), stored, decision).map_err(Refusal::Changed)?;
    let value = match req {
        Request::Inbox(r) => map::resume_value(r, decision),
        Request::Hitl(r) => shapes::hitl_decision(r, decision),
        Request::Custom(r) => shapes::template_resume(
            r,
            cfg.template_for(graph, &r.node),
            &Fill {
                decision,
                reviewer: &e.actor,
            },
        ),
    };
    let resume = match value {
        Ok(Some(v)) => v,
        Ok(None) => return Err(Refusal::Rejected("nothing to resume".into())),
        Err(reason) => return Err(Refusal::Rejected(reason)),
    };
    Ok(Plan {
        resume,
        metadata: json!({
            META_KEY: e.idempotency_key,
            META_ACTOR: e.actor,
            META_DECISION: decision_name(decision.decision),
            "countersign_action_id": e.action_id,
        }),
        rest: Vec::new(),
    })
}

fn decision_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Approve => "approve",
        DecisionKind::ApproveWithEdits => "approve_with_edits",
        DecisionKind::Deny => "deny",
        DecisionKind::Escalate => "escalate",
    }
}

/// The one resume of a batched interrupt, once every request has a queued decision.
fn plan_batch(
    e: &Entry,
    decision: &Decision,
    reqs: &[Request],
    batch: &Batch,
    graph: &str,
) -> Result<Plan, Refusal> {
    let size = batch.members.len();
    let hitl: Vec<&shapes::HitlRequest> = reqs
        .iter()
        .filter_map(|r| match r {
            Request::Hitl(h) if matches!(h.mode, HitlMode::Batched { .. }) => Some(h),
            _ => None,
        })
        .collect();
    if hitl.len() != reqs.len() || hitl.len() != size {
        return Err(Refusal::Rejected(format!(
            "interrupt of graph {graph} holds {} requests where {size} were reviewed",
            reqs.len()
        )));
    }
    // Every request needs a queued decision that resumes (an escalation does not).
    let mut decisions: Vec<(Entry, Decision)> = Vec::new();
    let mut undecided: Vec<String> = Vec::new();
    let mut escalated = 0;
    for (i, (_, stored, queued)) in batch.members.iter().enumerate() {
        let d = queued
            .as_ref()
            .filter(|q| q.id != e.id)
            .and_then(|q| {
                serde_json::from_value::<Decision>(q.body.clone())
                    .ok()
                    .map(|d| (q.clone(), d))
            })
            .or_else(|| {
                (queued.as_ref().is_some_and(|q| q.id == e.id))
                    .then(|| (e.clone(), decision.clone()))
            })
            .filter(|(_, d)| d.decision != DecisionKind::Escalate);
        match d {
            Some(pair) => decisions.push(pair),
            None => {
                if stored.as_ref().is_some_and(|a| a.escalated_to.is_some()) {
                    escalated += 1;
                }
                undecided.push(format!("{}", i + 1));
            }
        }
    }
    if !undecided.is_empty() {
        let k = undecided.len();
        let mut note = format!(
            "waiting for {k} other request{} of this interrupt (request{} {} of {size}): the \
             agent resumes when all {size} are decided",
            if k == 1 { "" } else { "s" },
            if k == 1 { "" } else { "s" },
            undecided.join(", ")
        );
        if escalated > 0 {
            note.push_str(&format!(
                "; {escalated} {} escalated and waits for its role",
                if escalated == 1 { "is" } else { "are" }
            ));
        }
        return Err(Refusal::Held(
            note,
            json!({"held": "batch", "waiting_for": k, "size": size, "escalated": escalated}),
        ));
    }
    for ((_, stored, _), (_, d)) in batch.members.iter().zip(&decisions) {
        let Some(stored) = stored else {
            return Err(Refusal::Rejected(
                "a request of the batch is not in the store".into(),
            ));
        };
        let index = stored
            .batch
            .as_ref()
            .map(|b| b.index as usize)
            .unwrap_or_default();
        let Some(req) = hitl.get(index) else {
            return Err(Refusal::Rejected("a request of the batch is gone".into()));
        };
        if req.name != stored.kind {
            return Err(Refusal::Changed(format!(
                "request {} is now {:?}, {:?} was reviewed",
                index + 1,
                req.name,
                stored.kind
            )));
        }
        map::check_args_unchanged(&req.args, stored, d).map_err(Refusal::Changed)?;
    }
    let owned: Vec<shapes::HitlRequest> = hitl.iter().map(|r| (*r).clone()).collect();
    let ds: Vec<&Decision> = decisions.iter().map(|(_, d)| d).collect();
    let resume = shapes::batched_resume(&owned, &ds).map_err(Refusal::Rejected)?;
    let keys: Vec<&str> = decisions
        .iter()
        .map(|(q, _)| q.idempotency_key.as_str())
        .collect();
    let actors: Vec<&str> = decisions.iter().map(|(q, _)| q.actor.as_str()).collect();
    let kinds: Vec<&str> = decisions
        .iter()
        .map(|(_, d)| decision_name(d.decision))
        .collect();
    Ok(Plan {
        resume,
        metadata: json!({
            META_KEY: keys.first().copied().unwrap_or(e.idempotency_key.as_str()),
            META_ACTOR: e.actor,
            META_KEYS: keys,
            META_ACTORS: actors,
            META_DECISIONS: kinds,
            "countersign_action_id": e.action_id,
        }),
        rest: decisions
            .into_iter()
            .map(|(q, _)| q)
            .filter(|q| q.id != e.id)
            .collect(),
    })
}

/// Resumes the thread once and checks what happened (steps 2 and 3 of the module docs).
#[allow(clippy::too_many_arguments)]
async fn resume_once(
    client: &LangGraphClient,
    e: &Entry,
    thread_id: &str,
    interrupt_id: &str,
    assistant: &str,
    resume: &Value,
    metadata: &Value,
    batch: Option<Value>,
) -> Answer {
    // 2. Resume, once.
    let run = match client.resume(thread_id, assistant, resume, metadata).await {
        Ok(r) => r,
        Err(SyncError::Status { status: 409, .. }) => {
            return Answer::Wait {
                error: "the thread is busy with another run; the decision will be sent after it"
                    .into(),
                stop: false,
            };
        }
        Err(err) => return wait_or_reject(err),
    };
    if let Err(err) = client.join(thread_id, &run.run_id).await {
        return Answer::Wait {
            error: format!(
                "resume sent as run {}; its end was not seen ({err}); checked again next time",
                run.run_id
            ),
            stop: true,
        };
    }

    // 3. After.
    let after = match client.thread(thread_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return rejected(format!("thread {thread_id} vanished after the resume")),
        Err(err) => {
            return Answer::Wait {
                error: format!(
                    "resume sent as run {}; could not check it: {err}",
                    run.run_id
                ),
                stop: true,
            };
        }
    };
    if after.has_pending(interrupt_id) {
        return rejected(format!(
            "the server accepted the resume (run {}) but interrupt {interrupt_id} is still pending",
            run.run_id
        ));
    }
    let fetched = match fetch_thread(client, after).await {
        Ok(f) => f,
        Err(err) => {
            return Answer::Wait {
                error: format!(
                    "resume sent as run {}; could not check it: {err}",
                    run.run_id
                ),
                stop: true,
            };
        }
    };
    let raised = map::raised_at(&fetched.history, interrupt_id);
    let answered_by = map::resolver(&fetched.runs, interrupt_id, raised).map(|(r, _)| r.clone());
    match answered_by {
        Some(r) if r.run_id == run.run_id || r.carries_key(&e.idempotency_key) => final_answer(
            EntryState::Delivered,
            json!({
                "run_id": run.run_id,
                "thread_status": fetched.thread.status,
                "replayed": r.run_id != run.run_id,
                "batch": batch,
            }),
            None,
            Some(fetched),
        ),
        other => {
            let by = other
                .as_ref()
                .map(|r| format!("run {}", r.run_id))
                .unwrap_or_else(|| "something other than a resume".into());
            let msg = format!(
                "interrupt {interrupt_id} was answered by {by} before this decision's run {} (which did nothing)",
                run.run_id
            );
            final_answer(
                EntryState::Conflict,
                json!({"code": "conflict", "message": msg, "run_id": run.run_id, "answered_by": other.map(|r| r.run_id)}),
                Some(msg),
                Some(fetched),
            )
        }
    }
}

/// The interrupt is no longer pending: this decision delivered earlier (replay), or a conflict.
async fn already_answered(
    client: &LangGraphClient,
    thread: Thread,
    interrupt_id: &str,
    e: &Entry,
) -> Answer {
    let fetched = match fetch_thread(client, thread).await {
        Ok(f) => f,
        Err(err) => return wait_or_reject(err),
    };
    let raised = map::raised_at(&fetched.history, interrupt_id);
    let by = map::resolver(&fetched.runs, interrupt_id, raised).map(|(r, _)| r.clone());
    if let Some(r) = &by {
        if r.carries_key(&e.idempotency_key) {
            if matches!(r.status.as_str(), "pending" | "running") {
                return Answer::Wait {
                    error: format!("this decision's run {} is still running", r.run_id),
                    stop: false,
                };
            }
            return final_answer(
                EntryState::Delivered,
                json!({"run_id": r.run_id, "thread_status": fetched.thread.status, "replayed": true}),
                None,
                Some(fetched),
            );
        }
    } else if fetched.thread.status == "busy" {
        return Answer::Wait {
            error: "the thread is running; checked again next time".into(),
            stop: false,
        };
    }
    let msg = match &by {
        Some(r) => format!(
            "interrupt {interrupt_id} was already answered by run {} ({})",
            r.run_id,
            if r.countersign_key().is_some() {
                "another console decision"
            } else {
                "outside the console"
            }
        ),
        None => format!("interrupt {interrupt_id} is no longer pending"),
    };
    final_answer(
        EntryState::Conflict,
        json!({"code": "conflict", "message": msg, "answered_by": by.map(|r| r.run_id)}),
        Some(msg),
        Some(fetched),
    )
}

fn wait_or_reject(err: SyncError) -> Answer {
    if transient(&err) {
        Answer::Wait {
            error: err.to_string(),
            stop: true,
        }
    } else {
        let msg = err.to_string();
        final_answer(
            EntryState::Rejected,
            json!({"code": err.code(), "message": msg}),
            Some(msg),
            None,
        )
    }
}
