//! Agents' pending writes over real HTTP: idempotent posting, the long-poll woken by a
//! reviewer's decision, expiry told apart from denial, the result reported once, and the
//! decision pushed to a webhook.

mod engines;

mod agent_support;

use agent_support::{Env, R, decision, env, env_with, refund, until};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Posts a refund and returns its action id.
async fn post_refund(
    e: &Env,
    key: &str,
    amount: &str,
    tweak: impl FnOnce(&mut Value),
) -> R<String> {
    let mut body = refund(key, "run-7", amount);
    tweak(&mut body);
    let r = e.agent_post("/v1/actions", &body).await?;
    assert_eq!(r.status, 201, "{}", r.body);
    Ok(r.body["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// The reviewer's confirmed values of a refund (all fields, `amount` as given).
fn confirmed(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR", "order_id": "ord_1001"})
}

async fn the_same_key_and_body_give_the_same_action_another_body_is_a_conflict() -> R {
    let e = env().await?;
    let body = refund("idem-1", "run-7", "40.00");
    let first = e.agent_post("/v1/actions", &body).await?;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["action"]["action_id"].clone();
    // The same body with its keys in another order is the same request.
    let reordered: Value = serde_json::from_str(&{
        let mut pairs: Vec<(String, Value)> = body
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        pairs.reverse();
        let inner: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{v}", json!(k)))
            .collect();
        format!("{{{}}}", inner.join(","))
    })?;
    let again = e.agent_post("/v1/actions", &reordered).await?;
    assert_eq!(
        (again.status, again.body["replayed"].clone()),
        (200, json!(true))
    );
    assert_eq!(again.body["action"]["action_id"], id);
    let changed = e
        .agent_post("/v1/actions", &refund("idem-1", "run-7", "41.00"))
        .await?;
    assert_eq!(changed.status, 409, "{}", changed.body);
    assert_eq!(changed.body["action_id"], id);
    assert_eq!(changed.body["field"], "idempotency_key");
    // Exactly one action, pending, in the console's feed, with the agent's review fields.
    let (items, _) = e.feed("actions", "").await?;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["action_id"], id);
    assert_eq!(items[0]["status"], "pending");
    assert_eq!(items[0]["fields"][0]["value"], "40.00");
    // The agent said it can undo the write: the console offers a rollback (the agent's to do).
    assert_eq!(items[0]["rollback_supported"], json!(true));
    e.h.shutdown().await;
    Ok(())
}

async fn a_long_poll_is_woken_by_the_decision_and_carries_the_edited_fields() -> R {
    let e = env().await?;
    let id = post_refund(&e, "lp-1", "120.00", |_| {}).await?;
    // Nothing decided: wait=0 answers at once.
    let now = e
        .get_as(&e.agent, &format!("/v1/actions/{id}/decision?wait=0"))
        .await?;
    assert_eq!(
        (now.status, now.body["status"].clone()),
        (200, json!("pending"))
    );
    assert_eq!(now.body["decided"], json!(false));

    let (url, agent) = (e.h.url.clone(), e.agent.clone());
    let path = format!("/v1/actions/{id}/decision?wait=30");
    let started = Instant::now();
    let waiter = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .get(format!("{url}{path}"))
            .bearer_auth(agent)
            .send()
            .await?;
        let body: Value = r.json().await?;
        Ok::<_, reqwest::Error>((body, Instant::now()))
    });
    until("the agent to wait", || e.h.actions_waited_on() == 1).await?;
    let reviewer = e.token_of("reviewer-only")?;
    let d = decision("approve_with_edits", confirmed("95.00"), "dec-1", None);
    let decided_at = Instant::now();
    let r = e
        .post_as(&reviewer, &format!("/v1/actions/{id}/decision"), &d)
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["executed"],
        json!(false),
        "the agent executes its own write"
    );
    let (body, answered) = waiter.await??;
    assert!(answered >= decided_at, "answered before the decision");
    assert!(
        answered - started < Duration::from_secs(25),
        "woken, not timed out"
    );
    assert_eq!(body["status"], "approved");
    assert_eq!(body["fields"], confirmed("95.00"));
    assert_eq!(body["edited"], json!(["amount"]));
    assert_eq!(body["decided_by"], "reviewer-only");
    assert_eq!(e.h.actions_waited_on(), 0);
    // The console sees the approval, and no refund was executed by the server.
    assert_eq!(e.console_action(&id).await?["status"], "approved");
    let refunds = e.get_as(&e.h.token, "/v1/system/refunds").await?;
    assert_eq!(refunds.body["items"], json!([]));
    e.h.shutdown().await;
    Ok(())
}

