//! Registered webhooks over real HTTP on both engines: the decision reaches the receiver once,
//! signed with the secret given at registration (HMAC-SHA256 over `<t>.<body>`), after a
//! failed attempt; and a delivery owed when the server stops is made by the next server on
//! the same database, with the same secret, the registration still there.

mod engines;

mod agent_support;

use agent_support::{Env, R, decision, env_with, refund};
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// One request the receiver got.
#[derive(Debug)]
struct Got {
    headers: HeaderMap,
    body: Vec<u8>,
    taken: bool,
}

/// A receiver on 127.0.0.1:0 that refuses (503) while `refuse` is set and reports every
/// request; returns its URL.
async fn receiver(refuse: Arc<AtomicBool>) -> R<(String, mpsc::UnboundedReceiver<Got>)> {
    let (tx, rx) = mpsc::unbounded_channel::<Got>();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (tx, refuse) = (tx.clone(), refuse.clone());
            async move {
                let taken = !refuse.load(Ordering::SeqCst);
                let _ = tx.send(Got {
                    headers,
                    body: body.to_vec(),
                    taken,
                });
                if taken {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, rx))
}

/// The next request the receiver got (within a deadline).
async fn next(rx: &mut mpsc::UnboundedReceiver<Got>) -> R<Got> {
    Ok(tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await?
        .ok_or("receiver closed")?)
}

/// Checks `Countersign-Signature` of `got` with `secret` as a receiver would: a fresh
/// timestamp and the HMAC of `<t>.<body>`.
fn verify(secret: &str, got: &Got) -> R {
    let header = got
        .headers
        .get("countersign-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("no signature header")?;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.parse::<i64>()?),
            Some(("v1", x)) => v1 = Some(hex::decode(x)?),
            _ => {}
        }
    }
    let (t, v1) = (t.ok_or("no t")?, v1.ok_or("no v1")?);
    assert!(
        (chrono::Utc::now().timestamp() - t).abs() < 300,
        "stale t={t}"
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(format!("{t}.").as_bytes());
    mac.update(&got.body);
    mac.verify_slice(&v1)
        .map_err(|_| format!("signature does not verify: {header}"))?;
    // Tampering with the body breaks it.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(format!("{t}.").as_bytes());
    mac.update(&got.body[1..]);
    assert!(mac.verify_slice(&v1).is_err());
    Ok(())
}

