//! What agents report, stored beside the seeded data so the console's change feeds carry both:
//! runs with their producer (a later revision replaces an earlier one), pending actions with
//! the idempotency key they were posted under, the values a reviewer approved, and the
//! execution result the agent reported.

use super::sql::{Sql, args};
use super::{next_seq, save_action};
use crate::Error;
use countersign_core::{PendingAction, Run};
use serde_json::Value;
use std::collections::BTreeMap;

/// What became of a reported run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RunWrite {
    /// A new run.
    Created,
    /// A higher revision replaced the stored one.
    Replaced,
    /// The stored revision (given) is the same or higher: nothing changed.
    Ignored(u64),
    /// The run id belongs to another producer (the named one, or the seeded data).
    NotYours(String),
}

/// The producer of run `run_id` when an agent reported it.
pub(crate) fn run_owner(c: &mut dyn Sql, run_id: &str) -> Result<Option<String>, Error> {
    c.text(
        "SELECT agent FROM run_sources WHERE run_id = ?1",
        args![run_id],
    )
}

/// Stores `run` (already validated) for `agent`: a new run, or a higher revision of one of its
/// own runs, each under a new change sequence number; anything else changes nothing. Call it
/// in a transaction: the run id is locked first, so two reports of one run take turns.
pub(crate) fn write_run(c: &mut dyn Sql, agent: &str, run: &Run) -> Result<RunWrite, Error> {
    super::sql::lock_key(c, &format!("run:{}", run.run_id))?;
    let stored = c.text("SELECT json FROM runs WHERE run_id = ?1", args![run.run_id])?;
    let json = serde_json::to_string(run)?;
    let seq = next_seq(c, "runs")?;
    let Some(stored) = stored else {
        // Agent runs take no generator index (-1): the seeded data's numbering is untouched.
        c.exec(
            "INSERT INTO runs(run_id, seq, idx, workflow, team, user_id, started_ms, cost_micros, json)
             VALUES(?1, ?2, -1, ?3, ?4, ?5, ?6, ?7, ?8)",
            args![
                run.run_id,
                seq,
                run.workflow,
                run.team,
                run.user_id,
                run.started_at.timestamp_millis(),
                run.cost_micros.0,
                json
            ],
        )?;
        c.exec(
            "INSERT INTO run_sources(run_id, agent) VALUES(?1, ?2)",
            args![run.run_id, agent],
        )?;
        return Ok(RunWrite::Created);
    };
    match run_owner(c, &run.run_id)? {
        Some(owner) if owner == agent => {}
        Some(owner) => return Ok(RunWrite::NotYours(owner)),
        None => return Ok(RunWrite::NotYours("the seeded data".into())),
    }
    let revision = stored_revision(&stored);
    if run.revision <= revision {
        return Ok(RunWrite::Ignored(revision));
    }
    c.exec(
        "UPDATE runs SET seq = ?2, workflow = ?3, team = ?4, user_id = ?5, started_ms = ?6,
                cost_micros = ?7, json = ?8 WHERE run_id = ?1",
        args![
            run.run_id,
            seq,
            run.workflow,
            run.team,
            run.user_id,
            run.started_at.timestamp_millis(),
            run.cost_micros.0,
            json
        ],
    )?;
    Ok(RunWrite::Replaced)
}