async fn an_expired_action_answers_expired_and_a_denied_one_denied() -> R {
    let e = env().await?;
    let soon = post_refund(&e, "exp-1", "10.00", |b| b["expires_in_secs"] = json!(1)).await?;
    let denied = post_refund(&e, "den-1", "11.00", |_| {}).await?;
    let reviewer = e.token_of("reviewer-only")?;
    let d = decision("deny", json!({}), "dec-deny", Some("duplicate request"));
    let r = e
        .post_as(&reviewer, &format!("/v1/actions/{denied}/decision"), &d)
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);

    // The long-poll ends at the deadline (well before wait=30) with "expired".
    let t = Instant::now();
    let r = e
        .get_as(&e.agent, &format!("/v1/actions/{soon}/decision?wait=30"))
        .await?;
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(r.body["status"], "expired", "{}", r.body);
    assert_eq!(r.body["decided"], json!(true));
    assert!(r.body.get("reason").is_none());
    let r = e
        .get_as(&e.agent, &format!("/v1/actions/{denied}/decision?wait=30"))
        .await?;
    assert_eq!(r.body["status"], "denied");
    assert_eq!(r.body["reason"], "duplicate request");
    assert!(r.body.get("fields").is_none());
    // An expired action cannot be approved late, and its console copy says expired.
    let late = decision("approve", confirmed("10.00"), "dec-late", None);
    let r = e
        .post_as(&reviewer, &format!("/v1/actions/{soon}/decision"), &late)
        .await?;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(e.console_action(&soon).await?["status"], "expired");
    assert_eq!(e.console_action(&denied).await?["status"], "denied");
    // Waiting longer than the limit is refused.
    let r = e
        .get_as(&e.agent, &format!("/v1/actions/{soon}/decision?wait=3600"))
        .await?;
    assert_eq!((r.status, r.body["field"].clone()), (422, json!("wait")));
    e.h.shutdown().await;
    Ok(())
}

async fn the_result_is_reported_once_and_the_console_sees_it() -> R {
    let e = env().await?;
    let id = post_refund(&e, "res-1", "20.00", |_| {}).await?;
    let result = json!({"status": "executed", "detail": {"refund_id": "rf_1"}});
    let early = e
        .agent_post(&format!("/v1/actions/{id}/result"), &result)
        .await?;
    assert_eq!(
        (early.status, early.body["current_status"].clone()),
        (409, json!("pending"))
    );
    let reviewer = e.token_of("reviewer-only")?;
    let d = decision("approve", confirmed("20.00"), "dec-r", None);
    assert_eq!(
        e.post_as(&reviewer, &format!("/v1/actions/{id}/decision"), &d)
            .await?
            .status,
        200
    );
    let (_, cursor) = e.feed("actions", "").await?;

    let r = e
        .agent_post(&format!("/v1/actions/{id}/result"), &result)
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["action"]["status"], "executed");
    let again = e
        .agent_post(&format!("/v1/actions/{id}/result"), &result)
        .await?;
    assert_eq!(
        (again.status, again.body["replayed"].clone()),
        (200, json!(true))
    );
    let other = json!({"status": "failed", "error": "timeout"});
    let r = e
        .agent_post(&format!("/v1/actions/{id}/result"), &other)
        .await?;
    assert_eq!(
        (r.status, r.body["current_status"].clone()),
        (409, json!("executed"))
    );
    let bad = e
        .agent_post(
            &format!("/v1/actions/{id}/result"),
            &json!({"status": "done"}),
        )
        .await?;
    assert_eq!(
        (bad.status, bad.body["field"].clone()),
        (422, json!("status"))
    );
    // One new change in the console's feed: executed.
    let (items, _) = e.feed("actions", &cursor).await?;
    let statuses: Vec<&Value> = items.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, vec![&json!("executed")]);
    let view = e
        .get_as(&e.agent, &format!("/v1/actions/{id}/decision"))
        .await?;
    assert_eq!(view.body["result"]["detail"]["refund_id"], "rf_1");

    // A failed execution shows as failed.
    let id2 = post_refund(&e, "res-2", "21.00", |_| {}).await?;
    let d = decision("approve", confirmed("21.00"), "dec-r2", None);
    assert_eq!(
        e.post_as(&reviewer, &format!("/v1/actions/{id2}/decision"), &d)
            .await?
            .status,
        200
    );
    assert_eq!(
        e.agent_post(&format!("/v1/actions/{id2}/result"), &other)
            .await?
            .status,
        200
    );
    assert_eq!(e.console_action(&id2).await?["status"], "failed");
    e.h.shutdown().await;
    Ok(())
}

async fn the_decision_reaches_the_agents_webhook_after_a_failed_attempt() -> R {
    use axum::routing::post;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    let e = env_with(|c| c.agents.webhook_backoff_ms = 20).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Value, Option<String>)>();
    let attempts = Arc::new(AtomicU32::new(0));
    let seen = attempts.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
                let (tx, seen) = (tx.clone(), seen.clone());
                async move {
                    // The first attempt fails: the server must retry.
                    if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let event = headers
                        .get("x-countersign-event")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let _ = tx.send((body.0, event));
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let id = post_refund(&e, "wh-1", "30.00", |b| b["webhook_url"] = json!(hook)).await?;
    let reviewer = e.token_of("reviewer-only")?;
    let d = decision("deny", json!({}), "dec-wh", Some("not eligible"));
    assert_eq!(
        e.post_as(&reviewer, &format!("/v1/actions/{id}/decision"), &d)
            .await?
            .status,
        200
    );
    let (body, event) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await?
        .ok_or("webhook listener closed")?;
    assert_eq!(body["action_id"], json!(id));
    assert_eq!(body["status"], "denied");
    assert_eq!(body["reason"], "not eligible");
    assert_eq!(event.as_deref(), Some("decision"));
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    server.abort();
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    the_same_key_and_body_give_the_same_action_another_body_is_a_conflict,
    a_long_poll_is_woken_by_the_decision_and_carries_the_edited_fields,
    an_expired_action_answers_expired_and_a_denied_one_denied,
    the_result_is_reported_once_and_the_console_sees_it,
    the_decision_reaches_the_agents_webhook_after_a_failed_attempt,
);
