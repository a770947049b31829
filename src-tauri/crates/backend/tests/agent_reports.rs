//! Agents reporting to the server over real HTTP: runs and their revisions in the console's
//! feed, batches that keep good items when some are refused, validation naming the field,
//! scopes, hashed keys, rate and size limits, and OTLP traces becoming runs.

mod engines;

mod agent_support;

use agent_support::{R, env, env_with, run};
use countersign_backend::Scope;
use serde_json::{Value, json};

fn ids(items: &[Value]) -> Vec<(String, u64)> {
    items
        .iter()
        .map(|r| {
            (
                r["run_id"].as_str().unwrap_or_default().to_string(),
                r["revision"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

async fn a_reported_run_reaches_the_feed_and_only_higher_revisions_replace_it() -> R {
    let e = env().await?;
    let (_, start) = e.feed("runs", "").await?;
    let r = e.agent_post("/v1/runs", &run("agent-run-1", 1)).await?;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "created");
    let (items, after_first) = e.feed("runs", &start).await?;
    assert_eq!(ids(&items), vec![("agent-run-1".to_string(), 1)]);
    assert_eq!(items[0]["cost_micros"], json!(4201));

    let r = e.agent_post("/v1/runs", &run("agent-run-1", 3)).await?;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (200, json!("replaced"))
    );
    let (items, after_second) = e.feed("runs", &after_first).await?;
    assert_eq!(ids(&items), vec![("agent-run-1".to_string(), 3)]);

    // A lower or equal revision (a retry, or a late copy) changes nothing.
    for rev in [2, 3] {
        let r = e.agent_post("/v1/runs", &run("agent-run-1", rev)).await?;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "ignored");
        assert_eq!(r.body["revision"], json!(3));
    }
    let (items, _) = e.feed("runs", &after_second).await?;
    assert!(items.is_empty(), "{items:?}");

    // Another agent cannot overwrite it.
    let other = e.key("agent-b", Scope::Ingest).await?;
    let r = e
        .post_as(&other, "/v1/runs", &run("agent-run-1", 9))
        .await?;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["field"], "run_id");
    e.h.shutdown().await;
    Ok(())
}

async fn a_batch_reports_each_item_and_refused_items_never_keep_the_others_out() -> R {
    let e = env().await?;
    let mut no_workflow = run("bad-1", 1);
    no_workflow.as_object_mut().map(|o| o.remove("workflow"));
    let mut negative = run("bad-2", 1);
    negative["cost_micros"] = json!(-5);
    let mut bad_time = run("bad-3", 1);
    bad_time["tool_calls"][0]["started_at"] = json!("last tuesday");
    let body =
        json!({"items": [run("good-1", 1), no_workflow, run("good-2", 1), negative, bad_time]});
    let r = e.agent_post("/v1/runs", &body).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["accepted"].clone(), r.body["rejected"].clone()),
        (json!(2), json!(3))
    );
    let results = r.body["results"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(Value, Value, Value)> = results
        .iter()
        .map(|x| {
            (
                x["index"].clone(),
                x["status"].clone(),
                x["problem"]["field"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!(0), json!("created"), Value::Null),
            (json!(1), json!("rejected"), json!("workflow")),
            (json!(2), json!("created"), Value::Null),
            (json!(3), json!("rejected"), json!("cost_micros")),
            (
                json!(4),
                json!("rejected"),
                json!("tool_calls[0].started_at")
            ),
        ]
    );
    assert_eq!(results[1]["run_id"], "bad-1");
    let (items, _) = e.feed("runs", "").await?;
    let mut got: Vec<String> = ids(&items).into_iter().map(|(id, _)| id).collect();
    got.sort();
    assert_eq!(got, vec!["good-1", "good-2"]);
    e.h.shutdown().await;
    Ok(())
}

async fn refused_records_are_problems_that_name_the_field() -> R {
    let e = env().await?;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v1/runs",
            {
                let mut r = run("x", 1);
                r["run_id"] = json!("has space");
                r
            },
            "run_id",
        ),
        (
            "/v1/runs",
            {
                let mut r = run("x", 1);
                r["confidence"] = json!(1.5);
                r
            },
            "confidence",
        ),
        (
            "/v1/runs",
            {
                let mut r = run("x", 1);
                r["ended_at"] = json!("2026-11-19T00:00:00Z");
                r
            },
            "ended_at",
        ),
        (
            "/v1/runs",
            {
                let mut r = run("x", 1);
                r["outputs"] = json!({"text": "a".repeat(70_000)});
                r
            },
            "outputs.text",
        ),
        (
            "/v1/actions",
            {
                let mut a = agent_support::refund("k1", "r1", "12.5.0");
                a["fields"][0]["value"] = json!("12,50");
                a
            },
            "fields[0].value",
        ),
        (
            "/v1/actions",
            {
                let mut a = agent_support::refund("k1", "r1", "1.00");
                a["webhook_url"] = json!("file:///etc/passwd");
                a
            },
            "webhook_url",
        ),
        (
            "/v1/actions",
            {
                let mut a = agent_support::refund("k1", "r1", "1.00");
                a["surprise"] = json!(1);
                a
            },
            "surprise",
        ),
        (
            "/v1/actions",
            {
                let mut a = agent_support::refund("k1", "r1", "1.00");
                a["expires_in_secs"] = json!(0);
                a
            },
            "expires_in_secs",
        ),
        (
            "/v1/actions",
            {
                let mut a = agent_support::refund("k1", "r1", "1.00");
                a.as_object_mut().map(|o| o.remove("idempotency_key"));
                a
            },
            "idempotency_key",
        ),
        (
            "/v1/budget/reserve",
            json!({"workflow": "w", "user": "u", "estimated_cost": "1.2.3"}),
            "estimated_cost",
        ),
    ];
    for (path, body, field) in cases {
        let r = e.agent_post(path, &body).await?;
        assert_eq!(r.status, 422, "{path} {field}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["field"], json!(field), "{}", r.body);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field)
        );
    }
    let r = e.agent_post("/v1/runs", &json!("not a run")).await?;
    assert_eq!(r.status, 422, "{}", r.body);
    let (items, _) = e.feed("runs", "").await?;
    assert!(items.is_empty());
    e.h.shutdown().await;
    Ok(())
}

