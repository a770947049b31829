//! Imports OpenTelemetry traces of LLM agents as Countersign runs.
//!
//! Reads an OTLP/JSON export (`{"resourceSpans": [...]}`, one document or one per line) whose
//! spans follow the OpenTelemetry GenAI semantic conventions (`gen_ai.*`, as pydantic-ai,
//! OpenAI Agents and others emit them) or OpenInference (`openinference.span.kind`, as
//! Arize Phoenix instrumentations emit them). Every trace becomes one [`Run`]
//! (`run_id` = `otel-<trace id hex>`); a trace that cannot form a valid run is returned in
//! [`ImportResult::rejected`] with its raw spans so it can be quarantined.
//!
//! A string holding a lone UTF-16 surrogate escape (`"\ud800"`, as JavaScript exporters may
//! write) does not cost the document: the escape is replaced with U+FFFD, the trace is imported,
//! and a warning names the trace and spans that were repaired.
//!
//! Money never goes through floating point: a reported USD cost is read from its decimal text
//! (`Micros::parse_usd_rounded`), and token costs are computed in integer micro-dollars from a
//! [`PriceTable`].

pub mod identity_keys;
mod map;
pub mod otlp;
pub mod price;
pub mod store_import;
pub mod surrogates;

pub use countersign_core::{IdentityKeys, Run};
pub use price::{ModelPrice, PriceTable};
pub use store_import::{ImportCounts, import_bytes, import_file};

/// A trace that could not become a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// The trace id (lowercase hex) when one could be read.
    pub trace_id: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// The trace's spans as OTLP/JSON, to be quarantined.
    pub raw: Vec<u8>,
}

/// What an OTLP/JSON document turned into.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportResult {
    /// One run per valid trace, in order of first appearance.
    pub runs: Vec<Run>,
    /// Traces that could not form a valid run.
    pub rejected: Vec<Rejected>,
    /// Things worth telling the user that did not stop the import (e.g. a model with no price).
    pub warnings: Vec<String>,
}

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not JSON, nor JSON lines.
    #[error("not OTLP/JSON: {0}")]
    Json(String),
    /// JSON, but without `resourceSpans`.
    #[error("no resourceSpans in the document")]
    NoResourceSpans,
    /// The store refused a write.
    #[error("store: {0}")]
    Store(#[from] countersign_store::StoreError),
    /// The file could not be read.
    #[error("{0}")]
    Io(String),
}

/// Parses an OTLP/JSON export and maps each trace to a run. Costs not reported in the trace
/// are computed from tokens with `prices`; user, tenant and session are read with the default
/// [`IdentityKeys`] (see [`import_otlp_json_with`]).
pub fn import_otlp_json(bytes: &[u8], prices: &PriceTable) -> Result<ImportResult, ImportError> {
    import_otlp_json_with(bytes, prices, &IdentityKeys::default())
}

/// [`import_otlp_json`], reading user, tenant and session from the metadata keys `keys` name.
pub fn import_otlp_json_with(
    bytes: &[u8],
    prices: &PriceTable,
    keys: &IdentityKeys,
) -> Result<ImportResult, ImportError> {
    let parsed = otlp::parse(bytes)?;
    let mut result = ImportResult::default();
    for bad in parsed.unreadable {
        result.rejected.push(bad);
    }
    if parsed.repaired > 0 {
        result.warnings.extend(repair_warnings(&parsed.traces));
    }
    for trace in parsed.traces {
        match map::trace_to_run(&trace, prices, keys) {
            Ok((run, warnings)) => match run.validate() {
                Ok(()) => {
                    result.runs.push(run);
                    result.warnings.extend(warnings);
                }
                Err(reason) => result.rejected.push(Rejected {
                    trace_id: Some(trace.trace_id.clone()),
                    reason: format!("invalid run: {reason}"),
                    raw: trace.raw_json(),
                }),
            },
            Err(reason) => result.rejected.push(Rejected {
                trace_id: Some(trace.trace_id.clone()),
                reason,
                raw: trace.raw_json(),
            }),
        }
    }
    link_resumed_runs(&mut result.runs);
    Ok(result)
}

/// One warning per trace whose spans hold U+FFFD after a lone-surrogate repair.
fn repair_warnings(traces: &[otlp::Trace]) -> Vec<String> {
    traces
        .iter()
        .filter_map(|t| {
            let (spans, n) = t.replacement_spans();
            (n > 0).then(|| surrogates::warning(&t.trace_id, &spans))
        })
        .collect()
}

/// Maps the spans of ONE trace to its run, for connectors that receive a trace's spans
/// piecemeal (trace stores such as Phoenix or Langfuse) and rebuild the run from every span
/// stored so far. `resource_spans` are OTLP/JSON `ResourceSpans` objects
/// (`{"resource": .., "scopeSpans": [{"scope": .., "spans": [..]}]}`), in any order and
/// grouping. The run is the one [`import_otlp_json`] would make of the same spans
/// (`run_id` = `otel-<trace id>`, revision 1: the caller sets the revision). Spans of more than
/// one trace, a span that cannot be read, or a trace that cannot form a valid run come back as
/// [`Rejected`] with the spans as OTLP/JSON. Deferred calls resumed in another trace are not
/// linked (one trace is seen at a time). User, tenant and session are read with the default
/// [`IdentityKeys`]; a connector passes its backend's with [`run_from_resource_spans_with`].
pub fn run_from_resource_spans(
    resource_spans: &[serde_json::Value],
    prices: &PriceTable,
) -> Result<(Run, Vec<String>), Rejected> {
    run_from_resource_spans_with(resource_spans, prices, &IdentityKeys::default())
}

