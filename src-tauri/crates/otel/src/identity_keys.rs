//! The identity keys of imported trace files and the OTLP receiver: which metadata keys name a
//! run's user, tenant and session ([`IdentityKeys`]), kept as JSON under the console setting
//! [`settings::IDENTITY_KEYS`]. Trace-store backends keep theirs in their backend row instead
//! ([`IdentityKeys::for_backend`]).

use countersign_core::IdentityKeys;
use countersign_store::rusqlite::Connection;
use countersign_store::{StoreError, settings};

/// The keys in force and whether the user set them (else the defaults). A stored value that
/// no longer reads gives the defaults, with a warning in the log.
pub fn load(conn: &Connection) -> Result<(IdentityKeys, bool), StoreError> {
    let Some(text) = settings::get_text(conn, settings::IDENTITY_KEYS)? else {
        return Ok((IdentityKeys::default(), false));
    };
    let read = serde_json::from_str(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| IdentityKeys::from_json(&v));
    match read {
        Ok(keys) => Ok((keys, true)),
        Err(why) => {
            tracing::warn!(%why, "identity keys setting unreadable; the defaults apply");
            Ok((IdentityKeys::default(), false))
        }
    }
}

/// Stores checked keys (see [`IdentityKeys::from_json`]).
pub fn save(conn: &Connection, keys: &IdentityKeys) -> Result<(), StoreError> {
    settings::set(conn, settings::IDENTITY_KEYS, keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_store::Store;

    #[test]
    fn defaults_until_saved_and_defaults_again_when_unreadable() -> Result<(), StoreError> {
        let store = Store::open_in_memory()?;
        assert_eq!(load(store.conn())?, (IdentityKeys::default(), false));
        let mine = IdentityKeys {
            user_keys: vec!["customer".into()],
            ..IdentityKeys::default()
        };
        save(store.conn(), &mine)?;
        assert_eq!(load(store.conn())?, (mine, true));
        settings::set_text(
            store.conn(),
            settings::IDENTITY_KEYS,
            r#"{"user_keys": [""]}"#,
        )?;
        assert_eq!(load(store.conn())?, (IdentityKeys::default(), false));
        Ok(())
    }
}
