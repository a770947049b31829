//! The Countersign reference backend: the `/v1` protocol served for real over its own SQLite
//! file, or a PostgreSQL database that several server processes share.
//!
//! It simulates a small organisation whose agents run support, refund, CRM and invoice
//! workflows, holds their high-risk writes for review, executes approved writes exactly once
//! against its own system-of-record tables, and can misbehave on purpose (faults, hostile and
//! malformed records) so clients can be tested against it. Everything is deterministic given
//! the seed, except the demo tokens and the wall clock of live (trickled/simulated) runs.
//!
//! It is also a server agents report to (the agent side of `/v1`): they post runs, traces and
//! pending writes with keys of the `ingest` scope, wait for the reviewer's decision by
//! long-poll or webhook, report the execution result once, and reserve budget before spending
//! against the same hard caps the console edits. Seeding is one mode of it (`seed_runs`).

mod api;
mod audit_key;
mod autonomy;
mod corpus;
mod db;
mod eval_mode;
pub mod examples;
mod faults;
mod generate;
mod ratelimit;
mod wakeups;
mod webhook;

pub use db::keys::{KeyInfo, Revoked, Scope};

use countersign_core::{Role, Whoami};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why the backend could not start or seed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the data directory failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The PostgreSQL database failed.
    #[error("database: {0}")]
    Pg(#[from] postgres::Error),
    /// No database connection could be had.
    #[error("{0}")]
    Unavailable(String),
    /// A stored record could not be (de)serialised.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A background task failed.
    #[error("task: {0}")]
    Task(String),
    /// The configuration or stored data is not usable.
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Where the backend keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (one server process; what the app embeds).
    Sqlite(PathBuf),
    /// A PostgreSQL database URL (`postgres://user@host:port/db`); several server processes
    /// may share it.
    Postgres(String),
}

impl Database {
    /// The default: `backend.db` in the data directory.
    pub fn in_dir(data_dir: &Path) -> Database {
        Database::Sqlite(data_dir.join("backend.db"))
    }

    /// The engine's name (`sqlite` or `postgres`).
    pub fn engine(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }
}

impl std::str::FromStr for Database {
    type Err = Error;

    /// `sqlite:PATH` or `postgres://…` (`postgresql://…`).
    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(Error::Invalid("sqlite: needs a file path".into()));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Database::Postgres(s.to_string()));
        }
        Err(Error::Invalid(format!(
            "database {s:?}: use sqlite:PATH or postgres://USER@HOST:PORT/DB"
        )))
    }
}

/// How to run the backend.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; `127.0.0.1:0` picks a free port (see [`Handle::addr`]).
    pub listen: SocketAddr,
    /// Directory of its tokens (`token.txt`, `tokens.json`), checkpoint-receipt key
    /// (`audit-key`, mode 0600), webhook signing key (`webhook-key`, mode 0600) and, unless [`Config::database`] says otherwise, its SQLite
    /// file (`backend.db`).
    pub data_dir: PathBuf,
    /// The database; `None` is `backend.db` in `data_dir`.
    pub database: Option<Database>,
    /// Runs to seed on first start when the database is empty.
    pub seed_runs: u64,
    /// Where seeded history ends; `None` is the moment the server starts, so a fresh demo
    /// has recent runs and writes waiting for review.
    pub seed_until: Option<chrono::DateTime<chrono::Utc>>,
    /// RNG seed; the data set is deterministic given it.
    pub seed: u64,
    /// Share (0.0..=1.0) of responses that misbehave (500, 503, 429, slow, reset, truncated).
    pub faults: f64,
    /// Mix hostile (valid but nasty) and malformed records into generated data.
    pub hostile: bool,
    /// New runs per second while running; 0 keeps the data set fixed.
    pub trickle: f64,
    /// Limits on what agents send.
    pub agents: AgentLimits,
    /// Model prices (the console's price-table JSON) for OTLP traces that report tokens but no
    /// cost; `None` is the built-in example table.
    pub prices: Option<String>,
}

/// Limits on the agent side of the protocol: what one key may send, and how decisions are
/// pushed to webhooks.
#[derive(Clone, Debug)]
pub struct AgentLimits {
    /// Requests per second per key (token bucket refill); 0 disables the limit.
    pub rate_per_sec: f64,
    /// Requests a key may make at once before the rate applies.
    pub burst: f64,
    /// Largest request body, in bytes (also the largest inflated OTLP body).
    pub max_request_bytes: usize,
    /// Webhook delivery attempts per decision.
    pub webhook_attempts: u32,
    /// Wait before the second webhook attempt, doubled each time (capped at 30 s).
    pub webhook_backoff_ms: u64,
}

