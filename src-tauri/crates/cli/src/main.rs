//! `countersign`: headless commands for operators and scripts — run the reference backend,
//! sync a backend into a store, list and show runs and approvals. Same store and queries as
//! the desktop app.

mod audit_cmd;
mod golden_cmd;
mod import_cmd;
mod load_agent;
mod output;
mod trust_cmd;

use clap::{Args, Parser, Subcommand};
use countersign_connect::Kind;
use countersign_store::runs::{RunQuery, Sort};
use countersign_store::{Store, backends, paths};
use countersign_sync::{Cancel, ClientOptions, SyncOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Countersign: govern AI teammates — runs, approvals, budgets, audit.
#[derive(Parser)]
#[command(name = "countersign", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The reference backend (the /v1 protocol served for real).
    #[command(subcommand)]
    Backend(BackendCmd),
    /// Sync one backend into a store (created if missing) and print what was applied.
    Sync(SyncArgs),
    /// Stored runs.
    #[command(subcommand)]
    Runs(RunsCmd),
    /// Synced pending actions.
    #[command(subcommand)]
    Approvals(ApprovalsCmd),
    /// Backends in the store.
    #[command(subcommand)]
    Backends(BackendsCmd),
    /// The audit trail: signed export bundles.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCmd),
    /// Check an audit bundle offline against trusted keys: exit 0 verified and trusted, 1 does
    /// not verify (first bad record printed), 2 usage, 3 signature valid but signer not
    /// trusted, 4 not anchored with --require-anchor.
    Verify(audit_cmd::VerifyArgs),
    /// Import an OTLP/JSON trace export (OpenTelemetry GenAI / OpenInference) as runs.
    Import(import_cmd::ImportArgs),
    /// The trust view's numbers and the readiness scorecards of a store.
    #[command(subcommand)]
    Trust(trust_cmd::TrustCmd),
    /// Golden-set evals in a store: compare one with its baseline (exit 3 when it fails).
    #[command(subcommand)]
    Golden(golden_cmd::GoldenCmd),
}

#[derive(Subcommand)]
enum BackendCmd {
    /// Serve the reference backend until interrupted; prints `url: …` and `token: …`.
    Serve(ServeArgs),
    /// Keys for agents (scope ingest) and people, stored hashed in the backend's database.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// A synthetic agent for the load benchmark and fault tests (reports runs, asks approvals).
    #[command(hide = true)]
    LoadAgent(load_agent::LoadAgentArgs),
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create a key and print it once (`key_id: …`, `key: …`); only its SHA-256 is kept.
    Create(KeysCreateArgs),
    /// List the keys (never a secret): id, scope, name, tenant, created, revoked.
    List(KeysListArgs),
    /// Revoke a key by its id: every server on the database refuses it from then on.
    Revoke(KeysRevokeArgs),
}

/// Where the backend's keys are.
#[derive(Args)]
struct BackendDbArgs {
    /// The backend's data folder (as given to `backend serve --data`; it may be running).
    #[arg(long, required_unless_present = "database")]
    data: Option<PathBuf>,
    /// The backend's database when not the SQLite file in --data: `sqlite:PATH` or
    /// `postgres://USER@HOST:PORT/DB` (as given to `backend serve --database`).
    #[arg(long)]
    database: Option<String>,
}

impl BackendDbArgs {
    fn database(&self) -> Result<countersign_backend::Database, String> {
        match (&self.database, &self.data) {
            (Some(d), _) => database(d),
            (None, Some(dir)) => Ok(countersign_backend::Database::in_dir(dir)),
            (None, None) => Err("give --data or --database".into()),
        }
    }
}

#[derive(Args)]
struct KeysCreateArgs {
    #[command(flatten)]
    db: BackendDbArgs,
    /// ingest (an agent: report and wait only), reviewer, finance, operator or admin.
    #[arg(long, default_value = "ingest")]
    scope: String,
    /// The agent or person the key identifies (owns what it reports).
    #[arg(long)]
    name: String,
    /// Bind the key to one tenant: it may report runs and actions of that tenant only.
    #[arg(long)]
    tenant: Option<String>,
}

