//! Budget caps as each backend reports them (read side).

use crate::error::CmdResult;
use crate::state::{AppState, with_store};
use countersign_core::Budget;
use countersign_store::{backends, budgets};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tauri::State;

/// A cap with the backend that enforces it.
#[derive(Serialize)]
pub struct BudgetView {
    backend_id: String,
    backend_name: String,
    budget: Budget,
}

/// Every cap in force, by backend.
#[tauri::command]
pub async fn list_budgets(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<BudgetView>> {
    with_store(&state, |s| {
        let names: HashMap<String, String> = backends::list(s.conn())?
            .into_iter()
            .map(|b| (b.backend_id, b.name))
            .collect();
        Ok(budgets::list(s.conn())?
            .into_iter()
            .map(|(backend_id, budget)| BudgetView {
                backend_name: names.get(&backend_id).cloned().unwrap_or_default(),
                backend_id,
                budget,
            })
            .collect())
    })
    .await
}
