//! Exact money: integer micro-dollars. Parsing and formatting happen at the edges only.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

/// An amount of US dollars in millionths (1 USD = 1_000_000 micros). Arithmetic is exact;
/// there is no floating point anywhere on the money path.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
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
    /// The amount does not fit in 64 bits of micro-dollars.
    #[error("amount out of range: {0:?}")]
    Overflow(String),
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

    /// Parses a plain decimal string (`"0.12"`, `"-3"`, `"1000.000001"`) exactly.
    pub fn parse_usd(text: &str) -> Result<Micros, MoneyError> {
        let t = text.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !ok(whole) || !ok(frac) {
            return Err(MoneyError::Syntax(text.to_string()));
        }
        if frac.len() > 6 {
            return Err(MoneyError::TooPrecise(text.to_string()));
        }
        let overflow = || MoneyError::Overflow(text.to_string());
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| overflow())?
        };
        let mut frac_micros: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            frac_micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
        }
        let v = whole
            .checked_mul(Self::PER_USD)
            .and_then(|w| w.checked_add(frac_micros))
            .ok_or_else(overflow)?;
        Ok(Micros(if neg { -v } else { v }))
    }

    /// Converts a JSON number in dollars (as the seed run log carries `cost_usd`) by going
    /// through its shortest decimal text, so `0.12` becomes exactly 120_000 micros.
    pub fn from_json_usd(value: &serde_json::Value) -> Result<Micros, MoneyError> {
        match value {
            serde_json::Value::Number(n) => {
                let text = n.to_string();
                if text.contains(['e', 'E']) {
                    let f = n.as_f64().ok_or_else(|| MoneyError::Syntax(text.clone()))?;
                    return Self::parse_usd(&format!("{f:.6}"));
                }
                Self::parse_usd(&text)
            }
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
    fn json_dollars_do_not_drift() {
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
