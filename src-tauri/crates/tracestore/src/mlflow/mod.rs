//! MLflow tracing: the traces of an MLflow 3 tracking server (one experiment, or every
//! experiment) over its REST API, with their spans from the server's SQL store.
//!
//! - **Which traces**: `POST /api/3.0/mlflow/traces/search` (trace infos, at most 500 a page,
//!   offset page tokens) filtered to finished traces by end time (`trace.end_time_ms`); the
//!   spans of the new ones come from `GET /api/3.0/mlflow/traces/batchGet` (whole traces
//!   only: MLflow leaves out a trace whose spans are still being exported). An MLflow 3 server
//!   with a SQL store keeps spans in its `spans` table (`mlflow.trace.spansLocation` =
//!   `TRACKING_STORE`); a trace whose spans live elsewhere (artifact store) is quarantined
//!   with that reason, not fetched.
//! - **Incremental**: a sync is a sweep over the traces that ended at or after `since −
//!   lookback` (see [`sweep`]); `since` is the latest end seen (never later than this
//!   machine's clock), the lookback (`config.lookback_minutes`, default 5) re-reads the infos
//!   of traces finished late (the SDK exports asynchronously), and the traces applied within
//!   that window are remembered in the cursor so their spans are not fetched again.
//! - **Traces still running** (`IN_PROGRESS`) are not read; they come in once they end.
//! - **Page size** counts traces (MLflow's maximum is 500), not spans.
//! - **Which experiment**: `config.experiment`, an id (digits) or a name; else a
//!   `#experiment=NAME` fragment of the URL; else every active experiment, listed again at
//!   the start of each sweep. See [`experiments_of`].
//! - **Auth**: the stored secret as Bearer token, or `USER:PASSWORD` as Basic (MLflow's
//!   basic-auth app); see [`crate::client::mlflow_auth`].

mod span;
mod sweep;

use crate::client::Client;
use crate::engine::{self, Fetched, ReadSpan, SpanSource};
use countersign_store::backends::BackendRow;
use countersign_sync::{Cancel, Progress, SyncError, SyncOptions, SyncReport};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// Backend kind of an MLflow tracking server.
pub const KIND: &str = "mlflow";

/// Cursor stream of an MLflow backend (`sync_cursors.stream`).
pub const STREAM: &str = "spans";

/// Default re-read window, in minutes.
pub const DEFAULT_LOOKBACK_MINUTES: i64 = 5;

/// Trace search (REST API v3).
pub const SEARCH_PATH: &str = "/api/3.0/mlflow/traces/search";

/// Whole traces with their spans (REST API v3).
pub const BATCH_GET_PATH: &str = "/api/3.0/mlflow/traces/batchGet";

/// Syncs the backend's MLflow traces into runs (see the crate docs for the guarantees).
/// `client` is a [`Client::mlflow`] of the backend's URL and stored secret.
pub async fn sync(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    engine::sync::<Source>(store_path, backend_id, client, opts, cancel, on_progress).await
}

/// Which experiments a backend row syncs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Experiments {
    /// Every active experiment of the server.
    All,
    /// One experiment by id.
    Id(String),
    /// One experiment by name.
    Name(String),
}

impl Experiments {
    /// `text` as an experiment: digits are an id, `*` or nothing is every experiment, anything
    /// else a name.
    pub fn parse(text: Option<&str>) -> Experiments {
        match text.map(str::trim) {
            None | Some("" | "*") => Experiments::All,
            Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => Experiments::Id(t.to_string()),
            Some(t) => Experiments::Name(t.to_string()),
        }
    }
}

/// The experiments of a backend's `config` and URL: `config.experiment`, else a
/// `#experiment=NAME` fragment (so two experiments of one server can be two backend rows),
/// else every experiment.
pub fn experiments_in(config: &Value, url: &str) -> Experiments {
    let configured = config
        .get("experiment")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    let fragment = || {
        url.split_once('#').and_then(|(_, f)| {
            f.split('&')
                .find_map(|kv| kv.strip_prefix("experiment="))
                .map(str::to_string)
        })
    };
    Experiments::parse(configured.or_else(fragment).as_deref())
}

/// The experiments a backend row syncs (see [`experiments_in`]).
pub fn experiments_of(backend: &BackendRow) -> Experiments {
    experiments_in(&backend.config, &backend.url)
}

