//! OpenTelemetry traces: import an OTLP/JSON file the user picked, edit the model price table
//! that prices tokens when a trace reports no cost, and run the loopback OTLP/HTTP receiver.

use crate::error::{CmdError, CmdResult};
use crate::events;
use crate::state::{AppState, with_store};
use countersign_otel::{ImportCounts, ImportError};
use countersign_receiver::{ReceiverConfig, ReceiverSettings, ReceiverStats, prices};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tauri::{AppHandle, Emitter, State};

/// Largest trace file the UI may send (its text), 64 MiB.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

fn import_error(e: ImportError) -> CmdError {
    match e {
        ImportError::Store(s) => s.into(),
        ImportError::Io(m) => CmdError::new("io", m),
        other => CmdError::new("invalid_input", other.to_string()),
    }
}

fn changed(app: &AppHandle, c: &ImportCounts, origin: events::Origin) {
    if c.inserted + c.updated > 0 {
        let _ = app.emit(
            events::STORE_CHANGED,
            events::StoreChanged {
                backend_id: c.backend_id.clone(),
                runs: c.inserted + c.updated,
                actions: 0,
                origin,
            },
        );
    }
}

/// Imports an OTLP/JSON trace file (its name and text) as runs of the pseudo-backend
/// `http://import.localhost/<file stem>`, pricing tokens with the user's table.
#[tauri::command]
pub async fn import_traces(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    file_name: String,
    text: String,
) -> CmdResult<ImportCounts> {
    if text.len() > MAX_IMPORT_BYTES {
        let mib = MAX_IMPORT_BYTES >> 20;
        return Err(CmdError::new(
            "too_large",
            format!("{file_name} is larger than {mib} MiB"),
        ));
    }
    let source = std::path::Path::new(&file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let name = format!("OTel import: {file_name}");
    let counts = with_store(&state, move |s| {
        let (table, custom) = prices::load(s.conn())?;
        let mut c = countersign_otel::import_bytes(s, text.as_bytes(), &source, &name, &table)
            .map_err(import_error)?;
        if !custom && c.warnings.iter().any(|w| w.contains("no price")) {
            c.warnings.push("costs not reported by the trace are computed from the built-in EXAMPLE price table: set your prices in Settings".into());
        }
        Ok(c)
    })
    .await?;
    tracing::info!(backend = %counts.backend_id, inserted = counts.inserted, updated = counts.updated, rejected = counts.rejected, "traces imported");
    changed(&app, &counts, events::Origin::User);
    Ok(counts)
}

/// One price row as the UI edits it: exact decimal strings, USD per 1M tokens.
#[derive(Serialize, Deserialize, ts_rs::TS)]
pub struct PriceRow {
    model: String,
    /// `YYYY-MM-DD`.
    effective_from: String,
    input_usd_per_mtok: String,
    output_usd_per_mtok: String,
}

/// The price table in force and whether the user set it (else the built-in EXAMPLE table).
#[derive(Serialize, ts_rs::TS)]
pub struct PriceTableView {
    prices: Vec<PriceRow>,
    custom: bool,
}

fn price_view(table: &countersign_otel::PriceTable, custom: bool) -> PriceTableView {
    let mut prices: Vec<PriceRow> = table
        .prices
        .iter()
        .map(|p| PriceRow {
            model: p.model.clone(),
            effective_from: p.effective_from.to_string(),
            input_usd_per_mtok: p.input_per_mtok.to_decimal_string(),
            output_usd_per_mtok: p.output_per_mtok.to_decimal_string(),
        })
        .collect();
    prices.sort_by(|a, b| (&a.model, &a.effective_from).cmp(&(&b.model, &b.effective_from)));
    PriceTableView { prices, custom }
}

/// The model price table in force.
#[tauri::command]
pub async fn get_price_table(state: State<'_, Arc<AppState>>) -> CmdResult<PriceTableView> {
    with_store(&state, |s| {
        let (table, custom) = prices::load(s.conn())?;
        Ok(price_view(&table, custom))
    })
    .await
}

/// Replaces the price table (validated: exact decimals, dates, one price per model and date).
#[tauri::command]
pub async fn set_price_table(
    state: State<'_, Arc<AppState>>,
    prices: Vec<PriceRow>,
) -> CmdResult<PriceTableView> {
    let json = serde_json::json!({ "prices": prices }).to_string();
    let table = prices::validate(&json).map_err(|m| CmdError::new("invalid_input", m))?;
    with_store(&state, move |s| {
        prices::save(s.conn(), &table)?;
        tracing::info!(rows = table.prices.len(), "price table saved");
        Ok(price_view(&table, true))
    })
    .await
}

/// The receiver's settings and state.
#[derive(Serialize, ts_rs::TS)]
pub struct ReceiverView {
    enabled: bool,
    port: u16,
    /// Bound address (`127.0.0.1:PORT`) while running.
    address: Option<String>,
    /// URL to give an exporter while running.
    endpoint: Option<String>,
    /// Why it is not running although enabled.
    error: Option<String>,
    stats: Option<ReceiverStats>,
    /// Exporters must send `Authorization: Bearer <token>` (the token itself is never shown).
    token_set: bool,
}

/// Secret-store key of the receiver's bearer token (kept beside backend tokens, never in SQLite).
const RECEIVER_TOKEN_KEY: &str = "otlp-receiver";

fn receiver_token(state: &AppState) -> CmdResult<Option<String>> {
    state
        .secrets
        .get(RECEIVER_TOKEN_KEY)
        .map_err(|e| CmdError::new("secret_store", e))
}

async fn receiver_view(state: &Arc<AppState>) -> CmdResult<ReceiverView> {
    let settings = with_store(state, |s| Ok(ReceiverSettings::load(s.conn())?)).await?;
    let token_set = receiver_token(state)?.is_some_and(|t| !t.trim().is_empty());
    let slot = state.receiver.lock().await;
    Ok(ReceiverView {
        token_set,
        enabled: settings.enabled,
        port: settings.port,
        address: slot.handle.as_ref().map(|h| h.addr().to_string()),
        endpoint: slot.handle.as_ref().map(|h| h.endpoint()),
        error: slot.error.clone(),
        stats: slot.handle.as_ref().map(|h| h.stats()),
    })
}

/// Stops the receiver if running and starts it with `settings` when enabled.
pub async fn apply_receiver(app: &AppHandle, state: &Arc<AppState>, settings: ReceiverSettings) {
    let mut slot = state.receiver.lock().await;
    if let Some(h) = slot.handle.take() {
        h.stop().await;
    }
    slot.error = None;
    if !settings.enabled {
        return;
    }
    let emitter = app.clone();
    let token = match receiver_token(state) {
        Ok(t) => t,
        Err(e) => {
            // Never start an open receiver when the admin asked for a token we cannot read.
            tracing::warn!(error = %e.message, "OTLP receiver token unreadable; receiver not started");
            slot.error = Some(format!(
                "the receiver's token could not be read: {}",
                e.message
            ));
            return;
        }
    };
    let config = ReceiverConfig {
        on_import: Some(Arc::new(move |c: &ImportCounts| {
            changed(&emitter, c, events::Origin::Sync)
        })),
        ..ReceiverSettings {
            bearer_token: token,
            ..settings
        }
        .config()
    };
    match countersign_receiver::start(&state.store_path, config).await {
        Ok(h) => slot.handle = Some(h),
        Err(e) => {
            tracing::warn!(error = %e, "OTLP receiver could not start");
            slot.error = Some(e.to_string());
        }
    }
}

/// The OTLP/HTTP receiver's settings, bound address or bind error, and counters.
#[tauri::command]
pub async fn get_receiver(state: State<'_, Arc<AppState>>) -> CmdResult<ReceiverView> {
    receiver_view(&state).await
}

/// Enables (on 127.0.0.1:`port`, 0 = any free port) or disables the receiver; remembered for
/// the next launch. `token`: a new bearer token exporters must send (kept in the secret store),
/// `""` to require none, absent to keep the current one.
#[tauri::command]
pub async fn set_receiver(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    enabled: bool,
    port: u16,
    token: Option<String>,
) -> CmdResult<ReceiverView> {
    match token.as_deref().map(str::trim) {
        Some("") => state.secrets.delete(RECEIVER_TOKEN_KEY),
        Some(t) => state.secrets.set(RECEIVER_TOKEN_KEY, t),
        None => Ok(()),
    }
    .map_err(|e| CmdError::new("secret_store", e))?;
    let settings = ReceiverSettings {
        enabled,
        port,
        bearer_token: None,
    };
    let saved = settings.clone();
    with_store(&state, move |s| Ok(saved.save(s.conn())?)).await?;
    apply_receiver(&app, &state, settings).await;
    receiver_view(&state).await
}

impl From<countersign_receiver::ReceiverError> for CmdError {
    fn from(e: countersign_receiver::ReceiverError) -> CmdError {
        match e {
            countersign_receiver::ReceiverError::Store(s) => s.into(),
            other => CmdError::new("receiver", other.to_string()),
        }
    }
}

/// Starts the receiver at launch when the user left it enabled (a bind error is kept for the
/// Settings view).
pub fn start_on_launch(app: AppHandle, state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        let st = state.clone();
        let settings = with_store(&st, |s| Ok(ReceiverSettings::load(s.conn())?)).await;
        match settings {
            Ok(s) if s.enabled => apply_receiver(&app, &state, s).await,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e.message, "receiver settings unreadable"),
        }
    });
}
