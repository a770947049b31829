//! The receiver against real OpenTelemetry exporters (Python SDK, OTLP/HTTP protobuf and JSON)
//! posting a real pydantic-ai agent's spans, plus what it refuses. The Python environment comes
//! from `scripts/venv-otel.sh`; without it these tests fail and say so.

use countersign_core::{Micros, Outcome, Run};
use countersign_receiver::{ReceiverConfig, ReceiverHandle, prices, start};
use countersign_store::{Store, quarantine, runs};
use std::path::{Path, PathBuf};
use std::time::Instant;

type R = Result<(), Box<dyn std::error::Error>>;

fn python() -> PathBuf {
    let root = std::env::var_os("COUNTERSIGN_VENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/countersign-venvs"));
    let py = root.join("otel").join("bin").join("python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/venv-otel.sh (creates the pinned OpenTelemetry + pydantic-ai venv)",
        py.display()
    );
    py
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

struct Exported {
    trace_ids: Vec<String>,
    spans: u64,
}

/// Runs the instrumented agent, exporting to `endpoint` with `args`.
async fn agent(endpoint: &str, args: &[&str]) -> Result<Exported, Box<dyn std::error::Error>> {
    let out = tokio::process::Command::new(python())
        .arg(repo_file("tests/agent_export.py"))
        .arg(endpoint)
        .args(args)
        .env("OTEL_SDK_DISABLED", "false")
        .kill_on_drop(true)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "agent_export.py {args:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim())?;
    Ok(Exported {
        trace_ids: v["trace_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        spans: v["spans"].as_u64().unwrap_or(0),
    })
}

struct Rig {
    _dir: tempfile::TempDir,
    path: PathBuf,
    receiver: Option<ReceiverHandle>,
}

impl Rig {
    async fn new() -> Result<Rig, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        Store::open(&path)?;
        let receiver = start(&path, ReceiverConfig::default()).await?;
        assert!(receiver.addr().ip().is_loopback());
        assert_ne!(receiver.addr().port(), 0);
        Ok(Rig {
            _dir: dir,
            path,
            receiver: Some(receiver),
        })
    }

    fn endpoint(&self) -> String {
        self.receiver
            .as_ref()
            .map(|r| r.endpoint())
            .unwrap_or_default()
    }

    fn store(&self) -> Result<Store, Box<dyn std::error::Error>> {
        Ok(Store::open(&self.path)?)
    }

    fn run(&self, trace_id: &str) -> Result<Run, Box<dyn std::error::Error>> {
        let store = self.store()?;
        let (_, run) = runs::find(store.conn(), &format!("otel-{trace_id}"))?
            .ok_or_else(|| format!("no run for trace {trace_id}"))?;
        Ok(run)
    }

    fn run_count(&self) -> Result<i64, Box<dyn std::error::Error>> {
        let store = self.store()?;
        Ok(store
            .conn()
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))?)
    }

    async fn stop(mut self) {
        if let Some(r) = self.receiver.take() {
            r.stop().await;
        }
    }
}