/// Registers a webhook at `url`: (id, secret).
async fn register(e: &Env, url: &str) -> R<(String, String)> {
    let r = e.agent_post("/v1/webhooks", &json!({"url": url})).await?;
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap_or_default().to_string();
    assert!(secret.starts_with("whsec_"), "{}", r.body);
    Ok((
        r.body["webhook_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        secret,
    ))
}

/// Posts a refund that names webhook `hook`; its action id.
async fn post_action(e: &Env, key: &str, hook: &str) -> R<String> {
    let mut body = refund(key, "run-wh", "30.00");
    body["webhook_id"] = json!(hook);
    let r = e.agent_post("/v1/actions", &body).await?;
    assert_eq!(r.status, 201, "{}", r.body);
    Ok(r.body["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

async fn deliveries(e: &Env, state: &str) -> i64 {
    engines::query_int(
        e.h.database(),
        &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE state = '{state}'"),
    )
    .await
}

async fn a_registered_webhook_gets_the_decision_once_and_signed() -> R {
    let e = env_with(|c| c.agents.webhook_backoff_ms = 20).await?;
    let refuse = Arc::new(AtomicBool::new(true));
    let (url, mut rx) = receiver(refuse.clone()).await?;
    let (hook, secret) = register(&e, &url).await?;
    let listed = e.get_as(&e.agent, "/v1/webhooks").await?;
    assert_eq!(
        listed.body["items"][0]["webhook_id"],
        json!(hook),
        "{}",
        listed.body
    );
    assert!(!listed.body.to_string().contains(&secret));
    // Another agent cannot use it, nor an unknown id.
    let other = e.key("agent-b", countersign_backend::Scope::Ingest).await?;
    let mut body = refund("wh-b", "run-b", "1.00");
    body["webhook_id"] = json!(hook);
    let r = e.post_as(&other, "/v1/actions", &body).await?;
    assert_eq!(
        (r.status, r.body["field"].clone()),
        (422, json!("webhook_id")),
        "{}",
        r.body
    );

    let id = post_action(&e, "wh-1", &hook).await?;
    let reviewer = e.token_of("reviewer-only")?;
    let d = decision("deny", json!({}), "dec-wh", Some("not eligible"));
    let path = format!("/v1/actions/{id}/decision");
    assert_eq!(e.post_as(&reviewer, &path, &d).await?.status, 200);
    let first = next(&mut rx).await?;
    assert!(!first.taken);
    verify(&secret, &first)?;
    refuse.store(false, Ordering::SeqCst);
    let second = next(&mut rx).await?;
    assert!(second.taken);
    verify(&secret, &second)?;
    let h = |g: &Got, n: &str| {
        g.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(
        h(&second, "countersign-event").as_deref(),
        Some("decision.denied")
    );
    assert_eq!(
        h(&first, "countersign-delivery"),
        h(&second, "countersign-delivery")
    );
    let body: Value = serde_json::from_slice(&second.body)?;
    assert_eq!(
        (body["action_id"].clone(), body["status"].clone()),
        (json!(id), json!("denied"))
    );
    assert_eq!(body["reason"], "not eligible");
    // The same decision again (a replay) owes nothing more: one delivery, taken.
    assert_eq!(e.post_as(&reviewer, &path, &d).await?.status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while deliveries(&e, "delivered").await != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "never recorded as delivered"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let all = engines::query_int(e.h.database(), "SELECT COUNT(*) FROM webhook_deliveries").await;
    let attempts = engines::query_int(
        e.h.database(),
        "SELECT CAST(SUM(attempts) AS BIGINT) FROM webhook_deliveries",
    )
    .await;
    assert_eq!((all, attempts), (1, 2));
    assert!(rx.try_recv().is_err(), "nothing more was sent");
    // Deleted: listed no more.
    let r = e
        .send(
            reqwest::Method::DELETE,
            Some(&e.agent),
            &format!("/v1/webhooks/{hook}"),
            None,
        )
        .await?;
    assert_eq!(r.status, 204);
    assert_eq!(
        e.get_as(&e.agent, "/v1/webhooks").await?.body["items"],
        json!([])
    );
    e.h.shutdown().await;
    Ok(())
}

async fn an_owed_delivery_and_its_webhook_survive_a_restart() -> R {
    let e = env_with(|c| {
        c.agents.webhook_backoff_ms = 20;
        c.agents.webhook_attempts = 1000;
    })
    .await?;
    let refuse = Arc::new(AtomicBool::new(true));
    let (url, mut rx) = receiver(refuse.clone()).await?;
    let (hook, secret) = register(&e, &url).await?;
    let id = post_action(&e, "wh-r", &hook).await?;
    let reviewer = e.token_of("reviewer-only")?;
    let d = decision("deny", json!({}), "dec-r", Some("no"));
    let r = e
        .post_as(&reviewer, &format!("/v1/actions/{id}/decision"), &d)
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!next(&mut rx).await?.taken);
    let Env { dir, h, c, agent } = e;
    let database = h.database().clone();
    h.shutdown().await;
    assert_eq!(
        engines::query_int(
            &database,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'"
        )
        .await,
        1
    );
    // Attempts of the stopped server still in flight are drained before the receiver
    // starts taking deliveries.
    while rx.try_recv().is_ok() {}
    refuse.store(false, Ordering::SeqCst);
    let cfg = countersign_backend::Config {
        data_dir: dir.path().to_path_buf(),
        database: Some(database.clone()),
        seed_runs: 0,
        ..Default::default()
    };
    let h = countersign_backend::start(cfg).await?;
    let e = Env { dir, h, c, agent };
    let got = loop {
        let g = next(&mut rx).await?;
        if g.taken {
            break g;
        }
    };
    verify(&secret, &got)?;
    let body: Value = serde_json::from_slice(&got.body)?;
    assert_eq!(
        (body["action_id"].clone(), body["status"].clone()),
        (json!(id), json!("denied"))
    );
    let listed = e.get_as(&e.agent, "/v1/webhooks").await?;
    assert_eq!(
        listed.body["items"][0]["webhook_id"],
        json!(hook),
        "{}",
        listed.body
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while deliveries(&e, "delivered").await != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "never recorded as delivered"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        engines::query_int(&database, "SELECT COUNT(*) FROM webhook_deliveries").await,
        1
    );
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    a_registered_webhook_gets_the_decision_once_and_signed,
    an_owed_delivery_and_its_webhook_survive_a_restart,
);
