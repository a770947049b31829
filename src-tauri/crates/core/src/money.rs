//! Exact money: integer micro-dollars. Parsing and formatting happen at the edges only.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

/// An amount of US dollars in millionths (1 USD = 1_000_000 micros). Arithmetic is exact, and
/// every parser below reads decimal text digit by digit: no floating point.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ts_rs::TS,
)]
#[serde(transparent)]
pub struct Micros(pub i64);

/// Why a money string could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    /// The text is not a plain decimal number like `12.50` or `-0.000001`.
    #[error("not a decimal amount: {0:?}")]
    Syntax(String),
    /// More than six digits after the point cannot be represented exactly.
    #[error("more than 6 decimal places: {0:?}")]
    TooPrecise(String),
    /// The amount does not fit in 64 bits of micro-dollars (or, typed by a person, in a
    /// number the UI can hold exactly).
    #[error("amount out of range: {0:?}")]
    Overflow(String),
    /// A negative amount where only zero or more makes sense.
    #[error("must not be negative: {0:?}")]
    Negative(String),
}

impl MoneyError {
    /// The same error, naming `text` (what the person typed) instead of the cleaned-up form.
    fn about(self, text: &str) -> MoneyError {
        let t = text.to_string();
        match self {
            MoneyError::Syntax(_) => MoneyError::Syntax(t),
            MoneyError::TooPrecise(_) => MoneyError::TooPrecise(t),
            MoneyError::Overflow(_) => MoneyError::Overflow(t),
            MoneyError::Negative(_) => MoneyError::Negative(t),
        }
    }
}

/// The largest micro-dollar amount a JavaScript number holds exactly (2^53 − 1).
pub const MAX_EXACT_IN_JS: i64 = 9_007_199_254_740_991;

/// What happens to digits past the sixth decimal place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rounding {
    /// They must be zero.
    Exact,
    /// Rounded half away from zero.
    HalfAwayFromZero,
}

/// The one money parser: decimal text (and, when `exponent`, scientific notation) to micros,
/// with integer arithmetic only.
fn parse_decimal(text: &str, exponent: bool, rounding: Rounding) -> Result<Micros, MoneyError> {
    let syntax = || MoneyError::Syntax(text.to_string());
    let overflow = || MoneyError::Overflow(text.to_string());
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) if exponent => (&t[..i], t[i + 1..].parse::<i32>().map_err(|_| syntax())?),
        Some(_) => return Err(syntax()),
        None => (t, 0),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(syntax());
    }
    // Trailing zeros after the point change nothing; leading zeros of the whole neither.
    let frac = frac.trim_end_matches('0');
    let all = format!("{whole}{frac}");
    let significant = all.trim_start_matches('0');
    if significant.len() > 36 {
        return Err(overflow());
    }
    let d: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| overflow())?
    };
    // value = d × 10^(exp − frac digits); micros = value × 10^6.
    let shift = i64::from(exp) - frac.len() as i64 + 6;
    let micros = if d == 0 {
        0
    } else if shift >= 0 {
        u32::try_from(shift)
            .ok()
            .and_then(|s| 10_i128.checked_pow(s))
            .and_then(|p| d.checked_mul(p))
            .ok_or_else(overflow)?
    } else {
        let div = u32::try_from(-shift)
            .ok()
            .and_then(|s| 10_i128.checked_pow(s));
        match (rounding, div) {
            (Rounding::Exact, Some(div)) if d % div == 0 => d / div,
            (Rounding::Exact, _) => return Err(MoneyError::TooPrecise(text.to_string())),
            (Rounding::HalfAwayFromZero, Some(div)) => (d + div / 2) / div,
            (Rounding::HalfAwayFromZero, None) => 0,
        }
    };
    let v = i64::try_from(micros).map_err(|_| overflow())?;
    Ok(Micros(if neg { -v } else { v }))
}

impl Micros {
    /// Zero dollars.
    pub const ZERO: Micros = Micros(0);
    /// Micros in one dollar.
    pub const PER_USD: i64 = 1_000_000;

    /// Whole dollars.
    pub const fn from_usd(dollars: i64) -> Micros {
        Micros(dollars * Self::PER_USD)
    }

    /// Parses a plain decimal string (`"0.12"`, `"-3"`, `"1000.000001"`) exactly. This is the
    /// form review fields, budget limits, price tables and the CLI use.
    pub fn parse_usd(text: &str) -> Result<Micros, MoneyError> {
        parse_decimal(text, false, Rounding::Exact)
    }