/// The support agent's run as the trace view needs it: two tool calls, documents → citations,
/// tokens, and a cost of `price` (input, output micros per 1M tokens) for those tokens.
fn assert_support_run(run: &Run, model: &str, price: (i128, i128)) {
    assert_eq!(run.workflow, "support_triage");
    assert_eq!(run.model, model);
    // `service.name` ("support-bot") names the agent, never a tenant (issue #12).
    assert_eq!(run.tenant, "");
    assert_eq!(run.outcome, Outcome::Success);
    let tools: Vec<&str> = run.tool_calls.iter().map(|t| t.tool.as_str()).collect();
    assert_eq!(tools, ["search_kb", "lookup_order"]);
    assert_eq!(run.tool_calls[0].arguments["query"], "refund window");
    assert_eq!(run.tool_calls[1].arguments["order_id"], "A-1001");
    let docs: Vec<&str> = run.citations.iter().map(|c| c.doc_id.as_str()).collect();
    assert_eq!(docs, ["kb_102", "kb_207"]);
    assert_eq!(run.citations[0].title, "Refund policy (EU)");
    assert!(
        run.tokens.input > 0 && run.tokens.output > 0,
        "{:?}",
        run.tokens
    );
    // Each of the three model calls is priced and rounded to the micro, then summed.
    let exact = i128::from(run.tokens.input) * price.0 + i128::from(run.tokens.output) * price.1;
    let cost = i128::from(run.cost_micros.0) * 1_000_000;
    assert!(
        (cost - exact).abs() <= 3 * 500_000,
        "cost {} for tokens {:?}",
        run.cost_micros,
        run.tokens
    );
    assert!(run.cost_micros > Micros(0));
    assert_eq!(run.inputs["conversation_id"], "conv-receiver-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_exporter_batch_becomes_a_run_with_the_reported_cost() -> R {
    let rig = Rig::new().await?;
    // pydantic-ai reports the cost of gpt-4o-mini calls itself (`operation.cost`, from its
    // price data at $0.15 / $0.60 per 1M tokens): that cost wins over the user's table.
    let table = prices::validate(
        r#"{"prices": [{"model": "gpt-4o-mini", "effective_from": "2020-01-01", "input_usd_per_mtok": "9.00", "output_usd_per_mtok": "9.00"}]}"#,
    )?;
    prices::save(rig.store()?.conn(), &table)?;
    let t0 = Instant::now();
    let out = agent(&rig.endpoint(), &["--encoding", "proto"]).await?;
    println!(
        "protobuf batch export: {} spans in {:?}",
        out.spans,
        t0.elapsed()
    );
    assert_eq!(out.trace_ids.len(), 1);
    assert!(
        out.spans >= 5,
        "an agent, three chats and two tools: {}",
        out.spans
    );
    assert_support_run(
        &rig.run(&out.trace_ids[0])?,
        "gpt-4o-mini",
        (150_000, 600_000),
    );
    let stats = rig.receiver.as_ref().map(|r| r.stats()).unwrap_or_default();
    assert_eq!(stats.spans, out.spans);
    assert_eq!(stats.refused, 0);
    rig.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_exporter_gzip_span_by_span_uses_the_users_prices() -> R {
    let rig = Rig::new().await?;
    let table = prices::validate(
        r#"{"prices": [
            {"model": "acme-support", "effective_from": "2020-01-01", "input_usd_per_mtok": "1.00", "output_usd_per_mtok": "2.50"},
            {"model": "acme-support", "effective_from": "2999-01-01", "input_usd_per_mtok": "9.00", "output_usd_per_mtok": "9.00"}
        ]}"#,
    )?;
    prices::save(rig.store()?.conn(), &table)?;
    // Each span in its own gzip-compressed JSON request: the receiver keeps the trace's spans
    // and re-imports it whole, so the run ends complete.
    let out = agent(
        &rig.endpoint(),
        &[
            "--encoding",
            "json",
            "--gzip",
            "--simple",
            "--model",
            "acme-support-2",
        ],
    )
    .await?;
    assert_eq!(out.trace_ids.len(), 1);
    let stats = rig.receiver.as_ref().map(|r| r.stats()).unwrap_or_default();
    assert_eq!(stats.requests, out.spans, "one request per span");
    // No reported cost for this model: computed from the user's row in force today (a dated
    // snapshot name matches its base model).
    assert_support_run(
        &rig.run(&out.trace_ids[0])?,
        "acme-support-2",
        (1_000_000, 2_500_000),
    );
    assert_eq!(rig.run_count()?, 1);
    rig.stop().await;
    Ok(())
}

