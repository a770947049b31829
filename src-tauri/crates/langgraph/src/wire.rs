//! The parts of the LangGraph Server API this connector reads, as the server sends them. Every
//! field is optional or defaulted: the server is third-party and its output is untrusted, so a
//! missing field degrades the record instead of failing the page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A thread (`POST /threads/search`, `GET /threads/{id}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    /// Thread id (a UUID).
    pub thread_id: String,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed (any run, status change or state update bumps it).
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Thread metadata (`graph_id`, `assistant_id`, `user_id`, whatever the creator set).
    #[serde(default)]
    pub metadata: Value,
    /// `idle`, `busy`, `interrupted` or `error`.
    #[serde(default)]
    pub status: String,
    /// Current state values.
    #[serde(default)]
    pub values: Value,
    /// Pending interrupts by task id.
    #[serde(default)]
    pub interrupts: BTreeMap<String, Vec<Interrupt>>,
    /// The error of the last run, for a thread in status `error`.
    #[serde(default)]
    pub error: Value,
}

impl Thread {
    /// A string from the thread's metadata.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }

    /// Every pending interrupt, with the task it belongs to, in a stable order.
    pub fn pending(&self) -> Vec<(&str, &Interrupt)> {
        self.interrupts
            .iter()
            .flat_map(|(task, list)| list.iter().map(move |i| (task.as_str(), i)))
            .collect()
    }

    /// Whether the interrupt with this id is pending.
    pub fn has_pending(&self, interrupt_id: &str) -> bool {
        self.pending().iter().any(|(_, i)| i.id == interrupt_id)
    }

    /// The assistant (or graph) to create runs with.
    pub fn assistant(&self) -> Option<&str> {
        self.meta("assistant_id").or_else(|| self.meta("graph_id"))
    }
}

/// One interrupt: its id (what a keyed resume names) and the value the graph passed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interrupt {
    /// Interrupt id.
    #[serde(default)]
    pub id: String,
    /// The value given to `interrupt()`.
    #[serde(default)]
    pub value: Value,
    /// JSON Schema of the value expected on resume, when the graph gave one (LangChain's
    /// middleware does in `per_call` mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
}

/// A task of a checkpoint in the thread's history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Task id.
    #[serde(default)]
    pub id: String,
    /// Node name.
    #[serde(default)]
    pub name: String,
    /// Error text when the node raised.
    #[serde(default)]
    pub error: Option<Value>,
    /// Interrupts the node raised.
    #[serde(default)]
    pub interrupts: Vec<Interrupt>,
    /// What the node wrote, once it finished.
    #[serde(default)]
    pub result: Option<Value>,
}

/// One checkpoint of a thread's history (`POST /threads/{id}/history`, newest first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryState {
    /// State values at this checkpoint.
    #[serde(default)]
    pub values: Value,
    /// Nodes to run next.
    #[serde(default)]
    pub next: Vec<String>,
    /// Tasks of this step.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Checkpoint metadata (`step`, `source`, `run_id`, ...).
    #[serde(default)]
    pub metadata: Value,
    /// When the checkpoint was written.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Checkpoint id.
    #[serde(default)]
    pub checkpoint_id: Option<String>,
}

impl HistoryState {
    /// The checkpoint id, from either place the server puts it.
    pub fn id(&self) -> String {
        self.checkpoint_id.clone().unwrap_or_default()
    }
}

/// A run of a thread (`GET /threads/{id}/runs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Run id.
    #[serde(default)]
    pub run_id: String,
    /// `pending`, `running`, `success`, `error`, `timeout`, `interrupted`.
    #[serde(default)]
    pub status: String,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Run metadata (the console tags its resumes with `countersign_key`).
    #[serde(default)]
    pub metadata: Value,
    /// The run's arguments (`command.resume` for a resume).
    #[serde(default)]
    pub kwargs: Value,
}

impl RunInfo {
    /// The `command.resume` value, when this run was a resume.
    pub fn resume(&self) -> Option<&Value> {
        self.kwargs
            .get("command")
            .and_then(|c| c.get("resume"))
            .filter(|v| !v.is_null())
    }

    /// The idempotency key the console tagged the run with, if it did.
    pub fn countersign_key(&self) -> Option<&str> {
        self.metadata.get(META_KEY).and_then(Value::as_str)
    }

    /// Whether the run carries the decision with idempotency key `key`: its own key, or one of
    /// the keys of a batched resume ([`META_KEYS`]).
    pub fn carries_key(&self, key: &str) -> bool {
        self.countersign_key() == Some(key)
            || self
                .metadata
                .get(META_KEYS)
                .and_then(Value::as_array)
                .is_some_and(|keys| keys.iter().any(|k| k.as_str() == Some(key)))
    }

    /// The console decision for request `index` of a batched resume, or of the resume.
    pub fn countersign_decision(&self, index: Option<usize>) -> Option<&str> {
        match index {
            Some(i) => self
                .metadata
                .get(META_DECISIONS)
                .and_then(Value::as_array)
                .and_then(|d| d.get(i))
                .and_then(Value::as_str),
            None => self.metadata.get(META_DECISION).and_then(Value::as_str),
        }
    }

    /// The reviewer of request `index` of a batched resume, or of the resume.
    pub fn countersign_actor(&self, index: Option<usize>) -> Option<&str> {
        index
            .and_then(|i| {
                self.metadata
                    .get(META_ACTORS)
                    .and_then(Value::as_array)
                    .and_then(|a| a.get(i))
                    .and_then(Value::as_str)
            })
            .or_else(|| self.metadata.get(META_ACTOR).and_then(Value::as_str))
    }
}

/// Run metadata key under which the console records the idempotency key of the decision a
/// resume carries; it is how a replayed delivery recognises its own earlier resume.
pub const META_KEY: &str = "countersign_key";
/// Run metadata key naming the reviewer whose decision a resume carries.
pub const META_ACTOR: &str = "countersign_actor";
/// Run metadata key of the console decision (`approve`, `approve_with_edits`, `deny`) a resume
/// carries: what a custom interrupt's answer meant, which its value does not say.
pub const META_DECISION: &str = "countersign_decision";
/// Run metadata keys of a batched resume: every request's idempotency key, reviewer and
/// decision, in request order ([`META_KEY`] is the first request's key).
pub const META_KEYS: &str = "countersign_keys";
/// See [`META_KEYS`].
pub const META_ACTORS: &str = "countersign_actors";
/// See [`META_KEYS`].
pub const META_DECISIONS: &str = "countersign_decisions";

/// Server information (`GET /info`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// langgraph-api version.
    #[serde(default)]
    pub version: Option<String>,
    /// langgraph (Python) version.
    #[serde(default)]
    pub langgraph_py_version: Option<String>,
}
