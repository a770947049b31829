//! Per-backend settings of a LangGraph Server backend, kept in the backend row's `config` JSON
//! (`countersign_store::backends::BackendRow::config`, edited in the console).
//!
//! A LangGraph interrupt says which action it wants and with which arguments, but not which
//! arguments a reviewer must confirm (a backend that speaks Countersign's own protocol says so
//! itself). That is configured here, per action name:
//!
//! ```json
//! {
//!   "confirm_fields": { "issue_refund": ["amount", "region"], "close_ticket": [] },
//!   "field_rules":    { "issue_refund": { "amount": { "max": "500.00", "currency": "EUR" } } },
//!   "field_kinds":    { "issue_refund": { "amount_eur": "money", "iban": "identifier" } },
//!   "risk":           { "issue_refund": "critical" },
//!   "expire_after_hours": 168,
//!   "identity":       { "user_keys": ["user_id"], "tenant_keys": ["tenant_id", "tenant"] }
//! }
//! ```
//!
//! - An action name listed in `confirm_fields` requires confirmation of exactly the listed
//!   arguments (names the interrupt does not carry are ignored). Every other argument is still
//!   shown, in the action's raw proposed payload, but need not be confirmed and cannot be edited.
//! - An action name **not** listed requires confirmation of every argument: the safe default.
//! - `field_rules` are the policy limits the review checks edited and proposed values against.
//!   A `max` with a `currency` (or written `"500.00 EUR"`) is only compared with amounts of
//!   actions in that currency; a `max` the console cannot read is shown to the reviewer.
//! - `field_kinds` sets the kind (`money`, `currency`, `region`, `identifier`, `text`, `bool`)
//!   of an argument, per action name. An argument's kind comes from the tool's argument schema
//!   when the interrupt carries one (see [`crate::map::argument_kind`]), else from here, else
//!   it is inferred from the argument's name; an argument that falls back to text although it
//!   looks like money or an identifier is marked so the reviewer and the admin see it.
//! - `risk` defaults to `high`.
//! - `identity`: which thread, checkpoint and message metadata keys name a run's user and
//!   tenant ([`IdentityKeys`]; by default `user_id`, and `tenant_id` then `tenant`); see
//!   [`crate::identity`].
//! - `expire_after_hours` (default 168, one week): LangGraph interrupts never expire, but a
//!   console decision on a week-old proposal should be a conscious re-review; past it the action
//!   shows as expired (never as denied) and nothing is resumed.
//! - `replay.write_nodes`: nodes of the backend's graphs that write without asking (no
//!   interrupt of their own). A golden-set replay ([`crate::replay`]) sends them as
//!   `interrupt_before`, so a replayed run stops before each and never writes:
//!   `{"replay": {"write_nodes": ["direct_refund"]}}`.
//! - `interrupt_templates`: how to answer an interrupt whose value is neither an Agent Inbox
//!   request nor LangChain's human-in-the-loop middleware (a graph's own `interrupt({...})`).
//!   Such an interrupt is shown as a pending item, but what its graph expects as the resume
//!   value only the graph's author knows, so the admin writes it, per graph and node:
//!
//! ```json
//! { "interrupt_templates": [
//!     { "graph": "custom_ask", "node": "ask_shipping",
//!       "decisions": { "approve": {"ship": true, "by": "{{reviewer}}"},
//!                      "deny": {"ship": false, "reason": "{{reason}}"} } },
//!     { "graph": "*", "node": "*", "decisions": { "deny": {"cancel": true} } } ] }
//! ```
//!
//!   The first template whose `graph` (graph id, or `*`) and `node` (the node or task that
//!   raised the interrupt, or `*`) match is used. `decisions` maps `approve`,
//!   `approve_with_edits` and `deny` to the JSON resumed with; the decisions it names are the
//!   ones offered (escalation always is). A JSON string that is exactly one placeholder is
//!   replaced by a value: `{{reason}}` (the denial reason, or null), `{{reviewer}}` (who
//!   decided), `{{decision}}` (`approve`, `approve_with_edits`, `deny`), `{{fields}}` (an
//!   object of the review fields as confirmed, edits included, in their JSON types) and
//!   `{{field.NAME}}` (one of them). Any other `{{...}}` string makes the config invalid.
//!   Without a matching template the item can only be escalated, and says where to add one.

