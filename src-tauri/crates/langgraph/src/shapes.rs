//! The shapes of an interrupt's value, read into reviewable requests, and the resume values
//! that answer them. Pure: no I/O.
//!
//! A graph pauses with `interrupt(value)`; what `value` looks like is up to the graph. Three
//! shapes are read:
//!
//! 1. **Agent Inbox** (`[{"action_request": {action, args}, "config": {allow_*}, ...}]` or a
//!    bare request): one action, answered with `[HumanResponse]` ([`crate::map`] documents
//!    the decisions).
//! 2. **LangChain v1 `HumanInTheLoopMiddleware`** (`langchain.agents.middleware`):
//!    - `batched` mode (its default): `{"action_requests": [{name, args, description}],
//!      "review_configs": [{action_name, allowed_decisions}]}`, one interrupt for every gated
//!      tool call of a model turn. Each action request is a console action (id
//!      `thread:interrupt.INDEX`, grouped by [`countersign_core::ActionBatch`]); the thread is
//!      resumed once, when every request is decided, with `{"decisions": [...]}` in request
//!      order.
//!    - `per_call` mode: `{"type": "tool_approval", tool_call_id, name, args, description}`,
//!      one interrupt per gated call, answered with one decision keyed by its interrupt id.
//!      The interrupt's `response_schema` (a JSON Schema LangGraph publishes beside the value)
//!      lists the decisions allowed and, in its `edit` branch, the tool's argument schema,
//!      from which field kinds are read ([`crate::kinds`]).
//!
//!    | middleware decision | console decision | middleware answer |
//!    | --- | --- | --- |
//!    | `approve` | Approve | `{"type": "approve"}` |
//!    | `edit` | Approve with edits | `{"type": "edit", "edited_action": {"name", "args": proposed args with the edits}}` |
//!    | `reject` | Deny (reason required) | `{"type": "reject", "message": reason}` |
//!    | `respond` (without `reject`) | Deny (reason required) | `{"type": "respond", "message": reason}` |
//!    | any | Escalate | nothing is resumed |
//!
//!    `respond` answers on the tool's behalf: the tool does not run and the model reads the
//!    message as the tool's result. It is a denial of the call as proposed, so the console
//!    offers it as Deny where the request does not allow `reject` (where both are allowed, a
//!    denial is a `reject`, which tells the model the human refused).
//! 3. **Anything else** (a graph's own `interrupt({...})`): one action named after the node
//!    that raised it, its top-level scalar values as review fields, the whole value shown as
//!    JSON. It is answered with the resume value the admin configured for the graph and node
//!    ([`crate::config::InterruptTemplate`]); without one, only escalation is offered.
//!
//! Only malformed data is refused (and quarantined by the sync): an Agent Inbox request
//! without an action, `action_requests` that is not a list of `{name, args}`, a tool approval
//! without a name.

use crate::config::{InterruptTemplate, LangGraphConfig, TemplateDecision, placeholder};
use crate::map::{InboxRequest, inbox_request, value_text};
use countersign_core::{Decision, DecisionKind};
use serde_json::{Map, Value, json};

/// What a middleware request allows, in the middleware's words.
pub const HITL_DECISIONS: &[&str] = &["approve", "edit", "reject", "respond"];

/// How a LangChain middleware request is answered.
#[derive(Clone, Debug, PartialEq)]
pub enum HitlMode {
    /// Request `index` of the `size` requests of a batched interrupt.
    Batched {
        /// Position, from 0.
        index: usize,
        /// Requests in the interrupt.
        size: usize,
    },
    /// A per-call tool approval.
    PerCall {
        /// The model's tool call id.
        tool_call_id: String,
    },
}

/// A request of LangChain's `HumanInTheLoopMiddleware`.
#[derive(Clone, Debug, PartialEq)]
pub struct HitlRequest {
    /// Tool name.
    pub name: String,
    /// Tool arguments.
    pub args: Map<String, Value>,
    /// Text for the reviewer.
    pub description: Option<String>,
    /// Decisions allowed (`approve`, `edit`, `reject`, `respond`), in the middleware's order.
    pub allowed: Vec<String>,
    /// The tool's argument schema, when the interrupt carries it.
    pub args_schema: Option<Value>,
    /// Batched or per call.
    pub mode: HitlMode,
}