async fn post(
    url: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    Ok((status, res.text().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_say_why_and_store_nothing() -> R {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("store.db");
    let receiver = start(
        &path,
        ReceiverConfig {
            max_body_bytes: 64 * 1024,
            ..ReceiverConfig::default()
        },
    )
    .await?;
    let url = receiver.endpoint();
    let fixture = std::fs::read(repo_file("../otel/fixtures/pydantic_ai_support.json"))?;

    let (s, body) = post(&url, "text/plain", None, fixture.clone()).await?;
    assert_eq!(s, 415, "{body}");
    assert!(body.contains("application/x-protobuf"), "{body}");
    let (s, body) = post(&url, "application/json", Some("br"), fixture.clone()).await?;
    assert_eq!(s, 415, "{body}");
    let (s, body) = post(&url, "application/json", None, b"{not json".to_vec()).await?;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("not OTLP/JSON"), "{body}");
    let (s, body) = post(&url, "application/json", None, b"{\"spans\": []}".to_vec()).await?;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("resourceSpans"), "{body}");
    let (s, body) = post(
        &url,
        "application/x-protobuf",
        None,
        b"this is not protobuf".to_vec(),
    )
    .await?;
    assert_eq!(s, 400, "{body}");
    let (s, body) = post(&url, "application/json", Some("gzip"), fixture.clone()).await?;
    assert_eq!(s, 400, "not gzip: {body}");
    // Over the limit as sent, and (a small gzip) over the limit once inflated.
    let (s, body) = post(&url, "application/json", None, vec![b' '; 64 * 1024 + 1]).await?;
    assert_eq!(s, 413, "{body}");
    let bomb = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b' '; 1024 * 1024])?;
        enc.finish()?
    };
    assert!(bomb.len() < 64 * 1024);
    let (s, body) = post(&url, "application/json", Some("gzip"), bomb).await?;
    assert_eq!(s, 413, "{body}");
    assert!(body.contains("inflated"), "{body}");
    // A web page (Origin) or a rebound DNS name (Host) may not post.
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("origin", "https://evil.example")
        .body(fixture.clone())
        .send()
        .await?;
    assert_eq!(res.status().as_u16(), 403);
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("host", "rebound.evil.example")
        .body(fixture.clone())
        .send()
        .await?;
    assert_eq!(res.status().as_u16(), 403);
    // Wrong method and path.
    let res = reqwest::get(&url).await?;
    assert_eq!(res.status().as_u16(), 405);
    let (s, _) = post(
        &url.replace("/v1/traces", "/v1/logs"),
        "application/json",
        None,
        fixture,
    )
    .await?;
    assert_eq!(s, 404);

    let stats = receiver.stats();
    assert_eq!((stats.requests, stats.refused), (0, 10));
    receiver.stop().await;
    let store = Store::open(&path)?;
    let n: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    let b: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM backends", [], |r| r.get(0))?;
    assert_eq!(b, 0, "not even the pseudo-backend");
    assert!(quarantine::list(store.conn(), None, 10)?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_trace_twice_changes_nothing_and_bad_traces_are_partial_success() -> R {
    let rig = Rig::new().await?;
    let url = rig.endpoint();
    let fixture = std::fs::read(repo_file("../otel/fixtures/pydantic_ai_support.json"))?;
    let (s, first) = post(&url, "application/json", None, fixture.clone()).await?;
    assert_eq!(s, 200, "{first}");
    let before = rig.store()?;
    let snapshot: Vec<(String, i64)> = before
        .conn()
        .prepare("SELECT run_id, revision FROM runs ORDER BY run_id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    assert_eq!(snapshot.len(), 1);
    let (s, second) = post(&url, "application/json", None, fixture).await?;
    assert_eq!(s, 200, "{second}");
    let after: Vec<(String, i64)> = rig
        .store()?
        .conn()
        .prepare("SELECT run_id, revision FROM runs ORDER BY run_id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    assert_eq!(after, snapshot);
    // The fixture's model has no price in the example table: the sender is told.
    let v: serde_json::Value = serde_json::from_str(&second)?;
    assert!(
        v["partialSuccess"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("support-scripted")),
        "{second}"
    );

    // A trace whose span has no start time cannot become a run: quarantined, reported.
    let bad = serde_json::json!({"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": [
        {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "chat x"}
    ]}]}]});
    let (s, body) = post(&url, "application/json", None, serde_json::to_vec(&bad)?).await?;
    assert_eq!(s, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(
        v["partialSuccess"]["rejectedSpans"],
        serde_json::json!(1),
        "{body}"
    );
    assert!(
        v["partialSuccess"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("quarantined")),
        "{body}"
    );
    assert_eq!(rig.run_count()?, 1);
    assert_eq!(quarantine::list(rig.store()?.conn(), None, 10)?.len(), 1);
    rig.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_only_port_in_use_is_a_clear_error_and_stop_frees_it() -> R {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("store.db");
    let first = start(&path, ReceiverConfig::default()).await?;
    let port = first.addr().port();
    assert_eq!(first.addr().ip().to_string(), "127.0.0.1");
    let busy = start(
        &path,
        ReceiverConfig {
            port,
            ..ReceiverConfig::default()
        },
    )
    .await;
    let msg = busy.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    first.stop().await;
    let again = start(
        &path,
        ReceiverConfig {
            port,
            ..ReceiverConfig::default()
        },
    )
    .await?;
    assert_eq!(again.addr().port(), port);
    again.stop().await;
    Ok(())
}