use countersign_core::review::FieldRule;
use countersign_core::{DecisionKind, FieldKind, IdentityKeys, RiskLevel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default of [`LangGraphConfig::expire_after_hours`].
pub const DEFAULT_EXPIRE_AFTER_HOURS: i64 = 24 * 7;

fn default_expire() -> i64 {
    DEFAULT_EXPIRE_AFTER_HOURS
}

fn is_default_identity(keys: &IdentityKeys) -> bool {
    *keys == IdentityKeys::default()
}

/// Settings of one LangGraph Server backend (see the module docs for the JSON shape).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LangGraphConfig {
    /// Per action name, the arguments a reviewer must confirm. An action name without an entry
    /// requires every argument.
    #[serde(default)]
    pub confirm_fields: BTreeMap<String, Vec<String>>,
    /// Per action name, per argument: the policy rule review warnings are checked against.
    #[serde(default)]
    pub field_rules: BTreeMap<String, BTreeMap<String, FieldRule>>,
    /// Per action name, per argument: its kind, set by the admin in the Backends view.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_kinds: BTreeMap<String, BTreeMap<String, FieldKind>>,
    /// Per action name, its risk level (default high).
    #[serde(default)]
    pub risk: BTreeMap<String, RiskLevel>,
    /// Which metadata keys name a run's user and tenant.
    #[serde(default, skip_serializing_if = "is_default_identity")]
    pub identity: IdentityKeys,
    /// Hours after the interrupt at which an undecided action counts as expired.
    #[serde(default = "default_expire")]
    pub expire_after_hours: i64,
    /// Resume values for interrupts of no known shape, per graph and node (first match wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interrupt_templates: Vec<InterruptTemplate>,
    /// How golden-set replays run on this backend.
    #[serde(default, skip_serializing_if = "ReplaySettings::is_empty")]
    pub replay: ReplaySettings,
}

/// How golden-set replays run (`"replay": {"write_nodes": [...]}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySettings {
    /// Nodes that write without asking (no interrupt of their own): a replay passes them as
    /// `interrupt_before`, so the run stops before each of them and the write never happens.
    #[serde(default)]
    pub write_nodes: Vec<String>,
}

impl ReplaySettings {
    fn is_empty(&self) -> bool {
        self.write_nodes.is_empty()
    }
}

/// A decision an [`InterruptTemplate`] can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateDecision {
    /// Approve as proposed.
    Approve,
    /// Approve with the reviewer's edits (`{{fields}}` carries them).
    ApproveWithEdits,
    /// Deny (`{{reason}}` carries the reason).
    Deny,
}

impl TemplateDecision {
    /// The console decision it answers.
    pub fn kind(self) -> DecisionKind {
        match self {
            TemplateDecision::Approve => DecisionKind::Approve,
            TemplateDecision::ApproveWithEdits => DecisionKind::ApproveWithEdits,
            TemplateDecision::Deny => DecisionKind::Deny,
        }
    }

    /// The template decision for a console decision (none for an escalation).
    pub fn of(kind: DecisionKind) -> Option<TemplateDecision> {
        match kind {
            DecisionKind::Approve => Some(TemplateDecision::Approve),
            DecisionKind::ApproveWithEdits => Some(TemplateDecision::ApproveWithEdits),
            DecisionKind::Deny => Some(TemplateDecision::Deny),
            DecisionKind::Escalate => None,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateDecision::Approve => "approve",
            TemplateDecision::ApproveWithEdits => "approve_with_edits",
            TemplateDecision::Deny => "deny",
        }
    }
}

/// Wildcard of [`InterruptTemplate::graph`] and [`InterruptTemplate::node`].
pub const ANY: &str = "*";

fn any() -> String {
    ANY.to_string()
}

/// How to answer the interrupts of no known shape raised by one graph's node (see the module
/// docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptTemplate {
    /// Graph id, or `*`.
    #[serde(default = "any")]
    pub graph: String,
    /// Node (task) name, or `*`.
    #[serde(default = "any")]
    pub node: String,
    /// The resume value of each decision it offers, with placeholders.
    pub decisions: BTreeMap<TemplateDecision, serde_json::Value>,
}

impl InterruptTemplate {
    /// Whether it applies to an interrupt raised by `node` of `graph`.
    pub fn matches(&self, graph: &str, node: &str) -> bool {
        (self.graph == ANY || self.graph == graph) && (self.node == ANY || self.node == node)
    }
}

/// The placeholders a template may use (besides `{{field.NAME}}`).
pub const PLACEHOLDERS: &[&str] = &["{{reason}}", "{{reviewer}}", "{{decision}}", "{{fields}}"];

/// The placeholder a JSON string is, if it is one (`{{...}}`, whole string).
pub fn placeholder(s: &str) -> Option<&str> {
    let t = s.trim();
    (t.starts_with("{{") && t.ends_with("}}") && t.len() >= 4).then_some(t)
}

