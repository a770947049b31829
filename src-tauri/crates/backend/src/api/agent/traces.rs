//! `POST /v1/traces`: OTLP/HTTP (JSON or protobuf, optionally gzip) from agents that only emit
//! OpenTelemetry. Spans are kept per trace and each touched trace is rebuilt whole with the
//! receiver's mapping (`countersign-otel`) into a run the agent owns, one revision higher each
//! time new spans of it arrive.

use super::{Agent, AppState};
use crate::api::with_db;
use crate::db::agent::{RunWrite, stored_revision, write_run};
use crate::db::{get_json, spans};
use axum::body::Bytes;
use axum::extract::Extension;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use countersign_otel::otlp::decode_id;
use countersign_receiver::wire::{self, DecodeError, Encoding};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// An OTLP answer in the request's encoding.
fn answer(encoding: Encoding, status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
    resp
}

/// A `google.rpc.Status` error answer (code 3: invalid argument).
fn bad(encoding: Encoding, status: StatusCode, message: &str) -> Response {
    answer(encoding, status, wire::status(encoding, 3, message))
}

/// Splits an OTLP/JSON document into one `ResourceSpans` document per span, by trace and span
/// id; spans without readable ids are counted as rejected.
fn split(doc: &Value) -> (Vec<(String, String, String)>, u64) {
    let list = |v: &Value, keys: &[&str]| -> Vec<Value> {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(Value::as_array).cloned())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut rejected = 0;
    for rs in list(doc, &["resourceSpans", "resource_spans"]) {
        let resource = rs.get("resource").cloned().unwrap_or_else(|| json!({}));
        for ss in list(&rs, &["scopeSpans", "scope_spans"]) {
            let scope = ss.get("scope").cloned().unwrap_or_else(|| json!({}));
            for span in list(&ss, &["spans"]) {
                let id = |k: &[&str], n| {
                    k.iter()
                        .find_map(|k| span.get(*k).and_then(Value::as_str))
                        .and_then(|t| decode_id(t, n))
                };
                match (
                    id(&["traceId", "trace_id"], 16),
                    id(&["spanId", "span_id"], 8),
                ) {
                    (Some(t), Some(s)) => {
                        let one = json!({"resource": resource, "scopeSpans": [{"scope": scope, "spans": [span]}]});
                        out.push((t, s, one.to_string()));
                    }
                    _ => rejected += 1,
                }
            }
        }
    }
    (out, rejected)
}

/// `POST /v1/traces` (agents).
pub(super) async fn post(
    st: AppState,
    Extension(agent): Extension<Agent>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        return bad(
            Encoding::Json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json or application/x-protobuf",
        );
    };
    let max = st.0.agents.max_request_bytes;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let raw = if gzip {
        match wire::gunzip(&body, max) {
            Ok(b) => b,
            Err(DecodeError::TooLarge) => {
                return bad(
                    encoding,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "inflated body too large",
                );
            }
            Err(DecodeError::Invalid(why)) => return bad(encoding, StatusCode::BAD_REQUEST, &why),
        }
    } else {
        body.to_vec()
    };
    let json_bytes = match encoding {
        Encoding::Json => raw,
        Encoding::Protobuf => match wire::protobuf_to_json(&raw) {
            Ok((j, _)) => j,
            Err(e) => {
                let why = match e {
                    DecodeError::Invalid(w) => w,
                    DecodeError::TooLarge => "too large".into(),
                };
                return bad(encoding, StatusCode::BAD_REQUEST, &why);
            }
        },
    };
    let Ok(doc) = serde_json::from_slice::<Value>(&json_bytes) else {
        return bad(
            encoding,
            StatusCode::BAD_REQUEST,
            "not an OTLP/JSON document",
        );
    };
    let (parts, unreadable) = split(&doc);
    let st2 = st.0.clone();
    let stored = with_db(&st.0, move |c| {
        let mut tx = c.begin()?;
        let mut touched = BTreeSet::new();
        for (trace, span, body) in &parts {
            if spans::put(&mut tx, trace, span, body)? {
                touched.insert(trace.clone());
            }
        }
        let mut rejected: Vec<(String, u64)> = Vec::new();
        let mut unpriced: Vec<String> = Vec::new();
        let mut runs = Vec::new();
        for trace in touched {
            crate::db::sql::lock_key(&mut tx, &format!("trace:{trace}"))?;
            let all = spans::of_trace(&mut tx, &trace)?;
            match countersign_otel::run_from_resource_spans(&all, &st2.prices) {
                Ok((mut run, warnings)) => {
                    if flag_unpriced(&mut run, &warnings) {
                        unpriced.push(format!(
                            "run {}: cost unknown ({})",
                            run.run_id,
                            warnings
                                .iter()
                                .filter(|w| w.starts_with(UNPRICED))
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    }
                    match agent.tenant_for(&run.tenant, "tenant") {
                        Ok(t) => run.tenant = t,
                        Err(_) => {
                            rejected.push((
                                format!("trace {trace}: tenant {} is not this key's", run.tenant),
                                all.len() as u64,
                            ));
                            continue;
                        }
                    }
                    let before = get_json(&mut tx, "runs", &run.run_id)?;
                    run.revision = before.as_deref().map(stored_revision).unwrap_or(0) + 1;
                    match write_run(&mut tx, &agent.name, &run)? {
                        RunWrite::NotYours(owner) => {
                            rejected.push((
                                format!("trace {trace}: run {} belongs to {owner}", run.run_id),
                                all.len() as u64,
                            ));
                        }
                        _ => runs.push(run.run_id),
                    }
                }
                Err(r) => rejected.push((format!("trace {trace}: {}", r.reason), all.len() as u64)),
            }
        }
        tx.commit()?;
        Ok((runs, rejected, unpriced))
    })
    .await;
    match stored {
        Ok((_runs, rejected, unpriced)) => {
            let mut message: Vec<&str> = rejected.iter().map(|(m, _)| m.as_str()).collect();
            message.extend(unpriced.iter().map(String::as_str));
            let message = message.join("; ");
            let spans_rejected = unreadable + rejected.iter().map(|(_, n)| n).sum::<u64>();
            answer(
                encoding,
                StatusCode::OK,
                wire::export_response(encoding, spans_rejected, &message),
            )
        }
        Err(p) => p.into_response(),
    }
}

/// How the trace mapping words a model it has no price for.
const UNPRICED: &str = "no price for model";

/// The check a run carries when some of its tokens had no price.
pub(crate) const COST_KNOWN: &str = "cost_known";

/// Flags `run` when the mapping could not price some of its tokens (`warnings`): its
/// `cost_micros` then holds only what was reported or priced, so a failed `cost_known` policy
/// check says the cost is unknown (rather than letting a partial sum pass for the cost).
/// Whether it flagged the run.
fn flag_unpriced(run: &mut countersign_core::Run, warnings: &[String]) -> bool {
    let missing: Vec<&str> = warnings
        .iter()
        .filter(|w| w.starts_with(UNPRICED))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return false;
    }
    run.policy_checks.push(countersign_core::PolicyCheck {
        name: COST_KNOWN.into(),
        passed: false,
        detail: Some(format!(
            "cost unknown: {}; cost_micros counts only reported and priced usage",
            missing.join("; ")
        )),
    });
    true
}
