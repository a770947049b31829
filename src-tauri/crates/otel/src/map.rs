//! One trace → one run: the GenAI and OpenInference attributes mapped onto the run record.

use crate::decimal::{json_usd_to_micros, per_million};
use crate::otlp::{Span, Trace};
use crate::price::PriceTable;
use countersign_core::{Citation, Micros, Outcome, Run, TokenUsage, ToolCall};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Agent,
    Tool,
    Model,
    Retriever,
    Other,
}

fn kind(s: &Span) -> Kind {
    let op = s.str_attr("gen_ai.operation.name").unwrap_or_default();
    let oi = s
        .str_attr("openinference.span.kind")
        .unwrap_or_default()
        .to_ascii_uppercase();
    match (op.as_str(), oi.as_str()) {
        ("execute_tool", _) | (_, "TOOL") => Kind::Tool,
        (_, "RETRIEVER") => Kind::Retriever,
        ("chat" | "text_completion" | "generate_content" | "embeddings", _)
        | (_, "LLM" | "EMBEDDING") => Kind::Model,
        ("invoke_agent", _) | (_, "AGENT" | "CHAIN") => Kind::Agent,
        // pydantic-ai before the GenAI operation names.
        _ if s.name == "agent run" => Kind::Agent,
        _ if s.name == "running tool" && s.attrs.contains_key("gen_ai.tool.name") => Kind::Tool,
        _ => Kind::Other,
    }
}

fn first_str(s: &Span, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| s.str_attr(k))
        .filter(|v| !v.is_empty())
}

fn first_u64(s: &Span, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| s.u64_attr(k))
}

/// A JSON-in-a-string attribute parsed, else the text itself.
fn json_attr(s: &Span, keys: &[&str]) -> Option<Value> {
    keys.iter().find_map(|k| match s.attrs.get(*k)? {
        Value::Null => None,
        Value::String(t) => {
            Some(serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.clone())))
        }
        other => Some(other.clone()),
    })
}

