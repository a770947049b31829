//! Who is calling: a bearer token resolves to a person (the demo tokens of `tokens.json`, or a
//! stored key with a reviewer, finance, operator or admin scope) or to an agent (a stored key
//! with the ingest scope). Stored keys are looked up by their SHA-256 (and on PostgreSQL cached
//! once found, until revoked); a key bound to a tenant acts for that tenant only.

use super::problem::{Problem, problem};
use super::with_db;
use crate::db::keys::{self, KeyRow, Scope};
use crate::db::sql::Engine;
use crate::{State, TENANTS};
use axum::http::StatusCode;
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
    /// The one tenant the key may report for, when bound to one.
    pub tenant: Option<String>,
}

impl Agent {
    /// Checks that a record of `tenant` may come from this agent: a key bound to a tenant
    /// reports that tenant only (a record without one is taken as the key's). Returns the
    /// tenant to store, or a 403 problem naming `field`.
    pub(crate) fn tenant_for(&self, tenant: &str, field: &str) -> Result<String, Problem> {
        match &self.tenant {
            None => Ok(tenant.to_string()),
            Some(own) if tenant.is_empty() || tenant == own => Ok(own.clone()),
            Some(own) => Err(problem(
                StatusCode::FORBIDDEN,
                "wrong-tenant",
                "Tenant not allowed for this key",
                &format!("this key reports for tenant {own}, not {tenant}"),
            )
            .with("field", serde_json::json!(field))),
        }
    }
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
                tenant: None,
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
                tenant: k.tenant.clone(),
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
        tenants: match &k.tenant {
            Some(t) => vec![t.clone()],
            None => TENANTS.iter().map(|t| t.to_string()).collect(),
        },
    })
}

/// Resolves a presented bearer token, or `None` when it is unknown.
pub(crate) async fn resolve(st: &Arc<State>, token: &str) -> Option<Caller> {
    if let Some(who) = st.tokens.get(token) {
        return Some(Caller::Person(who.clone()));
    }
    let hash = keys::hash(token);
    // Only PostgreSQL servers cache: a revocation there notifies them all. SQLite is read
    // each time, so a key the CLI revoked beside a running server is refused at once.
    let cached = st.db.engine() == Engine::Postgres;
    if cached && let Some(k) = st.key_cache.get(&hash) {
        return Some(caller_of(&k));
    }
    let seen = st.key_cache.generation();
    let h = hash.clone();
    let found = with_db(st, move |c| Ok(keys::find(c, &h)?)).await.ok()??;
    if cached {
        st.key_cache.put(seen, hash, found.clone());
    }
    Some(caller_of(&found))
}
