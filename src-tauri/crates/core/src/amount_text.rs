//! How an amount is written: the ways a written amount can be misread by a person or read
//! differently by a system. The exact form is a plain decimal with ASCII digits and a point
//! (`1200.50`); everything else a reviewer could misread is reported here.

use icu_properties::props::{Dash, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

/// Digits other than 0-9 (Arabic-Indic `١٢٠`, fullwidth `１２０`, Devanagari `१२०`...).
pub const NON_ASCII_DIGITS: &str = "non_ascii_digits";
/// A sign other than a leading ASCII `-`: `+120`, a Unicode minus `−120`, a dash `–120`,
/// accounting parentheses `(120)`, a trailing minus `120-`.
pub const SIGNED_AMOUNT: &str = "signed_amount";
/// Spaces, no-break or thin spaces, apostrophes or underscores grouping digits (`1 000`,
/// `1'000`).
pub const DIGIT_GROUP_SEPARATOR: &str = "digit_group_separator";
/// A comma, several points, a point followed by exactly three digits (`1.000`) or a decimal
/// mark other than the ASCII point: read as a different amount in some locales.
pub const LOCALE_AMBIGUOUS: &str = "locale_ambiguous_amount";
/// Zeros before the first significant digit of the whole part (`0120.00`).
pub const LEADING_ZEROS: &str = "leading_zeros";
/// No digit before the decimal point (`.50`), easily read as `50`.
pub const BARE_DECIMAL_POINT: &str = "bare_decimal_point";
/// A currency sign or code inside the value (`€120`, `120 EUR`); the currency is its own field.
pub const CURRENCY_IN_AMOUNT: &str = "currency_in_amount";

/// One way an amount's text can be misread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountTrap {
    /// Stable warning code (the constants of this module).
    pub code: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

fn trap(code: &'static str, message: String) -> AmountTrap {
    AmountTrap { code, message }
}

fn category(c: char) -> GeneralCategory {
    CodePointMapData::<GeneralCategory>::new().get(c)
}

fn is_dash(c: char) -> bool {
    CodePointSetData::new::<Dash>().contains(c)
}

fn is_plus(c: char) -> bool {
    matches!(
        c,
        '+' | '\u{FF0B}' | '\u{FE62}' | '\u{207A}' | '\u{208A}' | '\u{2795}'
    )
}

/// Characters used to group thousands that are neither a comma nor a point.
fn is_group_mark(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\'' | '`'
                | '_'
                | '\u{00B4}'
                | '\u{02BC}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{2032}'
                | '\u{066C}'
                | '\u{FF07}'
        )
}

/// Decimal or grouping marks other than the ASCII point (commas, the Arabic decimal separator,
/// the middle dot, fullwidth and small forms).
fn is_other_decimal_mark(c: char) -> bool {
    matches!(
        c,
        ',' | '\u{060C}'
            | '\u{066B}'
            | '\u{00B7}'
            | '\u{2024}'
            | '\u{FE50}'
            | '\u{FE52}'
            | '\u{FF0C}'
            | '\u{FF0E}'
    )
}

fn is_currency_symbol(c: char) -> bool {
    category(c) == GeneralCategory::CurrencySymbol
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A numeral of any script (`1`, `١`, `१`, `１`, `½`).
fn is_numeral(c: char) -> bool {
    c.is_numeric()
}

/// The value 0-9 of a decimal digit of any script (`Nd`): digits are encoded in runs of ten
/// from 0 to 9, so it is the distance from the start of the run, modulo 10.
fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    if category(c) != GeneralCategory::DecimalNumber {
        return None;
    }
    let mut first = c as u32;
    while let Some(prev) = first.checked_sub(1).and_then(char::from_u32) {
        if category(prev) != GeneralCategory::DecimalNumber {
            break;
        }
        first -= 1;
    }
    Some((c as u32 - first) % 10)
}

