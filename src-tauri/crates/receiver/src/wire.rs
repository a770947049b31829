//! Bytes on the wire: gzip with a bound, OTLP protobuf → the OTLP/JSON the importer reads, and
//! the response messages (`ExportTraceServiceResponse`, `google.rpc.Status`) in either encoding.

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::io::Read;

/// The two OTLP/HTTP encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/x-protobuf`.
    Protobuf,
}

impl Encoding {
    /// From a `Content-Type` value (parameters such as `charset` ignored).
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else if media.eq_ignore_ascii_case("application/x-protobuf")
            || media.eq_ignore_ascii_case("application/protobuf")
        {
            Some(Encoding::Protobuf)
        } else {
            None
        }
    }

    /// The `Content-Type` of answers in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Protobuf => "application/x-protobuf",
        }
    }
}

/// Why a body could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// More than the limit once decompressed.
    TooLarge,
    /// Corrupt gzip or not an OTLP message; the reason.
    Invalid(String),
}

/// Inflates a gzip body, refusing to produce more than `max` bytes.
pub fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(body)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Invalid(format!("gzip body could not be inflated: {e}")))?;
    if out.len() > max {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

/// A protobuf `ExportTraceServiceRequest` as OTLP/JSON (camelCase, hex ids), with its span count.
pub fn protobuf_to_json(body: &[u8]) -> Result<(Vec<u8>, u64), DecodeError> {
    let request = ExportTraceServiceRequest::decode(body)
        .map_err(|e| DecodeError::Invalid(format!("not an OTLP ExportTraceServiceRequest: {e}")))?;
    let spans = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len() as u64)
        .sum();
    let json = serde_json::to_vec(&request)
        .map_err(|e| DecodeError::Invalid(format!("request could not be re-encoded: {e}")))?;
    Ok((json, spans))
}

/// Spans in an OTLP/JSON document (one document or JSON lines); 0 when unreadable.
pub fn count_json_spans(body: &[u8]) -> u64 {
    fn in_doc(doc: &serde_json::Value) -> u64 {
        let list = |v: &serde_json::Value, keys: &[&str]| -> Vec<serde_json::Value> {
            keys.iter()
                .find_map(|k| v.get(*k).and_then(serde_json::Value::as_array).cloned())
                .unwrap_or_default()
        };
        list(doc, &["resourceSpans", "resource_spans"])
            .iter()
            .flat_map(|rs| {
                list(
                    rs,
                    &["scopeSpans", "scope_spans", "instrumentationLibrarySpans"],
                )
            })
            .map(|ss| list(&ss, &["spans"]).len() as u64)
            .sum()
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(doc) => in_doc(&doc),
        Err(_) => std::str::from_utf8(body)
            .map(|t| {
                t.lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .map(|d| in_doc(&d))
                    .sum()
            })
            .unwrap_or(0),
    }
}

/// An `ExportTraceServiceResponse`; `partial_success` set when spans were rejected or there is
/// something to tell the sender.
pub fn export_response(encoding: Encoding, rejected_spans: u64, message: &str) -> Vec<u8> {
    let response = ExportTraceServiceResponse {
        partial_success: (rejected_spans > 0 || !message.is_empty()).then(|| {
            ExportTracePartialSuccess {
                rejected_spans: i64::try_from(rejected_spans).unwrap_or(i64::MAX),
                error_message: message.to_string(),
            }
        }),
    };
    match encoding {
        Encoding::Protobuf => response.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&response).unwrap_or_default(),
    }
}

/// `google.rpc.Status`, the body of every OTLP/HTTP error answer.
#[derive(Clone, PartialEq, Message)]
pub struct Status {
    /// gRPC code (3 = INVALID_ARGUMENT, ...).
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// Human message.
    #[prost(string, tag = "2")]
    pub message: String,
}

/// An error body in `encoding`.
pub fn status(encoding: Encoding, code: i32, message: &str) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => Status {
            code,
            message: message.to_string(),
        }
        .encode_to_vec(),
        Encoding::Json => {
            serde_json::to_vec(&serde_json::json!({"code": code, "message": message}))
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn kv(key: &str, v: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    #[test]
    fn protobuf_becomes_the_json_the_importer_reads() -> Result<(), Box<dyn std::error::Error>> {
        let span = Span {
            trace_id: (1..=16).collect(),
            span_id: (1..=8).collect(),
            parent_span_id: vec![],
            name: "chat m".into(),
            start_time_unix_nano: 1_750_000_000_000_000_000,
            end_time_unix_nano: 1_750_000_001_000_000_000,
            attributes: vec![
                kv(
                    "gen_ai.operation.name",
                    any_value::Value::StringValue("chat".into()),
                ),
                kv(
                    "gen_ai.usage.input_tokens",
                    any_value::Value::IntValue(1200),
                ),
                kv("x.ratio", any_value::Value::DoubleValue(0.5)),
                kv("x.flag", any_value::Value::BoolValue(true)),
            ],
            ..Default::default()
        };
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![span],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let (json, n) = protobuf_to_json(&request.encode_to_vec()).map_err(|e| format!("{e:?}"))?;
        assert_eq!(n, 1);
        let parsed = countersign_otel::otlp::parse(&json)?;
        let trace = parsed.traces.first().ok_or("one trace")?;
        assert_eq!(trace.trace_id, "0102030405060708090a0b0c0d0e0f10");
        let s = trace.spans.first().ok_or("one span")?;
        assert_eq!(s.span_id, "0102030405060708");
        assert_eq!(s.parent_span_id, None);
        assert_eq!(s.start_ns, 1_750_000_000_000_000_000);
        assert_eq!(s.u64_attr("gen_ai.usage.input_tokens"), Some(1200));
        assert_eq!(s.str_attr("gen_ai.operation.name").as_deref(), Some("chat"));
        assert_eq!(s.attrs.get("x.ratio"), Some(&serde_json::json!(0.5)));
        assert_eq!(s.attrs.get("x.flag"), Some(&serde_json::json!(true)));
        assert_eq!(count_json_spans(&json), 1);
        Ok(())
    }

    #[test]
    fn gzip_is_bounded_and_garbage_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; 10_000])?;
        let gz = enc.finish()?;
        assert_eq!(gunzip(&gz, 10_000).map(|v| v.len()), Ok(10_000));
        assert_eq!(gunzip(&gz, 9_999), Err(DecodeError::TooLarge));
        assert!(matches!(
            gunzip(b"plain", 100),
            Err(DecodeError::Invalid(_))
        ));
        assert!(matches!(
            protobuf_to_json(b"this is not protobuf"),
            Err(DecodeError::Invalid(_))
        ));
        Ok(())
    }

    #[test]
    fn responses_in_both_encodings() -> Result<(), Box<dyn std::error::Error>> {
        let back = ExportTraceServiceResponse::decode(
            export_response(Encoding::Protobuf, 3, "bad trace").as_slice(),
        )?;
        assert_eq!(back.partial_success.map(|p| p.rejected_spans), Some(3));
        let json: serde_json::Value =
            serde_json::from_slice(&export_response(Encoding::Json, 2, "why"))?;
        assert_eq!(
            json["partialSuccess"]["rejectedSpans"],
            serde_json::json!(2)
        );
        assert_eq!(export_response(Encoding::Protobuf, 0, ""), Vec::<u8>::new());
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
        Ok(())
    }
}
