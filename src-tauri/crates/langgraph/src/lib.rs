//! Countersign's LangGraph Server connector.
//!
//! A LangGraph Server (what `langgraph dev` serves, or a LangSmith deployment) runs graphs in
//! threads. A graph that asks a human before a risky write calls `interrupt()`: with an Agent
//! Inbox request (`action_request {action, args}`, `config {allow_accept, allow_edit,
//! allow_respond, allow_ignore}`, `description`), through LangChain v1's
//! `HumanInTheLoopMiddleware` (batched or per-call tool approvals), or with a value of its own;
//! the thread then waits in status `interrupted` until a run resumes it with `command.resume`.
//! [`shapes`] reads each shape into reviewable requests.
//!
//! - [`sync()`] turns threads into runs (their checkpoint history is the trace) and their
//!   interrupts into pending actions reviewed like native ones ([`map`] says how), with the
//!   same crash-safe, incremental contract as `countersign_sync::sync_backend`.
//! - [`deliver()`] resumes threads with the decisions reviewers queued, checking before and
//!   after on the server, since the server itself answers 200 to a resume that does nothing.
//! - [`LangGraphConfig`] (the backend row's `config`) says which arguments of which action
//!   a reviewer must confirm; by default, all of them; and which metadata keys name a run's
//!   user and tenant ([`identity`]).
//! - [`replay()`] replays a golden set's inputs as new threads in eval mode: interrupts are
//!   recorded as proposed writes, never resumed, and the threads are deleted ([`replay`]).
//! - [`probe()`] checks a server before the backend is added.

pub mod client;
pub mod config;
pub mod deliver;
pub mod identity;
pub mod kinds;
pub mod map;
pub mod replay;
pub mod shapes;
pub mod sync;
pub mod wire;

pub use client::{Auth, LangGraphClient, ProbeInfo, probe};
pub use config::LangGraphConfig;
pub use deliver::deliver;
pub use replay::{ReplayTarget, replay};
pub use sync::sync;

/// The backend kind stored in `backends.kind` for a LangGraph Server.
pub const KIND: &str = "langgraph";
