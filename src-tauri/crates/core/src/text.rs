//! Rules for untrusted text: agent and tool output is data, never markup or a link to follow.

/// Whether a URL may be opened in the system browser: only absolute http(s) URLs.
pub fn is_openable_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Characters that can hide or reorder what a field appears to say: bidi controls and
/// zero-width characters.
pub fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{180E}')
}

/// Whether `text` contains any bidi or zero-width character.
pub fn has_hidden_characters(text: &str) -> bool {
    text.chars().any(is_invisible_or_bidi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_open() {
        assert!(is_openable_url("https://kb.example/doc?id=1"));
        assert!(is_openable_url("HTTP://kb.example"));
        assert!(!is_openable_url("javascript:alert(1)"));
        assert!(!is_openable_url("data:text/html,<b>x</b>"));
        assert!(!is_openable_url("file:///etc/passwd"));
        assert!(!is_openable_url("https://kb.example/\nx"));
    }

    #[test]
    fn finds_bidi_and_zero_width() {
        assert!(has_hidden_characters("EU\u{200B}"));
        assert!(has_hidden_characters("\u{202E}dlrow"));
        assert!(!has_hidden_characters("EU"));
    }
}

/// Untrusted text made safe for a plain-text surface (a desktop notification, a log line):
/// control, bidi and zero-width characters are shown as `U+XXXX`, and the result is cut to
/// `max` characters.
pub fn plain(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if out.chars().count() >= max {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible_or_bidi(c) {
            out.push_str(&format!("U+{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod plain_tests {
    use super::plain;

    #[test]
    fn hidden_characters_are_spelled_out_and_length_is_bounded() {
        assert_eq!(plain("refund \u{202E}EU", 50), "refund U+202EEU");
        assert_eq!(plain("abcdef", 3), "abc…");
        assert_eq!(plain("a\nb", 10), "aU+000Ab");
    }
}
