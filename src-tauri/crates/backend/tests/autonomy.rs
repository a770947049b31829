//! Autonomy levels per workflow over real HTTP, on both engines: set by an admin only (before →
//! after), and enforced on agents' writes and on the generator's: read-only refuses (403
//! naming the level), draft records and never executes, sampled approval reviews its share and
//! lets the rest through, autonomy executes at once with an undo that works.

mod engines;

mod agent_support;

use agent_support::{Env, R, decision, env, refund, run};
use countersign_core::autonomy::sample_slot;
use serde_json::{Value, json};

/// PUTs a level as `token`.
async fn put_level(e: &Env, token: &str, workflow: &str, body: &Value) -> R<agent_support::Reply> {
    e.send(
        reqwest::Method::PUT,
        Some(token),
        &format!("/v1/workflows/{workflow}/autonomy"),
        Some(body),
    )
    .await
}

/// Sets a level as the demo admin, expecting success.
async fn set_level(e: &Env, workflow: &str, level: &str, sample_percent: u8) -> R {
    let r = put_level(
        e,
        &e.h.token,
        workflow,
        &json!({"level": level, "sample_percent": sample_percent, "who": "ana", "justification": "test"}),
    )
    .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    Ok(())
}

/// Reports run `id` of `refund_request` (the workflow the actions below belong to).
async fn report_run(e: &Env, id: &str) -> R {
    let r = e.agent_post("/v1/runs", &run(id, 1)).await?;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    Ok(())
}

async fn a_level_is_set_by_an_admin_only_and_answers_before_and_after() -> R {
    let e = env().await?;
    let path = "/v1/workflows/refund_request/autonomy";
    let r = e.get_as(&e.h.token, path).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["level"], "approve_every_write");
    assert_eq!(r.body["set_by"], Value::Null);
    let reviewer = e.token_of("reviewer-only")?;
    let refused = put_level(
        &e,
        &reviewer,
        "refund_request",
        &json!({"level": "read_only"}),
    )
    .await?;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.content_type, "application/problem+json");
    // A reviewer may read it; an agent's key may not set it.
    assert_eq!(e.get_as(&reviewer, path).await?.status, 200);
    let agent = put_level(
        &e,
        &e.agent,
        "refund_request",
        &json!({"level": "read_only"}),
    )
    .await?;
    assert_eq!(agent.status, 403);
    let bad = put_level(
        &e,
        &e.h.token,
        "refund_request",
        &json!({"level": "sampled_approval", "sample_percent": 0}),
    )
    .await?;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let unknown = put_level(&e, &e.h.token, "refund_request", &json!({"level": "yolo"})).await?;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let set = put_level(
        &e,
        &e.h.token,
        "refund_request",
        &json!({"level": "sampled_approval", "sample_percent": 10, "who": "ana", "justification": "scorecard green\nfor 4 weeks"}),
    )
    .await?;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["before"]["level"], "approve_every_write");
    assert_eq!(set.body["after"]["level"], "sampled_approval");
    assert_eq!(set.body["after"]["sample_percent"], 10);
    assert_eq!(set.body["after"]["set_by"], "demo-admin");
    assert_eq!(set.body["after"]["requested_by"], "ana");
    assert_eq!(
        set.body["after"]["justification"],
        "scorecard green\nfor 4 weeks"
    );
    let again = put_level(
        &e,
        &e.h.token,
        "refund_request",
        &json!({"level": "read_only"}),
    )
    .await?;
    assert_eq!(again.body["before"]["level"], "sampled_approval");
    assert_eq!(again.body["after"]["level"], "read_only");
    assert_eq!(again.body["after"]["sample_percent"], 0);
    let list = e.get_as(&e.h.token, "/v1/workflows/autonomy").await?;
    assert_eq!(list.status, 200);
    let items = list.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["workflow"], "refund_request");
    assert_eq!(items[0]["level"], "read_only");
    e.h.shutdown().await;
    Ok(())
}