/// Stores a batch of validated runs for `agent` in the caller's transaction, with the outcome
/// [`write_run`] gives each run in turn. On PostgreSQL a batch of distinct new runs takes a
/// fixed handful of statements (lock every id, read what is stored, insert the new ones)
/// rather than five round trips per run; on SQLite (in-process, no round trips) and for
/// batches naming a run twice it is [`write_run`] per run.
pub(crate) fn write_runs(
    c: &mut dyn Sql,
    agent: &str,
    runs: &[Run],
) -> Result<Vec<RunWrite>, Error> {
    let mut ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if c.engine() == super::sql::Engine::Sqlite || ids.len() != runs.len() {
        // Run ids are locked in one order, so two batches sharing runs cannot deadlock.
        for id in &ids {
            super::sql::lock_key(c, &format!("run:{id}"))?;
        }
        return runs.iter().map(|r| write_run(c, agent, r)).collect();
    }
    let list = serde_json::to_string(&ids)?;
    // The same per-run locks as `write_run`, taken in one statement in sorted order.
    c.rows(
        "SELECT pg_advisory_xact_lock(hashtextextended('run:' || k, 0))
         FROM (SELECT json_array_elements_text((?1::text)::json) AS k ORDER BY 1) AS ks",
        args![list],
    )?;
    let mut stored: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for mut r in c.rows(
        "SELECT r.run_id, r.json, s.agent FROM runs r LEFT JOIN run_sources s ON s.run_id = r.run_id
         WHERE r.run_id IN (SELECT json_array_elements_text((?1::text)::json))",
        args![list],
    )? {
        stored.insert(r.text(0)?, (r.text(1)?, r.opt_text(2)?));
    }
    let mut out = Vec::with_capacity(runs.len());
    let mut new_rows = Vec::new();
    let mut new_ids = Vec::new();
    for run in runs {
        match stored.get(&run.run_id) {
            None => {
                new_rows.push(serde_json::json!([
                    run.run_id,
                    run.workflow,
                    run.team,
                    run.user_id,
                    run.started_at.timestamp_millis(),
                    run.cost_micros.0,
                    serde_json::to_string(run)?
                ]));
                new_ids.push(run.run_id.as_str());
                out.push(RunWrite::Created);
            }
            Some((_, Some(owner))) if owner != agent => {
                out.push(RunWrite::NotYours(owner.clone()));
            }
            Some((_, None)) => out.push(RunWrite::NotYours("the seeded data".into())),
            Some((json, Some(_))) => {
                let revision = stored_revision(json);
                if run.revision <= revision {
                    out.push(RunWrite::Ignored(revision));
                } else {
                    // Already locked; `write_run` replaces it (a rare path: one run, few rows).
                    out.push(write_run(c, agent, run)?);
                }
            }
        }
    }
    if !new_rows.is_empty() {
        // In item order, each numbered by the change trigger as it is inserted.
        c.exec(
            "INSERT INTO runs(run_id, seq, idx, workflow, team, user_id, started_ms, cost_micros, json)
             SELECT x->>0, 0, -1, x->>1, x->>2, x->>3, (x->>4)::bigint, (x->>5)::bigint, x->>6
             FROM json_array_elements((?1::text)::json) WITH ORDINALITY AS t(x, n) ORDER BY n",
            args![serde_json::to_string(&new_rows)?],
        )?;
        c.exec(
            "INSERT INTO run_sources(run_id, agent)
             SELECT json_array_elements_text((?1::text)::json), ?2",
            args![serde_json::to_string(&new_ids)?, agent],
        )?;
    }
    Ok(out)
}

/// The revision inside a stored run record (0 when unreadable).
pub(crate) fn stored_revision(json: &str) -> u64 {
    #[derive(serde::Deserialize)]
    struct Rev {
        #[serde(default)]
        revision: u64,
    }
    serde_json::from_str::<Rev>(json)
        .map(|r| r.revision)
        .unwrap_or(0)
}

/// A pending action an agent posts, with what only the agent side keeps.
pub(crate) struct NewAction<'a> {
    /// The action as the console will see it.
    pub action: &'a PendingAction,
    /// The reporting agent.
    pub agent: &'a str,
    /// The agent's idempotency key.
    pub idempotency_key: &'a str,
    /// SHA-256 of the request body in canonical form.
    pub request_hash: &'a str,
    /// Where to POST the decision, if anywhere (unsigned).
    pub webhook_url: Option<&'a str>,
    /// The registered webhook to POST the decision to, signed, if any.
    pub webhook_id: Option<&'a str>,
    /// How the agent would undo the write (kept as given).
    pub rollback: Option<&'a Value>,
}

/// What posting an action did.
pub(crate) enum ActionWrite {
    /// Stored as new.
    Created,
    /// The same key and body came before: the stored action.
    Replayed(String),
    /// The same key came before with another body.
    KeyReused(String),
}

/// Stores an agent's action unless its idempotency key was used before. Call it in a
/// transaction: the key is locked first, so two posts under one key take turns.
pub(crate) fn write_action(c: &mut dyn Sql, new: &NewAction<'_>) -> Result<ActionWrite, Error> {
    super::sql::lock_key(
        c,
        &format!("action-key:{}\n{}", new.agent, new.idempotency_key),
    )?;
    let earlier = c.row(
        "SELECT action_id, request_hash FROM agent_actions WHERE agent = ?1 AND idempotency_key = ?2",
        args![new.agent, new.idempotency_key],
    )?;
    if let Some(mut r) = earlier {
        let (id, hash) = (r.text(0)?, r.text(1)?);
        return Ok(if hash == new.request_hash {
            ActionWrite::Replayed(id)
        } else {
            ActionWrite::KeyReused(id)
        });
    }
    let a = new.action;
    let seq = next_seq(c, "actions")?;
    c.exec(
        "INSERT INTO actions(action_id, seq, run_id, status, expires_ms, json) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            a.action_id,
            seq,
            a.run_id,
            a.status.as_str(),
            a.expires_at.timestamp_millis(),
            serde_json::to_string(a)?
        ],
    )?;
    c.exec(
        "INSERT INTO agent_actions(action_id, agent, idempotency_key, request_hash, webhook_url, rollback, webhook_id)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![
            a.action_id,
            new.agent,
            new.idempotency_key,
            new.request_hash,
            new.webhook_url,
            new.rollback.map(Value::to_string),
            new.webhook_id
        ],
    )?;
    Ok(ActionWrite::Created)
}