    /// Parses a reported cost, which may be in scientific notation (`"3.75e-5"`) and finer
    /// than a micro-dollar: rounded half away from zero at the sixth decimal place.
    pub fn parse_usd_rounded(text: &str) -> Result<Micros, MoneyError> {
        parse_decimal(text, true, Rounding::HalfAwayFromZero)
    }

    /// Parses what a person types into a money box: `"12"`, `"$1,234.50"`, `" .25 "`.
    /// Empty means no amount (`None`); negative amounts, misplaced thousands separators, more
    /// than six decimals and amounts a JavaScript number cannot hold exactly are refused.
    pub fn parse_dollar_input(text: &str) -> Result<Option<Micros>, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let t = t.strip_prefix('$').map(str::trim_start).unwrap_or(t);
        if t.starts_with('-') {
            return Err(MoneyError::Negative(text.to_string()));
        }
        let t = t.strip_prefix('+').unwrap_or(t);
        let (whole, frac) = t.split_once('.').map_or((t, None), |(w, f)| (w, Some(f)));
        let whole = if whole.contains(',') {
            let mut groups = whole.split(',');
            let first = groups.next().unwrap_or_default();
            let grouped = (1..=3).contains(&first.len())
                && groups.all(|g| g.len() == 3)
                && whole.bytes().all(|b| b.is_ascii_digit() || b == b',');
            if !grouped {
                return Err(MoneyError::Syntax(text.to_string()));
            }
            whole.replace(',', "")
        } else {
            whole.to_string()
        };
        let plain = match frac {
            Some(f) => format!("{whole}.{f}"),
            None => whole,
        };
        let m = parse_decimal(&plain, false, Rounding::Exact).map_err(|e| e.about(text))?;
        if m.0 > MAX_EXACT_IN_JS {
            return Err(MoneyError::Overflow(text.to_string()));
        }
        Ok(Some(m))
    }

    /// Converts a JSON number in dollars (as the seed run log carries `cost_usd`) by going
    /// through its shortest decimal text, so `0.12` becomes exactly 120_000 micros and `1e-6`
    /// exactly 1. No floating-point arithmetic: a cost finer than a micro-dollar is refused.
    pub fn from_json_usd(value: &serde_json::Value) -> Result<Micros, MoneyError> {
        match value {
            serde_json::Value::Number(n) => parse_decimal(&n.to_string(), true, Rounding::Exact),
            serde_json::Value::String(s) => Self::parse_usd(s),
            other => Err(MoneyError::Syntax(other.to_string())),
        }
    }

    /// Exact decimal text with six places, e.g. `0.120000`; used in exports.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
    }

    /// Checked addition; `None` on overflow.
    pub fn checked_add(self, other: Micros) -> Option<Micros> {
        self.0.checked_add(other.0).map(Micros)
    }
}

impl fmt::Display for Micros {
    /// Shows dollars with at least two decimals and as many more as needed to be exact:
    /// `$0.12`, `$0.0042`, `-$3.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let mut frac = format!("{:06}", abs % 1_000_000);
        while frac.len() > 2 && frac.ends_with('0') {
            frac.pop();
        }
        write!(f, "{sign}${}.{frac}", abs / 1_000_000)
    }
}

impl Add for Micros {
    type Output = Micros;
    fn add(self, rhs: Micros) -> Micros {
        Micros(self.0 + rhs.0)
    }
}

impl AddAssign for Micros {
    fn add_assign(&mut self, rhs: Micros) {
        self.0 += rhs.0;
    }
}

impl Sub for Micros {
    type Output = Micros;
    fn sub(self, rhs: Micros) -> Micros {
        Micros(self.0 - rhs.0)
    }
}