fn check_placeholders(v: &serde_json::Value, at: &str) -> Result<(), String> {
    match v {
        serde_json::Value::String(s) => match placeholder(s) {
            Some(p) if PLACEHOLDERS.contains(&p) => Ok(()),
            Some(p)
                if p.strip_prefix("{{field.")
                    .and_then(|r| r.strip_suffix("}}"))
                    .is_some_and(|n| !n.trim().is_empty()) =>
            {
                Ok(())
            }
            Some(p) => Err(format!(
                "{at}: unknown placeholder {p} (use {}, or {{{{field.NAME}}}})",
                PLACEHOLDERS.join(", ")
            )),
            None => Ok(()),
        },
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_placeholders(x, &format!("{at}[{i}]"))),
        serde_json::Value::Object(m) => m
            .iter()
            .try_for_each(|(k, x)| check_placeholders(x, &format!("{at}.{k}"))),
        _ => Ok(()),
    }
}

impl Default for LangGraphConfig {
    fn default() -> Self {
        LangGraphConfig {
            confirm_fields: BTreeMap::new(),
            field_rules: BTreeMap::new(),
            field_kinds: BTreeMap::new(),
            risk: BTreeMap::new(),
            identity: IdentityKeys::default(),
            expire_after_hours: DEFAULT_EXPIRE_AFTER_HOURS,
            interrupt_templates: Vec::new(),
            replay: ReplaySettings::default(),
        }
    }
}

impl LangGraphConfig {
    /// Reads the settings from a backend row's `config`. A missing or malformed config gives the
    /// defaults (every argument of every action requires confirmation), never a laxer review;
    /// the problem is logged.
    pub fn from_backend_config(config: &serde_json::Value) -> LangGraphConfig {
        if config.is_null() {
            return LangGraphConfig::default();
        }
        match LangGraphConfig::parse(config) {
            Ok(mut c) => {
                if c.expire_after_hours <= 0 {
                    c.expire_after_hours = DEFAULT_EXPIRE_AFTER_HOURS;
                }
                c
            }
            Err(e) => {
                tracing::warn!(error = %e, "LangGraph backend config unreadable; every field requires confirmation");
                LangGraphConfig::default()
            }
        }
    }

    /// Reads the settings strictly: the error says what is wrong (what the console checks
    /// before it saves a config; [`LangGraphConfig::from_backend_config`] falls back to the
    /// defaults on the same errors).
    pub fn parse(config: &serde_json::Value) -> Result<LangGraphConfig, String> {
        let c =
            serde_json::from_value::<LangGraphConfig>(config.clone()).map_err(|e| e.to_string())?;
        if c.replay.write_nodes.iter().any(|n| n.trim().is_empty()) {
            return Err("replay.write_nodes: a node name is empty".into());
        }
        for (i, t) in c.interrupt_templates.iter().enumerate() {
            let at = format!("interrupt_templates[{i}]");
            if t.graph.trim().is_empty() || t.node.trim().is_empty() {
                return Err(format!("{at}: graph and node must be a name or *"));
            }
            if t.decisions.is_empty() {
                return Err(format!(
                    "{at}: name at least one decision (approve, approve_with_edits, deny)"
                ));
            }
            for (d, v) in &t.decisions {
                check_placeholders(v, &format!("{at}.decisions.{}", d.as_str()))?;
            }
        }
        Ok(c)
    }

    /// The template for an interrupt raised by `node` of `graph`: the first that matches.
    pub fn template_for(&self, graph: &str, node: &str) -> Option<&InterruptTemplate> {
        self.interrupt_templates
            .iter()
            .find(|t| t.matches(graph, node))
    }

    /// Whether argument `field` of action `action` must be confirmed by the reviewer.
    pub fn requires_confirmation(&self, action: &str, field: &str) -> bool {
        match self.confirm_fields.get(action) {
            Some(listed) => listed.iter().any(|f| f == field),
            None => true,
        }
    }

    /// The kind the config sets for argument `field` of action `action`, if any.
    pub fn field_kind(&self, action: &str, field: &str) -> Option<FieldKind> {
        self.field_kinds.get(action)?.get(field).copied()
    }

