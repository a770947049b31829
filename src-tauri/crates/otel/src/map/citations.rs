//! Citations: the documents a retriever span returned, or a tool result that lists documents.

use crate::otlp::Span;
use countersign_core::Citation;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The length of `s` in characters.
fn char_len(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

/// A citation of the whole `content` of a document, found by tool call `call_id`. The title
/// defaults to the document id; only an `http(s)` URL is kept.
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

/// OpenInference `retrieval.documents.N.document.{id,content,score,metadata}` as documents
/// (field → value), in order of `N`.
fn retrieved_documents(attrs: &BTreeMap<String, Value>) -> Vec<Map<String, Value>> {
    let mut docs: BTreeMap<u64, Map<String, Value>> = BTreeMap::new();
    for (k, v) in attrs {
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
    docs.into_values().collect()
}

/// One retrieved document as a citation; `None` without `content`.
fn retrieved_citation(d: &Map<String, Value>, call_id: &str) -> Option<Citation> {
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
}

/// The citations of a retriever span's `retrieval.documents.*` attributes.
pub(super) fn retrieval_citations(s: &Span, call_id: &str) -> Vec<Citation> {
    retrieved_documents(&s.attrs)
        .iter()
        .filter_map(|d| retrieved_citation(d, call_id))
        .collect()
}

/// A tool result that is a list of documents (`[{id, title?, url?, content|text}]`, or
/// `{"documents": [...]}`) becomes citations.
pub(super) fn result_citations(result: &Value, call_id: &str) -> Vec<Citation> {
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
