//! One entry point to every backend kind Countersign syncs, so the app and the CLI treat them
//! alike: the native protocol (`countersign`), LangGraph Server (`langgraph`), Arize Phoenix
//! (`phoenix`), Langfuse (`langfuse`) and MLflow tracing (`mlflow`). Each kind's connector keeps the same guarantees
//! (pages applied with their cursor in one transaction, health recorded, nothing lost); this
//! crate only picks the connector from its registry ([`REGISTRY`]: one module and one line per
//! kind) and builds its client from the backend row and its secret.
//!
//! Imported trace files (`otel`) and the OTLP receiver are stored like backends but have
//! nothing to sync: [`Kind::parse`] does not know them and [`sync`] answers `None`.

mod kinds;

use countersign_audit::SigningKey;
use countersign_core::{Role, Whoami};
use countersign_store::backends::BackendRow;
use countersign_sync::kit::SyncRequest;
use countersign_sync::outbox::DeliveryReport;
use countersign_sync::{Cancel, ClientOptions, Progress, SyncError, SyncOptions, SyncReport};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

pub use countersign_sync::checkpoint::CheckpointOutcome;
pub use kinds::{Backend, REGISTRY, lookup};

#[cfg(test)]
use {
    chrono::Utc,
    countersign_store::{Store, health},
};

/// A backend kind with a connector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "BackendKind")]
pub enum Kind {
    /// Countersign's own protocol (`/v1`, see docs/openapi.yaml).
    Countersign,
    /// A LangGraph Server: interrupted threads become pending actions.
    #[serde(rename = "langgraph")]
    LangGraph,
    /// An Arize Phoenix project: spans become runs.
    Phoenix,
    /// A Langfuse project: observations become runs.
    Langfuse,
    /// An MLflow tracking server: traces become runs.
    Mlflow,
}

impl Kind {
    /// Every kind, in the order the UI offers them.
    pub const ALL: [Kind; 5] = [
        Kind::Countersign,
        Kind::LangGraph,
        Kind::Phoenix,
        Kind::Langfuse,
        Kind::Mlflow,
    ];

    /// The spelling stored in `backends.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Countersign => "countersign",
            Kind::LangGraph => countersign_langgraph::KIND,
            Kind::Phoenix => countersign_tracestore::phoenix::KIND,
            Kind::Langfuse => countersign_tracestore::langfuse::KIND,
            Kind::Mlflow => countersign_tracestore::mlflow::KIND,
        }
    }

    /// The kind stored as `text`, if it has a connector.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a backend said about itself when it was checked before being added.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Probed {
    /// The identity behind the token (native protocol only).
    pub whoami: Option<Whoami>,
    /// One line saying what answered (`LangGraph API 0.4.40, graphs: refunds`).
    pub summary: String,
}

/// `opts` with the backend's plain-http choice: the admin's flag on the backend row, never a
/// default of the caller.
fn client_options(opts: ClientOptions, allow_http: bool) -> ClientOptions {
    ClientOptions {
        allow_plain_http: allow_http,
        ..opts
    }
}

/// Checks a backend before it is added: the server answers as `kind`, and the token (or
/// Langfuse `PUBLIC:SECRET` keys) is accepted. `config` is the backend's per-kind settings
/// (the Phoenix project, the MLflow experiment). A token is only sent over plain http to a host that is not this
/// machine when `allow_http` (else [`SyncError::PlainHttp`], before anything is sent).
pub async fn probe(
    kind: Kind,
    url: &str,
    config: &Value,
    token: Option<String>,
    allow_http: bool,
) -> Result<Probed, SyncError> {
    let opts = client_options(ClientOptions::default(), allow_http);
    entry(kind)?.probe(url, config, token, opts).await
}

/// The registry entry of a kind with a connector.
fn entry(kind: Kind) -> Result<&'static dyn Backend, SyncError> {
    lookup(kind.as_str())
        .ok_or_else(|| SyncError::Protocol(format!("no connector for {}", kind.as_str())))
}

/// The roles a console user holds on a backend kind without users or roles (LangGraph Server),
/// whatever its stored identity says: reviewer and operator, never finance or admin. So an
/// action such a backend's reviewer escalated to finance or admin cannot be decided from the
/// console (the core refuses it as `forbidden`); it stays pending until it expires or is
/// resumed on the server itself. That is the safe choice: the console has no way to know who
/// holds finance for a server without users.
pub const CONSOLE_ROLES: [Role; 2] = [Role::Reviewer, Role::Operator];

/// The identity a console user has on a backend kind without users or roles (LangGraph Server:
/// whoever can reach it may resume its threads). The console then acts as that backend's
/// reviewer ([`CONSOLE_ROLES`]), named after the OS user so the audit trail says who decided.
pub fn console_reviewer(what: &str) -> Whoami {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "console".into());
    Whoami {
        subject: format!("console:{user}"),
        display_name: format!("{user} (this console; {what} has no user roles)"),
        roles: CONSOLE_ROLES.to_vec(),
        tenants: Vec::new(),
    }
}

