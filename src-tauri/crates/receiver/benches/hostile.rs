//! Peak memory of the receiver under hostile 16 MiB requests. Each case runs in its own child
//! process (so `VmHWM`, the peak resident set from `/proc/self/status`, is that case's alone),
//! under a 4 GiB address-space cap (`ulimit -v`) so a receiver that amplifies fails instead of
//! taking the machine down. Linux only.
//!
//! `cargo bench -p countersign-receiver --bench hostile` (all cases), or
//! `cargo bench -p countersign-receiver --bench hostile -- CASE` for one of:
//! - `pb-huge-resource` / `json-huge-resource`: 12 MiB of resource attributes (three 4 MiB
//!   strings) shared by 10 000 small spans (a receiver that copies the resource into every span
//!   needs 120 GB);
//! - `pb-many-spans`: 16 MiB of ~300 000 near-empty spans;
//! - `gzip-bomb`: a 1 MiB gzip body inflating to 1 GiB;
//! - `pb-at-caps`: the worst request still accepted: 10 000 spans (100 traces) sharing a 3 KB
//!   resource (~31 MB once split per span, under the 32 MiB cap).

use countersign_receiver::{ReceiverConfig, start};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::io::Write;
use std::time::Instant;

const CASES: &[&str] = &[
    "pb-huge-resource",
    "json-huge-resource",
    "pb-many-spans",
    "gzip-bomb",
    "pb-at-caps",
];

/// `VmHWM` (peak resident set) in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn request(resource_bytes: usize, spans: u64) -> ExportTraceServiceRequest {
    let big = |c: char| KeyValue {
        key: format!("huge.{c}"),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(
                c.to_string().repeat(resource_bytes / 3),
            )),
        }),
        ..Default::default()
    };
    let spans = (0..spans)
        .map(|n| {
            let mut tid = [0u8; 16];
            tid[..8].copy_from_slice(&(n / 100 + 1).to_be_bytes());
            Span {
                trace_id: tid.to_vec(),
                span_id: (n + 1).to_be_bytes().to_vec(),
                name: "s".into(),
                start_time_unix_nano: 1_764_000_000_000_000_000 + n,
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: if resource_bytes > 0 {
                    vec![big('a'), big('b'), big('c')]
                } else {
                    vec![]
                },
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// (content type, content encoding, body) of a case.
fn body(case: &str) -> (&'static str, Option<&'static str>, Vec<u8>) {
    match case {
        "pb-huge-resource" => (
            "application/x-protobuf",
            None,
            request(12 << 20, 10_000).encode_to_vec(),
        ),
        "json-huge-resource" => (
            "application/json",
            None,
            serde_json::to_vec(&request(12 << 20, 10_000)).unwrap_or_default(),
        ),
        "pb-at-caps" => (
            "application/x-protobuf",
            None,
            request(3000, 10_000).encode_to_vec(),
        ),
        "pb-many-spans" => {
            // ~55 bytes a span: fill 16 MiB.
            let mut n = 300_000;
            loop {
                let b = request(0, n).encode_to_vec();
                if b.len() <= 16 << 20 {
                    return ("application/x-protobuf", None, b);
                }
                n -= 10_000;
            }
        }
        _ => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let _ = gz.write_all(br#"{"resourceSpans":["#);
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..1024 {
                let _ = gz.write_all(&chunk);
            }
            let _ = gz.write_all(b"]}");
            (
                "application/json",
                Some("gzip"),
                gz.finish().unwrap_or_default(),
            )
        }
    }
}

fn child(case: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tmp");
        let receiver = start(&dir.path().join("store.db"), ReceiverConfig::default())
            .await
            .expect("receiver");
        let (content_type, encoding, body) = body(case);
        let sent = body.len();
        let before = peak_mib();
        let t = Instant::now();
        let mut req = reqwest::Client::new()
            .post(receiver.endpoint())
            .header("content-type", content_type);
        if let Some(e) = encoding {
            req = req.header("content-encoding", e);
        }
        let res = req.body(body).send().await.expect("post");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let secs = t.elapsed().as_secs_f64();
        let after = peak_mib();
        println!(
            "{case:>18}: {:.1} MiB body -> {status} in {secs:.2} s; peak RSS {after:.0} MiB ({:+.0} MiB over the {before:.0} MiB before the request); {}",
            sent as f64 / 1048576.0,
            after - before,
            text.chars().take(110).collect::<String>()
        );
        receiver.stop().await;
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        child(args.get(i + 1).map(String::as_str).unwrap_or_default());
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let picked: Vec<&str> = CASES
        .iter()
        .copied()
        .filter(|c| {
            args.iter().any(|a| a == c) || !args.iter().any(|a| CASES.contains(&a.as_str()))
        })
        .collect();
    for case in picked {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 4194304 && exec \"$0\" --case \"$1\"")
            .arg(&exe)
            .arg(case)
            .output()
            .expect("child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            println!(
                "{case:>18}: child failed ({}) under the 4 GiB cap: {}",
                out.status,
                err.lines()
                    .find(|l| l.contains("memory allocation") || l.contains("panicked"))
                    .or_else(|| err.lines().find(|l| !l.trim().is_empty()))
                    .unwrap_or_default()
            );
        }
    }
}
