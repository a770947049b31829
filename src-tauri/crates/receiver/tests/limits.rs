//! Each limit of the receiver against the real server over real HTTP on 127.0.0.1: span and
//! size caps, the bearer token, header and body timeouts, the connection limit, and a lone
//! UTF-16 surrogate in a JSON export.

use countersign_receiver::{ReceiverConfig, ReceiverHandle, start};
use countersign_store::Store;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type R = Result<(), Box<dyn std::error::Error>>;
type E = Box<dyn std::error::Error>;

struct Rig {
    _dir: tempfile::TempDir,
    path: PathBuf,
    receiver: ReceiverHandle,
}

impl Rig {
    async fn new(config: ReceiverConfig) -> Result<Rig, E> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        Store::open(&path)?;
        let receiver = start(&path, config).await?;
        Ok(Rig {
            _dir: dir,
            path,
            receiver,
        })
    }

    fn count(&self, table: &str) -> Result<i64, E> {
        let store = Store::open(&self.path)?;
        Ok(store
            .conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    }

    async fn post(&self, body: Vec<u8>, token: Option<&str>) -> Result<(u16, Value), E> {
        let mut req = reqwest::Client::new()
            .post(self.receiver.endpoint())
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = req.body(body).send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }
}

/// An OTLP/JSON export of `n` agent spans, each its own trace, under a resource whose
/// `service.name` is `resource`.
fn export(n: u64, resource: &str) -> Vec<u8> {
    let spans: Vec<Value> = (1..=n)
        .map(|i| {
            json!({
                "traceId": format!("{i:032x}"), "spanId": format!("{i:016x}"),
                "name": "invoke_agent a",
                "startTimeUnixNano": "1772445600000000000", "endTimeUnixNano": "1772445601000000000",
                "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}}]
            })
        })
        .collect();
    serde_json::to_vec(&json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": resource}}]},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}]}]}))
    .unwrap_or_default()
}

#[tokio::test]
async fn too_many_spans_is_413_and_nothing_is_stored() -> R {
    let rig = Rig::new(ReceiverConfig {
        max_spans: 3,
        ..ReceiverConfig::default()
    })
    .await?;
    let (status, body) = rig.post(export(4, "svc"), None).await?;
    assert_eq!(status, 413, "{body}");
    let msg = body["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("4 spans") && msg.contains("at most 3"),
        "{msg}"
    );
    // The same over protobuf, refused before decoding.
    let pb = protobuf_export(4);
    let res = reqwest::Client::new()
        .post(rig.receiver.endpoint())
        .header("content-type", "application/x-protobuf")
        .body(pb)
        .send()
        .await?;
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!((rig.count("runs")?, rig.count("trace_spans")?), (0, 0));
    let (status, body) = rig.post(export(3, "svc"), None).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rig.count("runs")?, 3);
    assert_eq!(rig.receiver.stats().refused, 2);
    Ok(())
}

fn protobuf_export(n: u64) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use prost::Message;
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (1..=n)
                    .map(|i| Span {
                        trace_id: [[0u8; 8], i.to_be_bytes()].concat(),
                        span_id: i.to_be_bytes().to_vec(),
                        name: "s".into(),
                        start_time_unix_nano: 1_772_445_600_000_000_000,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[tokio::test]
async fn a_big_resource_repeated_by_many_spans_is_413() -> R {
    let rig = Rig::new(ReceiverConfig {
        max_decoded_bytes: 1 << 20,
        ..ReceiverConfig::default()
    })
    .await?;
    // 64 KiB of resource × 100 spans = 6.4 MiB once split, from a 70 KiB body.
    let (status, body) = rig.post(export(100, &"r".repeat(64 << 10)), None).await?;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("once split per span")),
        "{body}"
    );
    assert_eq!((rig.count("runs")?, rig.count("trace_spans")?), (0, 0));
    Ok(())
}

