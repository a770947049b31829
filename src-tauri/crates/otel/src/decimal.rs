//! Exact decimal text → micro-dollars, with scientific notation, rounded half away from zero
//! at the sixth decimal place (sub-micro costs, as per-call LLM costs often are).

use countersign_core::Micros;
use serde_json::Value;

/// Reads a USD amount from its decimal text (`"0.00042"`, `"3.75e-5"`, `12`) into micros.
pub fn usd_text_to_micros(text: &str) -> Option<Micros> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let d: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    // value = d × 10^(exp − frac.len()); micros = value × 10^6.
    let shift = exp.checked_sub(frac.len() as i32)?.checked_add(6)?;
    let micros = if shift >= 0 {
        d.checked_mul(10_i128.checked_pow(shift as u32)?)?
    } else if -shift > 38 {
        0
    } else {
        let div = 10_i128.pow((-shift) as u32);
        (d + div / 2) / div
    };
    let micros = i64::try_from(micros).ok()?;
    Some(Micros(if neg { -micros } else { micros }))
}

/// A JSON number or string in USD to micros, through its decimal text.
pub fn json_usd_to_micros(v: &Value) -> Option<Micros> {
    match v {
        Value::Number(n) => usd_text_to_micros(&n.to_string()),
        Value::String(s) => usd_text_to_micros(s),
        _ => None,
    }
}

/// `numerator / 1_000_000` rounded half up, for token counts × price per million tokens.
pub fn per_million(numerator: i128) -> Micros {
    let v = numerator.saturating_add(500_000).div_euclid(1_000_000);
    Micros(i64::try_from(v).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_to_micros() {
        assert_eq!(usd_text_to_micros("0.12"), Some(Micros(120_000)));
        assert_eq!(usd_text_to_micros("3.75e-5"), Some(Micros(38)));
        assert_eq!(usd_text_to_micros("0.0000375"), Some(Micros(38)));
        assert_eq!(usd_text_to_micros("0.0000374"), Some(Micros(37)));
        assert_eq!(usd_text_to_micros("1.5E2"), Some(Micros(150_000_000)));
        assert_eq!(usd_text_to_micros("12"), Some(Micros(12_000_000)));
        assert_eq!(usd_text_to_micros("1e-30"), Some(Micros(0)));
        assert_eq!(usd_text_to_micros("abc"), None);
        assert_eq!(usd_text_to_micros(""), None);
        assert_eq!(
            json_usd_to_micros(&serde_json::json!(0.000123)),
            Some(Micros(123))
        );
        assert_eq!(per_million(1_500_000), Micros(2));
        assert_eq!(per_million(1_499_999), Micros(1));
    }
}
