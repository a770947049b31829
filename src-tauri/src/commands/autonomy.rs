//! Autonomy levels per workflow: what each backend holds (read at sync), and the admin's change
//! of a level — refused here unless the identity on the backend is an admin, refused when it
//! raises the level while a readiness row fails and no justification is typed, pushed to a
//! backend that enforces it (the native protocol) or kept in this console as advisory (LangGraph
//! and the trace stores cannot enforce one), and recorded in the audit trail with before →
//! after, the justification and the scorecard as it stood.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use chrono::{DateTime, Utc};
use countersign_core::audit::kinds;
use countersign_core::{AutonomyLevel, AutonomySetting, Role, WorkflowAutonomy};
use countersign_store::autonomy::{self, AutonomyRow};
use countersign_store::readiness::{self, Scorecard, Status};
use countersign_store::{Store, audit, backends};
use countersign_sync::{Client, ClientOptions};
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// A workflow's level on one backend, as the scorecard view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct AutonomyView {
    /// Backend.
    pub backend_id: String,
    /// Its name.
    pub backend_name: String,
    /// The level (the default when none is stored).
    pub state: WorkflowAutonomy,
    /// The backend enforces levels; `false`: advisory, kept in this console only.
    pub enforced: bool,
    /// The console's identity there may change it.
    pub can_edit: bool,
}

/// What a change did.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct AutonomyChange {
    /// Before.
    pub before: AutonomySetting,
    /// After, as the backend (or, advisory, this console) now holds it.
    pub after: AutonomyView,
    /// The scorecard rows that failed when it was set.
    pub failing: Vec<String>,
}

/// Whether a backend of `kind` enforces autonomy levels (only the native protocol does).
pub fn enforces(kind: &str) -> bool {
    kind == countersign_connect::Kind::Countersign.as_str()
}

/// Who may set a level on `b`, or why not: on an enforcing backend only its admin; on a
/// backend without users (advisory only) the console's own user, since nothing is enforced.
fn actor_for(b: &backends::BackendRow) -> CmdResult<String> {
    match (&b.whoami, enforces(&b.kind)) {
        (Some(w), true) if w.has(Role::Admin) => Ok(w.subject.clone()),
        (Some(w), true) => Err(CmdError::new(
            "forbidden",
            format!("{} is not an admin on {}", w.display_name, b.name),
        )),
        (None, true) => Err(CmdError::new(
            "forbidden",
            format!("identity on {} unknown yet; sync first", b.name),
        )),
        (Some(w), false) => Ok(w.subject.clone()),
        (None, false) => Ok(countersign_connect::console_reviewer(&b.name).subject),
    }
}