async fn a_read_only_workflow_refuses_agents_and_generated_writes() -> R {
    let e = env().await?;
    report_run(&e, "run-ro").await?;
    set_level(&e, "refund_request", "read_only", 0).await?;
    let r = e
        .agent_post("/v1/actions", &refund("ro-1", "run-ro", "40.00"))
        .await?;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["level"], "read_only");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("read_only"),
        "{}",
        r.body
    );
    // An action of a run not reported yet, naming the workflow, is refused too.
    let mut named = refund("ro-2", "run-unreported", "41.00");
    named["workflow"] = json!("refund_request");
    assert_eq!(e.agent_post("/v1/actions", &named).await?.status, 403);
    // Nothing reached the console's feed.
    let (items, _) = e.feed("actions", "").await?;
    assert!(items.is_empty(), "{items:?}");
    let got = e
        .get_as(&e.h.token, "/v1/workflows/refund_request/autonomy")
        .await?;
    assert_eq!(got.body["refused_writes"], 2);
    assert!(got.body["last_refused_at"].is_string());

    // The generator: refunds and CRM updates read-only, the others as before.
    set_level(&e, "crm_update", "read_only", 0).await?;
    let sim = e
        .post_as(&e.h.token, "/v1/admin/simulate", &json!({"runs": 40}))
        .await?;
    assert_eq!(sim.status, 200, "{}", sim.body);
    let refused = sim.body["refused"].as_array().cloned().unwrap_or_default();
    assert!(!refused.is_empty(), "{}", sim.body);
    for p in &refused {
        assert_eq!(p["status"], 403);
        assert_eq!(p["level"], "read_only");
        assert!(p["workflow"] == "refund_request" || p["workflow"] == "crm_update");
    }
    let (actions, _) = e.feed("actions", "").await?;
    assert!(
        actions
            .iter()
            .all(|a| a["kind"] != "issue_refund" && a["kind"] != "update_crm_field"),
        "a read-only workflow's write reached the feed"
    );
    let (runs, _) = e.feed("runs", "").await?;
    let marked = runs
        .iter()
        .filter(|r| r["decision"] == "write_refused_read_only")
        .count();
    assert_eq!(marked, refused.len());
    let refunds = e.get_as(&e.h.token, "/v1/system/refunds").await?;
    assert_eq!(refunds.body["items"], json!([]));
    e.h.shutdown().await;
    Ok(())
}

async fn a_draft_is_recorded_and_an_approval_never_executes_it() -> R {
    let e = env().await?;
    report_run(&e, "run-d").await?;
    set_level(&e, "refund_request", "draft", 0).await?;
    let r = e
        .agent_post("/v1/actions", &refund("d-1", "run-d", "40.00"))
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["action"]["status"], "draft");
    assert_eq!(r.body["autonomy"], "draft");
    let id = r.body["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let approve = decision(
        "approve",
        json!({"amount": "40.00", "currency": "EUR", "order_id": "ord_1001"}),
        "k-d",
        None,
    );
    let d = e
        .post_as(&e.h.token, &format!("/v1/actions/{id}/decision"), &approve)
        .await?;
    assert_eq!(d.status, 409, "{}", d.body);
    assert_eq!(d.body["current_status"], "draft");
    let res = e
        .agent_post(
            &format!("/v1/actions/{id}/result"),
            &json!({"status": "executed"}),
        )
        .await?;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(e.console_action(&id).await?["status"], "draft");

    // Generated writes of a draft workflow: recorded, none executed.
    for w in ["refund_request", "crm_update"] {
        set_level(&e, w, "draft", 0).await?;
    }
    let sim = e
        .post_as(&e.h.token, "/v1/admin/simulate", &json!({"runs": 30}))
        .await?;
    assert_eq!(sim.status, 200, "{}", sim.body);
    let (actions, _) = e.feed("actions", "").await?;
    let drafts: Vec<&Value> = actions
        .iter()
        .filter(|a| a["kind"] == "issue_refund" || a["kind"] == "update_crm_field")
        .collect();
    assert!(drafts.len() > 1, "{actions:?}");
    assert!(drafts.iter().all(|a| a["status"] == "draft"));
    let gen_id = drafts[drafts.len() - 1]["action_id"]
        .as_str()
        .unwrap_or_default();
    let mut body = approve.clone();
    body["idempotency_key"] = json!("k-gen");
    let d = e
        .post_as(&e.h.token, &format!("/v1/actions/{gen_id}/decision"), &body)
        .await?;
    assert_eq!(d.status, 409, "{}", d.body);
    let refunds = e.get_as(&e.h.token, "/v1/system/refunds").await?;
    assert_eq!(refunds.body["items"], json!([]));
    e.h.shutdown().await;
    Ok(())
}