/// An interrupt of no known shape.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomRequest {
    /// The node (task) that raised it; the action's kind.
    pub node: String,
    /// The graph it belongs to.
    pub graph: String,
    /// The interrupt value, as the graph gave it.
    pub value: Value,
    /// Its top-level scalar values (the review fields).
    pub args: Map<String, Value>,
    /// A top-level `description`, `question`, `message` or `prompt` text.
    pub description: Option<String>,
}

/// One reviewable request read from an interrupt.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Agent Inbox.
    Inbox(InboxRequest),
    /// LangChain human-in-the-loop middleware.
    Hitl(HitlRequest),
    /// Anything else.
    Custom(CustomRequest),
}

/// The kind of a custom interrupt raised outside any named node.
pub const CUSTOM_KIND: &str = "interrupt";

impl Request {
    /// The action name (tool, Agent Inbox action, or the node of a custom interrupt).
    pub fn action(&self) -> &str {
        match self {
            Request::Inbox(r) => &r.action,
            Request::Hitl(r) => &r.name,
            Request::Custom(r) if r.node.is_empty() => CUSTOM_KIND,
            Request::Custom(r) => &r.node,
        }
    }

    /// The arguments a reviewer reviews.
    pub fn args(&self) -> &Map<String, Value> {
        match self {
            Request::Inbox(r) => &r.args,
            Request::Hitl(r) => &r.args,
            Request::Custom(r) => &r.args,
        }
    }

    /// Text for the reviewer.
    pub fn description(&self) -> Option<&str> {
        match self {
            Request::Inbox(r) => r.description.as_deref(),
            Request::Hitl(r) => r.description.as_deref(),
            Request::Custom(r) => r.description.as_deref(),
        }
    }

    /// The argument schema field kinds are read from.
    pub fn args_schema(&self) -> Option<&Value> {
        match self {
            Request::Inbox(r) => r.args_schema.as_ref(),
            Request::Hitl(r) => r.args_schema.as_ref(),
            Request::Custom(_) => None,
        }
    }

    /// The payload shown as the proposed write.
    pub fn proposed(&self) -> Value {
        match self {
            Request::Custom(r) => r.value.clone(),
            other => json!({"action": other.action(), "args": other.args()}),
        }
    }

    /// The position in a batched interrupt, if it is one.
    pub fn batch(&self) -> Option<(usize, usize)> {
        match self {
            Request::Hitl(HitlRequest {
                mode: HitlMode::Batched { index, size },
                ..
            }) => Some((*index, *size)),
            _ => None,
        }
    }

    /// Whether the reviewer may edit the arguments.
    pub fn allows_edit(&self, cfg: &LangGraphConfig) -> bool {
        self.allowed_decisions(cfg)
            .contains(&DecisionKind::ApproveWithEdits)
    }

    /// The decisions the console offers (escalation always, last).
    pub fn allowed_decisions(&self, cfg: &LangGraphConfig) -> Vec<DecisionKind> {
        match self {
            Request::Inbox(r) => crate::map::allowed_decisions(r),
            Request::Hitl(r) => hitl_allowed(r),
            Request::Custom(r) => {
                let mut out: Vec<DecisionKind> = cfg
                    .template_for(&r.graph, &r.node)
                    .map(|t| t.decisions.keys().map(|d| d.kind()).collect())
                    .unwrap_or_default();
                out.push(DecisionKind::Escalate);
                out
            }
        }
    }
}

/// The console decisions a middleware request allows.
pub fn hitl_allowed(r: &HitlRequest) -> Vec<DecisionKind> {
    let has = |d: &str| r.allowed.iter().any(|a| a == d);
    let mut out = Vec::new();
    if has("approve") {
        out.push(DecisionKind::Approve);
    }
    if has("edit") {
        out.push(DecisionKind::ApproveWithEdits);
    }
    if has("reject") || has("respond") {
        out.push(DecisionKind::Deny);
    }
    out.push(DecisionKind::Escalate);
    out
}

fn object_args(v: Option<&Value>, at: &str) -> Result<Map<String, Value>, String> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(format!("{at}.args is not an object")),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn allowed_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|d| HITL_DECISIONS.contains(d))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a value is an Agent Inbox request (or a list of them), as Agent Inbox reads it.
fn is_inbox(value: &Value) -> bool {
    let first = match value {
        Value::Array(list) => list.first(),
        other => Some(other),
    };
    first.is_some_and(|r| r.get("action_request").is_some())
}