impl Default for AgentLimits {
    fn default() -> Self {
        AgentLimits {
            rate_per_sec: 200.0,
            burst: 400.0,
            max_request_bytes: 8 * 1024 * 1024,
            webhook_attempts: 8,
            webhook_backoff_ms: 500,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: PathBuf::from("countersign-backend-data"),
            database: None,
            seed_runs: 200,
            seed_until: None,
            seed: 7,
            faults: 0.0,
            hostile: false,
            trickle: 0.0,
            agents: AgentLimits::default(),
            prices: None,
        }
    }
}

impl Config {
    /// The demo the app embeds: 1,500 runs of history ending when it starts (about 25 a day,
    /// a dozen writes waiting for review) and 0.2 new runs a second.
    pub fn demo() -> Self {
        Config {
            seed_runs: 1500,
            trickle: 0.2,
            ..Config::default()
        }
    }
}

/// A running backend. Drop does not stop it; call [`Handle::shutdown`].
pub struct Handle {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The demo token, holding every role.
    pub token: String,
    addr: SocketAddr,
    data_dir: PathBuf,
    database: Database,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    trickle: Option<JoinHandle<()>>,
    /// The webhook delivery worker.
    deliveries: JoinHandle<()>,
    /// The PostgreSQL listener thread and its stop flag.
    listener: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
    state: Arc<State>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("url", &self.url)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How many actions agents are waiting on by long-poll right now.
    pub fn actions_waited_on(&self) -> usize {
        self.state.wakeups.len()
    }

    /// The database in use.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The storage engine in use (`sqlite` or `postgres`).
    pub fn engine(&self) -> &'static str {
        match self.state.db.engine() {
            db::sql::Engine::Sqlite => "sqlite",
            db::sql::Engine::Postgres => "postgres",
        }
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server, the
    /// trickle task and the database listener to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.trickle {
            let _ = t.await;
        }
        let _ = self.deliveries.await;
        let _ = self.server.await;
        if let Some((stop, thread)) = self.listener {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// Shared state of the running server.
pub(crate) struct State {
    pub db: db::Db,
    pub tokens: BTreeMap<String, Whoami>,
    pub seed: u64,
    pub faults: f64,
    pub hostile: bool,
    pub fault_counter: std::sync::atomic::AtomicU64,
    /// The key checkpoint receipts are signed with (`audit-key` in the data directory).
    pub audit_key: ed25519_dalek::SigningKey,
    /// Stored keys already looked up, by SHA-256 (PostgreSQL only; see [`db::keys`]).
    pub key_cache: Arc<db::keys::KeyCache>,
    /// Limits on agents.
    pub agents: AgentLimits,
    /// Requests per key.
    pub rate: ratelimit::RateLimiter,
    /// Agents waiting on decisions.
    pub wakeups: Arc<wakeups::Wakeups>,
    /// Decision webhooks.
    pub webhooks: webhook::Webhooks,
    /// Prices for OTLP traces that report tokens but no cost.
    pub prices: countersign_otel::PriceTable,
}

/// Opens the data directory, seeds it if empty, binds, and serves until [`Handle::shutdown`].
pub async fn start(config: Config) -> Result<Handle, Error> {
    if !(0.0..=1.0).contains(&config.faults) {
        return Err(Error::Invalid(format!(
            "faults {} outside 0..=1",
            config.faults
        )));
    }
    if !(config.trickle.is_finite() && config.trickle >= 0.0) {
        return Err(Error::Invalid(format!(
            "trickle {} must be >= 0",
            config.trickle
        )));
    }
    let prices = match &config.prices {
        Some(text) => countersign_otel::PriceTable::from_json(text)
            .map_err(|e| Error::Invalid(e.to_string()))?,
        None => countersign_otel::PriceTable::example(),
    };
    let dir = config.data_dir.clone();
    let database = config
        .database
        .clone()
        .unwrap_or_else(|| Database::in_dir(&config.data_dir));
    let (seed, seed_runs, hostile) = (config.seed, config.seed_runs, config.hostile);
    let seed_until = config.seed_until;
    let opened = database.clone();
    let (db, token, tokens, audit_key, webhook_key) =
        tokio::task::spawn_blocking(move || -> Result<_, Error> {
            let (token, tokens) = ensure_tokens(&dir)?;
            let audit_key = audit_key::load_or_create(&dir)?;
            let webhook_key = audit_key::load_or_create_seed(&dir, webhook::WEBHOOK_KEY_FILE)?;
            let db = db::Db::open(&opened)?;
            db.with(|c| -> Result<(), Error> {
                if seed_runs > 0 {
                    let until = seed_until.unwrap_or_else(chrono::Utc::now);
                    db::seed(c, seed_runs, seed, hostile, true, until)?;
                }
                db::expire_due(c, chrono::Utc::now())?;
                Ok(())
            })??;
            Ok((db, token, tokens, audit_key, webhook_key))
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))??;

    let wakeups: Arc<wakeups::Wakeups> = Default::default();
    let key_cache: Arc<db::keys::KeyCache> = Default::default();
    let pg_listener = match (&database, &db) {
        (Database::Postgres(url), db::Db::Postgres(pool)) => {
            let stop = Arc::new(AtomicBool::new(false));
            let (url, w, s) = (url.clone(), wakeups.clone(), stop.clone());
            let lost = pool.lost_counter();
            let keys = key_cache.clone();
            let thread =
                tokio::task::spawn_blocking(move || db::pg::listen(&url, w, keys, lost, s))
                    .await
                    .map_err(|e| Error::Task(e.to_string()))??;
            Some((stop, thread))
        }
        _ => None,
    };
    let state = Arc::new(State {
        db,
        tokens,
        seed: config.seed,
        faults: config.faults,
        hostile: config.hostile,
        fault_counter: std::sync::atomic::AtomicU64::new(0),
        audit_key,
        key_cache,
        rate: ratelimit::RateLimiter::new(config.agents.rate_per_sec, config.agents.burst),
        wakeups,
        webhooks: webhook::Webhooks::new(
            config.agents.webhook_attempts,
            std::time::Duration::from_millis(config.agents.webhook_backoff_ms),
            std::time::Duration::from_secs(30),
            webhook_key,
        ),
        prices,
        agents: config.agents.clone(),
    });
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let app = api::router(state.clone());
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("backend server failed: {e}");
        }
    });
    let deliveries = tokio::spawn(webhook::run(state.clone(), stop_rx.clone()));
    let trickle = (config.trickle > 0.0)
        .then(|| tokio::spawn(trickle_loop(state.clone(), config.trickle, stop_rx)));
    tracing::info!("reference backend listening on http://{addr}");
    Ok(Handle {
        url: format!("http://{addr}"),
        token,
        addr,
        data_dir: config.data_dir,
        database,
        stop,
        server,
        trickle,
        deliveries,
        listener: pg_listener,
        state,
    })
}

