//! Replaying a golden set on a LangGraph Server, in eval mode: nothing is written.
//!
//! Each case's recorded input (the run's `inputs`: what the thread's first run was given, as
//! [`crate::map`] reads it from the `__start__` task) starts a **new thread** on the chosen
//! assistant, tagged with the eval id ([`META_EVAL`]). The console waits for the run to end
//! (`join`, no polling), reads the final state, history and pending interrupts, and builds the
//! run record exactly as a sync would ([`crate::map::build`]), tagged with the eval id. Every
//! interrupt is a proposed write: its arguments are kept on the run as `changes` (no action
//! id) and the thread is **never resumed**. The thread is then deleted, so no reviewer can
//! ever approve what the replay proposed; a thread whose deletion failed is still skipped by
//! [`crate::sync()`] because of its tag. A run that does not end within the request timeout is
//! cancelled (`action=rollback`) and recorded as failed. A server error part way stops the
//! replay; [`replay_keeping`] keeps the cases replayed so far and the failing case as a failed
//! run carrying the error text.
//!
//! Nodes the backend config names as writing without asking (`replay.write_nodes`) are sent as
//! `interrupt_before`: the replayed run stops before each of them, so it cannot write; such a
//! stop is recorded like an interrupt (outcome pending, decision `stopped before NODE`).
//!
//! An assistant **version** (`POST /assistants/{id}/versions`) is replayed without touching
//! the assistant: the version's own configuration (`config` or `context`) is sent with each
//! run on the version's graph (its default assistant), so keys of the assistant's latest
//! version cannot leak in, and the assistant's latest version is never changed.

use crate::client::LangGraphClient;
use crate::config::LangGraphConfig;
use crate::map::{self, Built};
use crate::wire::{HistoryState, RunInfo, Thread};
use countersign_core::golden::{ConfigLabel, GoldenCase};
use countersign_core::{Outcome, PendingAction, Run};
use countersign_sync::SyncError;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Thread and run metadata key naming the eval a replayed thread belongs to.
pub const META_EVAL: &str = "countersign_eval";
/// Thread metadata key naming the golden case a replayed thread answers.
pub const META_CASE: &str = "countersign_case";

/// What to replay on: an assistant (its id, or a graph name for the graph's default
/// assistant) and, optionally, one of its versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayTarget {
    /// Assistant id (a UUID) or graph name.
    pub assistant: String,
    /// Assistant version to run instead of the latest (needs an assistant id).
    pub version: Option<u32>,
}

/// A fresh eval id for a LangGraph replay (`lgeval_` and 16 hex digits).
pub fn new_eval_id() -> String {
    format!("lgeval_{:016x}", rand::random::<u64>())
}

/// What one replay found beside the run record: the thread it ran on and what happened to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Replayed {
    /// The case (its recorded run's id).
    pub case_id: String,
    /// The run record, tagged with the eval id.
    pub run: Run,
    /// The thread the case ran on (deleted afterwards).
    pub thread_id: String,
    /// Proposed writes left unanswered (one per interrupt request).
    pub proposed: Vec<PendingAction>,
    /// The thread's runs as the server listed them before the thread was deleted: the replay's
    /// one run, never a resume.
    pub runs: Vec<RunInfo>,
    /// The thread was deleted after it was read.
    pub deleted: bool,
}

/// How to run: the assistant id to create runs with and the configuration to send.
struct Resolved {
    assistant: String,
    /// `{"config": …}` or `{"context": …}` of the chosen version, or nothing.
    settings: serde_json::Map<String, Value>,
}

async fn resolve(client: &LangGraphClient, target: &ReplayTarget) -> Result<Resolved, SyncError> {
    let Some(version) = target.version else {
        return Ok(Resolved {
            assistant: target.assistant.clone(),
            settings: serde_json::Map::new(),
        });
    };
    let versions = client.assistant_versions(&target.assistant).await?;
    let v = versions
        .iter()
        .find(|v| v.get("version").and_then(Value::as_u64) == Some(u64::from(version)))
        .ok_or_else(|| {
            SyncError::Protocol(format!(
                "assistant {} has no version {version} (of {} listed)",
                target.assistant,
                versions.len()
            ))
        })?;
    let graph = v
        .get("graph_id")
        .and_then(Value::as_str)
        .ok_or_else(|| SyncError::Protocol("an assistant version without graph_id".into()))?;
    let mut settings = serde_json::Map::new();
    let configurable = v
        .pointer("/config/configurable")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    let context = v
        .get("context")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    // The server refuses both at once; `configurable` is mirrored into `context` by newer
    // servers, so it is the one to send when present.
    if let Some(c) = configurable {
        settings.insert("config".into(), json!({"configurable": c}));
    } else if let Some(c) = context {
        settings.insert("context".into(), Value::Object(c.clone()));
    }
    Ok(Resolved {
        assistant: graph.to_string(),
        settings,
    })
}