/// The agent side of an action.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct AgentAction {
    /// The agent that posted it.
    pub agent: String,
    /// Its plain webhook URL, if any.
    pub webhook_url: Option<String>,
    /// Its registered (signed) webhook, if any.
    pub webhook_id: Option<String>,
    /// The values the reviewer approved, by field name, once approved.
    pub approved_fields: Option<BTreeMap<String, String>>,
    /// The execution result the agent reported, once reported.
    pub result: Option<Value>,
}

/// The agent side of action `id`; `None` for the seeded data's actions.
pub(crate) fn agent_action(c: &mut dyn Sql, id: &str) -> Result<Option<AgentAction>, Error> {
    let Some(mut r) = c.row(
        "SELECT agent, webhook_url, approved_fields, result, webhook_id FROM agent_actions WHERE action_id = ?1",
        args![id],
    )?
    else {
        return Ok(None);
    };
    let approved = r.opt_text(2)?;
    let result = r.opt_text(3)?;
    Ok(Some(AgentAction {
        agent: r.text(0)?,
        webhook_url: r.opt_text(1)?,
        webhook_id: r.opt_text(4)?,
        approved_fields: approved.map(|t| serde_json::from_str(&t)).transpose()?,
        result: result.map(|t| serde_json::from_str(&t)).transpose()?,
    }))
}

/// Records the values a reviewer approved for an agent's action.
pub(crate) fn set_approved_fields(
    c: &mut dyn Sql,
    id: &str,
    fields: &BTreeMap<String, String>,
) -> Result<(), Error> {
    c.exec(
        "UPDATE agent_actions SET approved_fields = ?2 WHERE action_id = ?1",
        args![id, serde_json::to_string(fields)?],
    )?;
    Ok(())
}

/// Records the execution result of an agent's action and saves the action's new state (a new
/// change in the actions feed).
pub(crate) fn set_result(c: &mut dyn Sql, a: &PendingAction, result: &Value) -> Result<(), Error> {
    c.exec(
        "UPDATE agent_actions SET result = ?2 WHERE action_id = ?1",
        args![a.action_id, result.to_string()],
    )?;
    save_action(c, a)
}

/// The denial or escalation reason recorded with the decision on action `id`, if any.
pub(crate) fn decision_reason(c: &mut dyn Sql, id: &str) -> Result<Option<String>, Error> {
    c.text(
        "SELECT reason FROM decisions WHERE op = 'decision' AND action_id = ?1
         ORDER BY decided_at DESC LIMIT 1",
        args![id],
    )
}

/// Where the rollback of an agent's executed action stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct AgentRollback {
    /// `requested`, `rolled_back` or `failed`; `None` before any request.
    pub state: Option<String>,
    /// Who asked, when and why (`{requested_by, requested_at, reason}`).
    pub request: Option<Value>,
    /// What the agent reported (`{status, detail, error}`).
    pub result: Option<Value>,
    /// How the agent said it would undo the write, as it posted it.
    pub descriptor: Option<Value>,
}

/// The rollback state of agent action `id` (`None` for the seeded data's actions).
pub(crate) fn rollback_of(c: &mut dyn Sql, id: &str) -> Result<Option<AgentRollback>, Error> {
    let Some(mut r) = c.row(
        "SELECT rollback_state, rollback_request, rollback_result, rollback FROM agent_actions
         WHERE action_id = ?1",
        args![id],
    )?
    else {
        return Ok(None);
    };
    let json = |t: Option<String>| -> Result<Option<Value>, Error> {
        Ok(t.map(|t| serde_json::from_str(&t)).transpose()?)
    };
    Ok(Some(AgentRollback {
        state: r.opt_text(0)?,
        request: json(r.opt_text(1)?)?,
        result: json(r.opt_text(2)?)?,
        descriptor: json(r.opt_text(3)?)?,
    }))
}

/// Records a new rollback state of agent action `id` (a request clears an earlier result).
pub(crate) fn set_rollback(
    c: &mut dyn Sql,
    id: &str,
    state: &str,
    request: Option<&Value>,
    result: Option<&Value>,
) -> Result<(), Error> {
    match request {
        Some(req) => c.exec(
            "UPDATE agent_actions SET rollback_state = ?2, rollback_request = ?3, rollback_result = NULL
             WHERE action_id = ?1",
            args![id, state, req.to_string()],
        )?,
        None => c.exec(
            "UPDATE agent_actions SET rollback_state = ?2, rollback_result = ?3 WHERE action_id = ?1",
            args![id, state, result.map(Value::to_string)],
        )?,
    };
    Ok(())
}