/// Reads the requests of a batched middleware interrupt.
pub fn batched_requests(value: &Value) -> Result<Vec<HitlRequest>, String> {
    let list = value
        .get("action_requests")
        .and_then(Value::as_array)
        .ok_or("action_requests is not a list")?;
    if list.is_empty() {
        return Err("action_requests is empty".into());
    }
    let configs = match value.get("review_configs") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(c)) => c,
        Some(_) => return Err("review_configs is not a list".into()),
    };
    let size = list.len();
    list.iter()
        .enumerate()
        .map(|(index, ar)| {
            let at = format!("action_requests[{index}]");
            if !ar.is_object() {
                return Err(format!("{at} is not an object"));
            }
            let name = ar
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| format!("{at}.name is missing or empty"))?;
            let args = object_args(ar.get("args"), &at)?;
            // The middleware writes one review config per request, in order; match by
            // position when the names agree, else by name.
            let by_position = configs
                .get(index)
                .filter(|c| c.get("action_name").and_then(Value::as_str) == Some(name));
            let config = by_position.or_else(|| {
                configs
                    .iter()
                    .find(|c| c.get("action_name").and_then(Value::as_str) == Some(name))
            });
            Ok(HitlRequest {
                name: name.to_string(),
                args,
                description: text(ar, "description"),
                allowed: allowed_list(config.and_then(|c| c.get("allowed_decisions"))),
                args_schema: config
                    .and_then(|c| c.get("args_schema"))
                    .filter(|s| s.is_object())
                    .cloned(),
                mode: HitlMode::Batched { index, size },
            })
        })
        .collect()
}

/// Follows a local `$ref` (`#/$defs/NAME` or `#/definitions/NAME`) of `root`.
fn deref<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    let mut cur = v;
    for _ in 0..8 {
        let Some(r) = cur.get("$ref").and_then(Value::as_str) else {
            return cur;
        };
        let Some(target) = r.strip_prefix("#/").and_then(|path| {
            path.split('/').try_fold(root, |node, key| {
                node.get(key.replace("~1", "/").replace("~0", "~"))
            })
        }) else {
            return cur;
        };
        cur = target;
    }
    cur
}

/// The branches of a response schema: its `oneOf`/`anyOf` members, or itself.
fn branches(schema: &Value) -> Vec<&Value> {
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(list)) = schema.get(key) {
            return list.iter().map(|b| deref(schema, b)).collect();
        }
    }
    vec![schema]
}

/// The `type` constant of a decision branch.
fn branch_type(branch: &Value) -> Option<&str> {
    let t = branch.get("properties")?.get("type")?;
    t.get("const")
        .and_then(Value::as_str)
        .or_else(|| match t.get("enum") {
            Some(Value::Array(e)) if e.len() == 1 => e[0].as_str(),
            _ => None,
        })
}

/// The decisions a per-call `response_schema` allows, in its order.
pub fn schema_decisions(schema: &Value) -> Vec<String> {
    let mut out: Vec<String> = branches(schema)
        .into_iter()
        .filter_map(branch_type)
        .filter(|d| HITL_DECISIONS.contains(d))
        .map(str::to_string)
        .collect();
    if out.is_empty()
        && let Some(Value::Object(m)) = schema.get("discriminator").and_then(|d| d.get("mapping"))
    {
        out = m
            .keys()
            .filter(|d| HITL_DECISIONS.contains(&d.as_str()))
            .cloned()
            .collect();
    }
    out.dedup();
    out
}

/// The tool's argument schema in a per-call `response_schema`: the `edit` branch's
/// `edited_action.args`, with its local references resolved.
pub fn schema_args(schema: &Value) -> Option<Value> {
    let edit = branches(schema)
        .into_iter()
        .find(|b| branch_type(b) == Some("edit"))?;
    let action = deref(schema, edit.get("properties")?.get("edited_action")?);
    let args = deref(schema, action.get("properties")?.get("args")?);
    let props = args.get("properties")?;
    let resolved: Map<String, Value> = props
        .as_object()?
        .iter()
        .map(|(k, p)| (k.clone(), deref(schema, p).clone()))
        .collect();
    Some(json!({"type": "object", "properties": resolved}))
}

