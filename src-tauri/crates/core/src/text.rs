//! Rules for untrusted text: agent and tool output is data, never markup or a link to follow.
//! The character sets are data (`&[(first, last)]` code point ranges) so the UI receives them
//! generated (`ui/src/api/generated/constants.ts`) instead of keeping its own copy.

/// Inclusive code point ranges of characters that can hide or reorder what a value appears to
/// say. This is every Unicode `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt,
/// transcribed from the Unicode 18.0 tables of `unicode-security` 0.1.3): the soft hyphen, the combining grapheme joiner,
/// the Arabic letter mark, the Hangul fillers, Khmer inherent vowels, the Mongolian free
/// variation selectors and vowel separator, zero-width characters, bidi controls, word joiners
/// and invisible operators, variation selectors (U+FE00–FE0F, U+E0100–E01EF), the BOM,
/// shorthand format controls, musical beam controls, tag characters (U+E0000–E007F) and the
/// code points reserved as default-ignorable. A test checks it against the ICU property data
/// (`icu_properties`) and the UTS #39 tables (`unicode-security`).
pub const INVISIBLE_OR_BIDI: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
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

/// Whether `text` contains any hidden character ([`INVISIBLE_OR_BIDI`]: bidi controls,
/// zero-width and other default-ignorable characters).
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
    fn hidden_set_is_exactly_default_ignorable() {
        use icu_properties::CodePointSetData;
        use icu_properties::props::DefaultIgnorableCodePoint;
        let icu = CodePointSetData::new::<DefaultIgnorableCodePoint>();
        for cp in 0..=0x10FFFF_u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(
                is_invisible_or_bidi(c),
                icu.contains(c),
                "U+{cp:04X}: table and Default_Ignorable_Code_Point disagree"
            );
            // UTS #39 skeletons drop exactly the default-ignorable code points.
            if unicode_security::skeleton(c.encode_utf8(&mut [0; 4]))
                .next()
                .is_none()
            {
                assert!(is_invisible_or_bidi(c), "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn range_tables_are_sorted_inclusive_and_disjoint() {
        for table in [INVISIBLE_OR_BIDI, DISPLAY_CONTROLS] {
            for &(lo, hi) in table {
                assert!(lo <= hi, "{lo:X}..{hi:X}");
            }
            for w in table.windows(2) {
                assert!(w[0].1 < w[1].0, "{:X?} then {:X?}", w[0], w[1]);
            }
        }
    }

    #[test]
    fn tags_soft_hyphen_and_variation_selectors_are_hidden() {
        for c in [
            '\u{00AD}',
            '\u{E0000}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{E01EF}',
            '\u{034F}',
            '\u{3164}',
            '\u{115F}',
        ] {
            assert!(is_invisible_or_bidi(c), "U+{:04X}", c as u32);
            assert!(is_marked_for_display(c), "U+{:04X}", c as u32);
        }
        for c in ['A', '-', '\u{00AC}', '\u{FE10}', '\u{E01F0}', '\u{DFFFF}'] {
            let hidden = is_invisible_or_bidi(c);
            // U+E01F0 is reserved default-ignorable; the others are visible.
            assert_eq!(hidden, c == '\u{E01F0}', "U+{:04X}", c as u32);
        }
        assert_eq!(plain("EU\u{E0041}", 20), "EUU+E0041");
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
