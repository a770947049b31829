//! Checks on everything an agent sends, which is untrusted: sizes per field and per record
//! first (before anything is built from it), then the schema (serde, naming the path of the
//! first bad field), then the rules serde cannot say (identifiers, ranges, times). Every
//! refusal is a 422 problem whose `field` names what to fix.

use crate::api::problem::{Problem, invalid_field};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Longest text value anywhere in a record, in bytes.
pub(crate) const MAX_STRING: usize = 64 * 1024;
/// Most items in any array of a record.
pub(crate) const MAX_ITEMS: usize = 10_000;
/// Deepest nesting of a record.
pub(crate) const MAX_DEPTH: usize = 32;
/// Longest identifier (run, action, call ids, names), in bytes.
pub(crate) const MAX_ID: usize = 200;

/// Checks sizes and depth of `v`; the path of the first value too big otherwise.
pub(crate) fn sizes(v: &Value) -> Result<(), Problem> {
    fn walk(v: &Value, path: &mut String, depth: usize) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(invalid_field(
                or_record(path),
                &format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        match v {
            Value::String(s) if s.len() > MAX_STRING => Err(invalid_field(
                or_record(path),
                &format!("text longer than {MAX_STRING} bytes"),
            )),
            Value::Array(items) => {
                if items.len() > MAX_ITEMS {
                    return Err(invalid_field(
                        or_record(path),
                        &format!("more than {MAX_ITEMS} items"),
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path, depth + 1)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(map) => {
                for (k, item) in map {
                    if k.len() > MAX_ID {
                        return Err(invalid_field(
                            or_record(path),
                            &format!("a key longer than {MAX_ID} bytes"),
                        ));
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(item, path, depth + 1)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(v, &mut String::new(), 0)
}

fn or_record(path: &str) -> &str {
    if path.is_empty() { "(record)" } else { path }
}

/// Reads a record of `T` from `v` after checking its sizes; a schema error names the path of
/// the field it is about.
pub(crate) fn record<T: DeserializeOwned>(v: Value) -> Result<T, Problem> {
    sizes(&v)?;
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // A missing or unknown field is reported at its parent: name the field itself.
        let named = quoted(&inner);
        let field = match (path.as_str(), named) {
            (".", Some(n)) => n.to_string(),
            (".", None) => "(record)".to_string(),
            (p, Some(n)) if inner.starts_with("missing field") => format!("{p}.{n}"),
            (p, _) => p.to_string(),
        };
        invalid_field(&field, &inner)
    })
}

/// The first name quoted with backticks in a serde message (`missing field `x``).
fn quoted(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// An identifier: 1..=`MAX_ID` bytes of printable ASCII without spaces.
pub(crate) fn identifier(field: &str, value: &str) -> Result<(), Problem> {
    if value.is_empty() || value.len() > MAX_ID || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid_field(
            field,
            &format!("must be 1-{MAX_ID} bytes of printable ASCII without spaces"),
        ));
    }
    Ok(())
}

/// A name or label: 1..=`max` bytes, not blank, without control characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<(), Problem> {
    if value.trim().is_empty() || value.len() > max || value.chars().any(char::is_control) {
        return Err(invalid_field(
            field,
            &format!("must be 1-{max} bytes of text without control characters"),
        ));
    }
    Ok(())
}

/// Optional text of at most `max` bytes without control characters.
pub(crate) fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<(), Problem> {
    match value {
        Some(v) => text(field, v, max),
        None => Ok(()),
    }
}

/// A share in 0..=1.
pub(crate) fn unit_interval(field: &str, value: Option<f64>) -> Result<(), Problem> {
    match value {
        Some(c) if !(c.is_finite() && (0.0..=1.0).contains(&c)) => {
            Err(invalid_field(field, "must be between 0 and 1"))
        }
        _ => Ok(()),
    }
}

/// Canonical JSON of `v` (object keys sorted at every level), so two bodies that differ only
/// in key order or spacing hash alike.
pub(crate) fn canonical(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(item) = map.get(k) {
                        write(item, out);
                    }
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(p: Problem) -> String {
        p.to_value()["field"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn sizes_name_the_path_of_the_value_too_big() {
        let big = "x".repeat(MAX_STRING + 1);
        let v = json!({"tool_calls": [{"call_id": "c1"}, {"arguments": {"text": big}}]});
        let err = sizes(&v).expect_err("too big");
        assert_eq!(field_of(err), "tool_calls[1].arguments.text");
        let mut deep = json!(1);
        for _ in 0..=MAX_DEPTH {
            deep = json!([deep]);
        }
        assert!(sizes(&deep).is_err());
        assert!(sizes(&json!({"a": [1, 2, {"b": "ok"}]})).is_ok());
    }

    #[test]
    fn schema_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            at: chrono::DateTime<chrono::Utc>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Rec {
            id: String,
            items: Vec<Inner>,
        }
        let e = record::<Rec>(
            json!({"id": "a", "items": [{"at": "2026-01-01T00:00:00Z"}, {"at": "yesterday"}]}),
        );
        assert_eq!(field_of(e.expect_err("bad time")), "items[1].at");
        let e = record::<Rec>(json!({"items": []}));
        assert_eq!(field_of(e.expect_err("missing")), "id");
        let e = record::<Rec>(json!({"id": "a", "items": [], "extra": 1}));
        assert_eq!(field_of(e.expect_err("unknown")), "extra");
    }

    #[test]
    fn canonical_json_ignores_key_order() {
        let a = json!({"b": [1, {"y": 2, "x": 1}], "a": "t"});
        let b = json!({"a": "t", "b": [1, {"x": 1, "y": 2}]});
        assert_eq!(canonical(&a), canonical(&b));
        assert_ne!(canonical(&a), canonical(&json!({"a": "t"})));
    }
}
