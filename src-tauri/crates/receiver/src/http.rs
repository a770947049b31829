//! `POST /v1/traces`: checks type, encoding and size, decodes, imports in one store transaction.

use crate::split::Export;
use crate::wire::{self, DecodeError, Encoding};
use crate::{Counters, ReceiverConfig, auth, prices, span_count};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use countersign_otel::{ImportCounts, ImportError, surrogates};
use countersign_store::{Store, backends, trace_spans};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// gRPC status codes used in error bodies.
const INVALID_ARGUMENT: i32 = 3;
const PERMISSION_DENIED: i32 = 7;
const UNAUTHENTICATED: i32 = 16;
const INTERNAL: i32 = 13;
const UNAVAILABLE: i32 = 14;

/// What every request handler shares.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<Mutex<Store>>,
    pub config: ReceiverConfig,
    pub counters: Arc<Counters>,
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/traces", post(traces))
        .with_state(shared)
}

/// An error answer: `google.rpc.Status` in the request's encoding (JSON when unknown).
fn refuse(shared: &Shared, status: StatusCode, encoding: Encoding, message: &str) -> Response {
    shared.counters.refused.fetch_add(1, Ordering::Relaxed);
    tracing::info!(%status, message, "OTLP request refused");
    let code = match status {
        StatusCode::INTERNAL_SERVER_ERROR => INTERNAL,
        StatusCode::SERVICE_UNAVAILABLE => UNAVAILABLE,
        StatusCode::FORBIDDEN => PERMISSION_DENIED,
        StatusCode::UNAUTHORIZED => UNAUTHENTICATED,
        _ => INVALID_ARGUMENT,
    };
    (
        status,
        [(header::CONTENT_TYPE, encoding.content_type())],
        wire::status(encoding, code, message),
    )
        .into_response()
}