async fn trickle_loop(state: Arc<State>, rate: f64, mut stop: watch::Receiver<bool>) {
    let period = std::time::Duration::from_secs_f64((1.0 / rate).clamp(0.01, 3600.0));
    let per_tick = rate * period.as_secs_f64();
    let mut owed = 0.0_f64;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tick.tick() => {}
        }
        owed += per_tick;
        let n = owed.floor() as u64;
        if n == 0 {
            continue;
        }
        owed -= n as f64;
        let st = state.clone();
        let res = tokio::task::spawn_blocking(move || -> Result<Vec<String>, Error> {
            st.db.with(|c| db::simulate(c, n, st.seed, st.hostile))?
        })
        .await;
        match res {
            Ok(Ok(ids)) => tracing::debug!("trickled {} runs", ids.len()),
            Ok(Err(e)) => tracing::warn!("trickle failed: {e}"),
            Err(e) => tracing::warn!("trickle task failed: {e}"),
        }
    }
}

/// Seeds `n` runs (with their pending actions) straight into `data_dir`'s database in one
/// transaction, without starting a server, as history ending now. Returns the number of runs
/// written.
pub fn seed_runs_direct(data_dir: &Path, n: u64, seed: u64) -> Result<u64, Error> {
    db::seed_direct(&Database::in_dir(data_dir), n, seed)
}

/// [`seed_runs_direct`] into any database.
pub fn seed_runs_into(database: &Database, n: u64, seed: u64) -> Result<u64, Error> {
    db::seed_direct(database, n, seed)
}

/// Every token of the backend in `data_dir` with its identity, the all-roles demo token first,
/// then `reviewer-only`, `finance-only` and `operator-only`. Creates them if absent.
pub fn tokens(data_dir: &Path) -> Result<Vec<(String, Whoami)>, Error> {
    let (admin, map) = ensure_tokens(data_dir)?;
    let mut out: Vec<(String, Whoami)> = Vec::new();
    if let Some(w) = map.get(&admin) {
        out.push((admin.clone(), w.clone()));
    }
    let mut rest: Vec<(String, Whoami)> = map.into_iter().filter(|(t, _)| *t != admin).collect();
    let rank = |w: &Whoami| match w.subject.as_str() {
        "reviewer-only" => 0,
        "finance-only" => 1,
        "operator-only" => 2,
        _ => 3,
    };
    rest.sort_by_key(|(_, w)| rank(w));
    out.extend(rest);
    Ok(out)
}

/// Creates a key for `name` with `scope` in the backend whose data directory is `data_dir`
/// (the server may be running). Only its SHA-256 is stored: the returned key (with its public
/// id) is the one chance to see it.
pub fn create_key(data_dir: &Path, name: &str, scope: Scope) -> Result<(String, String), Error> {
    create_key_in(&Database::in_dir(data_dir), name, scope)
}