async fn autonomy_executes_at_once_with_an_undo_that_works() -> R {
    let e = env().await?;
    for w in ["refund_request", "crm_update"] {
        set_level(&e, w, "autonomous_within_caps", 0).await?;
    }
    let sim = e
        .post_as(&e.h.token, "/v1/admin/simulate", &json!({"runs": 40}))
        .await?;
    assert_eq!(sim.status, 200, "{}", sim.body);
    let (actions, _) = e.feed("actions", "").await?;
    let writes: Vec<&Value> = actions
        .iter()
        .filter(|a| a["kind"] == "issue_refund" || a["kind"] == "update_crm_field")
        .collect();
    assert!(!writes.is_empty());
    let passed = |a: &Value| {
        a["policy_checks"]
            .as_array()
            .is_none_or(|c| c.iter().all(|c| c["passed"] == json!(true)))
    };
    for a in &writes {
        if passed(a) {
            assert_eq!(a["status"], "executed", "{a}");
            assert_eq!(a["decided_by"], "autonomy:autonomous_within_caps");
        } else {
            assert_eq!(a["status"], "pending", "a failed check goes to review: {a}");
        }
    }
    let executed = writes
        .iter()
        .find(|a| a["kind"] == "issue_refund" && a["status"] == "executed")
        .ok_or("no executed refund")?;
    let id = executed["action_id"].as_str().unwrap_or_default();
    let refunds = e.get_as(&e.h.token, "/v1/system/refunds").await?;
    let has = |v: &Value| {
        v["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|r| r["action_id"] == json!(id)))
    };
    assert!(has(&refunds.body), "{}", refunds.body);
    let rb = e
        .post_as(
            &e.h.token,
            &format!("/v1/actions/{id}/rollback"),
            &json!({"idempotency_key": "rb-1", "reason": "test undo"}),
        )
        .await?;
    assert_eq!(rb.status, 200, "{}", rb.body);
    assert_eq!(rb.body["action"]["status"], "rolled_back");
    assert!(!has(&e
        .get_as(&e.h.token, "/v1/system/refunds")
        .await?
        .body));

    // An agent's write is approved by the level at once; the agent executes and reports it.
    report_run(&e, "run-a").await?;
    let r = e
        .agent_post("/v1/actions", &refund("a-1", "run-a", "40.00"))
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["action"]["status"], "approved");
    assert_eq!(r.body["autonomy"], "execute");
    let aid = r.body["action"]["action_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wait = e
        .get_as(&e.agent, &format!("/v1/actions/{aid}/decision"))
        .await?;
    assert_eq!(wait.body["status"], "approved");
    assert_eq!(wait.body["fields"]["amount"], "40.00");
    let res = e
        .agent_post(
            &format!("/v1/actions/{aid}/result"),
            &json!({"status": "executed"}),
        )
        .await?;
    assert_eq!(res.status, 200, "{}", res.body);
    // Without an undo it waits for a reviewer.
    let mut no_undo = refund("a-2", "run-a", "41.00");
    no_undo["rollback"] = json!({"supported": false});
    let r = e.agent_post("/v1/actions", &no_undo).await?;
    assert_eq!(r.body["action"]["status"], "pending", "{}", r.body);
    assert_eq!(r.body["autonomy"], "review");
    e.h.shutdown().await;
    Ok(())
}

async fn sampled_approval_reviews_its_share_and_lets_the_rest_through() -> R {
    let e = env().await?;
    report_run(&e, "run-s").await?;
    set_level(&e, "refund_request", "sampled_approval", 50).await?;
    let (mut reviewed, mut executed) = (0, 0);
    for i in 0..16 {
        let r = e
            .agent_post("/v1/actions", &refund(&format!("s-{i}"), "run-s", "40.00"))
            .await?;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["action"]["action_id"].as_str().unwrap_or_default();
        let expect = if sample_slot(id) < 50 {
            "pending"
        } else {
            "approved"
        };
        assert_eq!(r.body["action"]["status"], expect, "{id}");
        if expect == "pending" {
            reviewed += 1;
        } else {
            executed += 1;
            assert_eq!(r.body["action"]["decided_by"], "autonomy:sampled_approval");
        }
    }
    assert_eq!(reviewed + executed, 16);
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    a_level_is_set_by_an_admin_only_and_answers_before_and_after,
    a_read_only_workflow_refuses_agents_and_generated_writes,
    a_draft_is_recorded_and_an_approval_never_executes_it,
    autonomy_executes_at_once_with_an_undo_that_works,
    sampled_approval_reviews_its_share_and_lets_the_rest_through,
);
