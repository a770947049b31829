//! Countersign desktop app: a thin Tauri shell over the core, store and sync crates.
//! Each command is a few lines; the work happens in the crates under `crates/`.
#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

mod announced;
#[cfg(test)]
mod bindings;
mod checkpoints;
mod commands;
#[cfg(test)]
mod conf_checks;
mod embedded;
mod error;
mod events;
mod memory;
mod notify;
mod receiver_slot;
mod secrets;
mod state;
mod trust;
mod worker;

use std::sync::Arc;
use tauri::Manager;

/// Turns WebKitGTK's accelerated compositing off unless the user set it: on this kind of
/// machine (Xvfb or a desktop without GPU acceleration) it costs the web process about 130 MiB
/// idle and 250 MiB after use, for nothing this console draws (`node benches/startup.mjs`).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn lighter_webkit() {
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: the first thing `main` does, before any thread exists that could read the
        // environment at the same time.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    lighter_webkit();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COUNTERSIGN_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // The store opens (migrating an older one) and the embedded backend starts (seeding a fresh
    // demo) on their own threads while Tauri brings the window and its web view up: on a fresh
    // demo its first synced rows are what the user waits for (`node benches/startup.mjs`).
    let store_path = countersign_store::paths::default_store_path();
    let launch = embedded::launch(&state::AppState::data_dir(&store_path));
    let opening = std::thread::spawn(move || state::AppState::init(store_path));
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            let state = opening.join().map_err(|_| "opening the store panicked")??;
            let state = Arc::new(state);
            app.manage(state.clone());
            // Register the embedded backend once it is up, then start the sync loop that reads it.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = embedded::register(&state, launch).await {
                    tracing::error!(error = %e, "the embedded reference backend did not start");
                }
                commands::traces::start_on_launch(handle.clone(), state.clone());
                worker::spawn(handle, state);
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::system::app_info,
            commands::system::open_url,
            commands::backends::list_backends,
            commands::backends::add_backend,
            commands::backends::set_backend_config,
            commands::backend_edit::edit_backend,
            commands::backends::remove_backend,
            commands::backends::sync_now,
            commands::backends::cancel_sync,
            commands::backends::list_quarantine,
            commands::runs::list_runs,
            commands::runs::get_run,
            commands::runs::list_facets,
            commands::runs::get_overview,
            commands::approvals::list_actions,
            commands::approvals::open_review,
            commands::approvals::decide_action,
            commands::approvals::rollback_action,
            commands::approvals::list_outbox,
            commands::approvals::review_warnings,
            commands::budgets::list_budgets,
            commands::audit::audit_info,
            commands::audit::list_audit,
            commands::audit::export_audit,
            commands::audit::verify_audit,
            commands::audit::list_sources,
            commands::keys::list_trusted_keys,
            commands::keys::describe_key,
            commands::keys::trust_key,
            commands::keys::remove_trusted_key,
            commands::budgets::save_budgets,
            commands::traces::import_traces,
            commands::traces::get_price_table,
            commands::traces::set_price_table,
            commands::traces::get_receiver,
            commands::traces::set_receiver,
            commands::identity_keys::get_identity_keys,
            commands::identity_keys::set_identity_keys,
            commands::failures::failure_week,
            commands::failures::failure_trend,
            commands::failures::set_failure_bucket,
            commands::failures::export_failures_csv,
            commands::failures::get_failure_rules,
            commands::failures::set_failure_rules,
            commands::trust::trust_report,
            commands::trust::trust_drill,
            commands::trust::record_citation_open,
            commands::trust::second_review_queue,
            commands::trust::record_second_review,
            commands::trust::readiness_workflows,
            commands::trust::readiness_scorecard,
            commands::trust::export_scorecards,
            commands::trust::get_readiness_thresholds,
            commands::trust::set_readiness_thresholds,
            commands::autonomy::workflow_autonomy,
            commands::autonomy::set_workflow_autonomy,
            commands::golden::golden_sets,
            commands::golden::golden_versions,
            commands::golden::golden_cases,
            commands::golden::golden_add_runs,
            commands::golden::golden_set_expectations,
            commands::golden::golden_remove_cases,
            commands::golden::golden_export,
            commands::golden::golden_import,
            commands::golden::golden_start_eval,
            commands::golden_langgraph::golden_start_langgraph_eval,
            commands::golden::golden_evals,
            commands::golden::golden_eval_report,
            commands::golden::golden_eval_case,
            commands::golden::golden_export_report,
            commands::golden::get_golden_thresholds,
            commands::golden::set_golden_thresholds,
            commands::golden::golden_gates,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "Countersign could not start");
        std::process::exit(1);
    }
}