/// The names of the scorecard's failing rows.
pub fn failing_rows(card: &Scorecard) -> Vec<String> {
    card.rows
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| {
            serde_json::to_value(r.criterion)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect()
}

/// The justification gate: raising the level while a row fails needs a typed justification
/// (returned trimmed; `None` when none was typed).
pub fn justification_gate(
    before: &AutonomySetting,
    to: &AutonomySetting,
    failing: &[String],
    justification: Option<&str>,
) -> CmdResult<Option<String>> {
    let typed = justification
        .map(str::trim)
        .filter(|j| !j.is_empty())
        .map(str::to_string);
    if before.is_raise_to(to) && !failing.is_empty() && typed.is_none() {
        return Err(CmdError::new(
            "justification_required",
            format!(
                "raising {} to {} while the readiness rows {} fail needs a justification",
                before.level.as_str(),
                to.level.as_str(),
                failing.join(", ")
            ),
        ));
    }
    Ok(typed)
}

fn view(b: &backends::BackendRow, row: Option<AutonomyRow>, workflow: &str) -> AutonomyView {
    let enforced = enforces(&b.kind);
    AutonomyView {
        backend_id: b.backend_id.clone(),
        backend_name: b.name.clone(),
        state: row.map(|r| r.state).unwrap_or_else(|| WorkflowAutonomy {
            workflow: workflow.to_string(),
            ..Default::default()
        }),
        enforced,
        can_edit: actor_for(b).is_ok(),
    }
}

/// The backends a workflow runs on (runs in the daily rollup, or a level stored).
fn backends_of(s: &Store, workflow: &str) -> CmdResult<Vec<backends::BackendRow>> {
    let ids = (|| {
        let mut st = s.conn().prepare_cached(
            "SELECT DISTINCT backend_id FROM run_daily WHERE workflow = ?1
             UNION SELECT backend_id FROM workflow_autonomy WHERE workflow = ?1 ORDER BY 1",
        )?;
        st.query_map([workflow], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()
    })()
    .map_err(countersign_store::StoreError::from)?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(b) = backends::get(s.conn(), &id)? {
            out.push(b);
        }
    }
    Ok(out)
}

/// A workflow's level on each backend it runs on.
pub fn levels_of(s: &Store, workflow: &str) -> CmdResult<Vec<AutonomyView>> {
    backends_of(s, workflow)?
        .iter()
        .map(|b| {
            let row = autonomy::get(s.conn(), &b.backend_id, workflow)?;
            Ok(view(b, row, workflow))
        })
        .collect()
}

/// [`levels_of`].
#[tauri::command]
pub async fn workflow_autonomy(
    state: State<'_, Arc<AppState>>,
    workflow: String,
) -> CmdResult<Vec<AutonomyView>> {
    with_store(&state, move |s| levels_of(s, &workflow)).await
}

/// What a change is checked against, read from the store first.
pub struct Prepared {
    backend: backends::BackendRow,
    actor: String,
    before: AutonomySetting,
    card: Scorecard,
    failing: Vec<String>,
    justification: Option<String>,
}

/// Checks a change: the backend exists, the console's identity may set levels there, the new
/// setting is valid, and the justification gate against the scorecard as it stands now.
pub fn prepare(
    s: &Store,
    backend_id: &str,
    workflow: &str,
    to: &AutonomySetting,
    justification: Option<&str>,
    now: DateTime<Utc>,
) -> CmdResult<Prepared> {
    to.validate()
        .map_err(|m| CmdError::new("invalid_input", m))?;
    if workflow.trim().is_empty() {
        return Err(CmdError::new("invalid_input", "workflow: empty"));
    }
    let backend = backends::get(s.conn(), backend_id)?
        .ok_or_else(|| CmdError::new("not_found", format!("no backend {backend_id}")))?;
    let actor = actor_for(&backend)?;
    let before = autonomy::get(s.conn(), backend_id, workflow)?
        .map(|r| r.state.setting())
        .unwrap_or_default();
    let from = now - chrono::Duration::milliseconds(readiness::DEFAULT_PERIOD_MS);
    let card = readiness::scorecard(s.conn(), workflow, from, now, now)?;
    let failing = failing_rows(&card);
    let justification = justification_gate(&before, to, &failing, justification)?;
    Ok(Prepared {
        backend,
        actor,
        before,
        card,
        failing,
        justification,
    })
}

/// Stores the level now in force and records the change in the audit trail.
pub fn record(
    s: &mut Store,
    p: &Prepared,
    after: &WorkflowAutonomy,
    now: DateTime<Utc>,
) -> CmdResult<AutonomyChange> {
    let b = &p.backend;
    let enforced = enforces(&b.kind);
    let tx = s.write()?;
    autonomy::set_here(&tx, &b.backend_id, after, enforced, now)?;
    let rows: Vec<serde_json::Value> = p
        .card
        .rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "criterion": r.criterion,
                "status": r.status,
                "evidence": r.evidence,
            })
        })
        .collect();
    audit::append(
        &tx,
        &p.actor,
        kinds::AUTONOMY_CHANGED,
        &format!("{}/{}", b.backend_id, after.workflow),
        serde_json::json!({
            "workflow": after.workflow,
            "before": p.before,
            "after": after.setting(),
            "enforced": enforced,
            "justification": p.justification,
            "failing_rows": p.failing,
            "scorecard": {
                "status": p.card.status,
                "from": p.card.from,
                "to": p.card.to,
                "rows": rows,
            },
        }),
        now,
    )?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(AutonomyChange {
        before: p.before,
        after: view(
            b,
            Some(AutonomyRow {
                backend_id: b.backend_id.clone(),
                state: after.clone(),
                enforced,
            }),
            &after.workflow,
        ),
        failing: p.failing.clone(),
    })
}

/// The state an advisory level is kept as.
pub fn advisory_state(
    p: &Prepared,
    workflow: &str,
    to: &AutonomySetting,
    now: DateTime<Utc>,
) -> WorkflowAutonomy {
    WorkflowAutonomy {
        workflow: workflow.to_string(),
        level: to.level,
        sample_percent: to.sample_percent,
        set_by: Some(p.actor.clone()),
        requested_by: None,
        justification: p.justification.clone(),
        updated_at: Some(now),
        refused_writes: 0,
        last_refused_at: None,
    }
}

/// Sets a workflow's level on a backend: checked ([`prepare`]), pushed when the backend
/// enforces levels, then stored and audited ([`record`]).
#[tauri::command]
pub async fn set_workflow_autonomy(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    workflow: String,
    level: AutonomyLevel,
    sample_percent: u8,
    justification: Option<String>,
) -> CmdResult<AutonomyChange> {
    let to = AutonomySetting {
        level,
        sample_percent,
    };
    let (id, w) = (backend_id.clone(), workflow.clone());
    let p = with_store(&state, move |s| {
        prepare(s, &id, &w, &to, justification.as_deref(), Utc::now())
    })
    .await?;
    let after = if enforces(&p.backend.kind) {
        let token = state
            .token(&backend_id)
            .map_err(|m| CmdError::new("secret_store", m))?;
        let opts = ClientOptions {
            allow_plain_http: p.backend.allow_http,
            ..Default::default()
        };
        let client = Client::new(&p.backend.url, token, opts)?;
        let (_, after) = client
            .put_autonomy(&workflow, &to, &p.actor, p.justification.as_deref())
            .await?;
        after
    } else {
        advisory_state(&p, &workflow, &to, Utc::now())
    };
    let change = with_store(&state, move |s| record(s, &p, &after, Utc::now())).await?;
    tracing::info!(
        backend = %backend_id,
        workflow = %change.after.state.workflow,
        level = change.after.state.level.as_str(),
        enforced = change.after.enforced,
        "autonomy level set"
    );
    Ok(change)
}

#[cfg(test)]
mod tests;
