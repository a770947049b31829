//! Property tests (bounded, run with every `cargo test`): the protobuf decoder, the wire-format
//! span counter and the JSON path never panic on arbitrary or mutated input, the counter agrees
//! with the decoder, and what a request decodes to stays proportional to its size.

use countersign_receiver::{span_count, wire};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use proptest::prelude::*;
use prost::Message;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        any::<String>().prop_map(any_value::Value::StringValue),
        any::<i64>().prop_map(any_value::Value::IntValue),
        any::<f64>().prop_map(any_value::Value::DoubleValue),
        any::<bool>().prop_map(any_value::Value::BoolValue),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(any_value::Value::BytesValue),
    ]
    .prop_map(|v| AnyValue { value: Some(v) });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(|values| AnyValue {
            value: Some(any_value::Value::ArrayValue(
                opentelemetry_proto::tonic::common::v1::ArrayValue { values },
            )),
        })
    })
}

fn any_span() -> impl Strategy<Value = Span> {
    (
        prop::collection::vec(any::<u8>(), 0..17),
        prop::collection::vec(any::<u8>(), 0..9),
        any::<String>(),
        any::<u64>(),
        prop::collection::vec(
            (
                prop::sample::select(
                    &[
                        "gen_ai.operation.name",
                        "gen_ai.usage.input_tokens",
                        "gen_ai.request.model",
                        "x",
                    ][..],
                ),
                any_value(),
            ),
            0..4,
        ),
    )
        .prop_map(|(trace_id, span_id, name, start, attrs)| Span {
            trace_id,
            span_id,
            name,
            start_time_unix_nano: start,
            attributes: attrs
                .into_iter()
                .map(|(k, v)| KeyValue {
                    key: k.into(),
                    value: Some(v),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
}

fn any_request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<String>(), 0..2),
            prop::collection::vec(prop::collection::vec(any_span(), 0..4), 0..3),
        ),
        0..3,
    )
    .prop_map(|rss| ExportTraceServiceRequest {
        resource_spans: rss
            .into_iter()
            .map(|(res, scopes)| ResourceSpans {
                resource: Some(Resource {
                    attributes: res
                        .into_iter()
                        .map(|s| KeyValue {
                            key: "service.name".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue(s)),
                            }),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }),
                scope_spans: scopes
                    .into_iter()
                    .map(|spans| ScopeSpans {
                        spans,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
    })
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes: the counter and the decoder answer, never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = span_count::protobuf_shape(&bytes);
        let _ = wire::protobuf_to_json(&bytes);
        let _ = wire::gunzip(&bytes, 1 << 16);
        let _ = wire::count_json_spans(&bytes);
    }

    /// Well-formed requests: the wire walk counts what the decoder finds, and the JSON the
    /// importer reads stays proportional to the request (no amplification in the decoder).
    #[test]
    fn the_counter_agrees_with_the_decoder(req in any_request()) {
        let bytes = req.encode_to_vec();
        let shape = span_count::protobuf_shape(&bytes);
        let decoded = wire::protobuf_to_json(&bytes);
        prop_assert!(decoded.is_ok(), "{:?}", decoded.err());
        if let (Some(shape), Ok((json, spans))) = (shape, decoded) {
            prop_assert_eq!(shape.spans, spans);
            // prost's JSON writes every default field: a fixed cost per message on top of a
            // bounded factor per byte.
            let messages = req.resource_spans.len()
                + req.resource_spans.iter().map(|r| r.scope_spans.len()).sum::<usize>()
                + spans as usize
                + 1;
            let bound = 16 * bytes.len() + 1024 * messages;
            prop_assert!(json.len() <= bound, "{} > {}", json.len(), bound);
            prop_assert!(shape.expanded_bytes >= spans);
            let _ = countersign_otel::import_otlp_json(&json, &countersign_otel::PriceTable::example());
        }
    }

    /// Truncated or bit-flipped requests: still no panic, and the counter never claims spans
    /// of a message the decoder would refuse as malformed at the top level.
    #[test]
    fn mutated_requests_never_panic(req in any_request(), cut in any::<prop::sample::Index>(), flip in any::<(prop::sample::Index, u8)>()) {
        let mut bytes = req.encode_to_vec();
        if !bytes.is_empty() {
            let at = flip.0.index(bytes.len());
            bytes[at] ^= flip.1;
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        let _ = span_count::protobuf_shape(&bytes);
        if let Ok((json, _)) = wire::protobuf_to_json(&bytes) {
            let _ = countersign_otel::import_otlp_json(&json, &countersign_otel::PriceTable::example());
        }
    }
}
