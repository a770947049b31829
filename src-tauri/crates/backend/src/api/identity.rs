//! Who is calling: a bearer token resolves to a person (the demo tokens of `tokens.json`, or a
//! stored key with a reviewer, finance, operator or admin scope) or to an agent (a stored key
//! with the ingest scope). Stored keys are looked up by their SHA-256 and cached once found.

use super::with_db;
use crate::db::keys::{self, KeyRow, Scope};
use crate::{State, TENANTS};
use countersign_core::{Role, Whoami};
use std::sync::Arc;

/// An agent reporting to the server (an ingest key, or an admin acting as one).
#[derive(Clone, Debug)]
pub(crate) struct Agent {
    /// The agent's name; it owns what it reports under this name.
    pub name: String,
    /// The key it presented (rate limits count per key).
    pub key_id: String,
    /// An admin may read any agent's actions.
    pub admin: bool,
}

/// The caller behind a token.
#[derive(Clone, Debug)]
pub(crate) enum Caller {
    /// A person using the console.
    Person(Whoami),
    /// An agent.
    Agent(Agent),
}

impl Caller {
    /// The caller as an agent, when it may act as one (ingest keys, and admins).
    pub(crate) fn as_agent(&self) -> Option<Agent> {
        match self {
            Caller::Agent(a) => Some(a.clone()),
            Caller::Person(w) if w.has(Role::Admin) => Some(Agent {
                name: w.subject.clone(),
                key_id: format!("token:{}", w.subject),
                admin: true,
            }),
            Caller::Person(_) => None,
        }
    }
}

/// The caller a stored key stands for.
fn caller_of(k: &KeyRow) -> Caller {
    let role = match k.scope {
        Scope::Ingest => {
            return Caller::Agent(Agent {
                name: k.name.clone(),
                key_id: k.key_id.clone(),
                admin: false,
            });
        }
        Scope::Reviewer => Role::Reviewer,
        Scope::Finance => Role::Finance,
        Scope::Operator => Role::Operator,
        Scope::Admin => Role::Admin,
    };
    Caller::Person(Whoami {
        subject: k.name.clone(),
        display_name: k.name.clone(),
        roles: vec![role],
        tenants: TENANTS.iter().map(|t| t.to_string()).collect(),
    })
}

/// Resolves a presented bearer token, or `None` when it is unknown.
pub(crate) async fn resolve(st: &Arc<State>, token: &str) -> Option<Caller> {
    if let Some(who) = st.tokens.get(token) {
        return Some(Caller::Person(who.clone()));
    }
    let hash = keys::hash(token);
    if let Some(k) = st.key_cache.lock().ok().and_then(|m| m.get(&hash).cloned()) {
        return Some(caller_of(&k));
    }
    let h = hash.clone();
    let found = with_db(st, move |c| Ok(keys::find(c, &h)?)).await.ok()??;
    if let Ok(mut m) = st.key_cache.lock() {
        m.insert(hash, found.clone());
    }
    Some(caller_of(&found))
}
