//! Rules for untrusted text: agent and tool output is data, never markup or a link to follow.
//! The character sets are data (`&[(first, last)]` code point ranges) so the UI receives them
//! generated (`ui/src/api/generated/constants.ts`) instead of keeping its own copy.

/// Inclusive code point ranges of characters that can hide or reorder what a value appears to
/// say: zero-width characters, bidi controls, word joiners, the BOM, the Arabic letter mark and
/// the Mongolian vowel separator.
pub const INVISIBLE_OR_BIDI: &[(u32, u32)] = &[
    (0x061C, 0x061C),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x2069),
    (0xFEFF, 0xFEFF),
];

/// Inclusive code point ranges of control characters a display spells out instead of showing:
/// C0 controls other than tab, newline and carriage return, DEL and the C1 controls, and the
/// Unicode line and paragraph separators.
pub const DISPLAY_CONTROLS: &[(u32, u32)] = &[
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0x2028, 0x2029),
];

/// URL prefixes (compared case-insensitively) the console will open in the system browser.
pub const OPENABLE_URL_SCHEMES: &[&str] = &["http://", "https://"];

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

/// Whether a URL may be opened in the system browser: an absolute http(s) URL with a host, and
/// no whitespace, control or hidden character anywhere in it.
pub fn is_openable_url(url: &str) -> bool {
    let Some(rest) = OPENABLE_URL_SCHEMES.iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &url[scheme.len()..])
    }) else {
        return false;
    };
    !rest.is_empty()
        && !rest.starts_with('/')
        && !url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || is_marked_for_display(c))
}

/// Characters that can hide or reorder what a field appears to say ([`INVISIBLE_OR_BIDI`]).
pub fn is_invisible_or_bidi(c: char) -> bool {
    in_ranges(INVISIBLE_OR_BIDI, c)
}

/// Characters a display shows as a visible `U+XXXX` marker instead of the character itself:
/// [`INVISIBLE_OR_BIDI`] and [`DISPLAY_CONTROLS`].
pub fn is_marked_for_display(c: char) -> bool {
    is_invisible_or_bidi(c) || in_ranges(DISPLAY_CONTROLS, c)
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
        assert!(!is_openable_url("https://"), "no host");
        assert!(!is_openable_url("https:///etc/passwd"), "no host");
        assert!(!is_openable_url(" https://kb.example"), "leading space");
        assert!(
            !is_openable_url("https://kb.example/\u{202E}fdp.exe"),
            "bidi control"
        );
        assert!(
            !is_openable_url("https://kb.example/\u{200B}"),
            "zero width"
        );
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
        if c.is_control() || is_marked_for_display(c) {
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
