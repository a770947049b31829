//! Lone UTF-16 surrogate escapes in JSON text (`"\ud800"`, which JavaScript exporters write for
//! a string cut in the middle of a surrogate pair). `serde_json` refuses the whole document for
//! one of them; [`repair`] replaces each with `\ufffd` (U+FFFD REPLACEMENT CHARACTER) so the
//! rest of the document can be read, and says how many it replaced. Spans holding U+FFFD after
//! a repair are then flagged ([`count_replacements`]) so the user learns which runs were touched.

use serde_json::Value;

/// JSON text whose lone surrogate escapes were replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repaired {
    /// The text with every lone `\uD800`..`\uDFFF` escape replaced by `\ufffd`.
    pub bytes: Vec<u8>,
    /// How many escapes were replaced (at least one).
    pub count: usize,
}

/// The replacement written for a lone surrogate escape.
const REPLACEMENT: &[u8] = b"\\ufffd";

/// The value of the `\uXXXX` escape starting at `at` (`at` is the backslash), if it is one.
fn escape_at(text: &[u8], at: usize) -> Option<u16> {
    let esc = text.get(at..at + 6)?;
    if esc[0] != b'\\' || esc[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&esc[2..]).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

/// Replaces lone UTF-16 surrogate escapes in JSON text with `\ufffd`; `None` when there is
/// none (the text is then left as it is). Escaped backslashes (`\\ud800` is the six characters
/// `\ud800`, not an escape) and well-formed surrogate pairs are kept. Runs in one pass without
/// copying unless a repair is needed.
pub fn repair(text: &[u8]) -> Option<Repaired> {
    let mut out: Option<Vec<u8>> = None;
    let mut count = 0usize;
    let mut copied = 0usize;
    let mut i = 0usize;
    while i < text.len() {
        if text[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(text, i) else {
            // `\\`, `\"`, `\n`, ...: skip the escaped character too.
            i += 2;
            continue;
        };
        let lone = match unit {
            0xD800..=0xDBFF => match escape_at(text, i + 6) {
                Some(0xDC00..=0xDFFF) => {
                    i += 12;
                    continue;
                }
                _ => true,
            },
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(text.len()));
            buf.extend_from_slice(&text[copied..i]);
            buf.extend_from_slice(REPLACEMENT);
            count += 1;
            copied = i + 6;
        }
        i += 6;
    }
    let mut bytes = out?;
    bytes.extend_from_slice(&text[copied..]);
    Some(Repaired { bytes, count })
}

/// How many U+FFFD characters the strings (and object keys) of `value` hold.
pub fn count_replacements(value: &Value) -> usize {
    let in_str = |s: &str| s.matches('\u{FFFD}').count();
    match value {
        Value::String(s) => in_str(s),
        Value::Array(xs) => xs.iter().map(count_replacements).sum(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| in_str(k) + count_replacements(v))
            .sum(),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// The warning shown for a trace whose spans held repaired text.
pub fn warning(trace_id: &str, spans: &[String]) -> String {
    format!(
        "trace {trace_id} (run otel-{trace_id}) was repaired: a lone UTF-16 surrogate escape (e.g. \"\\ud800\") in span(s) {} was replaced with U+FFFD",
        spans.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_are_replaced_and_pairs_kept() {
        let text =
            br#"{"a":"x\ud800y","b":"\ud83d\ude00","c":"\\ud800","d":"\udc00","e":"\ud800\u0041"}"#;
        let fixed = repair(text).map(|r| (String::from_utf8_lossy(&r.bytes).into_owned(), r.count));
        assert_eq!(
            fixed,
            Some((
                r#"{"a":"x\ufffdy","b":"\ud83d\ude00","c":"\\ud800","d":"\ufffd","e":"\ufffd\u0041"}"#
                    .to_string(),
                3
            ))
        );
        assert_eq!(repair(br#"{"ok":"\u00e9\ud83d\ude00"}"#), None);
        // Truncated escapes are left for the JSON parser to refuse.
        assert_eq!(repair(br#""\ud8"#), None);
    }

    #[test]
    fn replacement_characters_are_counted() {
        let v = serde_json::json!({"k\u{FFFD}": ["a\u{FFFD}\u{FFFD}", {"x": 1}]});
        assert_eq!(count_replacements(&v), 3);
    }
}
