//! Which keys this console trusts when it verifies a bundle: its own installation key (trusted
//! once, at the first launch that finds it missing) and keys an admin imported after comparing
//! fingerprints out of band. Every change is an audit event (by the store).

use chrono::Utc;
use countersign_audit::{SigningKey, public_key_hex};
use countersign_store::rusqlite::Connection;
use countersign_store::trusted_keys::{self, KeyRole, KeySource, NewTrustedKey, TrustedKey};
use countersign_store::{Store, StoreError};

/// Label of this installation's own key.
pub const THIS_INSTALLATION_LABEL: &str = "this installation";

/// Actor of the event that trusts this installation's key at launch.
pub const LAUNCH_ACTOR: &str = "console";

/// Trusts this installation's public key (role installation, source this installation) unless
/// it is trusted already; returns whether it was added. Called at launch: a key found trusted
/// is left as it is, so the event is written once.
pub fn trust_this_installation(store: &mut Store, key: &SigningKey) -> Result<bool, StoreError> {
    let public = public_key_hex(key);
    if trusted_keys::get(store.conn(), &public)?.is_some() {
        return Ok(false);
    }
    let tx = store.write()?;
    trusted_keys::add(
        &tx,
        &NewTrustedKey {
            public_key: &public,
            role: KeyRole::Installation,
            label: THIS_INSTALLATION_LABEL,
            source: KeySource::ThisInstallation,
            backend_id: None,
        },
        LAUNCH_ACTOR,
        Utc::now(),
    )?;
    tx.commit()?;
    Ok(true)
}

/// Trusts `public_key` in `role` under `label` as imported by `actor`. Refuses an empty label
/// and changes to this installation's own key.
pub fn import(
    store: &mut Store,
    public_key: &str,
    role: KeyRole,
    label: &str,
    actor: &str,
) -> Result<TrustedKey, StoreError> {
    if label.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a trusted key needs a label (whose key it is)".into(),
        ));
    }
    let tx = store.write()?;
    refuse_own(&tx, public_key)?;
    let key = trusted_keys::add(
        &tx,
        &NewTrustedKey {
            public_key,
            role,
            label,
            source: KeySource::Imported,
            backend_id: None,
        },
        actor,
        Utc::now(),
    )?;
    tx.commit()?;
    Ok(key)
}

/// Stops trusting `public_key` (recorded as by `actor`); refuses this installation's own key.
/// Returns whether it was trusted.
pub fn remove(store: &mut Store, public_key: &str, actor: &str) -> Result<bool, StoreError> {
    let tx = store.write()?;
    refuse_own(&tx, public_key)?;
    let removed = trusted_keys::remove(&tx, public_key, actor, Utc::now())?;
    tx.commit()?;
    Ok(removed)
}

fn refuse_own(conn: &Connection, public_key: &str) -> Result<(), StoreError> {
    match trusted_keys::get(conn, public_key)? {
        Some(k) if k.source == KeySource::ThisInstallation => Err(StoreError::Invalid(format!(
            "{} is this installation's own key; it stays trusted",
            k.fingerprint
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_core::audit::kinds;

    const OTHER: &str = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";

    #[test]
    fn own_key_is_trusted_once_and_cannot_be_removed_or_relabelled() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let key = countersign_audit::load_or_create_key(dir.path())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut store = Store::open_in_memory()?;
        assert!(trust_this_installation(&mut store, &key)?);
        assert!(!trust_this_installation(&mut store, &key)?, "second launch");
        let own = public_key_hex(&key);
        assert!(remove(&mut store, &own, "console:ana").is_err());
        assert!(import(&mut store, &own, KeyRole::Backend, "x", "console:ana").is_err());
        assert!(import(&mut store, OTHER, KeyRole::Installation, " ", "console:ana").is_err());
        let k = import(
            &mut store,
            OTHER,
            KeyRole::Installation,
            "Ana's laptop",
            "console:ana",
        )?;
        assert_eq!(k.source, KeySource::Imported);
        assert!(remove(&mut store, OTHER, "console:ana")?);
        let keys = trusted_keys::list(store.conn())?;
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].label, THIS_INSTALLATION_LABEL);
        assert_eq!(keys[0].source, KeySource::ThisInstallation);
        let events = countersign_store::audit::all_in_range(store.conn(), None, None)?;
        let seen: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            seen,
            vec![
                kinds::TRUSTED_KEY_ADDED,
                kinds::TRUSTED_KEY_ADDED,
                kinds::TRUSTED_KEY_REMOVED
            ]
        );
        Ok(())
    }
}