/// Whether a `Host` header names this computer (`127.0.0.1`, `localhost` or `[::1]`, any port).
fn loopback_host(host: Option<&str>) -> bool {
    let Some(h) = host.map(str::trim) else {
        return false;
    };
    let name = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        h.rsplit_once(':').map_or(h, |(n, _)| n)
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "::1"
    )
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn traces(
    axum::extract::State(shared): axum::extract::State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Browsers: a web page may not post traces (no CORS answer, and any Origin is refused), nor
    // reach the port through a DNS name rebound to 127.0.0.1 (the Host must be loopback).
    if headers.contains_key(header::ORIGIN) || !loopback_host(header_str(&headers, header::HOST)) {
        return refuse(
            &shared,
            StatusCode::FORBIDDEN,
            Encoding::Json,
            "only exporters on this computer may post traces (no browser Origin, Host 127.0.0.1 or localhost)",
        );
    }
    if let Some(token) = shared.config.bearer_token.as_deref()
        && !auth::bearer_ok(&headers, token)
    {
        let mut answer = refuse(
            &shared,
            StatusCode::UNAUTHORIZED,
            Encoding::Json,
            "this receiver needs `Authorization: Bearer <token>` (exporters: OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>)",
        );
        answer.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return answer;
    }
    let max = shared.config.max_body_bytes;
    let content_type = header_str(&headers, header::CONTENT_TYPE).unwrap_or_default();
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        return refuse(
            &shared,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Encoding::Json,
            &format!(
                "unsupported Content-Type {content_type:?}: send application/json (OTLP/JSON) or application/x-protobuf"
            ),
        );
    };
    let gzip = match header_str(&headers, header::CONTENT_ENCODING)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            return refuse(
                &shared,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                encoding,
                &format!("unsupported Content-Encoding {other:?}: send gzip or none"),
            );
        }
    };
    let too_large = format!("request body larger than {max} bytes");
    let declared = header_str(&headers, header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return refuse(&shared, StatusCode::PAYLOAD_TOO_LARGE, encoding, &too_large);
    }
    let read = tokio::time::timeout(shared.config.body_timeout, axum::body::to_bytes(body, max));
    let raw = match read.await {
        Err(_) => {
            let mut answer = refuse(
                &shared,
                StatusCode::REQUEST_TIMEOUT,
                encoding,
                &format!(
                    "request body not received within {} s",
                    shared.config.body_timeout.as_secs_f64()
                ),
            );
            answer.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            return answer;
        }
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            return if over {
                refuse(&shared, StatusCode::PAYLOAD_TOO_LARGE, encoding, &too_large)
            } else {
                refuse(
                    &shared,
                    StatusCode::BAD_REQUEST,
                    encoding,
                    &format!("request body could not be read: {e}"),
                )
            };
        }
    };
    let inflated;
    let bytes: &[u8] = if gzip {
        match wire::gunzip(&raw, max) {
            Ok(b) => {
                inflated = b;
                &inflated
            }
            Err(DecodeError::TooLarge) => {
                return refuse(
                    &shared,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    encoding,
                    &format!("{too_large} once inflated"),
                );
            }
            Err(DecodeError::Invalid(why)) => {
                return refuse(&shared, StatusCode::BAD_REQUEST, encoding, &why);
            }
        }
    } else {
        &raw
    };
    // The caps are checked on the request's shape, before anything is decoded (protobuf) or
    // split and copied (both): span count, and size once every span carries its resource and
    // scope.
    let (export, shape) = match encoding {
        Encoding::Json => match Export::parse(bytes) {
            Ok(export) => {
                let shape = export.shape();
                if let Some(why) = over_caps(&shared.config, shape) {
                    return refuse(&shared, StatusCode::PAYLOAD_TOO_LARGE, encoding, &why);
                }
                (export, shape)
            }
            Err(why) => return refuse(&shared, StatusCode::BAD_REQUEST, encoding, &why),
        },
        Encoding::Protobuf => {
            let shape = span_count::protobuf_shape(bytes);
            if let Some(why) = shape.and_then(|s| over_caps(&shared.config, s)) {
                return refuse(&shared, StatusCode::PAYLOAD_TOO_LARGE, encoding, &why);
            }
            let json = match wire::protobuf_to_json(bytes) {
                Ok((json, _)) => json,
                Err(DecodeError::TooLarge) => {
                    return refuse(&shared, StatusCode::PAYLOAD_TOO_LARGE, encoding, &too_large);
                }
                Err(DecodeError::Invalid(why)) => {
                    return refuse(&shared, StatusCode::BAD_REQUEST, encoding, &why);
                }
            };
            match Export::parse(&json) {
                Ok(export) => {
                    let shape = export.shape();
                    (export, shape)
                }
                Err(why) => return refuse(&shared, StatusCode::BAD_REQUEST, encoding, &why),
            }
        }
    };
    let spans = shape.spans;
    if encoding == Encoding::Protobuf && spans == 0 {
        // An empty export (no spans): nothing to store, nothing wrong.
        shared.counters.requests.fetch_add(1, Ordering::Relaxed);
        return ok(encoding, 0, "");
    }
    let job = shared.clone();
    let imported = tokio::task::spawn_blocking(move || import(&job, &export)).await;
    match imported {
        Ok(Ok((counts, rejected_spans))) => {
            let c = &shared.counters;
            c.requests.fetch_add(1, Ordering::Relaxed);
            c.spans
                .fetch_add(spans.saturating_sub(rejected_spans), Ordering::Relaxed);
            c.runs_changed
                .fetch_add(counts.inserted + counts.updated, Ordering::Relaxed);
            c.rejected_traces
                .fetch_add(counts.rejected, Ordering::Relaxed);
            tracing::info!(
                spans,
                inserted = counts.inserted,
                updated = counts.updated,
                unchanged = counts.unchanged,
                rejected = counts.rejected,
                "OTLP export imported"
            );
            if let Some(cb) = &shared.config.on_import {
                cb(&counts);
            }
            let mut notes: Vec<String> = Vec::new();
            if counts.rejected > 0 {
                notes.push(format!(
                    "{} trace(s) could not become runs and were quarantined",
                    counts.rejected
                ));
            }
            notes.extend(counts.warnings.iter().cloned());
            ok(encoding, rejected_spans, &notes.join("; "))
        }
        Ok(Err(ImportFailure::NotOtlp(why))) => {
            refuse(&shared, StatusCode::BAD_REQUEST, encoding, &why)
        }
        Ok(Err(ImportFailure::Store(why))) => {
            refuse(&shared, StatusCode::SERVICE_UNAVAILABLE, encoding, &why)
        }
        Err(e) => refuse(
            &shared,
            StatusCode::INTERNAL_SERVER_ERROR,
            encoding,
            &format!("import failed: {e}"),
        ),
    }
}

fn ok(encoding: Encoding, rejected_spans: u64, message: &str) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        wire::export_response(encoding, rejected_spans, message),
    )
        .into_response()
}

enum ImportFailure {
    /// The body is not OTLP (bad JSON, no resourceSpans): a 400, nothing stored.
    NotOtlp(String),
    /// The store refused: a 503, the sender may retry.
    Store(String),
}

/// The pseudo-backend URL `import_bytes` stores a source under.
pub use countersign_otel::store_import::source_url;