    /// The config as the JSON stored in the backend row.
    pub fn to_backend_config(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_actions_require_every_field_and_bad_config_is_strict() {
        let c = LangGraphConfig::from_backend_config(&serde_json::json!({
            "confirm_fields": {"issue_refund": ["amount", "region"]},
            "risk": {"issue_refund": "critical"}
        }));
        assert!(c.requires_confirmation("issue_refund", "amount"));
        assert!(!c.requires_confirmation("issue_refund", "order_id"));
        assert!(c.requires_confirmation("close_ticket", "ticket_id"));
        assert_eq!(c.risk.get("issue_refund"), Some(&RiskLevel::Critical));
        assert_eq!(c.expire_after_hours, DEFAULT_EXPIRE_AFTER_HOURS);
        let bad =
            LangGraphConfig::from_backend_config(&serde_json::json!({"confirm_fields": "amount"}));
        assert_eq!(bad, LangGraphConfig::default());
        assert!(bad.requires_confirmation("issue_refund", "order_id"));
        let empty = LangGraphConfig::from_backend_config(&serde_json::json!({}));
        assert_eq!(empty, LangGraphConfig::default());
        let round = LangGraphConfig::from_backend_config(&c.to_backend_config());
        assert_eq!(round, c);
    }

    #[test]
    fn field_kinds_are_read_per_action_and_argument() {
        let c = LangGraphConfig::from_backend_config(&serde_json::json!({
            "field_kinds": {"issue_refund": {"amount_eur": "money", "iban": "identifier"}}
        }));
        assert_eq!(
            c.field_kind("issue_refund", "amount_eur"),
            Some(FieldKind::Money)
        );
        assert_eq!(
            c.field_kind("issue_refund", "iban"),
            Some(FieldKind::Identifier)
        );
        assert_eq!(c.field_kind("issue_refund", "note"), None);
        assert_eq!(c.field_kind("close_ticket", "iban"), None);
        assert_eq!(
            LangGraphConfig::from_backend_config(&c.to_backend_config()),
            c
        );
        // An unknown kind makes the config unreadable: the strict defaults apply.
        let bad = LangGraphConfig::from_backend_config(&serde_json::json!({
            "field_kinds": {"issue_refund": {"amount_eur": "euros"}}
        }));
        assert_eq!(bad, LangGraphConfig::default());
        assert!(
            LangGraphConfig::default()
                .to_backend_config()
                .get("field_kinds")
                .is_none(),
            "an empty map is not written"
        );
    }

    #[test]
    fn identity_keys_are_read_and_written_only_when_set() {
        let c = LangGraphConfig::from_backend_config(&serde_json::json!({
            "identity": {"user_keys": ["customer"], "tenant_keys": ["org"]}
        }));
        assert_eq!(c.identity.user_keys, ["customer"]);
        assert_eq!(c.identity.tenant_keys, ["org"]);
        assert_eq!(
            LangGraphConfig::from_backend_config(&c.to_backend_config()),
            c
        );
        assert!(
            LangGraphConfig::default()
                .to_backend_config()
                .get("identity")
                .is_none(),
            "the default keys are not written"
        );
    }

    #[test]
    fn interrupt_templates_are_matched_in_order_and_checked() {
        let c = LangGraphConfig::parse(&serde_json::json!({
            "interrupt_templates": [
                {"graph": "custom_ask", "node": "ask_shipping",
                 "decisions": {"approve": {"ship": true, "by": "{{reviewer}}"},
                               "deny": {"ship": false, "why": "{{reason}}"}}},
                {"decisions": {"deny": {"cancel": true, "f": "{{field.order_id}}"}}}
            ]
        }))
        .expect("valid");
        let t = c.template_for("custom_ask", "ask_shipping").expect("first");
        assert_eq!(t.decisions.len(), 2);
        let other = c
            .template_for("custom_ask", "other_node")
            .expect("wildcard");
        assert_eq!(other.graph, ANY);
        assert!(other.decisions.contains_key(&TemplateDecision::Deny));
        assert_eq!(
            LangGraphConfig::from_backend_config(&c.to_backend_config()),
            c
        );
        for bad in [
            serde_json::json!({"interrupt_templates": [{"decisions": {"approve": "{{who}}"}}]}),
            serde_json::json!({"interrupt_templates": [{"decisions": {}}]}),
            serde_json::json!({"interrupt_templates": [{"decisions": {"accept": 1}}]}),
            serde_json::json!({"interrupt_templates": [{"graph": "", "decisions": {"deny": 1}}]}),
            serde_json::json!({"interrupt_templates": [{"decisions": {"deny": 1}, "extra": 1}]}),
        ] {
            assert!(LangGraphConfig::parse(&bad).is_err(), "{bad}");
            assert_eq!(
                LangGraphConfig::from_backend_config(&bad),
                LangGraphConfig::default()
            );
        }
        assert!(
            LangGraphConfig::default()
                .to_backend_config()
                .get("interrupt_templates")
                .is_none()
        );
    }
}
