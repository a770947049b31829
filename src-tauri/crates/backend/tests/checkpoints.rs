//! The audit anchor over real HTTP on 127.0.0.1:0: the backend publishes its key,
//! countersigns a console's signed chain head, keeps it across restarts, answers a repeat with
//! the same receipt and refuses a second hash for a seq it already countersigned.

mod engines;

use chrono::Utc;
use countersign_audit::{
    Checkpoint, Head, Receipt, SigningKey, check_receipt_signatures, fingerprint, public_key_hex,
    sign_checkpoint,
};
use countersign_backend::{Config, start};
use serde_json::{Value, json};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn config(dir: &std::path::Path) -> Config {
    let mut cfg = Config {
        data_dir: dir.to_path_buf(),
        seed_runs: 0,
        ..Config::default()
    };
    engines::configure(&mut cfg);
    cfg
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> R<(u16, Value)> {
    let mut req = c.post(format!("{url}/v1/audit/checkpoints")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    Ok((r.status().as_u16(), r.json().await?))
}

fn head(seq: u64, byte: u8) -> Head {
    Head {
        seq,
        hash: hex::encode([byte; 32]),
    }
}

async fn checkpoints_are_countersigned_kept_and_never_re_signed_differently() -> R {
    let dir = tempfile::tempdir()?;
    let cfg = config(dir.path());
    let h = start(cfg.clone()).await?;
    let c = reqwest::Client::new();
    let console = SigningKey::from_bytes(&[3; 32]);

    // The key is public: no token needed.
    let key: Value = c
        .get(format!("{}/v1/audit/key", h.url))
        .send()
        .await?
        .json()
        .await?;
    let backend_key = key["public_key"].as_str().ok_or("no key")?.to_string();
    assert_eq!(key["algorithm"], "ed25519");
    assert_eq!(key["fingerprint"], json!(fingerprint(&backend_key)));

    let cp = sign_checkpoint(&console, &head(7, 0xab), Utc::now());
    let body = serde_json::to_value(&cp)?;
    let (status, _) = post(&c, &h.url, None, &body).await?;
    assert_eq!(status, 401, "checkpoints need a token");

    let (status, v) = post(&c, &h.url, Some(&h.token), &body).await?;
    assert_eq!(status, 201, "{v}");
    let receipt: Receipt = serde_json::from_value(v.clone())?;
    check_receipt_signatures(&receipt)?;
    assert_eq!(receipt.backend_key, backend_key);
    assert_eq!(receipt.installation_key, public_key_hex(&console));
    assert_eq!(
        (receipt.seq, receipt.head_hash.as_str()),
        (7, cp.head_hash.as_str())
    );

    // A repeat gets the same receipt back.
    let (status, again) = post(&c, &h.url, Some(&h.token), &body).await?;
    assert_eq!(status, 200);
    assert_eq!(again, v);

    // Another hash for seq 7: the chain was rewritten; refused, and nothing is signed.
    let forged = sign_checkpoint(&console, &head(7, 0xcd), Utc::now());
    let (status, p) = post(&c, &h.url, Some(&h.token), &serde_json::to_value(&forged)?).await?;
    assert_eq!(status, 409, "{p}");
    assert_eq!(
        p["type"],
        "https://countersign.dev/problems/checkpoint-conflict"
    );
    assert_eq!(p["countersigned_hash"], json!(cp.head_hash));

    // A checkpoint not signed by the installation key it names is refused.
    let mut unsigned: Checkpoint = sign_checkpoint(&console, &head(8, 1), Utc::now());
    unsigned.seq = 9;
    let (status, p) = post(
        &c,
        &h.url,
        Some(&h.token),
        &serde_json::to_value(&unsigned)?,
    )
    .await?;
    assert_eq!(status, 422, "{p}");
    let (status, _) = post(&c, &h.url, Some(&h.token), &json!({"seq": 1})).await?;
    assert_eq!(status, 400);

    // The key and the receipts survive a restart; the key file is private.
    h.shutdown().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("audit-key"))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let h = start(cfg).await?;
    let key: Value = c
        .get(format!("{}/v1/audit/key", h.url))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(key["public_key"], json!(backend_key));
    let listed: Value = c
        .get(format!("{}/v1/audit/checkpoints", h.url))
        .query(&[("installation_key", public_key_hex(&console))])
        .bearer_auth(&h.token)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(listed["items"], json!([v]));
    let (status, _) = post(&c, &h.url, Some(&h.token), &serde_json::to_value(&forged)?).await?;
    assert_eq!(status, 409);
    h.shutdown().await;
    Ok(())
}

crate::on_both!(checkpoints_are_countersigned_kept_and_never_re_signed_differently,);
