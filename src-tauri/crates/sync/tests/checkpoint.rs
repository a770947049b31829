//! Checkpointing the console's audit head with the real reference backend over HTTP on
//! 127.0.0.1:0, then exporting and verifying the anchored bundle.

use countersign_audit::{
    Conclusion, KeyRole, SigningKey, TrustedKeys, export_bundle_as, public_key_hex,
    verify_bundle_trusted,
};
use countersign_backend::{Config, start};
use countersign_core::audit::kinds;
use countersign_store::{Store, audit, backends, receipts, trusted_keys};
use countersign_sync::checkpoint::{CheckpointOutcome, checkpoint_backend};
use countersign_sync::{Client, ClientOptions};
use serde_json::json;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn config(dir: &std::path::Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        seed_runs: 0,
        ..Config::default()
    }
}

#[tokio::test]
async fn the_head_is_countersigned_pinned_kept_and_anchors_the_export() -> R {
    let dir = tempfile::tempdir()?;
    let h = start(config(&dir.path().join("backend"))).await?;
    let store_path = dir.path().join("console").join("countersign.db");
    let key = SigningKey::from_bytes(&[11; 32]);
    let backend_id = {
        let store = Store::open(&store_path)?;
        let b = backends::upsert(store.conn(), "ref", &h.url, "countersign", false)?;
        for i in 0..3 {
            audit::append(
                store.conn(),
                "user:ana",
                kinds::DECISION,
                &format!("{}/act_{i}", b.backend_id),
                json!({"decision": "approve"}),
                chrono::Utc::now(),
            )?;
        }
        b.backend_id
    };
    let client = Client::new(&h.url, Some(h.token.clone()), ClientOptions::default())?;

    let first = checkpoint_backend(&store_path, &backend_id, &client, &key).await?;
    let CheckpointOutcome::Receipted { receipt, pinned } = first else {
        return Err(format!("{first:?}").into());
    };
    assert!(pinned, "the first receipt pins the backend key");
    assert_eq!(receipt.seq, 3);
    let store = Store::open(&store_path)?;
    let pin = trusted_keys::pinned_for_backend(store.conn(), &backend_id)?.ok_or("not pinned")?;
    assert_eq!(pin.public_key, receipt.backend_key);
    assert_eq!(pin.role, KeyRole::Backend);
    // Pinning is in the trail (and moved the head on).
    let head = audit::head(store.conn())?.ok_or("no head")?;
    assert_eq!(
        (head.seq, head.kind.as_str()),
        (4, kinds::TRUSTED_KEY_ADDED)
    );
    assert_eq!(head.actor, countersign_sync::checkpoint::PIN_ACTOR);

    let second = checkpoint_backend(&store_path, &backend_id, &client, &key).await?;
    assert!(
        matches!(&second, CheckpointOutcome::Receipted { receipt, pinned: false } if receipt.seq == 4),
        "{second:?}"
    );
    let third = checkpoint_backend(&store_path, &backend_id, &client, &key).await?;
    assert!(
        matches!(&third, CheckpointOutcome::AlreadyReceipted { receipt } if receipt.seq == 4),
        "{third:?}"
    );
    assert_eq!(receipts::list(store.conn(), 10)?.len(), 2);

    // The export carries the receipts; with this installation's key and the pinned backend
    // key trusted, the bundle is anchored.
    let bundle = dir.path().join("bundle");
    export_bundle_as(&store, &key, &bundle, None, None, "test")?;
    let mut trusted = TrustedKeys::load(store.conn())?;
    trusted.add(KeyRole::Installation, &public_key_hex(&key), "this console")?;
    let report = verify_bundle_trusted(&bundle, &trusted)?;
    assert_eq!(report.conclusion, Conclusion::Anchored);
    assert_eq!(report.anchor.map(|a| a.seq), Some(4));

    // Another backend answering at the same backend id signs with another key: refused.
    let other = start(config(&dir.path().join("impostor"))).await?;
    let impostor = Client::new(
        &other.url,
        Some(other.token.clone()),
        ClientOptions::default(),
    )?;
    let err = checkpoint_backend(&store_path, &backend_id, &impostor, &key)
        .await
        .err()
        .ok_or("a receipt under another key was accepted")?;
    assert!(
        err.to_string().contains("backend audit key changed"),
        "{err}"
    );
    assert_eq!(receipts::list(store.conn(), 10)?.len(), 2, "nothing kept");
    other.shutdown().await;
    h.shutdown().await;
    Ok(())
}