/// Reads a per-call tool approval, with its interrupt's `response_schema` when there is one.
/// Without a schema, approve and reject are offered (what every tool allows by default that
/// needs no argument schema).
pub fn tool_approval(
    value: &Value,
    response_schema: Option<&Value>,
) -> Result<HitlRequest, String> {
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or("tool_approval.name is missing or empty")?;
    let args = object_args(value.get("args"), "tool_approval")?;
    let allowed = match response_schema.filter(|s| s.is_object()) {
        Some(s) => schema_decisions(s),
        None => vec!["approve".to_string(), "reject".to_string()],
    };
    Ok(HitlRequest {
        name: name.to_string(),
        args,
        description: text(value, "description"),
        allowed,
        args_schema: response_schema.and_then(schema_args),
        mode: HitlMode::PerCall {
            tool_call_id: text(value, "tool_call_id").unwrap_or_default(),
        },
    })
}

/// Reads a custom interrupt value.
pub fn custom_request(value: &Value, graph: &str, node: &str) -> CustomRequest {
    let args: Map<String, Value> = match value {
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_object() && !v.is_array())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Value::Null | Value::Array(_) => Map::new(),
        scalar => Map::from_iter([("value".to_string(), scalar.clone())]),
    };
    let description = ["description", "question", "message", "prompt"]
        .iter()
        .find_map(|k| text(value, k))
        .or_else(|| value.as_str().map(str::to_string));
    CustomRequest {
        node: node.to_string(),
        graph: graph.to_string(),
        value: value.clone(),
        args,
        description,
    }
}

/// Reads every reviewable request of an interrupt raised by `node` of `graph`: one, or one per
/// action request of a batched middleware interrupt. An error only for malformed data of a
/// known shape.
pub fn requests(
    value: &Value,
    response_schema: Option<&Value>,
    graph: &str,
    node: &str,
) -> Result<Vec<Request>, String> {
    if is_inbox(value) {
        return inbox_request(value).map(|r| vec![Request::Inbox(r)]);
    }
    if value.get("action_requests").is_some() {
        return Ok(batched_requests(value)?
            .into_iter()
            .map(Request::Hitl)
            .collect());
    }
    if value.get("type").and_then(Value::as_str) == Some("tool_approval") {
        return tool_approval(value, response_schema).map(|r| vec![Request::Hitl(r)]);
    }
    Ok(vec![Request::Custom(custom_request(value, graph, node))])
}

/// The proposed arguments with the reviewer's edits, each edit put back into the JSON type
/// the argument had.
pub fn edited_args(
    args: &Map<String, Value>,
    decision: &Decision,
) -> Result<Map<String, Value>, String> {
    let mut out = args.clone();
    for (name, text) in &decision.fields {
        let Some(original) = args.get(name) else {
            return Err(format!("the request has no argument {name:?}"));
        };
        if value_text(original) != *text {
            out.insert(name.clone(), crate::map::typed(original, text)?);
        }
    }
    Ok(out)
}

/// The middleware decision that carries `decision` for `req`. `None` for an escalation.
pub fn hitl_decision(req: &HitlRequest, decision: &Decision) -> Result<Option<Value>, String> {
    let has = |d: &str| req.allowed.iter().any(|a| a == d);
    let reason = || decision.reason.clone().unwrap_or_default();
    Ok(Some(match decision.decision {
        DecisionKind::Escalate => return Ok(None),
        DecisionKind::Approve if has("approve") => json!({"type": "approve"}),
        DecisionKind::ApproveWithEdits if has("edit") => json!({
            "type": "edit",
            "edited_action": {"name": req.name, "args": edited_args(&req.args, decision)?},
        }),
        DecisionKind::Deny if has("reject") => json!({"type": "reject", "message": reason()}),
        DecisionKind::Deny if has("respond") => json!({"type": "respond", "message": reason()}),
        other => return Err(format!("the interrupt does not allow {other:?}")),
    }))
}

/// The resume value of a batched interrupt: its requests' decisions, in request order.
/// `decisions[i]` answers `requests[i]`; every request must have one.
pub fn batched_resume(requests: &[HitlRequest], decisions: &[&Decision]) -> Result<Value, String> {
    if requests.len() != decisions.len() {
        return Err(format!(
            "{} decisions for {} requests",
            decisions.len(),
            requests.len()
        ));
    }
    let list = requests
        .iter()
        .zip(decisions)
        .map(|(r, d)| {
            hitl_decision(r, d)?.ok_or_else(|| "an escalation cannot be resumed".to_string())
        })
        .collect::<Result<Vec<Value>, String>>()?;
    Ok(json!({ "decisions": list }))
}