#[tokio::test]
async fn a_configured_bearer_token_is_required() -> R {
    let rig = Rig::new(ReceiverConfig {
        bearer_token: Some("s3cret-token".into()),
        ..ReceiverConfig::default()
    })
    .await?;
    let (status, body) = rig.post(export(1, "svc"), None).await?;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("OTEL_EXPORTER_OTLP_HEADERS")),
        "{body}"
    );
    let (status, _) = rig.post(export(1, "svc"), Some("wrong")).await?;
    assert_eq!(status, 401);
    assert_eq!(rig.count("runs")?, 0);
    let (status, body) = rig.post(export(1, "svc"), Some("s3cret-token")).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rig.count("runs")?, 1);
    Ok(())
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(conn: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn slow_headers_are_cut_off() -> R {
    let timeout = Duration::from_millis(300);
    let rig = Rig::new(ReceiverConfig {
        header_timeout: timeout,
        ..ReceiverConfig::default()
    })
    .await?;
    let mut conn = TcpStream::connect(rig.receiver.addr()).await?;
    let t = Instant::now();
    conn.write_all(b"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await?;
    // The server closes the connection once the header timeout has passed.
    let got = tokio::time::timeout(timeout * 20, until_closed(&mut conn)).await?;
    let waited = t.elapsed();
    assert!(waited >= timeout, "closed after {waited:?}");
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"));
    Ok(())
}

#[tokio::test]
async fn a_slow_body_is_408_and_the_connection_closed() -> R {
    let timeout = Duration::from_millis(300);
    let rig = Rig::new(ReceiverConfig {
        body_timeout: timeout,
        ..ReceiverConfig::default()
    })
    .await?;
    let mut conn = TcpStream::connect(rig.receiver.addr()).await?;
    let t = Instant::now();
    conn.write_all(
        b"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"resourceSpans\":",
    )
    .await?;
    let got = tokio::time::timeout(timeout * 20, until_closed(&mut conn)).await?;
    let waited = t.elapsed();
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(waited >= timeout, "closed after {waited:?}");
    assert_eq!(rig.count("runs")?, 0);
    Ok(())
}

#[tokio::test]
async fn the_connection_limit_is_respected() -> R {
    let rig = Rig::new(ReceiverConfig {
        max_connections: 2,
        header_timeout: Duration::from_secs(60),
        ..ReceiverConfig::default()
    })
    .await?;
    let addr = rig.receiver.addr();
    // Two connections hold both slots (a request whose headers never finish)...
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(addr).await?;
        c.write_all(b"POST /v1/traces HTTP/1.1\r\n").await?;
        held.push(c);
    }
    // ... one is answered after its request completes, so both are being served.
    let mut first = held.remove(0);
    first
        .write_all(b"Host: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
        .await?;
    let mut head = [0u8; 12];
    first.read_exact(&mut head).await?;
    assert_eq!(&head, b"HTTP/1.1 415");
    // A third connection is answered 503 at once and closed.
    let mut third = TcpStream::connect(addr).await?;
    let got = tokio::time::timeout(Duration::from_secs(10), until_closed(&mut third)).await?;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("Retry-After: 1"), "{text}");
    // Once a slot is free, new connections are served again.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rig.post(export(1, "svc"), None).await {
            Ok((200, _)) => break,
            other => assert!(Instant::now() < deadline, "never served again: {other:?}"),
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(rig.count("runs")?, 1);
    drop(held);
    Ok(())
}

#[tokio::test]
async fn a_lone_surrogate_costs_no_trace() -> R {
    let rig = Rig::new(ReceiverConfig::default()).await?;
    let good = String::from_utf8(export(3, "svc"))?;
    // The second trace's span name holds a lone high surrogate, as a JS exporter may write.
    let bad = good.replacen(
        r#""name":"invoke_agent a","spanId":"0000000000000002""#,
        r#""name":"invoke_agent \ud800","spanId":"0000000000000002""#,
        1,
    );
    assert_ne!(bad, good);
    let (status, body) = rig.post(bad.into_bytes(), None).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rig.count("runs")?, 3);
    let msg = body["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        msg.contains("trace 00000000000000000000000000000002") && msg.contains("U+FFFD"),
        "{body}"
    );
    assert_eq!(rig.receiver.stats().rejected_traces, 0);
    Ok(())
}
