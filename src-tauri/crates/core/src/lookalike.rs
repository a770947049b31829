//! Look-alike characters, by Unicode Technical Standard #39 (security mechanisms): confusable
//! skeletons and mixed-script detection, from the maintained `unicode-security` tables rather
//! than a list of our own.

use crate::text::is_marked_for_display;
use unicode_security::MixedScript;
use unicode_security::mixed_script::AugmentedScriptSet;

/// The UTS #39 skeleton of a value: NFD, default-ignorable code points removed, every
/// character replaced by the prototype it is confusable with. Two values with the same
/// skeleton look alike (`"ЕU"` with a Cyrillic Е and `"EU"` both give `"EU"`).
pub fn skeleton(value: &str) -> String {
    unicode_security::skeleton(value).collect()
}

/// A non-ASCII character that looks like ASCII text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookAlike {
    /// The character.
    pub found: char,
    /// The ASCII text it imitates (its skeleton).
    pub looks_like: String,
    /// The scripts it belongs to (`Cyrillic`), for the message.
    pub script: String,
}

/// The ASCII skeleton of a non-ASCII character, when it has one.
fn ascii_prototype(c: char) -> Option<String> {
    if c.is_ascii() || is_marked_for_display(c) {
        return None;
    }
    let s = skeleton(c.encode_utf8(&mut [0; 4]));
    (!s.is_empty() && s.is_ascii() && s.chars().all(|c| c.is_ascii_graphic())).then_some(s)
}

/// Whether a word (no whitespace) mixes scripts (UTS #39 section 5.1: its resolved script set
/// is empty), like `Pаypal` with a Cyrillic а.
pub fn is_mixed_script(word: &str) -> bool {
    !word.is_single_script()
}

/// The words of a value that mix scripts, in order. Hidden characters (reported on their
/// own) are left out of the comparison.
pub fn mixed_script_words(value: &str) -> Vec<&str> {
    value
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| {
            let visible: String = w.chars().filter(|c| !is_marked_for_display(*c)).collect();
            !visible.is_empty() && is_mixed_script(&visible)
        })
        .collect()
}

/// The scripts of the characters of a word, for a message (`Latin, Cyrillic`).
pub fn scripts_of(word: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    for c in word.chars() {
        let set = AugmentedScriptSet::for_char(c);
        if set.is_all() {
            continue;
        }
        let name = set.base.to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// The non-ASCII characters of `value` that look like ASCII.
///
/// With `everywhere` (values that must be ASCII: amounts, codes, identifiers) every such
/// character is reported. Otherwise (free text, where other scripts are normal) only those in
/// a word that mixes scripts, or in a word whose whole skeleton is ASCII (a whole-script
/// look-alike such as Cyrillic `арр` for `app`), are.
pub fn look_alikes(value: &str, everywhere: bool) -> Vec<LookAlike> {
    let mut out = Vec::new();
    for word in value.split(char::is_whitespace) {
        let suspicious = everywhere || is_mixed_script(word) || {
            let s = skeleton(word);
            !word.is_ascii() && !s.is_empty() && s.is_ascii()
        };
        if !suspicious {
            continue;
        }
        for c in word.chars() {
            if let Some(looks_like) = ascii_prototype(c) {
                out.push(LookAlike {
                    found: c,
                    looks_like,
                    script: scripts_of(c.encode_utf8(&mut [0; 4])),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(value: &str, everywhere: bool) -> Vec<(char, String)> {
        look_alikes(value, everywhere)
            .into_iter()
            .map(|l| (l.found, l.looks_like))
            .collect()
    }

    #[test]
    fn skeletons_follow_uts39() {
        assert_eq!(skeleton("\u{0415}U"), skeleton("EU"));
        assert_eq!(
            skeleton("\u{03A1}\u{0391}\u{03A5}"),
            skeleton("PAY"),
            "Greek"
        );
        assert_eq!(skeleton("\u{FF25}\u{FF35}"), skeleton("EU"), "fullwidth");
        assert_eq!(skeleton("E\u{200B}U"), skeleton("EU"), "ignorables dropped");
        assert_ne!(skeleton("EU"), skeleton("FU"));
    }

    #[test]
    fn cyrillic_greek_fullwidth_and_armenian_look_alikes_are_found() {
        assert_eq!(
            found("\u{0415}U", true),
            vec![('\u{0415}', "E".to_string())]
        );
        assert_eq!(
            found("\u{0391}\u{0392}", true).len(),
            2,
            "Greek Alpha, Beta"
        );
        assert_eq!(
            found("\u{FF25}\u{FF35}\u{FF32}", true).len(),
            3,
            "fullwidth"
        );
        assert_eq!(found("\u{0555}K", true).len(), 1, "Armenian Oh");
        assert_eq!(
            found("\u{FF41}cme", false).len(),
            1,
            "fullwidth a in a Latin word"
        );
        let l = look_alikes("\u{0415}U", true);
        assert!(l[0].script.contains("Cyrillic"), "{l:?}");
        assert!(found("EUR", true).is_empty());
        assert!(
            found("café", true).is_empty(),
            "accented Latin is not a look-alike"
        );
    }

    #[test]
    fn free_text_flags_mixed_and_whole_script_look_alikes_only() {
        // Mixed script in one word: Latin with a Cyrillic а.
        assert_eq!(
            found("P\u{0430}ypal refund", false),
            vec![('\u{0430}', "a".to_string())]
        );
        // Whole-script look-alike: every letter Cyrillic, reads as the Latin word "ope".
        assert_eq!(found("\u{043E}\u{0440}\u{0435}", false).len(), 3);
        // Ordinary Russian text next to English text is not a trap.
        assert!(found("Иван Петров refund", false).is_empty());
        assert!(found("Müller GmbH", false).is_empty());
    }

    #[test]
    fn mixed_script_words_are_named() {
        assert_eq!(
            mixed_script_words("pay P\u{0430}ypal now"),
            vec!["P\u{0430}ypal"]
        );
        assert!(mixed_script_words("Иван and John").is_empty());
        assert!(mixed_script_words("ord_1001-EU").is_empty());
        assert!(is_mixed_script("\u{0415}U"));
        assert!(
            !is_mixed_script("日本語カタカナ"),
            "Japanese is one writing system"
        );
        let s = scripts_of("P\u{0430}ypal");
        assert!(s.contains("Latin") && s.contains("Cyrillic"), "{s}");
    }
}
