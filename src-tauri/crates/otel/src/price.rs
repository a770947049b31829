//! Model prices per million tokens, in exact micro-dollars, each effective from a date. The
//! user edits the table as JSON; the built-in table is only an example.

use chrono::{DateTime, NaiveDate, Utc};
use countersign_core::Micros;
use serde::{Deserialize, Serialize};

/// The price of one model from a date on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelPrice {
    /// Model name as spans report it (`gpt-4o-mini`); matched exactly, else as the longest
    /// listed name that the reported name starts with followed by `-` (dated snapshots).
    pub model: String,
    /// First day (UTC) on which this price applies.
    pub effective_from: NaiveDate,
    /// Price of one million input (prompt) tokens.
    pub input_per_mtok: Micros,
    /// Price of one million output (completion) tokens.
    pub output_per_mtok: Micros,
}

/// The user's price table as the console stores it (settings key `price_table`, edited in
/// Settings), and whether it was the user's: `false` means none is stored (or the stored one no
/// longer reads) and the built-in example table is returned instead.
pub fn user_table(
    conn: &countersign_store::rusqlite::Connection,
) -> Result<(PriceTable, bool), countersign_store::StoreError> {
    use countersign_store::settings;
    match settings::get_text(conn, settings::PRICE_TABLE)?.map(|t| PriceTable::from_json(&t)) {
        Some(Ok(table)) => Ok((table, true)),
        // Only validated tables are stored; one edited by hand that no longer reads is refused
        // here, and the caller says the example table was used.
        Some(Err(_)) | None => Ok((PriceTable::example(), false)),
    }
}

/// A set of model prices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceTable {
    /// Every entry, any order.
    pub prices: Vec<ModelPrice>,
}

#[derive(Serialize, Deserialize)]
struct PriceJson {
    model: String,
    effective_from: NaiveDate,
    /// USD per million input tokens, decimal text (`"2.50"`).
    input_usd_per_mtok: String,
    /// USD per million output tokens, decimal text.
    output_usd_per_mtok: String,
}

#[derive(Serialize, Deserialize)]
struct TableJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    prices: Vec<PriceJson>,
}

/// Why a price table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// Bad JSON or shape.
    #[error("price table: {0}")]
    Json(#[from] serde_json::Error),
    /// A negative price.
    #[error("price table: {0}: negative price")]
    Negative(String),
    /// A price that is not an exact decimal of at most six places.
    #[error("price table: {model}: {error}")]
    Money {
        /// The entry's model.
        model: String,
        /// The money error.
        error: countersign_core::money::MoneyError,
    },
}

/// The built-in table. EXAMPLE ONLY: list prices seen at one time, not authoritative and not
/// kept up to date; pass your own with `--prices FILE.json`.
pub const EXAMPLE_TABLE_JSON: &str = r#"{
  "note": "EXAMPLE prices (USD per 1M tokens); not authoritative. Edit and pass with --prices.",
  "prices": [
    {"model": "gpt-4o", "effective_from": "2024-08-06", "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"},
    {"model": "gpt-4o-mini", "effective_from": "2024-07-18", "input_usd_per_mtok": "0.15", "output_usd_per_mtok": "0.60"},
    {"model": "claude-sonnet-4", "effective_from": "2025-05-22", "input_usd_per_mtok": "3.00", "output_usd_per_mtok": "15.00"},
    {"model": "claude-3-5-haiku", "effective_from": "2024-11-04", "input_usd_per_mtok": "0.80", "output_usd_per_mtok": "4.00"}
  ]
}"#;

impl PriceTable {
    /// The built-in example table ([`EXAMPLE_TABLE_JSON`]).
    pub fn example() -> PriceTable {
        PriceTable::from_json(EXAMPLE_TABLE_JSON).expect("the built-in example table parses")
    }

    /// Reads a table: `{"prices": [{"model", "effective_from": "YYYY-MM-DD",
    /// "input_usd_per_mtok": "2.50", "output_usd_per_mtok": "10.00"}]}`.
    pub fn from_json(text: &str) -> Result<PriceTable, PriceError> {
        let t: TableJson = serde_json::from_str(text)?;
        let mut prices = Vec::with_capacity(t.prices.len());
        for p in t.prices {
            let money = |s: &str| {
                let m = Micros::parse_usd(s).map_err(|error| PriceError::Money {
                    model: p.model.clone(),
                    error,
                })?;
                if m.0 < 0 {
                    return Err(PriceError::Negative(p.model.clone()));
                }
                Ok(m)
            };
            prices.push(ModelPrice {
                input_per_mtok: money(&p.input_usd_per_mtok)?,
                output_per_mtok: money(&p.output_usd_per_mtok)?,
                model: p.model,
                effective_from: p.effective_from,
            });
        }
        Ok(PriceTable { prices })
    }

