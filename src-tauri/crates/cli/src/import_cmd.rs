//! `countersign import`: an OTLP/JSON trace export (OpenTelemetry GenAI or OpenInference
//! spans) imported as runs of a pseudo-backend `http://import.localhost/<file stem>`.

use crate::StoreArg;
use crate::output;
use clap::Args;
use countersign_otel::{PriceTable, import_file};
use std::path::PathBuf;

/// Arguments of `countersign import`.
#[derive(Args)]
pub struct ImportArgs {
    /// OTLP/JSON file (`{"resourceSpans": ...}`, or one such document per line).
    file: PathBuf,
    #[command(flatten)]
    store: StoreArg,
    /// Price table (USD per 1M tokens by model and effective date) for runs whose trace
    /// reports no cost; default: the built-in example table.
    #[arg(long)]
    prices: Option<PathBuf>,
    /// Name to show for the imported source (default: the file name).
    #[arg(long, default_value = "")]
    name: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `countersign import`.
pub fn run(a: ImportArgs) -> Result<(), String> {
    let mut store = a.store.open()?;
    // --prices wins; else the table saved in the app's Settings; else the example table.
    let (prices, priced_by_user) = match &a.prices {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| format!("--prices {}: {e}", p.display()))?;
            let t = PriceTable::from_json(&text)
                .map_err(|e| format!("--prices {}: {e}", p.display()))?;
            (t, true)
        }
        None => countersign_otel::price::user_table(store.conn()).map_err(|e| e.to_string())?,
    };
    let counts = import_file(&mut store, &a.file, &a.name, &prices)
        .map_err(|e| format!("import {}: {e}", a.file.display()))?;
    if a.json {
        output::json_line(&counts);
    } else {
        output::line(&format!(
            "backend {} ({}): {} runs inserted, {} updated, {} unchanged; {} traces quarantined",
            counts.backend_id,
            counts.backend_url,
            counts.inserted,
            counts.updated,
            counts.unchanged,
            counts.rejected
        ));
        for id in &counts.run_ids {
            output::line(&format!("  {}", output::safe(id)));
        }
        for w in &counts.warnings {
            output::line(&format!("warning: {}", output::safe(w)));
        }
        if !priced_by_user && counts.warnings.iter().any(|w| w.contains("no price")) {
            output::line(
                "note: costs not reported in the trace use the built-in EXAMPLE price table; set prices in the app (Settings) or pass --prices FILE.json",
            );
        }
    }
    Ok(())
}