#[derive(Args)]
struct KeysListArgs {
    #[command(flatten)]
    db: BackendDbArgs,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct KeysRevokeArgs {
    #[command(flatten)]
    db: BackendDbArgs,
    /// The key's id (`key_…`, as `keys list` shows it).
    key_id: String,
}

#[derive(Args)]
struct StoreArg {
    /// Store file (default: $COUNTERSIGN_STORE, else the app's store in the app-data directory).
    #[arg(long)]
    store: Option<PathBuf>,
}

impl StoreArg {
    fn path(&self) -> PathBuf {
        self.store.clone().unwrap_or_else(paths::default_store_path)
    }
    /// Opens the store, creating it if missing (commands that write: sync, import).
    fn open(&self) -> Result<Store, String> {
        let p = self.path();
        Store::open(&p).map_err(|e| format!("cannot open store {}: {e}", p.display()))
    }
    /// Opens a store that exists (commands that read): a mistyped path is refused, naming
    /// it, and nothing is created.
    fn open_existing(&self) -> Result<Store, String> {
        let p = self.path();
        Store::open_existing(&p).map_err(|e| match e {
            countersign_store::StoreError::Missing(_) => e.to_string(),
            e => format!("cannot open store {}: {e}", p.display()),
        })
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (loopback; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Folder for the backend's tokens and receipt key, and its SQLite database unless
    /// --database says otherwise.
    #[arg(long)]
    data: PathBuf,
    /// `sqlite:PATH` (default: backend.db in --data) or `postgres://USER@HOST:PORT/DB`: a
    /// database several `serve` processes may share.
    #[arg(long)]
    database: Option<String>,
    /// Runs to seed on first start.
    #[arg(long, default_value_t = 200)]
    seed_runs: u64,
    /// Seed of every random choice (data, faults).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Share of responses that misbehave (5xx, 429, slow, reset, truncated), 0..1.
    #[arg(long, default_value_t = 0.0)]
    faults: f64,
    /// Mix malformed and hostile records into the data.
    #[arg(long)]
    hostile: bool,
    /// New runs (and pending actions) per second while running; 0 for a fixed data set.
    #[arg(long, default_value_t = 0.2)]
    trickle: f64,
    /// Model prices (the console's price-table JSON) for OTLP traces that report tokens but no
    /// cost; default: the built-in EXAMPLE table. A model without a price leaves the cost
    /// unknown (flagged on the run), never silently 0.
    #[arg(long)]
    prices: Option<PathBuf>,
}

#[derive(Args)]
struct SyncArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Backend base URL.
    #[arg(long)]
    url: String,
    /// Backend kind: countersign (the native protocol), langgraph (LangGraph Server), phoenix
    /// (Arize Phoenix project), langfuse (Langfuse project; token = PUBLIC_KEY:SECRET_KEY) or
    /// mlflow (MLflow tracking server; token = bearer token, or USER:PASSWORD for basic auth).
    #[arg(long, default_value = "countersign")]
    kind: String,
    /// Per-kind settings as JSON, e.g. '{"project":"evals"}' for Phoenix,
    /// '{"experiment":"refunds"}' (a name or an id; none: every experiment) for MLflow or
    /// '{"confirm_fields":{"issue_refund":["amount","region"]}}' for LangGraph; any kind but
    /// countersign: '{"identity":{"user_keys":["customer"],"tenant_keys":["org"]}}' (which
    /// metadata keys name a run's user and tenant).
    #[arg(long)]
    config: Option<String>,
    /// Environment variable holding the backend token (the token never goes on the command line).
    #[arg(long, default_value = "COUNTERSIGN_TOKEN")]
    token_env: String,
    /// Name to show for the backend.
    #[arg(long, default_value = "")]
    name: String,
    /// Let the token go over plain http to a host that is not this machine (recorded in the
    /// audit trail). Without it such a backend is refused before anything is sent.
    #[arg(long)]
    allow_http: bool,
    /// Replace the settings (name, kind, config, --allow-http) of a URL already connected;
    /// without it, different settings for a known URL are refused.
    #[arg(long)]
    replace: bool,
    /// Records per page (MLflow: traces per page, at most 500).
    #[arg(long, default_value_t = 1000)]
    page_size: u32,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum RunsCmd {
    /// List stored runs, newest first.
    List(Box<ListArgs>),
    /// One run in full: tool calls, citations, policy checks, cost.
    Show(ShowArgs),
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    store: StoreArg,
    /// One JSON object per line (stdout holds nothing else, so it can go to a file).
    #[arg(long)]
    json: bool,
    /// At most this many runs (no upper bound; more than this matching is said on stderr).
    #[arg(long, default_value_t = 50, conflicts_with = "all")]
    limit: u64,
    /// Every matching run, streamed (e.g. `--all --json > runs.jsonl`).
    #[arg(long)]
    all: bool,
    /// Words that must appear in the run; the last word also matches longer words (from 3
    /// letters: `escalat` finds "escalated"); `refund*` asks a prefix anywhere.
    #[arg(long)]
    search: Option<String>,
    /// Only this workflow.
    #[arg(long)]
    workflow: Option<String>,
    /// Only this outcome (success, fail, escalated, denied, pending, budget_stopped).
    #[arg(long)]
    outcome: Option<String>,
    /// Only this backend id.
    #[arg(long)]
    backend: Option<String>,
    /// Only this tenant.
    #[arg(long)]
    tenant: Option<String>,
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// Only runs triggered by this user.
    #[arg(long)]
    user: Option<String>,
    /// Started at or after (RFC 3339).
    #[arg(long)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Started before (RFC 3339).
    #[arg(long)]
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// Cost at least this many US dollars (exact decimal).
    #[arg(long)]
    min_cost: Option<String>,
    /// Cost at most this many US dollars (exact decimal).
    #[arg(long)]
    max_cost: Option<String>,
    /// Only runs with a failed policy check.
    #[arg(long)]
    policy_failed: bool,
    /// Only runs citing a deprecated or stale source.
    #[arg(long)]
    cites_stale: bool,
    /// Sort: time, cost or latency.
    #[arg(long, default_value = "time")]
    sort: String,
}

#[derive(Args)]
struct ShowArgs {
    /// The run id.
    run_id: String,
    #[command(flatten)]
    store: StoreArg,
    /// Only look in this backend.
    #[arg(long)]
    backend: Option<String>,
    /// Print the run as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BackendsCmd {
    /// List backends with their sync health.
    List(BackendsListArgs),
    /// Remove a backend and everything synced from it (recorded in the audit trail).
    Remove(BackendsRemoveArgs),
}

#[derive(Args)]
struct BackendsListArgs {
    #[command(flatten)]
    store: StoreArg,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BackendsRemoveArgs {
    /// Backend id (see `backends list`).
    backend_id: String,
    #[command(flatten)]
    store: StoreArg,
}

#[derive(Subcommand)]
enum ApprovalsCmd {
    /// List synced actions with their required review fields.
    List(ApprovalsListArgs),
}

#[derive(Args)]
struct ApprovalsListArgs {
    #[command(flatten)]
    store: StoreArg,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    /// Only this status (pending, approved, denied, expired, executed, rolled_back).
    #[arg(long)]
    status: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COUNTERSIGN_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Verify has exit codes of its own and needs no runtime.
    let cli = match cli.command {
        Command::Verify(a) => return audit_cmd::verify(a),
        Command::Golden(c) => return golden_cmd::run(c),
        command => Cli { command },
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Backend(BackendCmd::Serve(a)) => serve(a).await,
        // Blocking database clients must not run on the runtime's threads.
        Command::Backend(BackendCmd::Keys(cmd)) => tokio::task::spawn_blocking(move || match cmd {
            KeysCmd::Create(a) => create_key(a),
            KeysCmd::List(a) => list_keys(a),
            KeysCmd::Revoke(a) => revoke_key(a),
        })
        .await
        .map_err(|e| e.to_string())?,
        Command::Backend(BackendCmd::LoadAgent(a)) => load_agent::run_agent(a).await,
        Command::Sync(a) => sync(a).await,
        Command::Runs(RunsCmd::List(a)) => list_runs(*a),
        Command::Runs(RunsCmd::Show(a)) => show_run(a),
        Command::Approvals(ApprovalsCmd::List(a)) => list_approvals(a),
        Command::Backends(BackendsCmd::List(a)) => list_backends(a),
        Command::Backends(BackendsCmd::Remove(a)) => remove_backend(a),
        Command::Audit(c) => audit_cmd::run(c),
        Command::Verify(_) => Err("verify runs outside the runtime".into()),
        Command::Golden(_) => Err("golden runs outside the runtime".into()),
        Command::Import(a) => import_cmd::run(a),
        Command::Trust(c) => trust_cmd::run(c),
    }
}

/// The database a `--database` argument names.
fn database(arg: &str) -> Result<countersign_backend::Database, String> {
    arg.parse()
        .map_err(|e: countersign_backend::Error| e.to_string())
}

async fn serve(a: ServeArgs) -> Result<(), String> {
    let config = countersign_backend::Config {
        listen: a.listen,
        data_dir: a.data,
        database: a.database.as_deref().map(database).transpose()?,
        seed_runs: a.seed_runs,
        seed: a.seed,
        faults: a.faults,
        hostile: a.hostile,
        trickle: a.trickle,
        prices: match &a.prices {
            Some(p) => Some(
                std::fs::read_to_string(p).map_err(|e| format!("--prices {}: {e}", p.display()))?,
            ),
            None => None,
        },
        ..Default::default()
    };
    let handle = countersign_backend::start(config)
        .await
        .map_err(|e| e.to_string())?;
    output::line(&format!("url: {}", handle.url));
    output::line(&format!("token: {}", handle.token));
    output::line(&format!("database: {}", handle.engine()));
    wait_for_stop().await;
    handle.shutdown().await;
    Ok(())
}

fn create_key(a: KeysCreateArgs) -> Result<(), String> {
    let scope = countersign_backend::Scope::parse(&a.scope).ok_or_else(|| {
        format!(
            "unknown scope {:?}: ingest, reviewer, finance, operator or admin",
            a.scope
        )
    })?;
    let db = a.db.database()?;
    let (key_id, key) =
        countersign_backend::create_key_for(&db, &a.name, scope, a.tenant.as_deref())
            .map_err(|e| e.to_string())?;
    output::line(&format!("key_id: {key_id}"));
    output::line(&format!("key: {key}"));
    output::line(&format!("scope: {}", scope.as_str()));
    if let Some(t) = &a.tenant {
        output::line(&format!("tenant: {}", output::safe(t)));
    }
    Ok(())
}

fn list_keys(a: KeysListArgs) -> Result<(), String> {
    let keys = countersign_backend::list_keys_in(&a.db.database()?).map_err(|e| e.to_string())?;
    if a.json {
        keys.iter().for_each(output::json_line);
        return Ok(());
    }
    output::line("KEY_ID\tSCOPE\tNAME\tTENANT\tCREATED\tREVOKED");
    for k in &keys {
        output::line(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            k.key_id,
            k.scope.as_str(),
            output::safe(&k.name),
            output::safe(k.tenant.as_deref().unwrap_or("-")),
            k.created_at,
            k.revoked_at.as_deref().unwrap_or("-")
        ));
    }
    Ok(())
}

fn revoke_key(a: KeysRevokeArgs) -> Result<(), String> {
    use countersign_backend::Revoked;
    match countersign_backend::revoke_key_in(&a.db.database()?, &a.key_id)
        .map_err(|e| e.to_string())?
    {
        Revoked::Now => output::line(&format!("revoked: {}", a.key_id)),
        Revoked::Already(at) => output::line(&format!("revoked: {} (already, at {at})", a.key_id)),
        Revoked::Unknown => return Err(format!("no key {}", output::safe(&a.key_id))),
    }
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The backend to sync: added (audited) when its URL is new; when known, its stored settings,
/// unless the command line asks for different ones — refused without `--replace`, replaced
/// (audited, before → after) with it.
fn backend_for_sync(
    store: &mut countersign_store::Store,
    new: &backends::NewBackend<'_>,
    config_given: bool,
    replace: bool,
) -> Result<backends::BackendRow, String> {
    let url = backends::normalize_url(new.url).map_err(|e| e.to_string())?;
    let tx = store.write().map_err(|e| e.to_string())?;
    let known =
        backends::get(&tx, &backends::backend_id_for_url(&url)).map_err(|e| e.to_string())?;
    if let Some(b) = &known {
        let differs = (!new.name.trim().is_empty() && new.name.trim() != b.name)
            || new.kind != b.kind
            || (config_given && *new.config != b.config)
            || (new.allow_http && !b.allow_http);
        if !differs {
            return Ok(b.clone());
        }
        if !replace {
            return Err(format!(
                "backend {url} is already connected with other settings (name {:?}, kind {}, \
                 allow-http {}); they were left as they are — pass --replace to replace them",
                output::safe(&b.name),
                b.kind,
                b.allow_http
            ));
        }
    }
    let added =
        backends::add_recorded(&tx, new, replace, "cli", None).map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(added.row)
}

async fn sync(a: SyncArgs) -> Result<(), String> {
    let token = std::env::var(&a.token_env).ok().filter(|t| !t.is_empty());
    let path = a.store.path();
    let kind = Kind::parse(&a.kind).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("--kind {}: not one of {}", a.kind, known.join(", "))
    })?;
    let config: Option<serde_json::Value> = a
        .config
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| format!("--config: {e}"))?;
    if let Some(c) = &config {
        countersign_core::IdentityKeys::from_backend_config(c)
            .map_err(|e| format!("--config: {e}"))?;
    }
    if let (Some(c), Some(k)) = (&config, countersign_connect::lookup(kind.as_str())) {
        k.check_config(c).map_err(|e| format!("--config: {e}"))?;
    }
    let backend = {
        let mut store = a.store.open()?;
        let empty = serde_json::json!({});
        let new = backends::NewBackend {
            name: &a.name,
            url: &a.url,
            kind: kind.as_str(),
            config: config.as_ref().unwrap_or(&empty),
            allow_http: a.allow_http,
        };
        backend_for_sync(&mut store, &new, config.is_some(), a.replace)?
    };
    let opts = SyncOptions {
        page_size: a.page_size,
        ..Default::default()
    };
    let report = countersign_connect::sync(
        &path,
        &backend,
        token,
        &opts,
        ClientOptions::default(),
        &Cancel::default(),
        &|_| {},
    )
    .await
    .ok_or("this kind has nothing to sync")?;
    if a.json {
        output::json_line(&report);
    } else {
        output::line(&format!(
            "backend {} ({}): {} runs, {} actions, {} budgets, {} sources applied; {} quarantined; {} pages",
            backend.backend_id,
            backend.url,
            report.runs,
            report.actions,
            report.budgets,
            report.sources,
            report.quarantined,
            report.pages
        ));
    }
    // Stored runs become searchable here (sync defers full-text indexing to stay fast).
    let t = std::time::Instant::now();
    let indexed = countersign_sync::index_search(&path, 5_000, &Cancel::default())
        .await
        .map_err(|e| e.to_string())?;
    if indexed > 0 && !a.json {
        output::line(&format!(
            "indexed {indexed} runs for search in {:.1} s",
            t.elapsed().as_secs_f64()
        ));
    }
    match report.error {
        Some(e) => Err(format!("sync stopped: [{}] {}", e.code, e.message)),
        None => Ok(()),
    }
}

fn list_runs(a: ListArgs) -> Result<(), String> {
    let cost = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(countersign_core::Micros::parse_usd)
            .transpose()
            .map(|m| m.map(|m| m.0))
            .map_err(|e| format!("{flag}: {e}"))
    };
    let min_cost_micros = cost("--min-cost", &a.min_cost)?;
    let max_cost_micros = cost("--max-cost", &a.max_cost)?;
    let sort = match a.sort.as_str() {
        "time" => Sort::TimeDesc,
        "cost" => Sort::CostDesc,
        "latency" => Sort::LatencyDesc,
        other => {
            return Err(format!(
                "--sort must be time, cost or latency, not {other:?}"
            ));
        }
    };
    if let Some(o) = &a.outcome
        && countersign_core::Outcome::parse(o).is_none()
    {
        return Err(format!("--outcome {o:?} is not an outcome"));
    }
    let store = a.store.open_existing()?;
    let q = RunQuery {
        backend_id: a.backend,
        tenant: a.tenant,
        workflow: a.workflow,
        outcome: a.outcome,
        model: a.model,
        user_id: a.user,
        search: a.search,
        since: a.since,
        until: a.until,
        min_cost_micros,
        max_cost_micros,
        policy_failed: a.policy_failed,
        cites_stale: a.cites_stale,
        sort,
        ..Default::default()
    };
    // One row past the limit says whether more match, without counting them all.
    let max = (!a.all).then_some(a.limit.saturating_add(1));
    let mut out = output::Rows::new(a.json);
    let mut shown = 0u64;
    let mut more = false;
    let streamed = countersign_store::runs::for_each(store.conn(), &q, max, |r| {
        if !a.all && shown == a.limit {
            more = true;
            return Ok(());
        }
        shown += 1;
        out.run(&r)
            .map_err(|_| countersign_store::StoreError::Invalid("output closed".into()))
    });
    match streamed {
        Ok(_) => {}
        // The reader went away (`| head`): stop quietly.
        Err(_) if out.closed() => return Ok(()),
        Err(e) => return Err(e.to_string()),
    }
    out.finish(shown, more);
    if more {
        eprintln!(
            "note: showing the first {shown} matching runs (--limit {}); more match — raise \
             --limit or pass --all",
            a.limit
        );
    }
    if q.search.is_some() {
        let pending =
            countersign_store::search::pending(store.conn()).map_err(|e| e.to_string())?;
        if pending > 0 {
            eprintln!(
                "note: {pending} stored runs are not indexed for search yet (the next sync \
                 indexes them)"
            );
        }
    }
    Ok(())
}

