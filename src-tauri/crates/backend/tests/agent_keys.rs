//! Keys over real HTTP on both engines: listed without secrets, revoked through the server
//! (refused on its next request) or beside it as the CLI does (refused once the server learns
//! of it: at once on SQLite, on the revocation's notification on PostgreSQL), and keys bound
//! to a tenant that cannot report runs or actions of another tenant.

mod engines;

mod agent_support;

use agent_support::{R, env, refund, run};
use countersign_backend::Scope;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Polls (with a deadline) until `token` is refused on `POST /v1/runs`.
async fn until_refused(e: &agent_support::Env, token: &str, body: &Value) -> R {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = e.post_as(token, "/v1/runs", body).await?;
        if r.status == 401 {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "still accepted: {} {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn keys_are_listed_without_secrets_and_revoked_keys_are_refused() -> R {
    let e = env().await?;
    let admin = e.h.token.clone();
    let r = e
        .post_as(
            &admin,
            "/v1/admin/keys",
            &json!({"name": "agent-k", "scope": "ingest"}),
        )
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    let (id, key) = (
        r.body["key_id"].as_str().unwrap_or_default().to_string(),
        r.body["key"].as_str().unwrap_or_default().to_string(),
    );
    assert_eq!(
        e.post_as(&key, "/v1/runs", &run("k-1", 1)).await?.status,
        201
    );

    let r = e.get_as(&admin, "/v1/admin/keys").await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.body.to_string();
    assert!(!text.contains(&key) && !text.contains("hash"), "{text}");
    let listed = r.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|k| k["key_id"] == json!(id)).cloned())
        .ok_or("the key is listed")?;
    assert_eq!(
        (listed["name"].clone(), listed["scope"].clone()),
        (json!("agent-k"), json!("ingest"))
    );
    assert_eq!(listed["revoked_at"], Value::Null);
    // Only an admin lists or revokes.
    let reviewer = e.token_of("reviewer-only")?;
    assert_eq!(e.get_as(&reviewer, "/v1/admin/keys").await?.status, 403);
    let path = format!("/v1/admin/keys/{id}/revoke");
    assert_eq!(e.post_as(&reviewer, &path, &json!({})).await?.status, 403);

    // Revoked through the server: its very next request is refused.
    let r = e.post_as(&admin, &path, &json!({})).await?;
    assert_eq!(
        (r.status, r.body["already"].clone()),
        (200, json!(false)),
        "{}",
        r.body
    );
    let r = e.post_as(&key, "/v1/runs", &run("k-2", 1)).await?;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = e.post_as(&admin, &path, &json!({})).await?;
    assert_eq!(
        (r.status, r.body["already"].clone()),
        (200, json!(true)),
        "{}",
        r.body
    );
    let r = e
        .post_as(&admin, "/v1/admin/keys/key_nope/revoke", &json!({}))
        .await?;
    assert_eq!(r.status, 404, "{}", r.body);

    // Revoked beside the running server, as `countersign backend keys revoke` does.
    let other = e.key("agent-m", Scope::Ingest).await?;
    assert_eq!(
        e.post_as(&other, "/v1/runs", &run("m-1", 1)).await?.status,
        201
    );
    let db = e.h.database().clone();
    let listed =
        tokio::task::spawn_blocking(move || countersign_backend::list_keys_in(&db)).await??;
    let other_id = listed
        .iter()
        .find(|k| k.name == "agent-m")
        .map(|k| k.key_id.clone())
        .ok_or("agent-m is listed")?;
    let db = e.h.database().clone();
    let out =
        tokio::task::spawn_blocking(move || countersign_backend::revoke_key_in(&db, &other_id))
            .await??;
    assert_eq!(out, countersign_backend::Revoked::Now);
    if engines::engine() == engines::Engine::Sqlite {
        let r = e.post_as(&other, "/v1/runs", &run("m-2", 1)).await?;
        assert_eq!(r.status, 401, "refused at once on SQLite: {}", r.body);
    } else {
        until_refused(&e, &other, &run("m-2", 1)).await?;
    }
    let db = e.h.database().clone();
    let listed =
        tokio::task::spawn_blocking(move || countersign_backend::list_keys_in(&db)).await??;
    let revoked = listed.iter().filter(|k| k.revoked_at.is_some()).count();
    assert_eq!(revoked, 2, "{listed:?}");
    // The agent's other key still works.
    assert_eq!(e.agent_post("/v1/runs", &run("a-1", 1)).await?.status, 201);
    e.h.shutdown().await;
    Ok(())
}

async fn a_key_bound_to_a_tenant_reports_that_tenant_only() -> R {
    let e = env().await?;
    let db = e.h.database().clone();
    let (_, eu) = tokio::task::spawn_blocking(move || {
        countersign_backend::create_key_for(&db, "eu-agent", Scope::Ingest, Some("northwind-eu"))
    })
    .await??;
    assert_eq!(
        e.post_as(&eu, "/v1/runs", &run("t-1", 1)).await?.status,
        201
    );
    let mut foreign = run("t-2", 1);
    foreign["tenant"] = json!("contoso");
    let r = e.post_as(&eu, "/v1/runs", &foreign).await?;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["field"], "tenant", "{}", r.body);
    // A run without a tenant is the key's tenant's.
    let mut bare = run("t-3", 1);
    bare["tenant"] = json!("");
    assert_eq!(e.post_as(&eu, "/v1/runs", &bare).await?.status, 201);
    let stored = e.get_as(&e.h.token, "/v1/runs/t-3").await?;
    assert_eq!(stored.body["tenant"], "northwind-eu", "{}", stored.body);
    // In a batch the foreign run is refused on its own.
    let mut foreign4 = run("t-4", 1);
    foreign4["tenant"] = json!("contoso");
    let r = e
        .post_as(
            &eu,
            "/v1/runs",
            &json!({"items": [run("t-5", 1), foreign4]}),
        )
        .await?;
    assert_eq!(
        (r.body["accepted"].clone(), r.body["rejected"].clone()),
        (json!(1), json!(1)),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["results"][1]["problem"]["field"], "tenant",
        "{}",
        r.body
    );
    assert_eq!(e.get_as(&e.h.token, "/v1/runs/t-4").await?.status, 404);
    // Actions too.
    let mut act = refund("t-a1", "t-1", "10.00");
    act["tenant"] = json!("contoso");
    let r = e.post_as(&eu, "/v1/actions", &act).await?;
    assert_eq!(
        (r.status, r.body["field"].clone()),
        (403, json!("tenant")),
        "{}",
        r.body
    );
    let r = e
        .post_as(&eu, "/v1/actions", &refund("t-a2", "t-1", "10.00"))
        .await?;
    assert_eq!(r.status, 201, "{}", r.body);
    // An unbound key reports any tenant.
    assert_eq!(e.agent_post("/v1/runs", &foreign).await?.status, 201);
    e.h.shutdown().await;
    Ok(())
}

crate::on_both!(
    keys_are_listed_without_secrets_and_revoked_keys_are_refused,
    a_key_bound_to_a_tenant_reports_that_tenant_only,
);