/// Replays `cases` on `target` as eval `eval_id` under the labels `config` (kept on the runs
/// as `workflow_version` and `model` when given). Cases are replayed one after another; the
/// first server error stops the replay (threads already created are deleted) and is returned:
/// [`replay_keeping`] keeps what was replayed instead.
pub async fn replay(
    client: &LangGraphClient,
    eval_id: &str,
    target: &ReplayTarget,
    config: &ConfigLabel,
    cfg: &LangGraphConfig,
    cases: &[GoldenCase],
) -> Result<Vec<Replayed>, SyncError> {
    let r = replay_keeping(client, eval_id, target, config, cfg, cases).await?;
    match r.stopped {
        Some(s) => Err(s.error),
        None => Ok(r.replayed),
    }
}

/// A replay that may have stopped part way.
#[derive(Debug)]
pub struct Replay {
    /// The cases replayed before it stopped (all of them when it did not).
    pub replayed: Vec<Replayed>,
    /// The server error that stopped it, if one did.
    pub stopped: Option<Stopped>,
}

/// Where and why a replay stopped.
#[derive(Debug)]
pub struct Stopped {
    /// The case it failed on.
    pub case_id: String,
    /// That case as a failed run carrying the error text (tagged with the eval id).
    pub run: Run,
    /// The error.
    pub error: SyncError,
}

impl Replay {
    /// The runs by case id, as the golden comparison takes them: the failing case's failed run
    /// included; cases after it have none.
    pub fn runs_by_case(self) -> HashMap<String, Run> {
        let mut out = runs_by_case(self.replayed);
        if let Some(s) = self.stopped {
            out.insert(s.case_id, s.run);
        }
        out
    }

    /// The error text, with the case it stopped on, if it stopped.
    pub fn error_text(&self) -> Option<String> {
        self.stopped
            .as_ref()
            .map(|s| format!("stopped at case {}: {}", s.case_id, s.error))
    }
}

/// Like [`replay`], but a server error part way keeps what was replayed so far and records the
/// case it failed on as a failed run carrying the error text ([`Replay::stopped`]); later cases
/// are not replayed. Only an error before any case ran (the assistant version cannot be
/// resolved) is returned as `Err`.
pub async fn replay_keeping(
    client: &LangGraphClient,
    eval_id: &str,
    target: &ReplayTarget,
    config: &ConfigLabel,
    cfg: &LangGraphConfig,
    cases: &[GoldenCase],
) -> Result<Replay, SyncError> {
    let resolved = resolve(client, target).await?;
    let mut replayed = Vec::with_capacity(cases.len());
    for (position, case) in cases.iter().enumerate() {
        match replay_one(client, eval_id, position, &resolved, config, cfg, case).await {
            Ok(r) => replayed.push(r),
            Err(error) => {
                let run = case.failed_run(
                    eval_id,
                    position,
                    config,
                    &error.to_string(),
                    chrono::Utc::now(),
                );
                return Ok(Replay {
                    replayed,
                    stopped: Some(Stopped {
                        case_id: case.case_id().to_string(),
                        run,
                        error,
                    }),
                });
            }
        }
    }
    Ok(Replay {
        replayed,
        stopped: None,
    })
}

/// The runs of a replay by case id, as the golden comparison takes them.
pub fn runs_by_case(replayed: Vec<Replayed>) -> HashMap<String, Run> {
    replayed.into_iter().map(|r| (r.case_id, r.run)).collect()
}

async fn replay_one(
    client: &LangGraphClient,
    eval_id: &str,
    position: usize,
    resolved: &Resolved,
    config: &ConfigLabel,
    cfg: &LangGraphConfig,
    case: &GoldenCase,
) -> Result<Replayed, SyncError> {
    let tags = json!({META_EVAL: eval_id, META_CASE: case.case_id()});
    let thread_id = client.create_thread(&tags).await?;
    let result = run_and_read(client, &thread_id, eval_id, resolved, cfg, &tags, case).await;
    // Whatever happened, the thread goes: nothing it proposed can be approved later.
    let deleted = client.delete_thread(&thread_id).await.is_ok();
    let Read {
        thread,
        history,
        runs,
        ended,
    } = result?;
    let Built { run, actions, .. } =
        map::build(&thread, &history, &runs, cfg, &BTreeMap::default());
    let mut run = run.unwrap_or_else(|| never_ran(&thread, case));
    tag(&mut run, eval_id, position, config, &actions);
    if let Some(nodes) = stopped_before_writes(&history, cfg) {
        run.outcome = Outcome::Pending;
        run.decision = format!("stopped before {nodes}");
        run.rationale = Some(format!(
            "the replay stopped before {nodes} (replay.write_nodes in the backend config): \
             nothing was written"
        ));
    }
    // The replay thread carries no user metadata: the case's tenant and user stand for it.
    if run.tenant.is_empty() {
        run.tenant.clone_from(&case.run.tenant);
    }
    if run.user_id.is_empty() {
        run.user_id.clone_from(&case.run.user_id);
    }
    if let Some(why) = ended {
        run.outcome = Outcome::Fail;
        run.decision = "error".into();
        run.rationale = Some(why);
    }
    Ok(Replayed {
        case_id: case.case_id().to_string(),
        run,
        thread_id,
        proposed: actions,
        runs,
        deleted,
    })
}

