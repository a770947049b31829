//! Trace-store connectors: sync the spans of an Arize Phoenix project ([`phoenix`]), a
//! Langfuse project ([`langfuse`]) or an MLflow 3 tracking server ([`mlflow`]) into
//! Countersign's store as runs.
//!
//! Same guarantees as the native protocol's [`countersign_sync::sync_backend`]:
//!
//! - **Incremental and resumable**: one saved cursor per backend stream (`sync_cursors`); each
//!   page is applied in ONE transaction together with its cursor, so a kill at any point
//!   resumes after the last committed page with nothing lost and nothing doubled.
//! - **Every span kept**: each received span goes into `trace_spans` (keyed backend / trace /
//!   span, so a span received twice is stored once). After a page, every trace it touched is
//!   rebuilt from ALL its stored spans into one run ([`countersign_otel`]'s GenAI /
//!   OpenInference mapping: tool calls, tokens, costs, citations, model) with a revision that
//!   grows as spans arrive, so a trace split across pages or syncs ends up as one whole run.
//!   Rebuilding is deterministic: a re-sync changes nothing.
//! - **Costs**: a cost the store reports is preferred; otherwise tokens are priced with the
//!   user's price table (settings key [`countersign_store::settings::PRICE_TABLE`]) or, when
//!   there is none, [`countersign_otel::PriceTable::example`]. Integer micro-dollars.
//! - **Bounded**: at most `min(page_size, 1000)` spans a page (MLflow: `min(page_size, 500)`
//!   whole traces), response bodies capped by the client, a span over `max_record_bytes` is
//!   quarantined.
//! - **Quarantine**: a span that cannot be read is quarantined (stream `spans` / `observations`;
//!   for MLflow also a trace the server cannot serve)
//!   with its reason and raw bytes while the rest of the page applies; a trace whose spans
//!   cannot form a valid run is quarantined under stream `traces` (its spans stay stored and
//!   the trace is rebuilt again when more of its spans arrive).
//! - **Health**: success or failure recorded per backend (`sync_health`), failures with a
//!   `SYNC_FAILURE` audit event; `max_pages` and [`Cancel`] are honoured between pages.
//!
//! - **Who and what**: user, tenant and session are read with the backend's identity keys
//!   (`config.identity`, [`countersign_otel::IdentityKeys::for_backend`], read once in the
//!   shared engine for every store); a store that keeps no resource attributes names the
//!   service its spans assume (Phoenix: the project), so a run's workflow falls back to it.
//!
//! Runs are stored with `runs::upsert_deferred`: they are listed at once and searchable once
//! [`countersign_sync::index_search`] has run. (The native sync reads each run's text ahead
//! and indexes it as it stores it, `runs::upsert_indexed`; a trace store's run is assembled
//! from many spans, so it keeps the deferred path.)
//!
//! **Which project.** A backend row is one project of one server. The project is
//! `backends.config.project`; because `backends.url` is UNIQUE (and the backend id derives from
//! it), a second project of the same server is added under the same base URL with a fragment
//! naming it, `http://host:6006#project=evals`. The fragment is never sent (the [`Client`] drops
//! it) and, when `config` names no project, it is the project. See [`project_of`].

pub mod client;
mod engine;
pub mod langfuse;
pub mod mlflow;
pub mod phoenix;
mod rebuild;

pub use client::{Auth, Client};
pub use countersign_sync::{Cancel, ClientOptions, Progress, SyncError, SyncOptions, SyncReport};

use countersign_store::backends::BackendRow;

/// The project a backend row names: `config.project`, else a `#project=NAME` fragment of its
/// URL; `None` when neither does (Phoenix then uses [`phoenix::DEFAULT_PROJECT`]).
pub fn project_of(backend: &BackendRow) -> Option<String> {
    backend
        .config
        .get("project")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .or_else(|| project_in_url(&backend.url))
}

/// The `project=NAME` of a URL fragment (`http://host:6006#project=evals`), if any.
pub fn project_in_url(url: &str) -> Option<String> {
    let (_, fragment) = url.split_once('#')?;
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("project="))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_comes_from_config_then_fragment() {
        let mut row = BackendRow {
            backend_id: "be-1".into(),
            name: "P".into(),
            url: "http://127.0.0.1:6006#project=evals".into(),
            kind: phoenix::KIND.into(),
            embedded: false,
            freshness_days: 30,
            added_at: chrono::Utc::now(),
            whoami: None,
            config: serde_json::json!({}),
            allow_http: false,
        };
        assert_eq!(project_of(&row).as_deref(), Some("evals"));
        row.config = serde_json::json!({"project": "prod"});
        assert_eq!(project_of(&row).as_deref(), Some("prod"));
        row.config = serde_json::json!({});
        row.url = "http://127.0.0.1:6006".into();
        assert_eq!(project_of(&row), None);
    }
}
