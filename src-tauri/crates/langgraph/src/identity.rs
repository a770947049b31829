//! For whom a LangGraph thread ran and with which model.
//!
//! - **User and tenant**: the first value under the backend's identity keys
//!   ([`IdentityKeys`], the backend config's `identity`; by default `user_id`, and `tenant_id`
//!   then `tenant`) in the thread's metadata, else in its checkpoints' metadata (newest first:
//!   a run's `metadata` lands there), else in its messages' metadata (a message's `metadata`,
//!   its `additional_kwargs.metadata`, or its `additional_kwargs`).
//! - **Model**: the first AI message's `response_metadata.model_name` (else `model`, else
//!   `model_id`), as chat models report it.
//! - **Prompt and retrieval labels**: `prompt_label` (else `prompt_version`) and
//!   `retrieval_label` (else `retrieval_index`) in the thread's metadata, else its checkpoints'
//!   (where a run's metadata and its assistant's `configurable` keys land).
//! - **Tokens**: the AI messages' `usage_metadata.input_tokens` / `output_tokens`, each message
//!   counted once however many checkpoints hold it.

use crate::wire::{HistoryState, Thread};
use countersign_core::identity::identity_text;
use countersign_core::{IdentityKeys, Run, TokenUsage};
use serde_json::Value;
use std::collections::BTreeSet;

/// What a thread says about who its run was for and which model it used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunIdentity {
    /// The end user, if named.
    pub user_id: Option<String>,
    /// The tenant, if named.
    pub tenant: Option<String>,
    /// The model the first AI message names.
    pub model: Option<String>,
    /// The prompt label, if named.
    pub prompt: Option<String>,
    /// The retrieval label, if named.
    pub retrieval: Option<String>,
    /// Tokens the AI messages report.
    pub tokens: TokenUsage,
}

/// Metadata keys naming the prompt label.
const PROMPT_KEYS: [&str; 2] = ["prompt_label", "prompt_version"];
/// Metadata keys naming the retrieval label.
const RETRIEVAL_KEYS: [&str; 2] = ["retrieval_label", "retrieval_index"];

impl RunIdentity {
    /// Sets the run's user (else `unknown`), tenant (else empty), model (else empty), prompt
    /// and retrieval labels and tokens.
    pub fn apply(&self, run: &mut Run) {
        run.user_id = self.user_id.clone().unwrap_or_else(|| "unknown".into());
        run.tenant = self.tenant.clone().unwrap_or_default();
        run.model = self.model.clone().unwrap_or_default();
        run.prompt.clone_from(&self.prompt);
        run.retrieval.clone_from(&self.retrieval);
        run.tokens = self.tokens;
    }
}

/// Reads a thread's identity (see the module docs); `oldest_first` is its history.
pub fn of_thread(
    thread: &Thread,
    oldest_first: &[&HistoryState],
    keys: &IdentityKeys,
) -> RunIdentity {
    let messages = messages(thread, oldest_first);
    let mut metadata: Vec<&Value> = vec![&thread.metadata];
    metadata.extend(oldest_first.iter().rev().map(|s| &s.metadata));
    // Labels name the configuration: only the thread's and its checkpoints' metadata.
    let label = |keys: [&str; 2]| {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        metadata
            .iter()
            .find_map(|m| countersign_core::identity::first_in(m, &keys))
    };
    let (prompt, retrieval) = (label(PROMPT_KEYS), label(RETRIEVAL_KEYS));
    for m in &messages {
        metadata.push(m.get("metadata").unwrap_or(&Value::Null));
        let kwargs = m.get("additional_kwargs").unwrap_or(&Value::Null);
        metadata.push(kwargs.get("metadata").unwrap_or(&Value::Null));
        metadata.push(kwargs);
    }
    let find = |keys: &[String]| {
        metadata
            .iter()
            .find_map(|m| countersign_core::identity::first_in(m, keys))
    };
    let ai: Vec<&Value> = messages.iter().copied().filter(|m| is_ai(m)).collect();
    RunIdentity {
        user_id: find(&keys.user_keys),
        tenant: find(&keys.tenant_keys),
        model: ai.iter().find_map(|m| model_of(m)),
        prompt,
        retrieval,
        tokens: ai.iter().fold(TokenUsage::default(), |t, m| {
            let usage = m.get("usage_metadata").unwrap_or(&Value::Null);
            let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
            TokenUsage {
                input: t.input.saturating_add(n("input_tokens")),
                output: t.output.saturating_add(n("output_tokens")),
            }
        }),
    }
}

