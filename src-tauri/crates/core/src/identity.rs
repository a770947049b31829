//! Which metadata keys name a run's user, tenant and session, set per source.
//!
//! Agent frameworks carry who a run was for in free-form metadata (LangChain's run config
//! `metadata`, which OpenInference exports as a JSON `metadata` span attribute; LangGraph
//! thread and message metadata). There is no standard key, so the keys are configured per
//! source: in a backend row's config under [`BACKEND_CONFIG_KEY`]
//! (`{"identity": {"user_keys": ["user_id"], "tenant_keys": ["tenant_id"]}}`) for trace stores
//! and LangGraph Server backends, and in a console setting for imported files and the OTLP
//! receiver. Every connector reads them through [`IdentityKeys::for_backend`] (or
//! [`IdentityKeys::from_json`] for the setting), so the rule lives once.
//!
//! The run's tenant is never guessed from anything else (an OpenTelemetry `service.name` names
//! the agent, not the customer it serves).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The backend-config key holding a source's [`IdentityKeys`].
pub const BACKEND_CONFIG_KEY: &str = "identity";

/// Most keys a list may hold.
pub const MAX_KEYS: usize = 16;

/// Longest key, in characters.
pub const MAX_KEY_CHARS: usize = 128;

/// The metadata keys that name a run's user, tenant and session, each list tried in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct IdentityKeys {
    /// Keys naming the end user (default `user_id`).
    #[serde(default = "default_user_keys")]
    pub user_keys: Vec<String>,
    /// Keys naming the tenant (default `tenant_id`, then `tenant`).
    #[serde(default = "default_tenant_keys")]
    pub tenant_keys: Vec<String>,
    /// Keys naming the session or conversation (default `session_id`, `conversation_id`,
    /// `thread_id`: the keys LangChain and OpenInference use).
    #[serde(default = "default_session_keys")]
    pub session_keys: Vec<String>,
}