impl Sum for Micros {
    fn sum<I: Iterator<Item = Micros>>(iter: I) -> Micros {
        iter.fold(Micros::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Micros::parse_usd("0.12"), Ok(Micros(120_000)));
        assert_eq!(Micros::parse_usd("-3"), Ok(Micros(-3_000_000)));
        assert_eq!(Micros::parse_usd(".5"), Ok(Micros(500_000)));
        assert_eq!(Micros::parse_usd("1000.000001"), Ok(Micros(1_000_000_001)));
        assert!(matches!(
            Micros::parse_usd("1.0000001"),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            Micros::parse_usd("1,5"),
            Err(MoneyError::Syntax(_))
        ));
        assert!(matches!(Micros::parse_usd(""), Err(MoneyError::Syntax(_))));
        assert!(matches!(
            Micros::parse_usd("99999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn scientific_costs_round_half_away_from_zero() {
        assert_eq!(Micros::parse_usd_rounded("3.75e-5"), Ok(Micros(38)));
        assert_eq!(Micros::parse_usd_rounded("0.0000375"), Ok(Micros(38)));
        assert_eq!(Micros::parse_usd_rounded("0.0000374"), Ok(Micros(37)));
        assert_eq!(Micros::parse_usd_rounded("-0.0000375"), Ok(Micros(-38)));
        assert_eq!(Micros::parse_usd_rounded("1.5E2"), Ok(Micros(150_000_000)));
        assert_eq!(Micros::parse_usd_rounded("1e-30"), Ok(Micros(0)));
        assert_eq!(
            Micros::parse_usd_rounded("1e30"),
            Err(MoneyError::Overflow("1e30".into()))
        );
        assert!(Micros::parse_usd_rounded("e5").is_err());
        assert!(
            Micros::parse_usd("1e3").is_err(),
            "a plain amount has no exponent"
        );
        assert_eq!(Micros::parse_usd("1.50000000"), Ok(Micros(1_500_000)));
    }

    #[test]
    fn typed_dollars_accept_what_people_write_and_nothing_else() {
        assert_eq!(
            Micros::parse_dollar_input(" $1,234.000001 "),
            Ok(Some(Micros(1_234_000_001)))
        );
        assert_eq!(
            Micros::parse_dollar_input(" .25 "),
            Ok(Some(Micros(250_000)))
        );
        assert_eq!(
            Micros::parse_dollar_input("12"),
            Ok(Some(Micros(12_000_000)))
        );
        assert_eq!(Micros::parse_dollar_input("  "), Ok(None));
        assert!(matches!(
            Micros::parse_dollar_input("-1"),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Micros::parse_dollar_input("$-1"),
            Err(MoneyError::Negative(_))
        ));
        for bad in [
            "1,23",
            "12,345,67",
            ",123",
            "1.2.3",
            "abc",
            "$",
            ".",
            "1e3",
            "1,234,5678",
        ] {
            assert!(
                matches!(Micros::parse_dollar_input(bad), Err(MoneyError::Syntax(_))),
                "{bad}"
            );
        }
        assert!(
            matches!(Micros::parse_dollar_input("0.0000001"), Err(MoneyError::TooPrecise(t)) if t == "0.0000001")
        );
        assert!(matches!(
            Micros::parse_dollar_input("9007199255"),
            Err(MoneyError::Overflow(_))
        ));
        assert_eq!(
            Micros::parse_dollar_input("9007199254.740991"),
            Ok(Some(Micros(MAX_EXACT_IN_JS)))
        );
    }

    #[test]
    fn json_dollars_do_not_drift() {
        let tiny: serde_json::Value = serde_json::from_str("0.000001").unwrap_or_default();
        assert_eq!(Micros::from_json_usd(&tiny), Ok(Micros(1)));
        let finer: serde_json::Value = serde_json::from_str("1.5e-7").unwrap_or_default();
        assert!(matches!(
            Micros::from_json_usd(&finer),
            Err(MoneyError::TooPrecise(_))
        ));
        let v: serde_json::Value = serde_json::from_str("0.12").unwrap_or_default();
        assert_eq!(Micros::from_json_usd(&v), Ok(Micros(120_000)));
        // 0.1 + 0.2 in floating point is 0.30000000000000004; in micros it is exact.
        let sum: Micros = ["0.1", "0.2"]
            .iter()
            .filter_map(|s| Micros::parse_usd(s).ok())
            .sum();
        assert_eq!(sum, Micros(300_000));
    }

    #[test]
    fn formats_for_people_and_exports() {
        assert_eq!(Micros(120_000).to_string(), "$0.12");
        assert_eq!(Micros(4_200).to_string(), "$0.0042");
        assert_eq!(Micros(-3_000_000).to_string(), "-$3.00");
        assert_eq!(Micros(120_000).to_decimal_string(), "0.120000");
        assert_eq!(Micros(-1).to_decimal_string(), "-0.000001");
    }
}
