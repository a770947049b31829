//! A trace → its run, from every span stored for it so far.
//!
//! The run is a pure function of the trace's stored spans and the price table: the spans are
//! read back from `trace_spans` (keyed backend/trace/span, so a span received twice counts
//! once), turned into OTLP/JSON by the connector and mapped by
//! [`countersign_otel::run_from_resource_spans_with`] (with the backend's identity keys). The
//! revision is chosen so that it grows whenever the run changes and stays put when it does not:
//!
//! - a new run gets revision = number of stored spans;
//! - a rebuilt run equal to the stored one (revision aside) is left alone;
//! - a different one gets `max(number of spans, stored revision + 1)`.
//!
//! Spans of a trace store do not change once written (Phoenix), so the revision is the span
//! count however the spans were paged in, and re-syncing changes nothing.

use crate::engine::ReadSpanFn;
use chrono::{DateTime, Utc};
use countersign_otel::{IdentityKeys, PriceTable};
use countersign_store::rusqlite::Connection;
use countersign_store::{runs, trace_spans};
use countersign_sync::SyncError;
use countersign_sync::kit::Quarantined;

/// Stream name under which traces that cannot form a run are quarantined.
pub(crate) const TRACES_STREAM: &str = "traces";

/// The price table for token costs: the user's (settings key [`settings::PRICE_TABLE`]) when
/// present and readable, else the built-in example.
pub(crate) fn prices(conn: &Connection) -> Result<PriceTable, SyncError> {
    Ok(countersign_otel::price::user_table(conn)?.0)
}

/// What rebuilding one trace did.
pub(crate) enum Rebuilt {
    /// The run was inserted or replaced.
    Changed,
    /// The stored run already said the same.
    Unchanged,
    /// The spans cannot form a run: to quarantine (the caller does); the stored spans stay.
    Rejected(Quarantined),
}

/// How spans become a run: the price table for token costs, the backend's identity keys
/// ([`IdentityKeys::for_backend`]) and the service assumed for spans whose resource names none.
pub(crate) struct Mapping<'a> {
    pub prices: &'a PriceTable,
    pub identity: &'a IdentityKeys,
    pub service: Option<&'a str>,
}

/// `service.name` = `name` added to a `ResourceSpans` whose resource names no service.
fn default_service(doc: &mut serde_json::Value, name: &str) {
    let Some(rs) = doc.as_object_mut() else {
        return;
    };
    let resource = rs
        .entry("resource")
        .or_insert_with(|| serde_json::json!({}));
    let Some(resource) = resource.as_object_mut() else {
        return;
    };
    let attrs = resource
        .entry("attributes")
        .or_insert_with(|| serde_json::json!([]));
    let Some(list) = attrs.as_array_mut() else {
        return;
    };
    if !list.iter().any(|kv| kv["key"] == "service.name") {
        list.push(serde_json::json!({"key": "service.name", "value": {"stringValue": name}}));
    }
}

/// Rebuilds the run of `trace_id` from all its stored spans (read back with `read_span`) and
/// upserts it.
pub(crate) fn rebuild_trace(
    conn: &Connection,
    backend_id: &str,
    read_span: ReadSpanFn,
    trace_id: &str,
    mapping: &Mapping,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Rebuilt, SyncError> {
    let bodies = trace_spans::for_trace(conn, backend_id, trace_id)?;
    let mut docs = Vec::with_capacity(bodies.len());
    for body in &bodies {
        // Every stored span was read once on arrival; one that no longer reads is skipped.
        match read_span(body) {
            Ok(span) => docs.push(span.otlp),
            Err(why) => tracing::warn!(trace = %trace_id, %why, "stored span skipped"),
        }
    }
    if docs.is_empty() {
        return Ok(Rebuilt::Unchanged);
    }
    if let Some(name) = mapping.service {
        for d in &mut docs {
            default_service(d, name);
        }
    }
    let mapped =
        countersign_otel::run_from_resource_spans_with(&docs, mapping.prices, mapping.identity);
    let (mut run, warnings) = match mapped {
        Ok(r) => r,
        Err(rejected) => {
            return Ok(Rebuilt::Rejected(Quarantined {
                stream: TRACES_STREAM,
                reason: format!("trace {trace_id}: {}", rejected.reason),
                raw: rejected.raw,
            }));
        }
    };
    for w in warnings {
        tracing::debug!(trace = %trace_id, warning = %w, "mapping");
    }
    let spans = docs.len() as u64;
    match runs::get(conn, backend_id, &run.run_id)? {
        Some(old) => {
            run.revision = old.revision;
            if run == old {
                return Ok(Rebuilt::Unchanged);
            }
            run.revision = spans.max(old.revision.saturating_add(1));
        }
        None => run.revision = spans.max(1),
    }
    let body = serde_json::to_string(&run).map_err(|e| SyncError::Protocol(e.to_string()))?;
    runs::upsert_deferred(conn, backend_id, &run.columns(), &body, now, freshness_days)?;
    Ok(Rebuilt::Changed)
}