/// The thread's messages, oldest first: those of its current values, then those only older
/// checkpoints still hold (by message id; a message without an id is taken from the newest
/// state that has messages only).
fn messages<'a>(thread: &'a Thread, oldest_first: &[&'a HistoryState]) -> Vec<&'a Value> {
    let lists = std::iter::once(&thread.values)
        .chain(oldest_first.iter().rev().map(|s| &s.values))
        .filter_map(|v| v.get("messages")?.as_array())
        .filter(|l| !l.is_empty());
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut out: Vec<&Value> = Vec::new();
    for (n, list) in lists.enumerate() {
        let mut older: Vec<&Value> = Vec::new();
        for m in list {
            match m.get("id").and_then(Value::as_str) {
                Some(id) if seen.insert(id) => older.push(m),
                Some(_) => {}
                None if n == 0 => older.push(m),
                None => {}
            }
        }
        if n == 0 {
            out = older;
        } else {
            // Messages only an older state holds came before the newer state's.
            older.extend(out);
            out = older;
        }
    }
    out
}

/// Whether a serialised message is an AI message.
fn is_ai(m: &Value) -> bool {
    matches!(
        m.get("type").and_then(Value::as_str),
        Some("ai" | "AIMessage" | "AIMessageChunk")
    )
}

/// The model an AI message's `response_metadata` names.
fn model_of(m: &Value) -> Option<String> {
    let meta = m.get("response_metadata")?;
    ["model_name", "model", "model_id"]
        .iter()
        .find_map(|k| meta.get(*k).and_then(identity_text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ai(id: &str, model: &str, tokens: (u64, u64)) -> Value {
        json!({"type": "ai", "id": id, "content": "", "additional_kwargs": {},
               "response_metadata": {"model_name": model, "finish_reason": "stop"},
               "usage_metadata": {"input_tokens": tokens.0, "output_tokens": tokens.1,
                                  "total_tokens": tokens.0 + tokens.1}})
    }

    fn thread(metadata: Value, messages: Vec<Value>) -> Thread {
        Thread {
            thread_id: "t-1".into(),
            metadata,
            values: json!({ "messages": messages }),
            ..Thread::default()
        }
    }

    fn state(metadata: Value, messages: Vec<Value>) -> HistoryState {
        HistoryState {
            metadata,
            values: json!({ "messages": messages }),
            ..HistoryState::default()
        }
    }

    #[test]
    fn model_and_tokens_come_from_the_ai_messages_each_counted_once() {
        let human = json!({"type": "human", "id": "h1", "content": "refund A-1"});
        let (a1, a2) = (
            ai("a1", "gpt-4o-mini", (100, 10)),
            ai("a2", "gpt-4o", (150, 25)),
        );
        let t = thread(json!({}), vec![human.clone(), a1.clone(), a2.clone()]);
        let older = state(json!({}), vec![human.clone(), a1.clone()]);
        let who = of_thread(&t, &[&older], &IdentityKeys::default());
        assert_eq!(who.model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(
            who.tokens,
            TokenUsage {
                input: 250,
                output: 35
            }
        );
        // A message a later state removed (e.g. summarised away) still counts, once.
        let t = thread(json!({}), vec![human.clone(), a2]);
        let who = of_thread(&t, &[&older], &IdentityKeys::default());
        assert_eq!(who.model.as_deref(), Some("gpt-4o-mini"), "oldest first");
        assert_eq!((who.tokens.input, who.tokens.output), (250, 35));
        let none = of_thread(
            &thread(json!({}), vec![human]),
            &[],
            &IdentityKeys::default(),
        );
        assert_eq!((none.model, none.tokens), (None, TokenUsage::default()));
    }

    #[test]
    fn prompt_and_retrieval_labels_from_thread_then_checkpoint_metadata() {
        let keys = IdentityKeys::default();
        let t = thread(json!({"prompt_label": "refund-v8"}), vec![]);
        let cp = state(
            json!({"prompt_label": "old", "retrieval_index": "kb-11"}),
            vec![],
        );
        let who = of_thread(&t, &[&cp], &keys);
        assert_eq!(
            (who.prompt.as_deref(), who.retrieval.as_deref()),
            (Some("refund-v8"), Some("kb-11"))
        );
        // Message metadata never names the configuration.
        let msg = json!({"type": "human", "id": "h1", "content": "hi",
                         "metadata": {"prompt_label": "from-a-message"}});
        let who = of_thread(&thread(json!({}), vec![msg]), &[], &keys);
        assert_eq!((who.prompt, who.retrieval), (None, None));
    }

    #[test]
    fn user_and_tenant_from_thread_then_checkpoint_then_message_metadata() {
        let keys = IdentityKeys::default();
        // Today's keys keep working: thread metadata `user_id` and `tenant`.
        let t = thread(json!({"user_id": "u-1", "tenant": "acme"}), vec![]);
        let who = of_thread(&t, &[], &keys);
        assert_eq!(
            (who.user_id.as_deref(), who.tenant.as_deref()),
            (Some("u-1"), Some("acme"))
        );
        // A run's metadata, in the checkpoint's; then a message's.
        let t = thread(json!({"graph_id": "agent"}), vec![]);
        let older = state(json!({"user_id": "u-old"}), vec![]);
        let newer = state(json!({"user_id": "u-2", "source": "loop"}), vec![]);
        let msg = json!({"type": "human", "id": "h1", "content": "hi",
                         "additional_kwargs": {"metadata": {"tenant_id": "globex"}}});
        let t2 = Thread {
            values: json!({"messages": [msg]}),
            ..t
        };
        let who = of_thread(&t2, &[&older, &newer], &keys);
        assert_eq!(
            (who.user_id.as_deref(), who.tenant.as_deref()),
            (Some("u-2"), Some("globex"))
        );
        // The backend's own keys.
        let mine =
            IdentityKeys::from_json(&json!({"user_keys": ["customer"], "tenant_keys": ["org"]}))
                .expect("keys");
        let t = thread(
            json!({"customer": "c-9", "org": "initech", "user_id": "u-1"}),
            vec![],
        );
        let who = of_thread(&t, &[], &mine);
        assert_eq!(
            (who.user_id.as_deref(), who.tenant.as_deref()),
            (Some("c-9"), Some("initech"))
        );
    }

    /// `map::build` gives the run and its actions the thread's identity.
    #[test]
    fn built_run_and_actions_carry_user_tenant_model_and_tokens() {
        use crate::config::LangGraphConfig;
        use crate::wire::{Interrupt, Task};
        let inbox = json!([{"action_request": {"action": "issue_refund",
            "args": {"order_id": "A-1", "amount": "10.00"}},
            "config": {"allow_accept": true, "allow_edit": true, "allow_respond": false,
                       "allow_ignore": true}, "description": "Refund"}]);
        let interrupt = Interrupt {
            id: "i-1".into(),
            value: inbox,
            response_schema: None,
        };
        let messages = vec![
            json!({"type": "human", "id": "h1", "content": "refund A-1"}),
            ai("a1", "gpt-4o-mini", (40, 8)),
        ];
        let mut t = thread(
            json!({"graph_id": "refunds", "customer": "c-3", "tenant_id": "acme"}),
            messages.clone(),
        );
        t.status = "interrupted".into();
        t.interrupts
            .insert("task-1".into(), vec![interrupt.clone()]);
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let history = vec![HistoryState {
            values: json!({"messages": messages}),
            tasks: vec![Task {
                id: "task-1".into(),
                name: "review".into(),
                interrupts: vec![interrupt],
                ..Task::default()
            }],
            created_at: Some(at),
            checkpoint_id: Some("cp-1".into()),
            ..HistoryState::default()
        }];
        let cfg = LangGraphConfig::from_backend_config(&json!({
            "identity": {"user_keys": ["customer"]}
        }));
        let built = crate::map::build(&t, &history, &[], &cfg, &Default::default());
        let run = built.run.expect("run");
        assert_eq!(
            (
                run.user_id.as_str(),
                run.tenant.as_str(),
                run.model.as_str()
            ),
            ("c-3", "acme", "gpt-4o-mini")
        );
        assert_eq!((run.tokens.input, run.tokens.output), (40, 8));
        assert_eq!(built.actions.len(), 1);
        assert_eq!(built.actions[0].tenant, "acme");
        // Without metadata naming them: unknown user, no tenant, no model.
        let bare = Thread {
            metadata: json!({}),
            values: json!({}),
            ..t
        };
        let history = vec![HistoryState {
            values: json!({}),
            ..history[0].clone()
        }];
        let built = crate::map::build(&bare, &history, &[], &cfg, &Default::default());
        let run = built.run.expect("run");
        assert_eq!(
            (
                run.user_id.as_str(),
                run.tenant.as_str(),
                run.model.as_str()
            ),
            ("unknown", "", "")
        );
    }
}