/// [`create_key`] in any database (the servers on it may be running).
pub fn create_key_in(
    database: &Database,
    name: &str,
    scope: Scope,
) -> Result<(String, String), Error> {
    create_key_for(database, name, scope, None)
}

/// [`create_key_in`] bound to `tenant` when given: the key may report runs and actions of
/// that tenant only (a person's key sees only that tenant).
pub fn create_key_for(
    database: &Database,
    name: &str,
    scope: Scope,
    tenant: Option<&str>,
) -> Result<(String, String), Error> {
    if let Some(t) = tenant
        && (t.is_empty() || t.len() > 200 || t.chars().any(char::is_control))
    {
        return Err(Error::Invalid(
            "a tenant is 1-200 characters without control characters".into(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "a key name is 1-100 characters without control characters".into(),
        ));
    }
    let db = db::Db::open(database)?;
    let (key_id, key) = new_key(scope);
    db.with(|c| db::keys::insert(c, &key_id, &key, name, scope, tenant, chrono::Utc::now()))??;
    Ok((key_id, key))
}

/// Every key of the database (never a secret), oldest first, revoked ones marked.
pub fn list_keys_in(database: &Database) -> Result<Vec<KeyInfo>, Error> {
    db::Db::open(database)?.with(|c| db::keys::list(c))?
}

/// Revokes key `key_id`: every server on the database refuses it from then on (those on
/// PostgreSQL are told to drop it from their caches when the revocation commits).
pub fn revoke_key_in(database: &Database, key_id: &str) -> Result<Revoked, Error> {
    let db = db::Db::open(database)?;
    let (r, _) = db.with(|c| db::keys::revoke(c, key_id, chrono::Utc::now()))??;
    Ok(r)
}

/// A fresh key id and key for `scope` (`cs_ingest_…`).
pub(crate) fn new_key(scope: Scope) -> (String, String) {
    let key_id = random_token("key");
    let key = random_token(&format!("cs_{}", scope.as_str()));
    (key_id, key)
}

pub(crate) const TENANTS: [&str; 3] = ["northwind-eu", "northwind-us", "contoso"];

pub(crate) fn random_token(prefix: &str) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Loads (or creates on first use) `token.txt` and `tokens.json`.
fn ensure_tokens(dir: &Path) -> Result<(String, BTreeMap<String, Whoami>), Error> {
    std::fs::create_dir_all(dir)?;
    let tpath = dir.join("token.txt");
    let mpath = dir.join("tokens.json");
    if tpath.exists() && mpath.exists() {
        let admin = std::fs::read_to_string(&tpath)?.trim().to_string();
        let map: BTreeMap<String, Whoami> =
            serde_json::from_str(&std::fs::read_to_string(&mpath)?)?;
        if !map.contains_key(&admin) {
            return Err(Error::Invalid(
                "token.txt is not listed in tokens.json".into(),
            ));
        }
        return Ok((admin, map));
    }
    let who = |subject: &str, name: &str, roles: Vec<Role>| Whoami {
        subject: subject.into(),
        display_name: name.into(),
        roles,
        tenants: TENANTS.iter().map(|t| t.to_string()).collect(),
    };
    let admin = random_token("cs_admin");
    let mut map = BTreeMap::new();
    map.insert(
        admin.clone(),
        who(
            "demo-admin",
            "Demo admin",
            vec![Role::Reviewer, Role::Finance, Role::Operator, Role::Admin],
        ),
    );
    map.insert(
        random_token("cs_reviewer"),
        who("reviewer-only", "Riley Reviewer", vec![Role::Reviewer]),
    );
    map.insert(
        random_token("cs_finance"),
        who("finance-only", "Fran Finance", vec![Role::Finance]),
    );
    map.insert(
        random_token("cs_operator"),
        who("operator-only", "Omar Operator", vec![Role::Operator]),
    );
    write_private(&mpath, &serde_json::to_string_pretty(&map)?)?;
    write_private(&tpath, &format!("{admin}\n"))?;
    Ok((admin, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_arguments_name_an_engine_or_are_refused() -> Result<(), Error> {
        assert_eq!(
            "sqlite:/tmp/x.db".parse::<Database>()?,
            Database::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        let url = "postgres://cs@127.0.0.1:5432/countersign";
        assert_eq!(url.parse::<Database>()?, Database::Postgres(url.into()));
        assert_eq!(
            "postgresql://h/db".parse::<Database>()?.engine(),
            "postgres"
        );
        for bad in ["sqlite:", "mysql://h/db", "backend.db"] {
            assert!(bad.parse::<Database>().is_err(), "{bad}");
        }
        Ok(())
    }
}