/// `config.lookback_minutes` (0 ..= 7 days), else [`DEFAULT_LOOKBACK_MINUTES`].
pub fn lookback_of(backend: &BackendRow) -> i64 {
    backend
        .config
        .get("lookback_minutes")
        .and_then(Value::as_i64)
        .filter(|m| (0..=7 * 24 * 60).contains(m))
        .unwrap_or(DEFAULT_LOOKBACK_MINUTES)
}

#[derive(Deserialize)]
struct Experiment {
    experiment_id: String,
    #[serde(default)]
    name: String,
}

/// `(id, name)` of the experiments `which` names: one experiment (it must exist), or every
/// active one.
async fn resolve(client: &Client, which: &Experiments) -> Result<Vec<(String, String)>, SyncError> {
    #[derive(Deserialize)]
    struct One {
        experiment: Experiment,
    }
    #[derive(Deserialize)]
    struct Many {
        #[serde(default)]
        experiments: Vec<Experiment>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let one = |path: &str, bytes: Vec<u8>| {
        serde_json::from_slice::<One>(&bytes)
            .map(|o| vec![(o.experiment.experiment_id, o.experiment.name)])
            .map_err(|e| SyncError::Protocol(format!("{path}: {e}")))
    };
    match which {
        Experiments::Id(id) => {
            let path = "/api/2.0/mlflow/experiments/get";
            one(
                path,
                client.get(path, &[("experiment_id", id.clone())]).await?,
            )
        }
        Experiments::Name(name) => {
            let path = "/api/2.0/mlflow/experiments/get-by-name";
            one(
                path,
                client
                    .get(path, &[("experiment_name", name.clone())])
                    .await?,
            )
        }
        Experiments::All => {
            let path = "/api/2.0/mlflow/experiments/search";
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut query = vec![
                    ("max_results", "1000".to_string()),
                    ("view_type", "ACTIVE_ONLY".to_string()),
                ];
                if let Some(t) = &token {
                    query.push(("page_token", t.clone()));
                }
                let page: Many = serde_json::from_slice(&client.get(path, &query).await?)
                    .map_err(|e| SyncError::Protocol(format!("{path}: {e}")))?;
                out.extend(
                    page.experiments
                        .into_iter()
                        .map(|e| (e.experiment_id, e.name)),
                );
                match page.next_page_token.filter(|t| !t.is_empty()) {
                    Some(t) if out.len() < 100_000 => token = Some(t),
                    _ => return Ok(out),
                }
            }
        }
    }
}

/// What an MLflow server says about itself and the experiments synced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// MLflow version (`GET /version`), when it answers.
    pub version: Option<String>,
    /// `(id, name)` of the experiments synced.
    pub experiments: Vec<(String, String)>,
}

/// Checks that the server answers, the credentials are accepted and the experiment exists.
pub async fn probe(client: &Client, which: &Experiments) -> Result<Probe, SyncError> {
    let experiments = resolve(client, which).await?;
    let version = client
        .get("/version", &[])
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|v| !v.is_empty() && v.len() < 100);
    Ok(Probe {
        version,
        experiments,
    })
}

/// The MLflow span source of one backend.
pub(crate) struct Source {
    experiments: Experiments,
    lookback_minutes: i64,
}

impl SpanSource for Source {
    const STREAM: &'static str = STREAM;

    fn from_backend(backend: &BackendRow) -> Self {
        Source {
            experiments: experiments_of(backend),
            lookback_minutes: lookback_of(backend),
        }
    }

    fn read_span(raw: &[u8]) -> Result<ReadSpan, String> {
        span::read_span(raw)
    }

    async fn fetch(
        &self,
        client: &Client,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Fetched, SyncError> {
        sweep::fetch(client, self, state, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn experiments_come_from_config_then_fragment_else_all() {
        let at = "http://127.0.0.1:5000";
        assert_eq!(experiments_in(&json!({}), at), Experiments::All);
        assert_eq!(
            experiments_in(&json!({"experiment": " 12 "}), at),
            Experiments::Id("12".into())
        );
        assert_eq!(
            experiments_in(&json!({"experiment": "refunds"}), at),
            Experiments::Name("refunds".into())
        );
        assert_eq!(
            experiments_in(&json!({"experiment": "*"}), at),
            Experiments::All
        );
        let frag = "http://127.0.0.1:5000#experiment=evals";
        assert_eq!(
            experiments_in(&json!({}), frag),
            Experiments::Name("evals".into())
        );
        assert_eq!(
            experiments_in(&json!({"experiment": "0"}), frag),
            Experiments::Id("0".into())
        );
    }
}
