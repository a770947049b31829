//! The user's model price table, kept as JSON under `settings::PRICE_TABLE` in the form
//! `PriceTable::from_json` reads. Costs that a trace does not report are computed from it.

use countersign_otel::PriceTable;
use countersign_store::rusqlite::Connection;
use countersign_store::settings;
use std::collections::BTreeSet;

/// The table in force and whether the user set it (else it is the built-in EXAMPLE table).
pub fn load(conn: &Connection) -> Result<(PriceTable, bool), countersign_store::StoreError> {
    countersign_otel::price::user_table(conn)
}

/// Reads and checks a table the user submitted: the otel crate's rules (exact decimals of at
/// most six places, no negatives, `YYYY-MM-DD` dates) plus a model name on every row and no two
/// rows for the same model and date.
pub fn validate(json: &str) -> Result<PriceTable, String> {
    let table = PriceTable::from_json(json).map_err(|e| e.to_string())?;
    let mut seen = BTreeSet::new();
    for (i, p) in table.prices.iter().enumerate() {
        if p.model.trim().is_empty() {
            return Err(format!("price table: row {}: model name is empty", i + 1));
        }
        if p.model.trim() != p.model {
            return Err(format!(
                "price table: row {}: model name {:?} has leading or trailing spaces",
                i + 1,
                p.model
            ));
        }
        if !seen.insert((p.model.clone(), p.effective_from)) {
            return Err(format!(
                "price table: {} has two prices effective from {}",
                p.model, p.effective_from
            ));
        }
    }
    Ok(table)
}

/// Stores a validated table in its canonical form (six-place decimals).
pub fn save(conn: &Connection, table: &PriceTable) -> Result<(), countersign_store::StoreError> {
    settings::set_text(conn, settings::PRICE_TABLE, &table.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_store::Store;

    #[test]
    fn example_until_set_then_exact_round_trip() -> Result<(), Box<dyn std::error::Error>> {
        let store = Store::open_in_memory()?;
        let (t, custom) = load(store.conn())?;
        assert!(!custom);
        assert_eq!(t, PriceTable::example());
        let mine = validate(
            r#"{"prices": [{"model": "support-scripted", "effective_from": "2025-01-01",
                "input_usd_per_mtok": "0.1", "output_usd_per_mtok": "0.000001"}]}"#,
        )?;
        save(store.conn(), &mine)?;
        let (back, custom) = load(store.conn())?;
        assert!(custom);
        assert_eq!(back, mine);
        let text = settings::get_text(store.conn(), settings::PRICE_TABLE)?.unwrap_or_default();
        assert!(text.contains(r#""0.100000""#), "{text}");
        assert!(text.contains(r#""0.000001""#), "{text}");
        Ok(())
    }

    #[test]
    fn bad_tables_are_refused_with_the_reason() {
        let row = |model: &str, date: &str, input: &str| {
            format!(
                r#"{{"model": "{model}", "effective_from": "{date}", "input_usd_per_mtok": "{input}", "output_usd_per_mtok": "1"}}"#
            )
        };
        let table = |rows: &[String]| format!(r#"{{"prices": [{}]}}"#, rows.join(","));
        let err = |j: String| validate(&j).err().unwrap_or_default();
        assert!(err(table(&[row("", "2025-01-01", "1")])).contains("model name is empty"));
        assert!(err(table(&[row(" m", "2025-01-01", "1")])).contains("spaces"));
        assert!(
            err(table(&[
                row("m", "2025-01-01", "1"),
                row("m", "2025-01-01", "2")
            ]))
            .contains("two prices effective from 2025-01-01")
        );
        assert!(err(table(&[row("m", "2025-13-01", "1")])).contains("price table"));
        assert!(err(table(&[row("m", "2025-01-01", "0.0000001")])).contains("m"));
        assert!(err(table(&[row("m", "2025-01-01", "-1")])).contains("negative"));
        assert!(err(table(&[row("m", "2025-01-01", "1e3")])).contains("m"));
        assert!(
            validate(&table(&[
                row("m", "2025-01-01", "1"),
                row("m", "2025-06-01", "2")
            ]))
            .is_ok()
        );
    }
}
