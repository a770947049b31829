//! Counting the spans of a protobuf `ExportTraceServiceRequest` by walking its wire format,
//! before anything is decoded or copied, and how big the request becomes once split into one
//! document per span (each span repeats its resource and scope).

/// What a walk of the wire format found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Spans in the request.
    pub spans: u64,
    /// Σ over spans of (resource + scope + span) encoded bytes: the size of the request once
    /// every span carries its own copy of its resource and scope.
    pub expanded_bytes: u64,
}

fn varint(buf: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// One field of a message: its number, and its payload when length-delimited.
type Field<'a> = (u64, Option<&'a [u8]>);

/// The fields of one message; `None` when the bytes are not a well-formed message.
fn fields(buf: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < buf.len() {
        let key = varint(buf, &mut at)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                varint(buf, &mut at)?;
                out.push((number, None));
            }
            1 => {
                at = at.checked_add(8).filter(|e| *e <= buf.len())?;
                out.push((number, None));
            }
            5 => {
                at = at.checked_add(4).filter(|e| *e <= buf.len())?;
                out.push((number, None));
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut at)?).ok()?;
                let end = at.checked_add(len).filter(|e| *e <= buf.len())?;
                out.push((number, Some(&buf[at..end])));
                at = end;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Walks `ExportTraceServiceRequest` → `ResourceSpans` (1: resource, 2: scope spans) →
/// `ScopeSpans` (1: scope, 2: spans). `None` when the bytes are not such a message (the decoder
/// then says why). Allocates only the field lists of one level at a time.
pub fn protobuf_shape(body: &[u8]) -> Option<Shape> {
    let mut shape = Shape::default();
    for (n, rs) in fields(body)? {
        let (1, Some(rs)) = (n, rs) else { continue };
        let rs_fields = fields(rs)?;
        let resource: u64 = rs_fields
            .iter()
            .filter(|(n, _)| *n == 1)
            .filter_map(|(_, p)| p.map(|p| p.len() as u64))
            .sum();
        for (n, ss) in rs_fields {
            let (2, Some(ss)) = (n, ss) else { continue };
            let ss_fields = fields(ss)?;
            let scope: u64 = ss_fields
                .iter()
                .filter(|(n, _)| *n == 1)
                .filter_map(|(_, p)| p.map(|p| p.len() as u64))
                .sum();
            for (n, span) in ss_fields {
                let (2, Some(span)) = (n, span) else { continue };
                shape.spans += 1;
                shape.expanded_bytes = shape
                    .expanded_bytes
                    .saturating_add(resource + scope + span.len() as u64);
            }
        }
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use prost::Message;

    #[test]
    fn spans_are_counted_without_decoding() {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    dropped_attributes_count: 7,
                    ..Default::default()
                }),
                scope_spans: vec![
                    ScopeSpans {
                        spans: vec![Span::default(), Span::default()],
                        ..Default::default()
                    },
                    ScopeSpans {
                        spans: vec![Span {
                            name: "x".into(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
        };
        let shape = protobuf_shape(&req.encode_to_vec());
        assert_eq!(shape.map(|s| s.spans), Some(3));
        assert!(shape.is_some_and(|s| s.expanded_bytes >= 3 * 2));
        assert_eq!(protobuf_shape(b"\x0a\xff"), None);
        assert_eq!(protobuf_shape(b""), Some(Shape::default()));
    }
}