async fn an_ingest_key_reports_and_waits_but_never_decides_reads_or_edits_budgets() -> R {
    let e = env().await?;
    let a = &e.agent;
    let r = e
        .agent_post("/v1/actions", &agent_support::refund("k1", "r1", "10.00"))
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let d = agent_support::decision("approve", json!({}), "d1", None);
    let r = e
        .post_as(a, &format!("/v1/actions/{id}/decision"), &d)
        .await?;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = e
        .send(
            reqwest::Method::PUT,
            Some(a),
            "/v1/budgets",
            Some(&json!({"items": []})),
        )
        .await?;
    assert_eq!(r.status, 403, "{}", r.body);
    for path in [
        "/v1/runs",
        "/v1/actions",
        "/v1/whoami",
        "/v1/budgets",
        "/v1/system/refunds",
    ] {
        assert_eq!(e.get_as(a, path).await?.status, 403, "{path}");
    }
    assert_eq!(
        e.post_as(a, "/v1/admin/keys", &json!({"name": "x", "scope": "admin"}))
            .await?
            .status,
        403
    );
    // People's tokens are not agents (only an admin may act as one).
    let reviewer = e.token_of("reviewer-only")?;
    assert_eq!(
        e.post_as(&reviewer, "/v1/runs", &run("r", 1)).await?.status,
        403
    );
    assert_eq!(
        e.post_as(&e.h.token, "/v1/runs", &run("admin-run", 1))
            .await?
            .status,
        201
    );
    // No key, or a wrong one: 401.
    assert_eq!(
        e.send(reqwest::Method::POST, None, "/v1/runs", Some(&run("r", 1)))
            .await?
            .status,
        401
    );
    assert_eq!(
        e.post_as("cs_ingest_nope", "/v1/runs", &run("r", 1))
            .await?
            .status,
        401
    );
    // Another agent cannot read this agent's decisions.
    let b = e.key("agent-b", Scope::Ingest).await?;
    assert_eq!(
        e.get_as(&b, &format!("/v1/actions/{id}/decision"))
            .await?
            .status,
        404
    );
    assert_eq!(
        e.get_as(a, &format!("/v1/actions/{id}/decision"))
            .await?
            .status,
        200
    );
    // A stored reviewer key decides like the demo reviewer.
    let rk = e.key("rita", Scope::Reviewer).await?;
    let who = e.get_as(&rk, "/v1/whoami").await?;
    assert_eq!(
        (who.status, who.body["roles"].clone()),
        (200, json!(["reviewer"]))
    );
    e.h.shutdown().await;
    Ok(())
}