/// A leading or trailing currency sign or code: the run of letters and currency symbols at one
/// end of the value, when it has a currency symbol or is three letters.
fn currency_affix(run: &str) -> bool {
    !run.is_empty()
        && (run.chars().any(is_currency_symbol)
            || (run.chars().count() == 3 && run.chars().all(char::is_alphabetic)))
}

/// Every way `value`, the text of an amount, could be misread. Empty for a plain decimal like
/// `1200.50`. Whether the text is an amount at all, and whether it is negative, is the
/// parser's business (`Micros::parse_usd`), not this function's.
pub fn amount_traps(value: &str) -> Vec<AmountTrap> {
    let v = value.trim();
    let mut out = Vec::new();

    // A currency at either end.
    let affix = |c: &char| c.is_alphabetic() || is_currency_symbol(*c);
    let head: String = v.chars().take_while(affix).collect();
    let tail: String = {
        let mut t: Vec<char> = v.chars().rev().take_while(affix).collect();
        t.reverse();
        t.into_iter().collect()
    };
    let currencies: Vec<&str> = [head.as_str(), tail.as_str()]
        .into_iter()
        .filter(|r| currency_affix(r))
        .collect();
    if !currencies.is_empty() && head.len() < v.len() {
        out.push(trap(
            CURRENCY_IN_AMOUNT,
            format!(
                "{value:?} carries a currency ({}) inside the amount: the currency is its own \
                 field, and a sign like $ or ¥ names different currencies in different countries",
                currencies.join(", ")
            ),
        ));
    }
    let number = v
        .trim_start_matches(|c: char| affix(&c) || c.is_whitespace())
        .trim_end_matches(|c: char| affix(&c) || c.is_whitespace());

    // Digits that are not 0-9.
    let foreign: Vec<char> = number
        .chars()
        .filter(|c| is_numeral(*c) && !c.is_ascii_digit())
        .collect();
    if !foreign.is_empty() {
        let reads: Option<String> = number
            .chars()
            .filter(|c| is_numeral(*c) || *c == '.')
            .map(|c| {
                if c == '.' {
                    Some('.')
                } else {
                    digit_value(c).and_then(|d| char::from_digit(d, 10))
                }
            })
            .collect();
        let scripts = crate::lookalike::scripts_of(&foreign.iter().collect::<String>());
        out.push(trap(
            NON_ASCII_DIGITS,
            format!(
                "{value:?} is written with digits other than 0-9 ({}{}){}: a reviewer may \
                 misread them and a system may not read them at all; the exact amount uses 0-9",
                foreign
                    .iter()
                    .map(|c| code_point(*c))
                    .collect::<Vec<_>>()
                    .join(" "),
                if scripts.is_empty() {
                    String::new()
                } else {
                    format!(", {scripts}")
                },
                reads
                    .map(|r| format!(" which read {r}"))
                    .unwrap_or_default(),
            ),
        ));
    }

    // Signs: anything but a single leading ASCII '-' (a plain negative amount).
    let signs: Vec<char> = number
        .char_indices()
        .filter(|&(i, c)| {
            (is_dash(c) && !(c == '-' && i == 0)) || is_plus(c) || c == '(' || c == ')'
        })
        .map(|(_, c)| c)
        .collect();
    if !signs.is_empty() {
        out.push(trap(
            SIGNED_AMOUNT,
            format!(
                "{value:?} has a sign or dash ({}): a minus that is not the ASCII '-' (or \
                 accounting parentheses, or a trailing minus) can make a negative amount look \
                 positive, and a '+' is not part of an exact amount",
                signs
                    .iter()
                    .map(|c| format!("{c} {}", code_point(*c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }

    // Grouping marks between digits.
    let chars: Vec<char> = number.chars().collect();
    let mut groups: Vec<char> = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if is_group_mark(*c) {
            let before = chars[..i].iter().rev().find(|c| !is_group_mark(**c));
            let after = chars[i + 1..].iter().find(|c| !is_group_mark(**c));
            if before.is_some_and(|c| is_numeral(*c))
                && after.is_some_and(|c| is_numeral(*c))
                && !groups.contains(c)
            {
                groups.push(*c);
            }
        }
    }
    if !groups.is_empty() {
        out.push(trap(
            DIGIT_GROUP_SEPARATOR,
            format!(
                "{value:?} groups digits with {}: the grouping can hide or shift a digit and is \
                 read differently by locale; the exact amount is written without separators",
                groups
                    .iter()
                    .map(|c| code_point(*c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }

    // Comma/point ambiguity.
    let marks: Vec<char> = number
        .chars()
        .filter(|c| is_other_decimal_mark(*c))
        .collect();
    let points = number.matches('.').count();
    let three_after_point = number.split_once('.').is_some_and(|(w, f)| {
        f.chars().count() == 3
            && !w.is_empty()
            && w.chars().all(is_numeral)
            && f.chars().all(is_numeral)
    });
    if !marks.is_empty() || points > 1 || three_after_point {
        let what = if !marks.is_empty() {
            format!(
                "uses {} as a decimal or grouping mark",
                marks
                    .iter()
                    .map(|c| format!("{c:?} {}", code_point(*c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if points > 1 {
            "has several points".to_string()
        } else {
            "has three digits after the point".to_string()
        };
        out.push(trap(
            LOCALE_AMBIGUOUS,
            format!(
                "{value:?} {what}: it reads differently by locale (1.000 is one thousand in \
                 some, one in others); the exact amount is a plain decimal with a point"
            ),
        ));
    }

    // Leading zeros and a bare point.
    let unsigned = number.trim_start_matches(|c: char| is_dash(c) || is_plus(c) || c == '(');
    let whole: &str = unsigned.split('.').next().unwrap_or_default();
    let whole_digits: Vec<char> = whole.chars().take_while(|c| is_numeral(*c)).collect();
    if whole_digits.len() > 1 && whole_digits[0] == '0' {
        let significant = whole.trim_start_matches('0');
        let rest = &unsigned[whole.len()..];
        let exact = if significant.is_empty() {
            format!("0{rest}")
        } else {
            format!("{significant}{rest}")
        };
        out.push(trap(
            LEADING_ZEROS,
            format!(
                "{value:?} has leading zeros: they can hide or shift a digit, and some \
                 systems read such a number as octal; the exact amount is written {exact}"
            ),
        ));
    }
    if unsigned.starts_with('.') && unsigned[1..].starts_with(is_numeral) {
        out.push(trap(
            BARE_DECIMAL_POINT,
            format!(
                "{value:?} has no digit before the point and is easily read as {}; the exact \
                 amount is written 0{unsigned}",
                &unsigned[1..]
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(value: &str) -> Vec<&'static str> {
        amount_traps(value).into_iter().map(|t| t.code).collect()
    }

    #[test]
    fn plain_decimals_have_no_trap() {
        for v in [
            "120.00",
            "0.50",
            "0",
            "1200",
            "999999.99",
            "-5.00",
            " 120.00 ",
        ] {
            assert_eq!(codes(v), Vec::<&str>::new(), "{v:?}");
        }
    }

    #[test]
    fn non_ascii_digits_are_flagged_with_their_reading() {
        for (v, reads) in [
            ("\u{0661}\u{0662}\u{0660}", "120"),       // Arabic-Indic
            ("\u{FF11}\u{FF12}\u{FF10}.00", "120.00"), // fullwidth
            ("\u{0967}\u{0968}\u{0966}", "120"),       // Devanagari
            ("\u{06F1}\u{06F2}\u{06F0}", "120"),       // Extended Arabic-Indic (Persian)
            ("1\u{0662}0", "120"),                     // one foreign digit among ASCII
            ("\u{1D7D9}\u{1D7DA}\u{1D7D8}", "120"),    // mathematical double-struck
        ] {
            let t = amount_traps(v);
            assert!(
                t.iter()
                    .any(|t| t.code == NON_ASCII_DIGITS
                        && t.message.contains(&format!("read {reads}"))),
                "{v:?}: {t:?}"
            );
        }
        assert!(
            codes("\u{00BD}").contains(&NON_ASCII_DIGITS),
            "vulgar fraction"
        );
        assert!(
            codes("12\u{00B2}").contains(&NON_ASCII_DIGITS),
            "superscript two"
        );
        let t = amount_traps("\u{0661}\u{0662}\u{0660}");
        assert!(t[0].message.contains("Arabic"), "{t:?}");
    }

    #[test]
    fn signs_other_than_a_leading_ascii_minus_are_flagged() {
        for v in [
            "\u{2212}120.00", // minus sign
            "\u{2013}120.00", // en dash
            "\u{2012}120",    // figure dash
            "\u{FE63}120",    // small hyphen-minus
            "\u{FF0D}120",    // fullwidth hyphen-minus
            "+120.00",
            "\u{FF0B}120",
            "(120.00)",
            "120.00-",
            "1-20",
        ] {
            assert!(codes(v).contains(&SIGNED_AMOUNT), "{v:?}: {:?}", codes(v));
        }
        assert!(!codes("-120.00").contains(&SIGNED_AMOUNT));
    }

    #[test]
    fn group_separators_are_flagged() {
        for v in [
            "1 000",
            "1\u{00A0}000", // no-break space
            "1\u{2009}000", // thin space
            "1\u{202F}000", // narrow no-break space
            "1'000",
            "1\u{2019}000.00", // right single quotation mark (Swiss style)
            "1_000",
            "1\u{066C}000", // Arabic thousands separator
        ] {
            assert!(
                codes(v).contains(&DIGIT_GROUP_SEPARATOR),
                "{v:?}: {:?}",
                codes(v)
            );
        }
        assert!(!codes("120.00 ").contains(&DIGIT_GROUP_SEPARATOR));
    }

    #[test]
    fn comma_point_ambiguity_is_flagged() {
        for v in [
            "1,000",
            "1.000",
            "120,50",
            "1.000.000",
            "1.000,00",
            "120\u{066B}50", // Arabic decimal separator
            "120\u{FF0E}50", // fullwidth full stop
            "120\u{00B7}50", // middle dot
        ] {
            assert!(
                codes(v).contains(&LOCALE_AMBIGUOUS),
                "{v:?}: {:?}",
                codes(v)
            );
        }
        assert!(!codes("1000.00").contains(&LOCALE_AMBIGUOUS));
        assert!(!codes("1000.0").contains(&LOCALE_AMBIGUOUS));
    }

    #[test]
    fn leading_zeros_and_bare_points_are_flagged() {
        let t = amount_traps("0120.00");
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].code, LEADING_ZEROS);
        assert!(t[0].message.contains("written 120.00"), "{t:?}");
        assert!(codes("00.50").contains(&LEADING_ZEROS));
        assert!(codes("-007").contains(&LEADING_ZEROS));
        assert!(!codes("0.50").contains(&LEADING_ZEROS));
        assert_eq!(codes(".50"), vec![BARE_DECIMAL_POINT]);
    }

    #[test]
    fn currency_signs_and_codes_inside_the_value_are_flagged() {
        for v in [
            "\u{20AC}120.00",
            "120.00\u{20AC}",
            "$120",
            "120 EUR",
            "EUR 120",
            "USD120",
            "120\u{00A3}",
            "\u{00A5}120",
            "120 \u{20B9}",
            "US$120",
        ] {
            assert!(
                codes(v).contains(&CURRENCY_IN_AMOUNT),
                "{v:?}: {:?}",
                codes(v)
            );
        }
        assert!(!codes("120.00").contains(&CURRENCY_IN_AMOUNT));
        assert!(
            !codes("EUR").contains(&CURRENCY_IN_AMOUNT),
            "no amount at all"
        );
    }
}