fn summary(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

fn char_len(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

fn citation(
    doc_id: String,
    title: Option<String>,
    url: Option<String>,
    content: String,
    call_id: &str,
) -> Citation {
    Citation {
        title: title.unwrap_or_else(|| doc_id.clone()),
        doc_id,
        url: url.filter(|u| u.starts_with("http://") || u.starts_with("https://")),
        call_id: Some(call_id.to_string()),
        start: 0,
        end: char_len(&content),
        passage: content.clone(),
        context: content,
        context_start: 0,
        source_version: String::new(),
        source_updated_at: None,
        deprecated: false,
    }
}

/// OpenInference `retrieval.documents.N.document.{id,content,score,metadata}`.
fn retrieval_citations(s: &Span, call_id: &str) -> Vec<Citation> {
    let mut docs: BTreeMap<u64, Map<String, Value>> = BTreeMap::new();
    for (k, v) in &s.attrs {
        let Some(rest) = k.strip_prefix("retrieval.documents.") else {
            continue;
        };
        let Some((n, field)) = rest.split_once(".document.") else {
            continue;
        };
        if let Ok(n) = n.parse::<u64>() {
            docs.entry(n)
                .or_default()
                .insert(field.to_string(), v.clone());
        }
    }
    docs.into_values()
        .filter_map(|d| {
            let text = |k: &str| {
                d.get(k).map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            };
            let content = text("content")?;
            let meta: Value = d
                .get("metadata")
                .and_then(|m| match m {
                    Value::String(t) => serde_json::from_str(t).ok(),
                    other => Some(other.clone()),
                })
                .unwrap_or_default();
            // `metadata` as one JSON value, or flattened (`metadata.title`, as Phoenix returns).
            let meta_str = |k: &str| {
                meta.get(k)
                    .or_else(|| d.get(&format!("metadata.{k}")))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let id = text("id").unwrap_or_else(|| format!("{call_id}-doc"));
            Some(citation(
                id,
                meta_str("title"),
                meta_str("url"),
                content,
                call_id,
            ))
        })
        .collect()
}

/// A tool result that is a list of documents (`[{id, title?, url?, content|text}]`, or
/// `{"documents": [...]}`) becomes citations.
fn result_citations(result: &Value, call_id: &str) -> Vec<Citation> {
    let list = match result {
        Value::Array(xs) => xs,
        Value::Object(o) => match o.get("documents").and_then(Value::as_array) {
            Some(xs) => xs,
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let pick = |o: &Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    list.iter()
        .filter_map(|d| {
            let id = pick(d, &["id", "doc_id", "document_id"])?;
            let content = pick(d, &["content", "text", "passage"])?;
            Some(citation(
                id,
                pick(d, &["title"]),
                pick(d, &["url"]),
                content,
                call_id,
            ))
        })
        .collect()
}

fn exception_message(s: &Span) -> Option<String> {
    s.events
        .iter()
        .filter(|e| e.name == "exception")
        .find_map(|e| {
            e.attrs
                .get("exception.message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

fn span_error(s: &Span) -> Option<String> {
    let msg = s.error.as_ref()?;
    Some(if msg.is_empty() {
        exception_message(s).unwrap_or_else(|| "error".to_string())
    } else {
        msg.clone()
    })
}

/// Reported cost of a model span in USD, read through its decimal text.
fn reported_cost(s: &Span) -> Option<Micros> {
    let get = |k: &str| s.attrs.get(k).and_then(json_usd_to_micros);
    get("llm.cost.total")
        .or_else(
            || match (get("llm.cost.prompt"), get("llm.cost.completion")) {
                (None, None) => None,
                (p, c) => Some(p.unwrap_or_default() + c.unwrap_or_default()),
            },
        )
        .or_else(|| get("gen_ai.usage.cost"))
        .or_else(|| get("operation.cost"))
}

const MODEL_KEYS: &[&str] = &[
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "model_name",
];
const IN_KEYS: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
];
const OUT_KEYS: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
];
const AGG_IN_KEYS: &[&str] = &["gen_ai.aggregated_usage.input_tokens"];
const AGG_OUT_KEYS: &[&str] = &["gen_ai.aggregated_usage.output_tokens"];

/// `result_summary` of a deferred tool call that waits on a reviewer.
pub(crate) const AWAITING: &str = "awaiting approval";

/// `result_summary` of a deferred tool call that waits on an external result
/// (pydantic-ai `CallDeferred`: `DeferredToolRequests.calls`).
pub(crate) const AWAITING_EXTERNAL: &str = "awaiting external result";

/// A tool call the agent asked for but deferred (pydantic-ai `DeferredToolRequests`).
struct Deferred {
    /// Needs a reviewer (`approvals`), as opposed to an external result (`calls`).
    approval: bool,
    call_id: String,
    tool: String,
    args: Value,
    /// The agent span that stopped on it.
    agent: usize,
}

fn deferred_calls(spans: &[&Span], agents: &[usize]) -> (Vec<Deferred>, bool) {
    let mut out = Vec::new();
    let mut flagged = false;
    for &a in agents {
        let s = spans[a];
        let mut lists: Vec<Value> = Vec::new();
        for (k, v) in &s.attrs {
            if k.to_ascii_lowercase().contains("deferred") {
                flagged = true;
                if let Value::String(t) = v
                    && let Ok(parsed) = serde_json::from_str::<Value>(t)
                {
                    lists.push(parsed);
                } else {
                    lists.push(v.clone());
                }
            }
        }
        if s.events
            .iter()
            .any(|e| e.name.to_ascii_lowercase().contains("deferred"))
        {
            flagged = true;
            for e in &s.events {
                lists.extend(e.attrs.values().cloned());
            }
        }
        if let Some(fr) = json_attr(s, &["final_result", "output.value", "pydantic_ai.output"]) {
            let is_requests = match &fr {
                Value::Object(o) => o.contains_key("approvals") && o.contains_key("calls"),
                Value::String(t) => t.contains("DeferredToolRequests"),
                _ => false,
            };
            if is_requests {
                flagged = true;
                lists.push(fr);
            }
        }
        for l in lists {
            let Value::Object(o) = l else { continue };
            for key in ["approvals", "calls"] {
                for c in o.get(key).and_then(Value::as_array).into_iter().flatten() {
                    let call_id = c
                        .get("tool_call_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let tool = c
                        .get("tool_name")
                        .and_then(Value::as_str)
                        .unwrap_or("deferred_tool")
                        .to_string();
                    let args = match c.get("args") {
                        Some(Value::String(t)) => {
                            serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.clone()))
                        }
                        Some(v) => v.clone(),
                        None => Value::Null,
                    };
                    if !out
                        .iter()
                        .any(|d: &Deferred| !call_id.is_empty() && d.call_id == call_id)
                    {
                        out.push(Deferred {
                            approval: key == "approvals",
                            call_id,
                            tool,
                            args,
                            agent: a,
                        });
                    }
                }
            }
        }
    }
    (out, flagged)
}

/// The text a later model request carried back for `call_id` (`tool_call_response` part).
pub(crate) fn tool_response_in(messages: &Value, call_id: &str) -> Option<Value> {
    messages
        .as_array()?
        .iter()
        .flat_map(|m| {
            m.get("parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .find(|p| {
            p.get("type").and_then(Value::as_str) == Some("tool_call_response")
                && p.get("id").and_then(Value::as_str) == Some(call_id)
        })
        .map(|p| {
            p.get("result")
                .or_else(|| p.get("response"))
                .cloned()
                .unwrap_or_default()
        })
}

/// Maps a trace; `Err` says why it cannot be a run. Warnings do not stop the import.
pub fn trace_to_run(trace: &Trace, prices: &PriceTable) -> Result<(Run, Vec<String>), String> {
    if let Some(e) = trace.errors.first() {
        return Err(e.clone());
    }
    let mut spans: Vec<&Span> = trace.spans.iter().collect();
    if spans.is_empty() {
        return Err("trace has no spans".into());
    }
    spans.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
    let by_id: BTreeMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let parent = |i: usize| {
        spans[i]
            .parent_span_id
            .as_deref()
            .and_then(|p| by_id.get(p).copied())
    };
    let top = (0..spans.len()).find(|&i| parent(i).is_none()).unwrap_or(0);
    let kinds: Vec<Kind> = spans.iter().map(|s| kind(s)).collect();
    let kinds_ref = &kinds;
    let of = |k: Kind| {
        (0..spans.len())
            .filter(|&i| kinds_ref[i] == k)
            .collect::<Vec<_>>()
    };
    let agents = of(Kind::Agent);
    let models = of(Kind::Model);
    let root = spans[agents.first().copied().unwrap_or(top)];
    let top_span = spans[top];
    let any = |keys: &[&str]| spans.iter().find_map(|s| first_str(s, keys));
    let mut warnings = Vec::new();

    let workflow = agents
        .iter()
        .find_map(|&a| first_str(spans[a], &["gen_ai.agent.name", "agent_name", "agent.name"]))
        .or_else(|| any(&["gen_ai.agent.name", "agent.name"]))
        .unwrap_or_else(|| {
            root.name
                .strip_prefix("invoke_agent ")
                .unwrap_or(&root.name)
                .to_string()
        });

    // Tool calls (and retrievers), in start order.
    let mut tool_calls: Vec<ToolCall> = Vec::new();
    let mut citations: Vec<Citation> = Vec::new();
    let mut call_of_span: BTreeMap<usize, String> = BTreeMap::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for i in 0..spans.len() {
        if !matches!(kinds[i], Kind::Tool | Kind::Retriever) {
            continue;
        }
        let s = spans[i];
        let call_id = first_str(s, &["gen_ai.tool.call.id", "tool_call.id"])
            .filter(|c| !used.contains(c))
            .unwrap_or_else(|| s.span_id.clone());
        used.insert(call_id.clone());
        let tool = first_str(s, &["gen_ai.tool.name", "tool.name"]).unwrap_or_else(|| {
            s.name
                .strip_prefix("execute_tool ")
                .unwrap_or(&s.name)
                .to_string()
        });
        let arguments = json_attr(
            s,
            &[
                "gen_ai.tool.call.arguments",
                "tool_arguments",
                "input.value",
                "tool.parameters",
            ],
        )
        .unwrap_or_default();
        let result = json_attr(
            s,
            &["gen_ai.tool.call.result", "tool_response", "output.value"],
        );
        let mut found = retrieval_citations(s, &call_id);
        if let Some(r) = &result {
            found.extend(result_citations(r, &call_id));
        }
        let mut ancestor = parent(i);
        let mut parent_id = None;
        while let Some(p) = ancestor {
            if let Some(c) = call_of_span.get(&p) {
                parent_id = Some(c.clone());
                break;
            }
            ancestor = parent(p);
        }
        tool_calls.push(ToolCall {
            call_id: call_id.clone(),
            parent_id,
            tool,
            arguments,
            result_summary: result.as_ref().map(summary),
            result,
            started_at: s.start(),
            ended_at: s.end(),
            cost_micros: reported_cost(s).unwrap_or_default(),
            documents: found.iter().map(|c| c.doc_id.clone()).collect(),
            error: span_error(s),
        });
        citations.extend(found);
        call_of_span.insert(i, call_id);
    }

    // Model calls: model, tokens, cost.
    let mut tokens = TokenUsage::default();
    let mut reported = Micros::ZERO;
    let mut numerator: i128 = 0;
    let mut model: Option<String> = None;
    let mut cost_span = |s: &Span,
                         model_name: Option<&str>,
                         input: u64,
                         output: u64,
                         warnings: &mut Vec<String>| {
        if let Some(c) = reported_cost(s) {
            reported = reported.checked_add(c).unwrap_or(Micros(i64::MAX));
            return;
        }
        if input == 0 && output == 0 {
            return;
        }
        let name = model_name.unwrap_or("unknown");
        match prices.cost_numerator(name, s.start(), input, output) {
            Some(n) => numerator = numerator.saturating_add(n),
            None => {
                let w = format!("no price for model {name:?} on {}", s.start().date_naive());
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
    };
    for &m in &models {
        let s = spans[m];
        let name = first_str(s, MODEL_KEYS);
        let input = first_u64(s, IN_KEYS).unwrap_or(0);
        let output = first_u64(s, OUT_KEYS).unwrap_or(0);
        tokens.input = tokens.input.saturating_add(input);
        tokens.output = tokens.output.saturating_add(output);
        cost_span(s, name.as_deref(), input, output, &mut warnings);
        if model.is_none() {
            model = name;
        }
    }
    if models.is_empty() {
        // Only the agent span says what was used.
        let s = root;
        let name = first_str(s, MODEL_KEYS);
        let input = first_u64(s, IN_KEYS)
            .or_else(|| first_u64(s, AGG_IN_KEYS))
            .unwrap_or(0);
        let output = first_u64(s, OUT_KEYS)
            .or_else(|| first_u64(s, AGG_OUT_KEYS))
            .unwrap_or(0);
        tokens.input = tokens.input.saturating_add(input);
        tokens.output = tokens.output.saturating_add(output);
        cost_span(s, name.as_deref(), input, output, &mut warnings);
        model = name;
    }
    let cost_micros = tool_calls
        .iter()
        .map(|t| t.cost_micros)
        .try_fold(reported, Micros::checked_add)
        .and_then(|c| c.checked_add(per_million(numerator)))
        .filter(|c| c.0 < i64::MAX)
        .ok_or_else(|| "cost overflows 64-bit micro-dollars".to_string())?;
    let model = model
        .or_else(|| agents.iter().find_map(|&a| first_str(spans[a], MODEL_KEYS)))
        .unwrap_or_else(|| "unknown".into());

    // Inputs and outputs.
    let mut inputs = Map::new();
    if let Some(c) = any(&["gen_ai.conversation.id", "session.id"]) {
        inputs.insert("conversation_id".into(), Value::String(c));
    }
    let first_model = models.first().map(|&m| spans[m]);
    if let Some(msgs) = json_attr(root, &["gen_ai.input.messages"])
        .or_else(|| first_model.and_then(|s| json_attr(s, &["gen_ai.input.messages"])))
    {
        inputs.insert("messages".into(), msgs);
    }
    if let Some(v) = json_attr(root, &["input.value"])
        .or_else(|| first_model.and_then(|s| json_attr(s, &["input.value"])))
    {
        inputs.insert("input".into(), v);
    }
    let last_agent = agents.last().map(|&a| spans[a]).unwrap_or(root);
    let last_model = models.last().map(|&m| spans[m]);
    let mut outputs = Map::new();
    if let Some(v) = json_attr(last_agent, &["final_result"]) {
        outputs.insert("final_result".into(), v);
    }
    if let Some(v) = json_attr(last_agent, &["gen_ai.output.messages"])
        .or_else(|| last_model.and_then(|s| json_attr(s, &["gen_ai.output.messages"])))
    {
        outputs.insert("messages".into(), v);
    }
    if let Some(v) = json_attr(last_agent, &["output.value"])
        .or_else(|| last_model.and_then(|s| json_attr(s, &["output.value"])))
    {
        outputs.insert("output".into(), v);
    }

    // Outcome.
    let mut outcome = Outcome::Success;
    let mut decision = "completed".to_string();
    let mut rationale = None;
    let failed = std::iter::once(top)
        .chain(agents.iter().copied())
        .find_map(|i| span_error(spans[i]));
    let (deferred, flagged) = deferred_calls(&spans, &agents);
    let mut pending = 0usize;
    let mut denied: Vec<String> = Vec::new();
    let mut approved = 0usize;
    let mut pending_external = 0usize;
    for d in &deferred {
        let executed = !d.call_id.is_empty() && tool_calls.iter().any(|t| t.call_id == d.call_id);
        if executed {
            approved += 1;
            continue;
        }
        let agent_end = spans[d.agent].end_ns.unwrap_or(spans[d.agent].start_ns);
        let answer = if d.call_id.is_empty() {
            None
        } else {
            models
                .iter()
                .map(|&m| spans[m])
                .filter(|s| s.start_ns >= agent_end)
                .find_map(|s| {
                    json_attr(s, &["gen_ai.input.messages"])
                        .and_then(|msgs| tool_response_in(&msgs, &d.call_id))
                })
        };
        let at = spans[d.agent]
            .end()
            .unwrap_or_else(|| spans[d.agent].start());
        let call_id = if d.call_id.is_empty() || used.contains(&d.call_id) {
            format!("deferred-{}", tool_calls.len() + 1)
        } else {
            d.call_id.clone()
        };
        used.insert(call_id.clone());
        let result_summary = match (&answer, d.approval) {
            (Some(a), true) => {
                let why = summary(a);
                denied.push(format!("{}: {why}", d.tool));
                Some(format!("denied by reviewer: {why}"))
            }
            (Some(a), false) => Some(format!("external result: {}", summary(a))),
            (None, true) => {
                pending += 1;
                Some(AWAITING.to_string())
            }
            (None, false) => {
                pending_external += 1;
                Some(AWAITING_EXTERNAL.to_string())
            }
        };
        tool_calls.push(ToolCall {
            call_id,
            parent_id: None,
            tool: d.tool.clone(),
            arguments: d.args.clone(),
            result_summary,
            result: answer,
            started_at: at,
            ended_at: None,
            cost_micros: Micros::ZERO,
            documents: Vec::new(),
            error: None,
        });
    }
    if flagged && deferred.is_empty() {
        warnings.push(format!(
            "trace {}: deferred tool requests flagged but none could be read; outcome pending",
            trace.trace_id
        ));
        pending += 1;
    }
    if let Some(msg) = failed {
        outcome = Outcome::Fail;
        decision = "failed".into();
        rationale = Some(msg);
    } else if pending > 0 {
        outcome = Outcome::Pending;
        decision = "awaiting_approval".into();
        rationale = Some(format!("{pending} tool call(s) await approval"));
    } else if pending_external > 0 {
        outcome = Outcome::Pending;
        decision = "awaiting_external_result".into();
        rationale = Some(format!(
            "{pending_external} tool call(s) await an external result"
        ));
    } else if !denied.is_empty() {
        outcome = Outcome::Denied;
        decision = "denied".into();
        rationale = Some(denied.join("; "));
    } else if approved > 0 {
        decision = "approved".into();
        rationale = Some("deferred tool calls approved by a reviewer".into());
    }

    let started_at = top_span.start();
    let last_end = spans.iter().filter_map(|s| s.end_ns).max();
    let end_ns = top_span.end_ns.or(last_end);
    let latency_ms = end_ns
        .map(|e| e.saturating_sub(top_span.start_ns) / 1_000_000)
        .unwrap_or(0);
    let end = end_ns.map(crate::otlp::from_nanos);
    let ended_at = if outcome == Outcome::Pending {
        None
    } else {
        end
    };
    let updated_at = end.unwrap_or(started_at);

    let run = Run {
        run_id: format!("otel-{}", trace.trace_id),
        revision: 1,
        tenant: top_span
            .resource
            .get("service.name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        user_id: any(&["user.id", "enduser.id"]).unwrap_or_else(|| "unknown".into()),
        team: None,
        workflow,
        workflow_version: any(&["gen_ai.agent.version"])
            .or_else(|| {
                top_span
                    .resource
                    .get("service.version")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default(),
        model,
        inputs: Value::Object(inputs),
        tool_calls,
        citations,
        outputs: if outputs.is_empty() {
            json!(null)
        } else {
            Value::Object(outputs)
        },
        confidence: None,
        cost_micros,
        tokens,
        latency_ms,
        outcome,
        decision,
        rationale,
        policy_checks: Vec::new(),
        changes: Vec::new(),
        started_at,
        ended_at,
        updated_at,
    };
    Ok((run, warnings))
}
