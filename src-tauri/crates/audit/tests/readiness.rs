//! The readiness scorecards in the signed bundle: every workflow's scorecard over the range,
//! with the thresholds in force and the evidence, as JSON and CSV, covered by the manifest so
//! verify catches any edit to them.

mod common;

use chrono::Duration;
use common::{TestResult, store, t0};
use countersign_audit::{
    BUNDLE_FORMAT, READINESS_CSV, READINESS_JSON, export_bundle_as, load_or_create_key,
    verify_bundle,
};
use countersign_store::{readiness, settings};
use serde_json::Value;
use std::fs;

struct Bundle {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

/// Six runs of `support_triage` on 2026-11-01, custom thresholds, a bundle of that day.
fn bundle() -> TestResult<Bundle> {
    let dir = tempfile::tempdir()?;
    let (store, path, _) = store(dir.path(), 6, 0)?;
    let t = readiness::Thresholds {
        correction_max: 0.33,
        ..Default::default()
    };
    settings::set(store.conn(), readiness::THRESHOLDS_KEY, &t)?;
    let key = load_or_create_key(path.parent().ok_or("no parent")?)?;
    let out = dir.path().join("bundle");
    let m = export_bundle_as(
        &store,
        &key,
        &out,
        Some(t0() - Duration::hours(10)),
        Some(t0() + Duration::hours(14)),
        "test",
    )?;
    assert_eq!(m.format, BUNDLE_FORMAT);
    Ok(Bundle {
        _dir: dir,
        path: out,
    })
}

#[test]
fn the_bundle_holds_every_scorecard_with_thresholds_and_evidence() -> TestResult {
    let b = bundle()?;
    let report = verify_bundle(&b.path)?;
    let names: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&READINESS_JSON) && names.contains(&READINESS_CSV),
        "{names:?}"
    );
    let doc: Value = serde_json::from_str(&fs::read_to_string(b.path.join(READINESS_JSON))?)?;
    assert_eq!(doc["from"], "2026-11-01T00:00:00Z");
    assert_eq!(doc["to"], "2026-11-02T00:00:00Z");
    let cards = doc["scorecards"].as_array().ok_or("scorecards")?;
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["workflow"], "support_triage");
    assert_eq!(
        cards[0]["thresholds"]["correction_max"],
        serde_json::json!(0.33)
    );
    let rows = cards[0]["rows"].as_array().ok_or("rows")?;
    assert_eq!(rows.len(), 7, "one per criterion");
    // Citation coverage: every one of the six runs cites a source.
    let cite = rows
        .iter()
        .find(|r| r["criterion"] == "citation_coverage")
        .ok_or("citation row")?;
    assert_eq!(cite["evidence"][0]["value"], "100.0 % (6 of 6)");
    let evidence: usize = rows
        .iter()
        .map(|r| r["evidence"].as_array().map_or(0, Vec::len))
        .sum();
    let csv = fs::read_to_string(b.path.join(READINESS_CSV))?;
    assert_eq!(
        csv.lines().count(),
        1 + evidence,
        "header + one row per evidence"
    );
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("\"support_triage\""))
    );
    Ok(())
}

#[test]
fn an_edited_or_missing_scorecard_fails_verification() -> TestResult {
    let b = bundle()?;
    let json_path = b.path.join(READINESS_JSON);
    let pristine = fs::read_to_string(&json_path)?;
    // Turn the first failing verdict into a pass.
    let at = pristine.find("\"fail\"").ok_or("a failing row")?;
    let line = pristine[..at].matches('\n').count() as u64 + 1;
    let edited = format!("{}\"pass\"{}", &pristine[..at], &pristine[at + 6..]);
    fs::write(&json_path, &edited)?;
    let err = verify_bundle(&b.path).err().ok_or("edit undetected")?;
    assert_eq!(
        (err.file.as_str(), err.line),
        (READINESS_JSON, Some(line)),
        "{err}"
    );
    fs::write(&json_path, &pristine)?;
    assert!(verify_bundle(&b.path).is_ok(), "restored");

    let csv_path = b.path.join(READINESS_CSV);
    let csv = fs::read_to_string(&csv_path)?;
    let mut lines: Vec<&str> = csv.lines().collect();
    lines.remove(3);
    fs::write(&csv_path, lines.join("\n") + "\n")?;
    let err = verify_bundle(&b.path)
        .err()
        .ok_or("deleted row undetected")?;
    assert_eq!(
        (err.file.as_str(), err.line),
        (READINESS_CSV, Some(4)),
        "{err}"
    );

    fs::remove_file(&csv_path)?;
    let err = verify_bundle(&b.path)
        .err()
        .ok_or("missing file undetected")?;
    assert_eq!(err.to_string(), "readiness.csv: missing from the bundle");
    Ok(())
}