fn show_run(a: ShowArgs) -> Result<(), String> {
    let store = a.store.open_existing()?;
    let found = match &a.backend {
        Some(b) => countersign_store::runs::get(store.conn(), b, &a.run_id)
            .map(|r| r.map(|r| (b.clone(), r))),
        None => countersign_store::runs::find(store.conn(), &a.run_id),
    }
    .map_err(|e| e.to_string())?;
    let (backend, run) = found.ok_or_else(|| format!("no run {:?} in the store", a.run_id))?;
    if a.json {
        output::json_line(&serde_json::json!({"backend_id": backend, "run": run}));
    } else {
        output::run_detail(&backend, &run);
    }
    Ok(())
}

fn list_approvals(a: ApprovalsListArgs) -> Result<(), String> {
    if let Some(s) = &a.status
        && countersign_core::ActionStatus::parse(s).is_none()
    {
        return Err(format!("--status {s:?} is not an action status"));
    }
    let store = a.store.open_existing()?;
    let rows = countersign_store::actions::list(store.conn(), a.status.as_deref(), None)
        .map_err(|e| e.to_string())?;
    let now = chrono::Utc::now();
    for (backend, action) in rows {
        if a.json {
            output::json_line(&serde_json::json!({
                "backend_id": backend,
                "action_id": action.action_id,
                "run_id": action.run_id,
                "status": action.status,
                "effective_status": action.effective_status(now),
                "kind": action.kind,
                "risk": action.risk,
                "fields": action.fields,
                "expires_at": action.expires_at,
            }));
        } else {
            output::action_line(&backend, &action, now);
        }
    }
    Ok(())
}

fn list_backends(a: BackendsListArgs) -> Result<(), String> {
    let store = a.store.open_existing()?;
    for b in backends::list(store.conn()).map_err(|e| e.to_string())? {
        let h = countersign_store::health::get(store.conn(), &b.backend_id)
            .map_err(|e| e.to_string())?;
        if a.json {
            output::json_line(&serde_json::json!({"backend": b, "health": h}));
        } else {
            output::line(&format!(
                "{:<16}  {:<30}  {:<12}  last ok {}  {}",
                b.backend_id,
                output::safe(&b.url),
                format!("{:?}", h.state).to_lowercase(),
                h.last_success_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into()),
                output::safe(&b.name)
            ));
        }
    }
    Ok(())
}

fn remove_backend(a: BackendsRemoveArgs) -> Result<(), String> {
    let mut store = a.store.open_existing()?;
    let tx = store.write().map_err(|e| e.to_string())?;
    let row = backends::remove_recorded(&tx, &a.backend_id, "cli")
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no backend {:?}", a.backend_id))?;
    tx.commit().map_err(|e| e.to_string())?;
    output::line(&format!(
        "removed backend {} ({})",
        a.backend_id,
        output::safe(&row.url)
    ));
    Ok(())
}
