//! Rollback of a write an agent executed itself, over real HTTP on both engines: the agent
//! posts a rollback descriptor, the console's rollback request reaches the agent's long-poll,
//! and the agent confirms it (the action becomes `rolled_back`) or says why it could not (the
//! console sees the reason and may ask again).

mod engines;

mod agent_support;

use agent_support::{Env, R, decision, env, refund, until};
use serde_json::{Value, json};

/// An executed refund of the agent that says how to undo it; its id.
async fn executed(e: &Env, key: &str, rollback: Option<Value>) -> R<String> {
    let mut body = refund(key, "run-rb", "20.00");
    match rollback {
        Some(r) => body["rollback"] = r,
        None => {
            body.as_object_mut().map(|o| o.remove("rollback"));
        }
    }
    let r = e.agent_post("/v1/actions", &body).await?;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let reviewer = e.token_of("reviewer-only")?;
    let fields = json!({"amount": "20.00", "currency": "EUR", "order_id": "ord_1001"});
    let d = decision("approve", fields, &format!("dec-{key}"), None);
    let r = e
        .post_as(&reviewer, &format!("/v1/actions/{id}/decision"), &d)
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = e
        .agent_post(
            &format!("/v1/actions/{id}/result"),
            &json!({"status": "executed", "detail": {"refund_id": "rf_9"}}),
        )
        .await?;
    assert_eq!(r.body["action"]["status"], "executed", "{}", r.body);
    Ok(id)
}

/// The reviewer asks to roll `id` back under idempotency key `key`.
async fn ask_rollback(e: &Env, id: &str, key: &str) -> R<agent_support::Reply> {
    let reviewer = e.token_of("reviewer-only")?;
    e.post_as(
        &reviewer,
        &format!("/v1/actions/{id}/rollback"),
        &json!({"idempotency_key": key, "reason": "customer kept the item"}),
    )
    .await
}

fn rollback_check(a: &Value) -> Option<Value> {
    a["policy_checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "rollback").cloned())
}

async fn the_agent_undoes_its_write_when_the_console_asks_and_confirms() -> R {
    let e = env().await?;
    let descriptor = json!({"supported": true, "description": "reverse the refund",
                            "inverse": {"op": "reverse_refund", "refund_id": "rf_9"}});
    let id = executed(&e, "rb-1", Some(descriptor.clone())).await?;
    assert_eq!(
        e.console_action(&id).await?["rollback_supported"],
        json!(true)
    );
    let path = format!("/v1/actions/{id}/rollback");
    let r = e.get_as(&e.agent, &format!("{path}?wait=0")).await?;
    assert_eq!(
        (r.status, r.body["state"].clone()),
        (200, json!("none")),
        "{}",
        r.body
    );

    // The agent waits for a request; the reviewer asks; the wait ends with the request.
    let waiter = {
        let req =
            e.c.get(format!("{}{path}?wait=30", e.h.url))
                .bearer_auth(&e.agent);
        tokio::spawn(async move { req.send().await?.json::<Value>().await })
    };
    until("the agent to wait", || e.h.actions_waited_on() == 1).await?;
    let r = ask_rollback(&e, &id, "rb-ask-1").await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["action"]["status"], "executed", "{}", r.body);
    assert_eq!(r.body["rollback"]["state"], "requested");
    let seen = waiter.await??;
    assert_eq!(seen["state"], "requested", "{seen}");
    assert_eq!(seen["request"]["reason"], "customer kept the item");
    assert_eq!(seen["request"]["requested_by"], "reviewer-only");
    assert_eq!(seen["rollback"], descriptor);
    // The console sees the request on the action.
    let a = e.console_action(&id).await?;
    assert_eq!(a["status"], "executed");
    let check = rollback_check(&a).ok_or("the action says a rollback is requested")?;
    assert!(
        check["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("requested"),
        "{check}"
    );
    // Asked twice while requested: refused; the same key again: replayed.
    assert_eq!(ask_rollback(&e, &id, "rb-ask-2").await?.status, 409);
    let r = ask_rollback(&e, &id, "rb-ask-1").await?;
    assert_eq!((r.status, r.body["replayed"].clone()), (200, json!(true)));

    // The agent could not undo it: it says why, and the console sees it.
    let done = format!("/v1/actions/{id}/rolled-back");
    let r = e.agent_post(&done, &json!({"status": "failed"})).await?;
    assert_eq!(
        (r.status, r.body["field"].clone()),
        (422, json!("error")),
        "{}",
        r.body
    );
    let failed = json!({"status": "failed", "error": "refund already paid out"});
    let r = e.agent_post(&done, &failed).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = e.console_action(&id).await?;
    assert_eq!(a["status"], "executed");
    let check = rollback_check(&a).ok_or("the failure is on the action")?;
    assert_eq!(check["passed"], json!(false));
    assert!(
        check["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("refund already paid out")
    );
    let r = e.get_as(&e.agent, &format!("{path}?wait=0")).await?;
    assert_eq!(r.body["state"], "failed", "{}", r.body);

    // Asked again, the agent undoes it: rolled back, once.
    assert_eq!(ask_rollback(&e, &id, "rb-ask-3").await?.status, 200);
    let ok = json!({"status": "rolled_back", "detail": {"reversal_id": "rv_1"}});
    let r = e.agent_post(&done, &ok).await?;
    assert_eq!(
        (r.status, r.body["action"]["status"].clone()),
        (200, json!("rolled_back")),
        "{}",
        r.body
    );
    let r = e.agent_post(&done, &ok).await?;
    assert_eq!(
        (r.status, r.body["replayed"].clone()),
        (200, json!(true)),
        "{}",
        r.body
    );
    assert_eq!(e.agent_post(&done, &failed).await?.status, 409);
    assert_eq!(e.console_action(&id).await?["status"], "rolled_back");
    // Nothing more to roll back.
    assert_eq!(ask_rollback(&e, &id, "rb-ask-4").await?.status, 409);
    e.h.shutdown().await;
    Ok(())
}

async fn a_write_without_a_rollback_descriptor_is_not_offered_a_rollback() -> R {
    let e = env().await?;
    let id = executed(&e, "rb-n", None).await?;
    assert_eq!(
        e.console_action(&id).await?["rollback_supported"],
        json!(false)
    );
    assert_eq!(ask_rollback(&e, &id, "rb-n-1").await?.status, 409);
    // Nothing was requested, so nothing can be confirmed; another agent sees no such action.
    let done = format!("/v1/actions/{id}/rolled-back");
    let ok = json!({"status": "rolled_back"});
    assert_eq!(e.agent_post(&done, &ok).await?.status, 409);
    let other = e.key("agent-b", countersign_backend::Scope::Ingest).await?;
    assert_eq!(e.post_as(&other, &done, &ok).await?.status, 404);
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    the_agent_undoes_its_write_when_the_console_asks_and_confirms,
    a_write_without_a_rollback_descriptor_is_not_offered_a_rollback,
);