/// [`run_from_resource_spans`], reading user, tenant and session from the metadata keys `keys`
/// name (a trace store's come from its backend row: [`IdentityKeys::for_backend`]).
pub fn run_from_resource_spans_with(
    resource_spans: &[serde_json::Value],
    prices: &PriceTable,
    keys: &IdentityKeys,
) -> Result<(Run, Vec<String>), Rejected> {
    let doc = serde_json::json!({ "resourceSpans": resource_spans });
    let raw = || serde_json::to_vec(&doc).unwrap_or_default();
    let parsed = otlp::parse_docs(std::slice::from_ref(&doc)).map_err(|e| Rejected {
        trace_id: None,
        reason: e.to_string(),
        raw: raw(),
    })?;
    if let Some(bad) = parsed.unreadable.into_iter().next() {
        return Err(Rejected { raw: raw(), ..bad });
    }
    let mut traces = parsed.traces.into_iter();
    let (Some(trace), None) = (traces.next(), traces.next()) else {
        return Err(Rejected {
            trace_id: None,
            reason: "expected the spans of exactly one trace".into(),
            raw: raw(),
        });
    };
    let rejected = |reason: String| Rejected {
        trace_id: Some(trace.trace_id.clone()),
        reason,
        raw: trace.raw_json(),
    };
    let (run, warnings) = map::trace_to_run(&trace, prices, keys).map_err(rejected)?;
    run.validate()
        .map_err(|reason| rejected(format!("invalid run: {reason}")))?;
    Ok((run, warnings))
}

/// A run that stopped on deferred tool calls and was resumed in a later trace (a later request
/// of the same conversation): the later run either executed the call (approved) or carried the
/// reviewer's denial back to the model in its input messages. The earlier run then becomes
/// `success` (decision `approved`) or `denied`, with `updated_at` at the resumption.
fn link_resumed_runs(runs: &mut [Run]) {
    use countersign_core::Outcome;
    for a in 0..runs.len() {
        if runs[a].outcome != Outcome::Pending {
            continue;
        }
        let conversation = runs[a].inputs.get("conversation_id").cloned();
        let mut resolved = Vec::new();
        for (ti, call) in runs[a].tool_calls.iter().enumerate() {
            let approval = match call.result_summary.as_deref() {
                Some(map::AWAITING) => true,
                Some(map::AWAITING_EXTERNAL) => false,
                _ => continue,
            };
            if call.ended_at.is_some() {
                continue;
            }
            let later = runs.iter().enumerate().filter(|(b, r)| {
                *b != a
                    && r.started_at >= runs[a].started_at
                    && match (&conversation, r.inputs.get("conversation_id")) {
                        (Some(x), Some(y)) => x == y,
                        _ => true,
                    }
            });
            for (_, r) in later {
                if let Some(done) = r
                    .tool_calls
                    .iter()
                    .find(|t| t.call_id == call.call_id && t.ended_at.is_some())
                {
                    resolved.push((ti, approval, None, r.run_id.clone(), done.started_at));
                    break;
                }
                if let Some(answer) = r
                    .inputs
                    .get("messages")
                    .and_then(|m| map::tool_response_in(m, &call.call_id))
                {
                    resolved.push((ti, approval, Some(answer), r.run_id.clone(), r.started_at));
                    break;
                }
            }
        }
        let waiting = runs[a]
            .tool_calls
            .iter()
            .filter(|t| {
                matches!(
                    t.result_summary.as_deref(),
                    Some(map::AWAITING | map::AWAITING_EXTERNAL)
                ) && t.ended_at.is_none()
            })
            .count();
        if resolved.is_empty() || resolved.len() < waiting {
            continue;
        }
        let run = &mut runs[a];
        let mut denied = Vec::new();
        let mut approvals = 0usize;
        for (ti, approval, answer, by, at) in resolved {
            let call = &mut run.tool_calls[ti];
            approvals += usize::from(approval);
            match answer {
                Some(text) => {
                    let why = match &text {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    call.result_summary = Some(if approval {
                        denied.push(format!("{}: {why}", call.tool));
                        format!("denied by reviewer (resumed in {by}): {why}")
                    } else {
                        format!("external result (resumed in {by})")
                    });
                    call.result = Some(text);
                }
                None => {
                    call.result_summary = Some(format!("approved; executed in {by}"));
                }
            }
            run.updated_at = run.updated_at.max(at);
        }
        let end = run.started_at + chrono::Duration::milliseconds(run.latency_ms as i64);
        run.ended_at = Some(end);
        if denied.is_empty() {
            run.outcome = Outcome::Success;
            if approvals > 0 {
                run.decision = "approved".into();
                run.rationale = Some("deferred tool calls approved by a reviewer".into());
            } else {
                run.decision = "completed".into();
                run.rationale = Some("deferred tool calls answered in a later run".into());
            }
        } else {
            run.outcome = Outcome::Denied;
            run.decision = "denied".into();
            run.rationale = Some(denied.join("; "));
        }
    }
}
