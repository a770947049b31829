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

use crate::client::LangGraphClient;
use crate::config::LangGraphConfig;
use crate::map::{self, inbox_request, split_action_id};
use crate::sync::{Fetched, apply_thread, fetch_thread};
use crate::wire::{META_ACTOR, META_KEY};
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
    },
    /// Not answered yet; the entry stays queued. `stop` when the server is unreachable.
    Wait { error: String, stop: bool },
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
        let stored = blocking(store_path, move |s| Ok(actions::get(s.conn(), &bid, &aid)?)).await?;
        let answer = deliver_one(client, e, stored.as_ref()).await;
        match answer {
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
            } => {
                match state {
                    EntryState::Delivered => report.delivered += 1,
                    EntryState::Conflict => report.conflicts += 1,
                    _ => report.rejected += 1,
                }
                let (entry, bid, cfg) = (e.clone(), backend_id.to_string(), cfg.clone());
                let max_record = countersign_sync::SyncOptions::default().max_record_bytes;
                blocking(store_path, move |s| {
                    let now = Utc::now();
                    let tx = s.write()?;
                    outbox::answered(&tx, entry.id, state, &response, error.as_deref(), now)?;
                    if let Some(f) = &fetched {
                        apply_thread(&tx, &bid, &cfg, fresh_days, max_record, f)?;
                    }
                    if let Some(a) = &local {
                        actions::upsert(&tx, &bid, a)?;
                    }
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
                        }),
                        now,
                    )?;
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
) -> Answer {
    if e.op == "rollback" {
        return rejected("a LangGraph Server cannot roll back an executed write".into());
    }
    let decision: Decision = match serde_json::from_value(e.body.clone()) {
        Ok(d) => d,
        Err(err) => return rejected(format!("unreadable decision: {err}")),
    };
    let Some((thread_id, interrupt_id)) = split_action_id(&e.action_id) else {
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
    let Some(value) = thread
        .pending()
        .into_iter()
        .find(|(_, i)| i.id == interrupt_id)
        .map(|(_, i)| i.value.clone())
    else {
        return already_answered(client, thread, interrupt_id, e).await;
    };
    let req = match inbox_request(&value) {
        Ok(r) => r,
        Err(reason) => return rejected(reason),
    };
    if let Err(changed) = map::check_unchanged(&req, stored, &decision) {
        let msg = format!("the request changed since it was reviewed: {changed}");
        let fetched = fetch_thread(client, thread).await.ok();
        return final_answer(
            EntryState::Conflict,
            json!({"code": "conflict", "message": msg}),
            Some(msg),
            fetched,
        );
    }
    let resume = match map::resume_value(&req, &decision) {
        Ok(Some(v)) => json!({ interrupt_id: v }),
        Ok(None) => return rejected("nothing to resume".into()),
        Err(reason) => return rejected(reason),
    };
    let Some(assistant) = thread.assistant().map(str::to_string) else {
        return rejected("the thread names no assistant or graph to resume".into());
    };

    // 2. Resume, once.
    let metadata = json!({
        META_KEY: e.idempotency_key,
        META_ACTOR: e.actor,
        "countersign_action_id": e.action_id,
    });
    let run = match client
        .resume(thread_id, &assistant, &resume, &metadata)
        .await
    {
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
        Some(r) if r.run_id == run.run_id || r.countersign_key() == Some(&e.idempotency_key) => {
            final_answer(
                EntryState::Delivered,
                json!({
                    "run_id": run.run_id,
                    "thread_status": fetched.thread.status,
                    "replayed": r.run_id != run.run_id,
                }),
                None,
                Some(fetched),
            )
        }
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
    thread: crate::wire::Thread,
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
        if r.countersign_key() == Some(&e.idempotency_key) {
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
