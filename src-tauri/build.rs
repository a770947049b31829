//! Declares the app's commands so each needs an explicit permission in `capabilities/`.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "list_backends",
            "add_backend",
            "set_backend_config",
            "remove_backend",
            "sync_now",
            "cancel_sync",
            "list_runs",
            "get_run",
            "list_facets",
            "get_overview",
            "list_actions",
            "open_review",
            "decide_action",
            "rollback_action",
            "list_outbox",
            "review_warnings",
            "list_budgets",
            "save_budgets",
            "list_quarantine",
            "audit_info",
            "list_audit",
            "export_audit",
            "verify_audit",
            "list_sources",
            "open_url",
            "import_traces",
            "get_price_table",
            "set_price_table",
            "get_receiver",
            "set_receiver",
        ]),
    ))
    .expect("failed to run tauri-build");
}