/// The write nodes (`replay.write_nodes`) the run stopped before, if it stopped before any: the
/// newest checkpoint's next nodes among them, with no interrupt of its own pending.
fn stopped_before_writes(
    history_newest_first: &[HistoryState],
    cfg: &LangGraphConfig,
) -> Option<String> {
    let newest = history_newest_first.first()?;
    if newest.tasks.iter().any(|t| !t.interrupts.is_empty()) {
        return None;
    }
    let nodes: Vec<&str> = newest
        .next
        .iter()
        .filter(|n| cfg.replay.write_nodes.contains(n))
        .map(String::as_str)
        .collect();
    (!nodes.is_empty()).then(|| nodes.join(", "))
}

/// A replayed thread as read back.
struct Read {
    thread: Thread,
    history: Vec<HistoryState>,
    runs: Vec<RunInfo>,
    /// Why the run did not end by itself (it was cancelled), if so.
    ended: Option<String>,
}

/// Starts the run, waits for it and reads the thread back.
async fn run_and_read(
    client: &LangGraphClient,
    thread_id: &str,
    eval_id: &str,
    resolved: &Resolved,
    cfg: &LangGraphConfig,
    tags: &Value,
    case: &GoldenCase,
) -> Result<Read, SyncError> {
    let mut body = json!({
        "assistant_id": resolved.assistant,
        "input": case.run.inputs,
        "metadata": tags,
        "multitask_strategy": "reject",
    });
    if let Value::Object(m) = &mut body {
        m.extend(resolved.settings.clone());
        // Nodes that write without asking: the run stops before them.
        if !cfg.replay.write_nodes.is_empty() {
            m.insert("interrupt_before".into(), json!(cfg.replay.write_nodes));
        }
    }
    let run = client.create_run(thread_id, &body).await?;
    let ended = match client.join(thread_id, &run.run_id).await {
        Ok(()) => None,
        Err(e) => {
            // Not ended in time (or the wait broke): stop it, undoing what it did.
            client.cancel_run(thread_id, &run.run_id).await?;
            Some(format!("replay of eval {eval_id} cancelled: {e}"))
        }
    };
    let thread = client
        .thread(thread_id)
        .await?
        .ok_or_else(|| SyncError::Protocol(format!("thread {thread_id} vanished")))?;
    let history = client.history(thread_id).await?;
    let runs = client.runs(thread_id).await?;
    Ok(Read {
        thread,
        history,
        runs,
        ended,
    })
}

/// A run record for a thread with no checkpoint (the graph refused the input at once).
fn never_ran(thread: &Thread, case: &GoldenCase) -> Run {
    let now = chrono::Utc::now();
    Run {
        run_id: thread.thread_id.clone(),
        revision: 1,
        tenant: case.run.tenant.clone(),
        user_id: case.run.user_id.clone(),
        team: None,
        workflow: case.run.workflow.clone(),
        workflow_version: String::new(),
        model: String::new(),
        inputs: case.run.inputs.clone(),
        tool_calls: vec![],
        citations: vec![],
        outputs: thread.values.clone(),
        confidence: None,
        cost_micros: countersign_core::Micros::ZERO,
        tokens: Default::default(),
        latency_ms: 0,
        outcome: Outcome::Fail,
        decision: "error".into(),
        rationale: match &thread.error {
            Value::Null => Some("the graph produced no checkpoint".into()),
            e => Some(map::value_text(e)),
        },
        policy_checks: vec![],
        changes: vec![],
        started_at: now,
        ended_at: Some(now),
        updated_at: now,
        eval_id: None,
        prompt: None,
        retrieval: None,
    }
}

/// Tags a replayed thread's run as the eval's: its id, the configuration labels, and the
/// proposed writes as changes with no action (none was created).
fn tag(
    run: &mut Run,
    eval_id: &str,
    position: usize,
    config: &ConfigLabel,
    acts: &[PendingAction],
) {
    run.run_id = format!("{eval_id}-{position:05}");
    run.revision = 1;
    run.eval_id = Some(eval_id.to_string());
    if !config.version.is_empty() {
        run.workflow_version = config.version.clone();
    }
    if !config.model.is_empty() {
        run.model = config.model.clone();
    }
    if !config.prompt.is_empty() {
        run.prompt = Some(config.prompt.clone());
    }
    if !config.retrieval.is_empty() {
        run.retrieval = Some(config.retrieval.clone());
    }
    run.changes = map::proposed_changes(acts);
    for c in &mut run.changes {
        c.action_id = None;
    }
}

/// Whether a thread was created by a replay (and must never be synced as a real run).
pub fn is_replay(thread: &Thread) -> bool {
    thread.meta(META_EVAL).is_some()
}