async fn keys_are_stored_hashed_and_shown_once() -> R {
    let e = env().await?;
    let r = e
        .post_as(
            &e.h.token,
            "/v1/admin/keys",
            &json!({"name": "billing-bot", "scope": "ingest"}),
        )
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    let key = r.body["key"].as_str().unwrap_or_default().to_string();
    assert!(key.starts_with("cs_ingest_"), "{key}");
    assert_eq!(
        e.post_as(&key, "/v1/runs", &run("bot-run", 1))
            .await?
            .status,
        201
    );
    let bad = e
        .post_as(
            &e.h.token,
            "/v1/admin/keys",
            &json!({"name": "x", "scope": "root"}),
        )
        .await?;
    assert_eq!(
        (bad.status, bad.body["field"].clone()),
        (422, json!("scope"))
    );
    let db = e.h.database().clone();
    e.h.shutdown().await;
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    let cli_key = e.agent.clone();
    let mut seen_hash = false;
    for (name, bytes) in engines::stored_bytes(&db).await {
        let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!has(&key), "{name} holds the plain key");
        assert!(!has(&cli_key), "{name} holds the plain CLI key");
        seen_hash |= has(&digest);
    }
    assert!(seen_hash, "the key's SHA-256 is stored");
    Ok(())
}

async fn a_key_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected() -> R {
    let e = env_with(|c| {
        c.agents.rate_per_sec = 0.2;
        c.agents.burst = 3.0;
    })
    .await?;
    for i in 0..3 {
        let r = e
            .agent_post("/v1/runs", &run(&format!("rl-{i}"), 1))
            .await?;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = e.agent_post("/v1/runs", &run("rl-3", 1)).await?;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    let secs: u64 = r.retry_after.as_deref().unwrap_or("0").parse()?;
    assert!((1..=5).contains(&secs), "Retry-After {secs}");
    let other = e.key("agent-b", Scope::Ingest).await?;
    assert_eq!(
        e.post_as(&other, "/v1/runs", &run("rl-b", 1)).await?.status,
        201
    );
    e.h.shutdown().await;
    Ok(())
}

async fn an_oversized_request_is_refused_with_413() -> R {
    let e = env_with(|c| c.agents.max_request_bytes = 32 * 1024).await?;
    let mut big = run("big", 1);
    big["inputs"] = json!({"blob": "z".repeat(40 * 1024)});
    let r = e.agent_post("/v1/runs", &big).await?;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.body["max_bytes"], json!(32 * 1024));
    // Sent chunked (no Content-Length), it is cut off as well.
    let payload = serde_json::to_vec(&big)?;
    let mut req = format!(
        "POST /v1/runs HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        e.h.addr(),
        e.agent
    )
    .into_bytes();
    for chunk in payload.chunks(8 * 1024) {
        req.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        req.extend(chunk);
        req.extend(b"\r\n");
    }
    req.extend(b"0\r\n\r\n");
    let answer = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut sock = tokio::net::TcpStream::connect(e.h.addr()).await?;
        // The server may answer and close before taking the whole body.
        let _ = sock.write_all(&req).await;
        let mut out = Vec::new();
        let _ = sock.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).to_string()
    };
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(
        e.agent_post("/v1/runs", &run("small", 1)).await?.status,
        201
    );
    e.h.shutdown().await;
    Ok(())
}

async fn otlp_traces_in_json_and_protobuf_become_runs_of_the_agent() -> R {
    let e = env().await?;
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../otel/fixtures/pydantic_ai_support.json"
    ))?;
    let post = |ct: &'static str, body: Vec<u8>| {
        e.c.post(format!("{}/v1/traces", e.h.url))
            .bearer_auth(&e.agent)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = post("application/json", fixture.clone()).await?;
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await?;
    assert!(
        body.get("partialSuccess")
            .is_none_or(|p| p["rejectedSpans"].as_i64().unwrap_or(0) == 0),
        "{body}"
    );
    let (items, cursor) = e.feed("runs", "").await?;
    let otel: Vec<&Value> = items
        .iter()
        .filter(|r| r["run_id"].as_str().is_some_and(|i| i.starts_with("otel-")))
        .collect();
    assert_eq!(otel.len(), 1, "{items:?}");
    assert_eq!(otel[0]["revision"], json!(1));
    assert!(
        !otel[0]["tool_calls"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .is_empty()
    );
    // The same export again changes nothing.
    assert_eq!(
        post("application/json", fixture).await?.status().as_u16(),
        200
    );
    let (again, cursor) = e.feed("runs", &cursor).await?;
    assert!(again.is_empty(), "{again:?}");

    // Protobuf: one chat span of a new trace, then a second span of it in another export.
    let export = |span_id: u8, name: &str| proto_export(span_id, name);
    let res = post("application/x-protobuf", export(1, "chat gpt-4o")).await?;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-protobuf")
    );
    let (items, cursor) = e.feed("runs", &cursor).await?;
    assert_eq!(
        ids(&items),
        vec![("otel-0102030405060708090a0b0c0d0e0f10".to_string(), 1)]
    );
    let res = post("application/x-protobuf", export(2, "running tool")).await?;
    assert_eq!(res.status().as_u16(), 200);
    let (items, _) = e.feed("runs", &cursor).await?;
    assert_eq!(
        ids(&items),
        vec![("otel-0102030405060708090a0b0c0d0e0f10".to_string(), 2)]
    );
    let res = post("application/x-protobuf", b"not protobuf".to_vec()).await?;
    assert_eq!(res.status().as_u16(), 400);
    e.h.shutdown().await;
    Ok(())
}