    /// Writes the table in the form [`PriceTable::from_json`] reads (exact six-place decimals).
    pub fn to_json(&self) -> String {
        let t = TableJson {
            note: None,
            prices: self
                .prices
                .iter()
                .map(|p| PriceJson {
                    model: p.model.clone(),
                    effective_from: p.effective_from,
                    input_usd_per_mtok: p.input_per_mtok.to_decimal_string(),
                    output_usd_per_mtok: p.output_per_mtok.to_decimal_string(),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&t).unwrap_or_default()
    }

    /// The price of `model` in effect at `at`: the entry with the latest `effective_from` not
    /// after `at`'s UTC date.
    pub fn price_at(&self, model: &str, at: DateTime<Utc>) -> Option<&ModelPrice> {
        let day = at.date_naive();
        let matches = |name: &str| {
            name == model
                || model
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('-'))
        };
        let best_name = self
            .prices
            .iter()
            .filter(|p| matches(&p.model))
            .map(|p| p.model.as_str())
            .max_by_key(|n| n.len())?;
        self.prices
            .iter()
            .filter(|p| p.model == best_name && p.effective_from <= day)
            .max_by_key(|p| p.effective_from)
    }

    /// Cost numerator (micros × 1e6) of `input`/`output` tokens of `model` at `at`; `None`
    /// when the table has no price for it then.
    pub fn cost_numerator(
        &self,
        model: &str,
        at: DateTime<Utc>,
        input: u64,
        output: u64,
    ) -> Option<i128> {
        let p = self.price_at(model, at)?;
        Some(
            i128::from(input) * i128::from(p.input_per_mtok.0)
                + i128::from(output) * i128::from(p.output_per_mtok.0),
        )
    }

    /// Cost of `input`/`output` tokens of `model` at `at`, rounded to the micro.
    pub fn cost(&self, model: &str, at: DateTime<Utc>, input: u64, output: u64) -> Option<Micros> {
        self.cost_numerator(model, at, input, output)
            .map(per_million)
    }
}

/// `numerator / 1_000_000` rounded half up: the micros of a [`PriceTable::cost_numerator`]
/// (token counts × micro-dollars per million tokens), saturating at `i64::MAX`.
pub(crate) fn per_million(numerator: i128) -> Micros {
    let v = numerator.saturating_add(500_000).div_euclid(1_000_000);
    Micros(i64::try_from(v).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn effective_dates_pick_the_price() -> Result<(), PriceError> {
        let t = PriceTable::from_json(
            r#"{"prices": [
                {"model": "m", "effective_from": "2025-01-01", "input_usd_per_mtok": "1.00", "output_usd_per_mtok": "2.00"},
                {"model": "m", "effective_from": "2025-06-01", "input_usd_per_mtok": "0.50", "output_usd_per_mtok": "1.25"},
                {"model": "m-mini", "effective_from": "2025-01-01", "input_usd_per_mtok": "0.10", "output_usd_per_mtok": "0.20"}
            ]}"#,
        )?;
        assert_eq!(t.price_at("m", at("2024-12-31T23:59:59Z")), None);
        assert_eq!(
            t.cost("m", at("2025-05-31T23:59:59Z"), 1_000, 2_000),
            Some(Micros(5_000))
        );
        assert_eq!(
            t.cost("m", at("2025-06-01T00:00:00Z"), 1_000, 2_000),
            Some(Micros(3_000))
        );
        // Dated snapshot and longest-name match.
        assert_eq!(
            t.cost("m-2025-07-01", at("2025-07-02T00:00:00Z"), 1_000_000, 0),
            Some(Micros(500_000))
        );
        assert_eq!(
            t.cost("m-mini", at("2025-07-02T00:00:00Z"), 1_000_000, 0),
            Some(Micros(100_000))
        );
        assert_eq!(t.price_at("mx", at("2025-07-02T00:00:00Z")), None);
        // Round trip.
        assert_eq!(PriceTable::from_json(&t.to_json())?, t);
        Ok(())
    }

    #[test]
    fn example_table_reads_and_bad_money_is_refused() {
        assert!(!PriceTable::example().prices.is_empty());
        assert!(
            PriceTable::from_json(
                r#"{"prices": [{"model": "m", "effective_from": "2025-01-01", "input_usd_per_mtok": "0.0000001", "output_usd_per_mtok": "1"}]}"#
            )
            .is_err()
        );
        assert!(
            PriceTable::from_json(
                r#"{"prices": [{"model": "m", "effective_from": "2025-01-01", "input_usd_per_mtok": "-1", "output_usd_per_mtok": "1"}]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn per_million_rounds_half_up() {
        assert_eq!(per_million(1_500_000), Micros(2));
        assert_eq!(per_million(1_499_999), Micros(1));
        assert_eq!(per_million(0), Micros(0));
    }
}