/// Syncs one backend with its kind's connector. `None` for kinds with nothing to sync
/// (imports). A client that cannot be built (malformed Langfuse keys, a token over plain http
/// the admin did not allow) is recorded as a failed sync, like any other failure.
pub async fn sync(
    store_path: &Path,
    backend: &BackendRow,
    token: Option<String>,
    opts: &SyncOptions,
    client_opts: ClientOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Option<SyncReport> {
    let entry = lookup(&backend.kind)?;
    let request = SyncRequest {
        store_path,
        backend,
        token,
        opts,
        client_opts: client_options(client_opts, backend.allow_http),
        cancel,
        on_progress,
    };
    Some(entry.sync(request).await)
}

/// Replays golden `cases` on LangGraph backend `backend` as eval `eval_id` (new threads on
/// `target`'s assistant or assistant version; interrupts recorded as proposed writes, never
/// resumed; threads deleted): see [`countersign_langgraph::replay`]. Each run may take up to
/// five minutes before it is cancelled. Returns the eval's runs by case id and, when a server
/// error stopped it part way, that error ([`ReplayRuns`]).
pub async fn replay_langgraph(
    backend: &BackendRow,
    token: Option<String>,
    eval_id: &str,
    target: &countersign_langgraph::ReplayTarget,
    config: &countersign_core::golden::ConfigLabel,
    cases: &[countersign_core::golden::GoldenCase],
) -> Result<ReplayRuns, SyncError> {
    if backend.kind != countersign_langgraph::KIND {
        return Err(SyncError::Protocol(format!(
            "{} is a {} backend, not a LangGraph Server",
            backend.name, backend.kind
        )));
    }
    let opts = client_options(
        ClientOptions {
            request_timeout: std::time::Duration::from_secs(300),
            ..ClientOptions::default()
        },
        backend.allow_http,
    );
    kinds::langgraph::replay(backend, token, opts, eval_id, target, config, cases).await
}

/// What a replay got: the runs by case id, and the server error that stopped it part way (the
/// failing case is then among the runs, failed with the error text; later cases are not).
#[derive(Debug)]
pub struct ReplayRuns {
    /// Runs by case id.
    pub runs: std::collections::HashMap<String, countersign_core::Run>,
    /// The error that stopped the replay, if one did.
    pub error: Option<String>,
}

pub use countersign_langgraph::ReplayTarget;
pub use countersign_langgraph::replay::new_eval_id as new_langgraph_eval_id;

/// Sends a backend's queued decisions and rollbacks with its kind's connector. Kinds that hold
/// no actions have nothing to send.
pub async fn deliver(
    store_path: &Path,
    backend: &BackendRow,
    token: Option<String>,
) -> Result<DeliveryReport, SyncError> {
    let Some(entry) = lookup(&backend.kind) else {
        return Ok(DeliveryReport::default());
    };
    let opts = client_options(ClientOptions::default(), backend.allow_http);
    entry.deliver(store_path, backend, token, opts).await
}

/// Sends the store's audit chain head, signed by the installation `key`, to a backend for a
/// checkpoint receipt (see `docs/audit.md`). Only native backends (`countersign`) offer
/// checkpoints; every other kind answers [`CheckpointOutcome::Unsupported`] without a request.
/// Call it before each export and at least hourly while connected.
pub async fn checkpoint(
    store_path: &Path,
    backend: &BackendRow,
    token: Option<String>,
    key: &SigningKey,
) -> Result<CheckpointOutcome, SyncError> {
    match lookup(&backend.kind) {
        Some(entry) => {
            let opts = client_options(ClientOptions::default(), backend.allow_http);
            entry
                .checkpoint(store_path, backend, token, key, opts)
                .await
        }
        None => Ok(CheckpointOutcome::Unsupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_store::backends;

    #[test]
    fn the_registry_holds_exactly_the_kinds() {
        let mut registered: Vec<&str> = REGISTRY.iter().map(|e| e.kind()).collect();
        let mut kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        registered.sort_unstable();
        kinds.sort_unstable();
        assert_eq!(registered, kinds);
    }

    #[test]
    fn every_kind_reads_back_and_imports_have_no_connector() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("otel"), None);
    }

    #[tokio::test]
    async fn only_langgraph_backends_replay_golden_sets_and_tokens_keep_to_tls() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = Store::open(&dir.path().join("s.db")).expect("store");
        let native = backends::upsert(s.conn(), "N", "http://127.0.0.1:9", "countersign", false)
            .expect("native");
        let remote = backends::upsert(s.conn(), "LG", "http://lg.example:80", "langgraph", false)
            .expect("langgraph");
        let target = ReplayTarget {
            assistant: "refunds".into(),
            version: None,
        };
        let label = countersign_core::golden::ConfigLabel::default();
        let err = replay_langgraph(&native, None, "e", &target, &label, &[])
            .await
            .expect_err("a native backend replays with POST /v1/evals");
        assert!(err.to_string().contains("not a LangGraph Server"), "{err}");
        // An API key is not sent over plain http to another host unless the admin allowed it.
        let err = replay_langgraph(&remote, Some("k".into()), "e", &target, &label, &[])
            .await
            .expect_err("plain http refused");
        assert!(matches!(err, SyncError::PlainHttp(_)), "{err:?}");
        assert!(new_langgraph_eval_id().starts_with("lgeval_"));
        assert_ne!(new_langgraph_eval_id(), new_langgraph_eval_id());
    }

    #[tokio::test]
    async fn only_native_backends_are_asked_for_a_checkpoint() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.db");
        let (lf, native) = {
            let s = Store::open(&path).expect("store");
            let lf = backends::upsert(s.conn(), "LF", "http://127.0.0.1:9", "langfuse", false)
                .expect("langfuse");
            let native =
                backends::upsert(s.conn(), "N", "http://127.0.0.1:9", "countersign", false)
                    .expect("native");
            (lf, native)
        };
        let key = countersign_audit::load_or_create_key(dir.path()).expect("key");
        let other = checkpoint(&path, &lf, None, &key)
            .await
            .expect("no request");
        assert_eq!(other, CheckpointOutcome::Unsupported);
        // A native backend is asked; an unreachable one is an error the caller reports.
        let s = Store::open(&path).expect("store");
        countersign_store::audit::append(
            s.conn(),
            "test",
            "note",
            "x",
            serde_json::json!({}),
            Utc::now(),
        )
        .expect("event");
        drop(s);
        let err = checkpoint(&path, &native, None, &key).await;
        assert!(err.is_err(), "{err:?}");
    }

    #[tokio::test]
    async fn a_client_that_cannot_be_built_is_a_recorded_failure() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.db");
        let (lf, imported) = {
            let s = Store::open(&path).expect("store");
            let lf = backends::upsert(s.conn(), "LF", "http://127.0.0.1:9", "langfuse", false)
                .expect("langfuse");
            let imp = backends::upsert(s.conn(), "I", "http://import.localhost/x", "otel", false)
                .expect("import");
            (lf, imp)
        };
        let opts = SyncOptions::default();
        let cancel = Cancel::default();
        let token = || Some("no-colon".to_string());
        let none = sync(
            &path,
            &imported,
            token(),
            &opts,
            ClientOptions::default(),
            &cancel,
            &|_| {},
        );
        assert_eq!(none.await, None, "imports have nothing to sync");
        let report = sync(
            &path,
            &lf,
            token(),
            &opts,
            ClientOptions::default(),
            &cancel,
            &|_| {},
        )
        .await
        .expect("a report");
        let err = report.error.expect("malformed keys fail the sync");
        assert_eq!(err.code, "unauthorized");
        let s = Store::open(&path).expect("store");
        let h = health::get(s.conn(), &lf.backend_id).expect("health");
        assert_eq!(h.consecutive_failures, 1);
        assert!(
            h.last_error
                .is_some_and(|e| e.contains("PUBLIC_KEY:SECRET_KEY"))
        );
    }

    #[tokio::test]
    async fn a_token_over_plain_http_off_this_machine_is_refused_unless_allowed() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.db");
        let rows: Vec<BackendRow> = {
            let s = Store::open(&path).expect("store");
            Kind::ALL
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let url = format!("http://backend-{i}.invalid:8080");
                    backends::upsert(s.conn(), k.as_str(), &url, k.as_str(), false)
                        .expect("backend")
                })
                .collect()
        };
        let token = || Some("pk:sk".to_string());
        for row in &rows {
            let report = sync(
                &path,
                row,
                token(),
                &SyncOptions::default(),
                ClientOptions::default(),
                &Cancel::default(),
                &|_| {},
            )
            .await
            .expect("a report");
            let err = report.error.expect("refused");
            assert_eq!(
                err.code, "plain_http_refused",
                "{}: {}",
                row.kind, err.message
            );
            assert!(err.message.contains("Backends view"));
            let kind = Kind::parse(&row.kind).expect("kind");
            let probed = probe(kind, &row.url, &serde_json::json!({}), token(), false).await;
            assert_eq!(probed.map_err(|e| e.code()), Err("plain_http_refused"));
            if matches!(kind, Kind::Countersign | Kind::LangGraph) {
                let delivered = deliver(&path, row, token()).await;
                assert_eq!(delivered.map_err(|e| e.code()), Err("plain_http_refused"));
            }
        }
        let s = Store::open(&path).expect("store");
        let h = health::get(s.conn(), &rows[0].backend_id).expect("health");
        assert!(h.last_error.is_some_and(|e| e.contains("plain http")));
        // Allowed explicitly: the client is built (the host does not exist, so the sync then
        // fails as unreachable, not as refused).
        assert!(backends::set_allow_http(s.conn(), &rows[0].backend_id, true).expect("set"));
        let row = backends::get(s.conn(), &rows[0].backend_id)
            .expect("get")
            .expect("row");
        assert!(client_options(ClientOptions::default(), row.allow_http).allow_plain_http);
    }
}
