//! Golden-set evals on a LangGraph backend: the set's inputs replayed as new threads on a
//! chosen assistant (or one of its versions); interrupts are recorded as proposed writes and
//! never resumed, the threads deleted (`countersign_langgraph::replay`). The eval is stored
//! and compared exactly like a native one ([`super::golden::record_eval`]); a replay stopped
//! by a server error is stored with what it got and the error, and audited.

use super::golden::{EvalOutcome, record_eval, set_to_replay};
use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use chrono::Utc;
use countersign_connect::ReplayTarget;
use countersign_core::golden::{ConfigLabel, GoldenCase};
use countersign_store::golden::EvalRecord;
use std::sync::Arc;
use tauri::State;

/// The labels an eval on `target` is recorded under: `config` as given, its version defaulting
/// to `assistant vN` when an assistant version was chosen, its model to `langgraph`.
pub fn langgraph_labels(config: ConfigLabel, target: &ReplayTarget) -> ConfigLabel {
    let mut c = config;
    if c.version.trim().is_empty() {
        c.version = match target.version {
            Some(v) => format!("{} v{v}", target.assistant),
            None => target.assistant.clone(),
        };
    }
    if c.model.trim().is_empty() {
        c.model = "langgraph".into();
    }
    c
}

/// Replays the latest version of `workflow`'s set on LangGraph backend `backend_id`, on
/// `assistant` (an assistant id or a graph name) at `assistant_version` (its latest when
/// absent), records the runs and compares them (with `baseline_eval`'s runs when given, else
/// the recorded runs).
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn golden_start_langgraph_eval(
    state: State<'_, Arc<AppState>>,
    workflow: String,
    backend_id: String,
    assistant: String,
    assistant_version: Option<u32>,
    config: ConfigLabel,
    baseline_eval: Option<String>,
) -> CmdResult<EvalOutcome> {
    if assistant.trim().is_empty() {
        return Err(CmdError::new(
            "invalid_input",
            "choose an assistant (its id or a graph name)",
        ));
    }
    let (row, version, cases) = set_to_replay(&state, &workflow, &backend_id).await?;
    let token = state
        .token(&backend_id)
        .map_err(|m| CmdError::new("secret_store", m))?;
    let target = ReplayTarget {
        assistant: assistant.trim().to_string(),
        version: assistant_version,
    };
    let config = langgraph_labels(config, &target);
    let set: Vec<GoldenCase> = cases.into_iter().map(|c| c.case).collect();
    let eval_id = countersign_connect::new_langgraph_eval_id();
    let started_at = Utc::now();
    let got = countersign_connect::replay_langgraph(&row, token, &eval_id, &target, &config, &set)
        .await?;
    let runs = got.runs;
    let record = EvalRecord {
        eval_id,
        backend_id,
        workflow,
        set_version: version,
        config,
        baseline_eval,
        started_at,
        passed: None,
        error: got.error,
    };
    with_store(&state, move |s| record_eval(s, &record, &runs)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_assistant_version_unless_given() {
        let t = ReplayTarget {
            assistant: "refunds".into(),
            version: Some(2),
        };
        let c = langgraph_labels(ConfigLabel::default(), &t);
        assert_eq!(
            (c.version.as_str(), c.model.as_str()),
            ("refunds v2", "langgraph")
        );
        let given = ConfigLabel {
            version: "v7".into(),
            model: "gpt-4.1".into(),
            prompt: String::new(),
            retrieval: String::new(),
        };
        assert_eq!(langgraph_labels(given.clone(), &t), given);
    }
}