fn strings(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

fn default_user_keys() -> Vec<String> {
    strings(&["user_id"])
}

fn default_tenant_keys() -> Vec<String> {
    strings(&["tenant_id", "tenant"])
}

fn default_session_keys() -> Vec<String> {
    strings(&["session_id", "conversation_id", "thread_id"])
}

impl Default for IdentityKeys {
    fn default() -> Self {
        IdentityKeys {
            user_keys: default_user_keys(),
            tenant_keys: default_tenant_keys(),
            session_keys: default_session_keys(),
        }
    }
}

impl IdentityKeys {
    /// Reads and checks keys as JSON (`{"user_keys": [...], ...}`; a list left out keeps its
    /// default). `Err` says what is wrong: an unknown field, a list that is not of strings, an
    /// empty or over-long key, a key listed twice, more than [`MAX_KEYS`] keys.
    pub fn from_json(v: &Value) -> Result<IdentityKeys, String> {
        let keys: IdentityKeys =
            serde_json::from_value(v.clone()).map_err(|e| format!("identity keys: {e}"))?;
        keys.validate()?;
        Ok(keys)
    }

    /// Checks every list (see [`IdentityKeys::from_json`]).
    pub fn validate(&self) -> Result<(), String> {
        for (what, list) in [
            ("user_keys", &self.user_keys),
            ("tenant_keys", &self.tenant_keys),
            ("session_keys", &self.session_keys),
        ] {
            if list.len() > MAX_KEYS {
                return Err(format!(
                    "identity keys: {what} holds {} keys; at most {MAX_KEYS}",
                    list.len()
                ));
            }
            for (i, k) in list.iter().enumerate() {
                if k.trim().is_empty() || k.trim() != k {
                    return Err(format!(
                        "identity keys: {what}: key {:?} is empty or has surrounding spaces",
                        k
                    ));
                }
                if k.chars().count() > MAX_KEY_CHARS {
                    return Err(format!(
                        "identity keys: {what}: a key is longer than {MAX_KEY_CHARS} characters"
                    ));
                }
                if list[..i].contains(k) {
                    return Err(format!("identity keys: {what}: {k:?} is listed twice"));
                }
            }
        }
        Ok(())
    }

    /// The keys a backend row's config sets (`config.identity`), the defaults when it sets
    /// none; `Err` when it sets unreadable ones (for the command that saves a config).
    pub fn from_backend_config(config: &Value) -> Result<IdentityKeys, String> {
        match config.get(BACKEND_CONFIG_KEY) {
            None | Some(Value::Null) => Ok(IdentityKeys::default()),
            Some(v) => IdentityKeys::from_json(v),
        }
    }

    /// The keys a connector uses for a backend row's config: as
    /// [`IdentityKeys::from_backend_config`], but unreadable keys give the defaults (a sync
    /// never stops over them; saving such a config is refused in the first place).
    pub fn for_backend(config: &Value) -> IdentityKeys {
        IdentityKeys::from_backend_config(config).unwrap_or_default()
    }

    /// `config` with these keys under [`BACKEND_CONFIG_KEY`] (the rest of it kept; a config
    /// that is not an object becomes one).
    pub fn into_backend_config(self, config: &Value) -> Value {
        let mut map = config.as_object().cloned().unwrap_or_default();
        map.insert(
            BACKEND_CONFIG_KEY.into(),
            serde_json::to_value(self).unwrap_or(Value::Null),
        );
        Value::Object(map)
    }

    /// The user named in `metadata` (a JSON object) under the first user key that holds one.
    pub fn user_in(&self, metadata: &Value) -> Option<String> {
        first_in(metadata, &self.user_keys)
    }

    /// The tenant named in `metadata` under the first tenant key that holds one.
    pub fn tenant_in(&self, metadata: &Value) -> Option<String> {
        first_in(metadata, &self.tenant_keys)
    }

    /// The session named in `metadata` under the first session key that holds one.
    pub fn session_in(&self, metadata: &Value) -> Option<String> {
        first_in(metadata, &self.session_keys)
    }
}

/// The value of the first of `keys` in the object `metadata` that is a non-blank string (or a
/// number, as its decimal text).
pub fn first_in(metadata: &Value, keys: &[String]) -> Option<String> {
    let map = metadata.as_object()?;
    keys.iter().find_map(|k| identity_text(map.get(k)?))
}

/// A metadata value as an identity: a non-blank string, trimmed, or an integer's text.
pub fn identity_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_missing_lists_and_keys_are_tried_in_order() {
        let k =
            IdentityKeys::from_json(&json!({"user_keys": ["customer", "user_id"]})).expect("valid");
        assert_eq!(k.tenant_keys, ["tenant_id", "tenant"]);
        let meta = json!({"user_id": "u-1", "customer": "c-9", "tenant": "acme", "n": 7});
        assert_eq!(k.user_in(&meta).as_deref(), Some("c-9"));
        assert_eq!(k.tenant_in(&meta).as_deref(), Some("acme"));
        assert_eq!(k.session_in(&meta), None);
        let blank = json!({"customer": "  ", "user_id": 42});
        assert_eq!(k.user_in(&blank).as_deref(), Some("42"), "blank skipped");
        assert_eq!(k.user_in(&json!("user_id")), None, "not an object");
        assert_eq!(
            IdentityKeys::default().user_in(&json!({"user_id": {"id": 1}})),
            None
        );
    }

    #[test]
    fn bad_keys_are_refused_when_saved_and_ignored_when_synced() {
        for bad in [
            json!({"user_keys": "user_id"}),
            json!({"user_keys": [""]}),
            json!({"user_keys": [" user_id"]}),
            json!({"tenant_keys": ["org", "org"]}),
            json!({"tenant_key": ["org"]}),
            json!({"user_keys": (0..17).map(|i| format!("k{i}")).collect::<Vec<_>>()}),
        ] {
            let config = json!({"project": "p", "identity": bad});
            assert!(
                IdentityKeys::from_backend_config(&config).is_err(),
                "{config}"
            );
            assert_eq!(IdentityKeys::for_backend(&config), IdentityKeys::default());
        }
        assert_eq!(
            IdentityKeys::from_backend_config(&json!({"project": "p"})),
            Ok(IdentityKeys::default())
        );
    }

    #[test]
    fn written_into_a_backend_config_beside_its_other_settings() {
        let mine = IdentityKeys {
            tenant_keys: vec!["org".into()],
            ..IdentityKeys::default()
        };
        let config = mine
            .clone()
            .into_backend_config(&json!({"project": "evals"}));
        assert_eq!(config["project"], "evals");
        assert_eq!(config["identity"]["tenant_keys"], json!(["org"]));
        assert_eq!(IdentityKeys::from_backend_config(&config), Ok(mine));
    }
}