/// Why a request's shape is over the config's caps, if it is.
fn over_caps(config: &ReceiverConfig, shape: span_count::Shape) -> Option<String> {
    if shape.spans > config.max_spans {
        return Some(format!(
            "request holds {} spans; this receiver accepts at most {} per request (lower the exporter's batch size, e.g. OTEL_BSP_MAX_EXPORT_BATCH_SIZE)",
            shape.spans, config.max_spans
        ));
    }
    if shape.expanded_bytes > config.max_decoded_bytes {
        return Some(format!(
            "request would take {} bytes once split per span (each span repeats its resource and scope); this receiver accepts at most {}",
            shape.expanded_bytes, config.max_decoded_bytes
        ));
    }
    None
}

/// Imports one export under the receiver's pseudo-backend. Spans are kept per trace
/// (`trace_spans`), and every trace the export touched is imported whole (its spans from this
/// and earlier exports), so a trace whose spans arrive in several batches becomes one complete
/// run. Returns the counts and how many spans the quarantined traces held.
fn import(shared: &Shared, export: &Export) -> Result<(ImportCounts, u64), ImportFailure> {
    let store_err = |e: countersign_store::StoreError| ImportFailure::Store(e.to_string());
    let mut store = shared
        .store
        .lock()
        .map_err(|e| ImportFailure::Store(e.to_string()))?;
    let (table, _) = prices::load(store.conn()).map_err(store_err)?;
    let mut traces: Vec<String> = Vec::new();
    // The import document, written as text: `{"resourceSpans":[body,body,...]}`.
    let mut doc: Vec<u8> = b"{\"resourceSpans\":[".to_vec();
    let mut push = |body: &[u8]| {
        if doc.len() > 18 {
            doc.push(b',');
        }
        doc.extend_from_slice(body);
    };
    // Spans holding U+FFFD after a lone-surrogate repair, by trace.
    let mut repaired: Vec<(String, Vec<String>)> = Vec::new();
    {
        let tx = store.write().map_err(store_err)?;
        let backend = backends::upsert(
            &tx,
            &shared.config.name,
            &source_url(&shared.config.source),
            countersign_otel::store_import::KIND,
            false,
        )
        .map_err(store_err)?;
        for s in export.spans() {
            match &s.ids {
                Some((trace, span)) => {
                    trace_spans::put(&tx, &backend.backend_id, trace, span, &s.body)
                        .map_err(store_err)?;
                    if !traces.contains(trace) {
                        traces.push(trace.clone());
                    }
                    if s.replacements > 0 {
                        match repaired.iter_mut().find(|(t, _)| t == trace) {
                            Some((_, spans)) => spans.push(span.clone()),
                            None => repaired.push((trace.clone(), vec![span.clone()])),
                        }
                    }
                }
                // Unreadable ids: the importer quarantines the span with its reason.
                None => push(&s.body),
            }
        }
        for trace in &traces {
            for body in
                trace_spans::for_trace(&tx, &backend.backend_id, trace).map_err(store_err)?
            {
                // A stored body that is not JSON (never written by this receiver) is skipped.
                if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
                    push(&body);
                }
            }
        }
        tx.commit()
            .map_err(|e| ImportFailure::Store(e.to_string()))?;
    }
    doc.extend_from_slice(b"]}");
    let mut counts = countersign_otel::import_bytes(
        &mut store,
        &doc,
        &shared.config.source,
        &shared.config.name,
        &table,
    )
    .map_err(|e| match e {
        ImportError::Json(_) | ImportError::NoResourceSpans | ImportError::Io(_) => {
            ImportFailure::NotOtlp(e.to_string())
        }
        ImportError::Store(s) => ImportFailure::Store(s.to_string()),
    })?;
    counts.warnings.extend(
        repaired
            .iter()
            .map(|(trace, spans)| surrogates::warning(trace, spans)),
    );
    // Rare path: read the document again to tell the sender how many spans were refused.
    let rejected_spans = if counts.rejected > 0 {
        countersign_otel::import_otlp_json(&doc, &table)
            .map(|r| {
                r.rejected
                    .iter()
                    .map(|x| wire::count_json_spans(&x.raw))
                    .sum()
            })
            .unwrap_or(0)
    } else {
        0
    };
    Ok((counts, rejected_spans))
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_loopback_host_names() {
        for ok in [
            "127.0.0.1:4318",
            "localhost:4318",
            "LOCALHOST",
            "[::1]:4318",
            "127.0.0.1",
        ] {
            assert!(loopback_host(Some(ok)), "{ok}");
        }
        for bad in [
            "evil.example:4318",
            "127.0.0.1.evil.example",
            "",
            "10.0.0.1:4318",
            "[::2]:1",
        ] {
            assert!(!loopback_host(Some(bad)), "{bad}");
        }
        assert!(!loopback_host(None));
    }
}
