//! Budget caps: what each backend enforces, spend against each, and edits by finance that are
//! validated, pushed to the backend, read back and recorded in the audit trail.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_core::{Budget, Role};
use countersign_store::budgets::{self, Spend};
use countersign_store::{audit, backends};
use countersign_sync::{Client, ClientOptions};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tauri::State;

/// A cap with the backend that enforces it, spend in its current period, and whether the
/// current user may edit it.
#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "BudgetWithSpend")]
pub struct BudgetView {
    backend_id: String,
    backend_name: String,
    budget: Budget,
    spend: Option<Spend>,
    can_edit: bool,
}

/// Every cap in force, by backend, with spend.
#[tauri::command]
pub async fn list_budgets(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<BudgetView>> {
    with_store(&state, |s| {
        let rows: HashMap<String, backends::BackendRow> = backends::list(s.conn())?
            .into_iter()
            .map(|b| (b.backend_id.clone(), b))
            .collect();
        let now = chrono::Utc::now();
        budgets::list(s.conn())?
            .into_iter()
            .map(|(backend_id, budget)| {
                let b = rows.get(&backend_id);
                Ok(BudgetView {
                    backend_name: b.map(|b| b.name.clone()).unwrap_or_default(),
                    can_edit: b
                        .and_then(|b| b.whoami.as_ref())
                        .is_some_and(|w| w.has(Role::Finance)),
                    spend: Some(budgets::spend(s.conn(), &backend_id, &budget, now)?),
                    backend_id,
                    budget,
                })
            })
            .collect()
    })
    .await
}

/// Replaces a backend's caps: validated here, enforced by the backend (which refuses anyone but
/// finance or admin), read back, stored, and recorded with before → after.
#[tauri::command]
pub async fn save_budgets(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    budgets: Vec<Budget>,
) -> CmdResult<Vec<Budget>> {
    countersign_core::budget::validate_set(&budgets)
        .map_err(|m| CmdError::new("invalid_input", m))?;
    let id = backend_id.clone();
    let (row, before) = with_store(&state, move |s| {
        let row = backends::get(s.conn(), &id)?
            .ok_or_else(|| CmdError::new("not_found", format!("no backend {id}")))?;
        let before: Vec<Budget> = budgets::list(s.conn())?
            .into_iter()
            .filter(|(b, _)| *b == id)
            .map(|(_, b)| b)
            .collect();
        Ok((row, before))
    })
    .await?;
    let actor = match &row.whoami {
        Some(w) if w.has(Role::Finance) => w.subject.clone(),
        Some(w) => {
            return Err(CmdError::new(
                "forbidden",
                format!("{} is not finance on {}", w.display_name, row.name),
            ));
        }
        None => {
            return Err(CmdError::new(
                "forbidden",
                "identity unknown yet; sync first",
            ));
        }
    };
    let token = state
        .token(&backend_id)
        .map_err(|m| CmdError::new("secret_store", m))?;
    let opts = ClientOptions {
        allow_plain_http: row.allow_http,
        ..Default::default()
    };
    let client = Client::new(&row.url, token, opts)?;
    let saved = client.put_budgets(&budgets).await?;
    let (id, after) = (backend_id.clone(), saved.clone());
    with_store(&state, move |s| {
        let tx = s.write()?;
        let now = chrono::Utc::now();
        budgets::set_here(&tx, &id, &after, now)?;
        audit::append(
            &tx,
            &actor,
            countersign_core::audit::kinds::BUDGET_CHANGE,
            &id,
            serde_json::json!({"before": before, "after": after}),
            now,
        )?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(())
    })
    .await?;
    tracing::info!(backend = %backend_id, caps = saved.len(), "budgets saved");
    Ok(saved)
}