/// An OTLP protobuf export of one GenAI span of trace 0102…10.
fn proto_export(span: u8, name: &str) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use prost::Message;
    let kv = |k: &str, v: any_value::Value| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let s = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![span; 8],
        name: name.into(),
        start_time_unix_nano: 1_780_000_000_000_000_000 + u64::from(span) * 1_000_000,
        end_time_unix_nano: 1_780_000_001_000_000_000,
        attributes: vec![
            kv(
                "gen_ai.operation.name",
                any_value::Value::StringValue("chat".into()),
            ),
            kv(
                "gen_ai.request.model",
                any_value::Value::StringValue("gpt-4o".into()),
            ),
            kv(
                "gen_ai.usage.input_tokens",
                any_value::Value::IntValue(1200),
            ),
            kv("gen_ai.usage.output_tokens", any_value::Value::IntValue(80)),
        ],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![s],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

async fn a_batch_mixing_new_replaced_ignored_and_foreign_runs_answers_each_as_one_by_one() -> R {
    let e = env_with(|c| c.seed_runs = 3).await?;
    let other = e.key("agent-b", Scope::Ingest).await?;
    let r = e
        .post_as(&other, "/v1/runs", &json!({"items": [run("b-1", 1)]}))
        .await?;
    assert_eq!(r.body["accepted"], json!(1), "{}", r.body);
    let r = e
        .agent_post(
            "/v1/runs",
            &json!({"items": [run("a-1", 2), run("a-2", 2)]}),
        )
        .await?;
    assert_eq!(r.body["accepted"], json!(2), "{}", r.body);
    let (seeded, _) = e.feed("runs", "").await?;
    let seeded_id = seeded
        .iter()
        .filter_map(|r| r["run_id"].as_str())
        .find(|id| !["a-1", "a-2", "b-1"].contains(id))
        .ok_or("no seeded run")?
        .to_string();
    // New, higher revision, same revision, lower revision, another agent's, the seed's, new.
    let batch = json!({"items": [
        run("a-3", 1), run("a-1", 3), run("a-2", 2), run("a-2", 1),
        run("b-1", 5), run(&seeded_id, 9), run("a-4", 1)
    ]});
    let r = e.agent_post("/v1/runs", &batch).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let got: Vec<(Value, Value)> = r.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|x| (x["status"].clone(), x["revision"].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (json!("created"), json!(1)),
            (json!("replaced"), json!(3)),
            (json!("ignored"), json!(2)),
            (json!("ignored"), json!(2)),
            (json!("rejected"), Value::Null),
            (json!("rejected"), Value::Null),
            (json!("created"), json!(1)),
        ],
        "{}",
        r.body
    );
    assert_eq!(r.body["results"][4]["problem"]["status"], json!(409));
    // The same batch again changes nothing new: every own run is now ignored.
    let again = e.agent_post("/v1/runs", &batch).await?;
    let statuses: Vec<&str> = again.body["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        statuses,
        [
            "ignored", "ignored", "ignored", "ignored", "rejected", "rejected", "ignored"
        ]
    );
    let (items, _) = e.feed("runs", "").await?;
    let mut latest: std::collections::BTreeMap<String, u64> = Default::default();
    for (id, rev) in ids(&items) {
        latest.insert(id, rev);
    }
    assert_eq!(latest.get("a-1"), Some(&3));
    assert_eq!(latest.get("a-3"), Some(&1));
    assert_eq!(latest.get("a-4"), Some(&1));
    assert_eq!(latest.get("b-1"), Some(&1));
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    a_reported_run_reaches_the_feed_and_only_higher_revisions_replace_it,
    a_batch_reports_each_item_and_refused_items_never_keep_the_others_out,
    a_batch_mixing_new_replaced_ignored_and_foreign_runs_answers_each_as_one_by_one,
    refused_records_are_problems_that_name_the_field,
    an_ingest_key_reports_and_waits_but_never_decides_reads_or_edits_budgets,
    keys_are_stored_hashed_and_shown_once,
    a_key_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected,
    an_oversized_request_is_refused_with_413,
    otlp_traces_in_json_and_protobuf_become_runs_of_the_agent,
);
