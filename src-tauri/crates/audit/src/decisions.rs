//! `decisions.jsonl`: every action the console has seen, one line each, with who decided and
//! how — the reviewed values, corrections, time to decide (from `decision` events), delivery
//! outcomes (`decision_delivery`), rollbacks (`rollback`) — and the action as last synced, so
//! actions decided elsewhere appear with the backend's `decided_by`. Each history entry names
//! its audit event's `seq`, so it can be checked against the hash-chained `audit.jsonl`.

use crate::bundle::Digesting;
use chrono::{DateTime, SecondsFormat, Utc};
use countersign_core::PendingAction;
use countersign_core::audit::{AuditEvent, canonical_json, format_at, kinds};
use countersign_store::rusqlite::Connection;
use countersign_store::{StoreError, actions, audit};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// The review history of one action, by kind of event.
#[derive(Default)]
struct History<'a> {
    decisions: Vec<&'a AuditEvent>,
    deliveries: Vec<&'a AuditEvent>,
    rollbacks: Vec<&'a AuditEvent>,
}

/// An event as a history entry: its details with its `seq`, `at` and `actor`.
fn entry(e: &AuditEvent) -> Value {
    let mut m = match &e.details {
        Value::Object(m) => m.clone(),
        other => {
            let mut m = Map::new();
            m.insert("details".into(), other.clone());
            m
        }
    };
    m.insert("seq".into(), json!(e.seq));
    m.insert("at".into(), json!(format_at(e.at)));
    m.insert("actor".into(), json!(e.actor));
    Value::Object(m)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn line(backend_id: &str, action_id: &str, a: Option<&PendingAction>, h: &History<'_>) -> Value {
    let list = |v: &[&AuditEvent]| Value::Array(v.iter().map(|e| entry(e)).collect());
    let mut m = Map::new();
    m.insert("backend_id".into(), json!(backend_id));
    m.insert("action_id".into(), json!(action_id));
    m.insert("in_store".into(), json!(a.is_some()));
    if let Some(a) = a {
        m.insert("run_id".into(), json!(a.run_id));
        m.insert("tenant".into(), json!(a.tenant));
        m.insert("kind".into(), json!(a.kind));
        m.insert("title".into(), json!(a.title));
        m.insert("target".into(), json!(a.target));
        m.insert("risk".into(), json!(a.risk));
        m.insert("proposed_fields".into(), json!(a.fields));
        m.insert("proposed".into(), a.proposed.clone());
        m.insert("rationale".into(), json!(a.rationale));
        m.insert("confidence".into(), json!(a.confidence));
        m.insert("policy_checks".into(), json!(a.policy_checks));
        m.insert("requested_at".into(), json!(rfc3339(a.requested_at)));
        m.insert("expires_at".into(), json!(rfc3339(a.expires_at)));
        m.insert("status".into(), json!(a.status.as_str()));
        m.insert("decided_by".into(), json!(a.decided_by));
        m.insert("decided_at".into(), json!(a.decided_at.map(rfc3339)));
    }
    m.insert("decided_in_console".into(), json!(!h.decisions.is_empty()));
    m.insert("decisions".into(), list(&h.decisions));
    m.insert("deliveries".into(), list(&h.deliveries));
    m.insert("rollbacks".into(), list(&h.rollbacks));
    Value::Object(m)
}

/// Writes one line per action requested in `[from, to)`, then one per action the trail
/// reviewed in that range that is no longer in the store (its backend was removed). Returns
/// the number of lines.
pub(crate) fn write_decisions(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    w: &mut Digesting<BufWriter<File>>,
) -> Result<u64, StoreError> {
    let events = audit::of_kinds(
        conn,
        &[kinds::DECISION, kinds::DECISION_DELIVERY, kinds::ROLLBACK],
    )?;
    let mut by_subject: BTreeMap<&str, History<'_>> = BTreeMap::new();
    for e in &events {
        let h = by_subject.entry(e.subject.as_str()).or_default();
        match e.kind.as_str() {
            kinds::DECISION => h.decisions.push(e),
            kinds::DECISION_DELIVERY => h.deliveries.push(e),
            _ => h.rollbacks.push(e),
        }
    }
    let io = |e: io::Error| StoreError::Invalid(format!("{}: {e}", crate::DECISIONS_JSONL));
    let mut put = |v: &Value| -> Result<(), StoreError> {
        w.write_all(canonical_json(v).as_bytes()).map_err(io)?;
        w.write_all(b"\n").map_err(io)
    };
    let mut count = 0;
    for (backend_id, a) in actions::requested_in(conn, from, to)? {
        let subject = format!("{backend_id}/{}", a.action_id);
        let h = by_subject.remove(subject.as_str()).unwrap_or_default();
        put(&line(&backend_id, &a.action_id, Some(&a), &h))?;
        count += 1;
    }
    let mut orphans: Vec<(&str, History<'_>)> = by_subject
        .into_iter()
        .filter(|(_, h)| {
            let first = h
                .decisions
                .iter()
                .chain(&h.deliveries)
                .chain(&h.rollbacks)
                .map(|e| e.at)
                .min();
            first.is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e))
        })
        .collect();
    orphans.sort_by_key(|(_, h)| {
        h.decisions
            .iter()
            .chain(&h.deliveries)
            .chain(&h.rollbacks)
            .map(|e| e.seq)
            .min()
    });
    for (subject, h) in orphans {
        let (backend_id, action_id) = subject.split_once('/').unwrap_or(("", subject));
        put(&line(backend_id, action_id, None, &h))?;
        count += 1;
    }
    Ok(count)
}