/// What a template's placeholders stand for.
pub struct Fill<'a> {
    /// The decision.
    pub decision: &'a Decision,
    /// Who decided.
    pub reviewer: &'a str,
}

/// The resume value of a custom interrupt: the template's value for the decision with its
/// placeholders replaced. `None` for an escalation.
pub fn template_resume(
    req: &CustomRequest,
    template: Option<&InterruptTemplate>,
    fill: &Fill<'_>,
) -> Result<Option<Value>, String> {
    let Some(which) = TemplateDecision::of(fill.decision.decision) else {
        return Ok(None);
    };
    let Some(template) = template else {
        return Err(format!(
            "no resume template is configured for node {:?} of graph {:?}",
            req.node, req.graph
        ));
    };
    let Some(body) = template.decisions.get(&which) else {
        return Err(format!(
            "the resume template of node {:?} of graph {:?} has no {:?} decision",
            req.node,
            req.graph,
            which.as_str()
        ));
    };
    let fields = if which == TemplateDecision::ApproveWithEdits {
        edited_args(&req.args, fill.decision)?
    } else {
        req.args.clone()
    };
    Ok(Some(substitute(body, which, &fields, fill)))
}

fn substitute(
    v: &Value,
    which: TemplateDecision,
    fields: &Map<String, Value>,
    fill: &Fill<'_>,
) -> Value {
    match v {
        Value::String(s) => match placeholder(s) {
            Some("{{reason}}") => fill
                .decision
                .reason
                .clone()
                .map(Value::String)
                .unwrap_or(Value::Null),
            Some("{{reviewer}}") => Value::String(fill.reviewer.to_string()),
            Some("{{decision}}") => Value::String(which.as_str().to_string()),
            Some("{{fields}}") => Value::Object(fields.clone()),
            Some(p) => match p
                .strip_prefix("{{field.")
                .and_then(|r| r.strip_suffix("}}"))
            {
                Some(name) => fields.get(name.trim()).cloned().unwrap_or(Value::Null),
                None => v.clone(),
            },
            None => v.clone(),
        },
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute(x, which, fields, fill))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), substitute(x, which, fields, fill)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The decision type a resume value gave request `index` of an interrupt (`None`: the one
/// request of an interrupt that is not batched): Agent Inbox's `accept`/`edit`/`response`/
/// `ignore` (first of a list), or the middleware's `approve`/`edit`/`reject`/`respond` (of
/// `{"decisions": [...]}` at `index`, or a single decision).
pub fn decision_type(v: &Value, index: Option<usize>) -> Option<&str> {
    if let Some(Value::Array(list)) = v.get("decisions") {
        return list.get(index.unwrap_or(0))?.get("type")?.as_str();
    }
    let first = match v {
        Value::Array(list) => list.first()?,
        other => other,
    };
    first.get("type").and_then(Value::as_str)
}

/// Whether a decision type means the call goes ahead (`true`) or was refused (`false`).
pub fn goes_ahead(decision_type: &str) -> Option<bool> {
    match decision_type {
        "accept" | "edit" | "approve" => Some(true),
        "response" | "ignore" | "reject" | "respond" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(kind: DecisionKind, fields: &[(&str, &str)], reason: Option<&str>) -> Decision {
        Decision {
            decision: kind,
            reason: reason.map(str::to_string),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            idempotency_key: "k".into(),
            escalate_to: None,
        }
    }

    /// What langchain 1.5.2's middleware raised in batched mode (fixtures/graph/agents.py).
    fn batched_value() -> Value {
        json!({
            "action_requests": [
                {"name": "issue_refund",
                 "args": {"order_id": "ord_1001", "amount": "120.00", "currency": "EUR", "notify": true},
                 "description": "Refunds move money: check the amount and currency."},
                {"name": "update_crm",
                 "args": {"customer_id": "cus_77", "note": "refund issued for ord_1001"},
                 "description": "Tool execution requires approval\n\nTool: update_crm"}
            ],
            "review_configs": [
                {"action_name": "issue_refund", "allowed_decisions": ["approve", "edit", "reject"]},
                {"action_name": "update_crm", "allowed_decisions": ["approve", "edit", "reject", "respond"]}
            ]
        })
    }

    /// The per-call interrupt of the same agent, with the `response_schema` LangGraph
    /// published for it (trimmed of descriptions).
    fn per_call() -> (Value, Value) {
        let value = json!({"type": "tool_approval", "tool_call_id": "call_0_issue_refund",
            "name": "issue_refund",
            "args": {"order_id": "ord_1001", "amount": "120.00", "currency": "EUR", "notify": true},
            "description": "Refunds move money"});
        let schema = json!({
            "$defs": {
                "ApproveDecision": {"properties": {"type": {"const": "approve", "type": "string"}},
                                    "required": ["type"], "type": "object"},
                "EditDecision": {"properties": {"type": {"const": "edit", "type": "string"},
                                                "edited_action": {"$ref": "#/$defs/EditedAction"}},
                                 "required": ["type", "edited_action"], "type": "object"},
                "EditedAction": {"properties": {"name": {"const": "issue_refund", "type": "string"},
                                                "args": {"$ref": "#/$defs/issue_refund"}},
                                 "type": "object"},
                "RejectDecision": {"properties": {"type": {"const": "reject", "type": "string"},
                                                  "message": {"type": "string"}}, "type": "object"},
                "issue_refund": {"properties": {
                    "order_id": {"type": "string"},
                    "amount": {"type": "string", "format": "decimal"},
                    "currency": {"type": "string"},
                    "notify": {"default": false, "type": "boolean"}}, "type": "object"}
            },
            "discriminator": {"mapping": {"approve": "#/$defs/ApproveDecision",
                                          "edit": "#/$defs/EditDecision",
                                          "reject": "#/$defs/RejectDecision"},
                              "propertyName": "type"},
            "oneOf": [{"$ref": "#/$defs/ApproveDecision"}, {"$ref": "#/$defs/EditDecision"},
                      {"$ref": "#/$defs/RejectDecision"}]
        });
        (value, schema)
    }

    #[test]
    fn a_batched_interrupt_is_one_request_per_action_request() -> Result<(), String> {
        let reqs = requests(
            &batched_value(),
            None,
            "hitl_batched",
            "HumanInTheLoopMiddleware.after_model",
        )?;
        assert_eq!(reqs.len(), 2);
        let Request::Hitl(refund) = &reqs[0] else {
            return Err("not a middleware request".into());
        };
        assert_eq!(refund.name, "issue_refund");
        assert_eq!(refund.mode, HitlMode::Batched { index: 0, size: 2 });
        assert_eq!(refund.allowed, vec!["approve", "edit", "reject"]);
        assert_eq!(
            hitl_allowed(refund),
            vec![
                DecisionKind::Approve,
                DecisionKind::ApproveWithEdits,
                DecisionKind::Deny,
                DecisionKind::Escalate
            ]
        );
        assert_eq!(reqs[1].batch(), Some((1, 2)));
        assert_eq!(reqs[1].action(), "update_crm");
        assert_eq!(
            reqs[0].description(),
            Some("Refunds move money: check the amount and currency.")
        );
        assert_eq!(reqs[0].proposed()["args"]["amount"], "120.00");
        Ok(())
    }

    #[test]
    fn batched_decisions_resume_once_in_request_order() -> Result<(), String> {
        let reqs = batched_requests(&batched_value())?;
        let edit = decision(
            DecisionKind::ApproveWithEdits,
            &[("amount", "80.00"), ("notify", "false")],
            None,
        );
        let reject = decision(DecisionKind::Deny, &[], Some("not now"));
        let v = batched_resume(&reqs, &[&edit, &reject])?;
        assert_eq!(
            v,
            json!({"decisions": [
                {"type": "edit", "edited_action": {"name": "issue_refund", "args":
                    {"order_id": "ord_1001", "amount": "80.00", "currency": "EUR", "notify": false}}},
                {"type": "reject", "message": "not now"}
            ]})
        );
        assert_eq!(decision_type(&v, Some(0)), Some("edit"));
        assert_eq!(decision_type(&v, Some(1)), Some("reject"));
        assert_eq!(decision_type(&v, Some(2)), None);
        let approve = decision(DecisionKind::Approve, &[], None);
        assert!(
            batched_resume(&reqs, &[&approve]).is_err(),
            "one decision per request"
        );
        let escalate = decision(DecisionKind::Escalate, &[], Some("big"));
        assert!(batched_resume(&reqs, &[&approve, &escalate]).is_err());
        assert_eq!(hitl_decision(&reqs[0], &escalate)?, None);
        Ok(())
    }

    #[test]
    fn respond_is_a_denial_only_where_reject_is_not_allowed() -> Result<(), String> {
        let mut req = batched_requests(&batched_value())?.remove(1);
        let deny = decision(DecisionKind::Deny, &[], Some("use the other CRM"));
        assert_eq!(
            hitl_decision(&req, &deny)?,
            Some(json!({"type": "reject", "message": "use the other CRM"}))
        );
        req.allowed = vec!["approve".into(), "respond".into()];
        assert_eq!(
            hitl_decision(&req, &deny)?,
            Some(json!({"type": "respond", "message": "use the other CRM"}))
        );
        assert_eq!(
            hitl_allowed(&req),
            vec![
                DecisionKind::Approve,
                DecisionKind::Deny,
                DecisionKind::Escalate
            ]
        );
        let edit = decision(DecisionKind::ApproveWithEdits, &[("note", "x")], None);
        assert!(hitl_decision(&req, &edit).is_err());
        req.allowed = vec!["approve".into()];
        assert!(hitl_decision(&req, &deny).is_err());
        assert_eq!(
            hitl_allowed(&req),
            vec![DecisionKind::Approve, DecisionKind::Escalate]
        );
        Ok(())
    }

    #[test]
    fn a_per_call_approval_reads_decisions_and_argument_schema_from_its_response_schema()
    -> Result<(), String> {
        let (value, schema) = per_call();
        let reqs = requests(&value, Some(&schema), "hitl_per_call", "tools")?;
        let [Request::Hitl(r)] = reqs.as_slice() else {
            return Err(format!("{reqs:?}"));
        };
        assert_eq!(
            r.mode,
            HitlMode::PerCall {
                tool_call_id: "call_0_issue_refund".into()
            }
        );
        assert_eq!(r.allowed, vec!["approve", "edit", "reject"]);
        let args = r.args_schema.as_ref().ok_or("no args schema")?;
        assert_eq!(args["properties"]["notify"]["type"], "boolean");
        assert_eq!(args["properties"]["amount"]["format"], "decimal");
        let edit = decision(DecisionKind::ApproveWithEdits, &[("amount", "99.50")], None);
        assert_eq!(
            hitl_decision(r, &edit)?,
            Some(
                json!({"type": "edit", "edited_action": {"name": "issue_refund", "args":
                {"order_id": "ord_1001", "amount": "99.50", "currency": "EUR", "notify": true}}})
            )
        );
        // A one-decision schema is the decision's own object.
        let only = json!({"properties": {"type": {"const": "approve"}}, "type": "object"});
        assert_eq!(schema_decisions(&only), vec!["approve"]);
        assert_eq!(schema_args(&only), None);
        // No schema: approve and reject.
        assert_eq!(
            tool_approval(&value, None)?.allowed,
            vec!["approve", "reject"]
        );
        assert!(tool_approval(&json!({"type": "tool_approval", "args": {}}), None).is_err());
        Ok(())
    }

    #[test]
    fn malformed_known_shapes_are_errors_and_anything_else_is_custom() -> Result<(), String> {
        for bad in [
            json!({"action_requests": "issue_refund"}),
            json!({"action_requests": []}),
            json!({"action_requests": [{"args": {}}]}),
            json!({"action_requests": [{"name": "x", "args": [1]}]}),
            json!({"action_requests": [{"name": "x"}], "review_configs": 3}),
            json!({"type": "tool_approval", "name": "x", "args": "a=1"}),
            json!([{"action_request": {"args": {}}}]),
        ] {
            assert!(requests(&bad, None, "g", "n").is_err(), "{bad}");
        }
        for other in [
            json!({"question": "Ship?", "order_id": "ord_1", "details": {"a": 1}}),
            json!("please approve"),
            json!([]),
            json!([1, 2]),
            json!(null),
            json!({"type": "something_else"}),
        ] {
            let reqs = requests(&other, None, "g", "ask")?;
            assert!(matches!(reqs.as_slice(), [Request::Custom(_)]), "{other}");
        }
        let Request::Custom(c) = requests(
            &json!({"question": "Ship?", "order_id": "ord_1", "express": true, "details": {"a": 1}}),
            None,
            "g",
            "ask",
        )?
        .remove(0) else {
            return Err("not custom".into());
        };
        assert_eq!(c.description.as_deref(), Some("Ship?"));
        assert_eq!(
            c.args.keys().collect::<Vec<_>>(),
            vec!["express", "order_id", "question"],
            "top-level scalars only"
        );
        let s = custom_request(&json!("Approve the deploy?"), "g", "");
        assert_eq!(s.args["value"], "Approve the deploy?");
        assert_eq!(Request::Custom(s).action(), CUSTOM_KIND);
        Ok(())
    }

    #[test]
    fn custom_interrupts_are_answered_by_the_configured_template() -> Result<(), String> {
        let cfg = LangGraphConfig::parse(&json!({"interrupt_templates": [
            {"graph": "custom_ask", "node": "ask_shipping", "decisions": {
                "approve": {"ship": true, "by": "{{reviewer}}", "order": "{{field.order_id}}"},
                "approve_with_edits": {"ship": true, "values": "{{fields}}", "d": "{{decision}}"},
                "deny": {"ship": false, "reason": "{{reason}}", "literal": "{{ reason }} x"}}}
        ]}))?;
        let value =
            json!({"question": "Ship?", "order_id": "ord_1", "amount": "120.00", "express": true});
        let req = custom_request(&value, "custom_ask", "ask_shipping");
        let r = Request::Custom(req.clone());
        assert_eq!(
            r.allowed_decisions(&cfg),
            vec![
                DecisionKind::Approve,
                DecisionKind::ApproveWithEdits,
                DecisionKind::Deny,
                DecisionKind::Escalate
            ]
        );
        assert_eq!(r.proposed(), value);
        let t = cfg.template_for("custom_ask", "ask_shipping");
        let fill = |d: &Decision| {
            template_resume(
                &req,
                t,
                &Fill {
                    decision: d,
                    reviewer: "rita",
                },
            )
        };
        assert_eq!(
            fill(&decision(DecisionKind::Approve, &[], None))?,
            Some(json!({"ship": true, "by": "rita", "order": "ord_1"}))
        );
        assert_eq!(
            fill(&decision(
                DecisionKind::ApproveWithEdits,
                &[("amount", "80.00"), ("express", "false")],
                None
            ))?,
            Some(json!({"ship": true, "d": "approve_with_edits", "values":
                {"question": "Ship?", "order_id": "ord_1", "amount": "80.00", "express": false}}))
        );
        assert_eq!(
            fill(&decision(DecisionKind::Deny, &[], Some("address unclear")))?,
            Some(json!({"ship": false, "reason": "address unclear", "literal": "{{ reason }} x"}))
        );
        assert_eq!(fill(&decision(DecisionKind::Escalate, &[], None))?, None);
        // No template for another node: escalation only, and a decision cannot be resumed.
        let other = custom_request(&value, "custom_ask", "other");
        assert_eq!(
            Request::Custom(other.clone()).allowed_decisions(&cfg),
            vec![DecisionKind::Escalate]
        );
        let none = cfg.template_for("custom_ask", "other");
        assert!(
            template_resume(
                &other,
                none,
                &Fill {
                    decision: &decision(DecisionKind::Approve, &[], None),
                    reviewer: "r"
                }
            )
            .is_err()
        );
        Ok(())
    }

    #[test]
    fn decision_types_of_every_resume_shape() {
        assert_eq!(
            decision_type(&json!([{"type": "accept"}]), None),
            Some("accept")
        );
        assert_eq!(
            decision_type(&json!({"type": "response"}), None),
            Some("response")
        );
        assert_eq!(
            decision_type(&json!({"type": "approve"}), None),
            Some("approve")
        );
        assert_eq!(
            decision_type(
                &json!({"decisions": [{"type": "approve"}, {"type": "respond"}]}),
                Some(1)
            ),
            Some("respond")
        );
        assert_eq!(decision_type(&json!({"ship": true}), None), None);
        for t in ["accept", "edit", "approve"] {
            assert_eq!(goes_ahead(t), Some(true));
        }
        for t in ["response", "ignore", "reject", "respond"] {
            assert_eq!(goes_ahead(t), Some(false));
        }
        assert_eq!(goes_ahead("ship"), None);
    }
}
