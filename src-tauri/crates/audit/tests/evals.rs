//! Golden-set evals in the signed bundle: every eval started in the range with its
//! configuration, baseline and report, as JSON and as one CSV row per case, covered by the
//! manifest so verify names the file and line of any edit; third-format bundles still verify.

mod common;

use chrono::Duration;
use common::{TestResult, resign, run, store, t0};
use countersign_audit::{
    BUNDLE_FORMAT, BUNDLE_FORMAT_V3, EVALS_CSV, EVALS_JSON, FILE_NAMES, FILE_NAMES_V3, SigningKey,
    export_bundle_as, load_or_create_key, verify_bundle,
};
use countersign_core::golden::{ConfigLabel, Expectations, GoldenCase};
use countersign_core::{Micros, Run};
use countersign_store::golden::{self, Change, EvalRecord, StoredCase};
use serde_json::Value;
use std::collections::HashMap;
use std::fs;

struct Bundle {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    key: SigningKey,
}

/// The eval's run of `case`: as recorded, under `model`; `worse` costs three times as much and
/// cites a deprecated source instead.
fn replay(case: &Run, eval_id: &str, model: &str, worse: bool) -> Run {
    let mut r = case.clone();
    r.run_id = format!("{eval_id}-{}", case.run_id);
    r.eval_id = Some(eval_id.into());
    r.model = model.into();
    if worse {
        r.cost_micros = Micros(case.cost_micros.0 * 3);
        for c in &mut r.citations {
            c.doc_id = "kb_100".into();
            c.passage = "within 30 days".into();
            c.deprecated = true;
        }
    }
    r
}

/// A set of three `support_triage` runs, a passing eval and a failing one on 2026-11-01 (the
/// failing one never compared before the export), an eval the day after (out of range), and a
/// bundle of 2026-11-01.
fn bundle() -> TestResult<Bundle> {
    let dir = tempfile::tempdir()?;
    let (mut store, path, backend_id) = store(dir.path(), 3, 0)?;
    let runs: Vec<Run> = (0..3).map(run).collect();
    let tx = store.write()?;
    let cases = runs
        .iter()
        .map(|r| StoredCase {
            backend_id: backend_id.clone(),
            case: GoldenCase {
                expect: Expectations::from_run(r, 1.5),
                run: r.clone(),
            },
        })
        .collect();
    golden::change(&tx, "support_triage", Change::Add(cases), "user:ana", t0())?;
    let record = |id: &str, model: &str, at| EvalRecord {
        eval_id: id.into(),
        backend_id: backend_id.clone(),
        workflow: "support_triage".into(),
        set_version: 1,
        config: ConfigLabel {
            version: "v2".into(),
            model: model.into(),
            prompt: "=HYPERLINK(\"x\")".into(),
            retrieval: String::new(),
        },
        baseline_eval: None,
        started_at: at,
        passed: None,
        error: None,
    };
    let evals = [
        (
            "eval_good",
            "gpt-4.1-mini",
            t0() + Duration::hours(1),
            false,
        ),
        (
            "eval_legacy",
            "legacy-kb-1",
            t0() + Duration::hours(2),
            true,
        ),
        (
            "eval_later",
            "gpt-4.1-mini",
            t0() + Duration::days(1),
            false,
        ),
    ];
    for (id, model, at, worse) in &evals {
        let by_case: HashMap<String, Run> = runs
            .iter()
            .enumerate()
            // Only the first case gets worse under the legacy model.
            .map(|(i, r)| (r.run_id.clone(), replay(r, id, model, *worse && i == 0)))
            .collect();
        golden::save_eval(&tx, &record(id, model, *at), &by_case)?;
    }
    tx.commit()?;
    golden::eval_report(store.conn(), "eval_good", t0() + Duration::hours(3))?;
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
        key,
    })
}

#[test]
fn the_bundle_holds_the_evals_of_its_range_with_their_reports() -> TestResult {
    let b = bundle()?;
    let report = verify_bundle(&b.path)?;
    let names: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, FILE_NAMES);
    let doc: Value = serde_json::from_str(&fs::read_to_string(b.path.join(EVALS_JSON))?)?;
    let evals = doc["evals"].as_array().ok_or("evals")?;
    let ids: Vec<&str> = evals
        .iter()
        .filter_map(|e| e["eval"]["eval_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["eval_good", "eval_legacy"],
        "the range's evals, oldest first"
    );
    assert_eq!(evals[0]["report"]["passed"], true);
    // Never compared before the export: compared for it.
    let legacy = &evals[1]["report"];
    assert_eq!(legacy["passed"], false);
    assert_eq!(legacy["totals"]["cases"], 3);
    assert_eq!(legacy["totals"]["passed"], 2);
    let case0 = &legacy["cases"][0];
    assert_eq!(case0["case_id"], "run_2026_11_01_0000");
    assert_eq!(case0["passed"], false);
    assert_eq!(case0["cost_micros"], 360_000);
    let reasons: Vec<&str> = case0["reasons"]
        .as_array()
        .ok_or("reasons")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        reasons,
        [
            "citation missing of kb_102: \"within 14 days\"",
            "citation deprecated of kb_100: \"within 30 days\"",
            "cost $0.36 over the ceiling $0.18",
        ]
    );

    let csv = fs::read_to_string(b.path.join(EVALS_CSV))?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 2 * 3,
        "header + one row per case of each eval"
    );
    assert!(lines[0].starts_with("eval_id,workflow,set_version,"));
    let failing = lines
        .iter()
        .find(|l| l.starts_with("eval_legacy,") && l.contains("run_2026_11_01_0000"))
        .ok_or("the failing case's row")?;
    // A label that would be a formula is quoted; money is exact dollars.
    assert!(failing.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{failing}");
    assert!(
        failing.contains(",false,run_2026_11_01_0000,false,"),
        "{failing}"
    );
    assert!(
        failing.contains(",0.360000,0.120000,0.180000,"),
        "{failing}"
    );
    assert!(
        failing.contains("cost $0.36 over the ceiling $0.18"),
        "{failing}"
    );
    Ok(())
}

#[test]
fn an_edited_or_missing_eval_report_fails_verification_naming_file_and_line() -> TestResult {
    let b = bundle()?;
    let json_path = b.path.join(EVALS_JSON);
    let pristine = fs::read_to_string(&json_path)?;
    // Turn the legacy eval's failing verdict into a pass.
    let at = pristine
        .find("\"passed\": false")
        .ok_or("a failing verdict")?;
    let line = pristine[..at].matches('\n').count() as u64 + 1;
    let edited = format!(
        "{}\"passed\": true{}",
        &pristine[..at],
        &pristine[at + "\"passed\": false".len()..]
    );
    fs::write(&json_path, &edited)?;
    let err = verify_bundle(&b.path).err().ok_or("edit undetected")?;
    assert_eq!(
        (err.file.as_str(), err.line),
        (EVALS_JSON, Some(line)),
        "{err}"
    );
    fs::write(&json_path, &pristine)?;
    assert!(verify_bundle(&b.path).is_ok(), "restored");

    let csv_path = b.path.join(EVALS_CSV);
    let csv = fs::read_to_string(&csv_path)?;
    let edited = csv.replacen(",false,", ",true,", 1);
    let line = csv
        .lines()
        .position(|l| l.contains(",false,"))
        .ok_or("a false cell")? as u64
        + 1;
    fs::write(&csv_path, edited)?;
    let err = verify_bundle(&b.path).err().ok_or("csv edit undetected")?;
    assert_eq!(
        (err.file.as_str(), err.line),
        (EVALS_CSV, Some(line)),
        "{err}"
    );

    fs::remove_file(&csv_path)?;
    let err = verify_bundle(&b.path)
        .err()
        .ok_or("missing file undetected")?;
    assert_eq!(err.to_string(), "evals.csv: missing from the bundle");
    Ok(())
}

#[test]
fn a_third_format_bundle_still_verifies_and_cannot_drop_a_fourth_format_file() -> TestResult {
    let b = bundle()?;
    let manifest: countersign_audit::Manifest =
        serde_json::from_slice(&fs::read(b.path.join(countersign_audit::MANIFEST_FILE))?)?;
    // A /4 manifest without the eval files is refused even when re-signed.
    let mut dropped = manifest.clone();
    dropped
        .files
        .retain(|f| f.name != EVALS_JSON && f.name != EVALS_CSV);
    resign(&b.path, &dropped, &b.key)?;
    let err = verify_bundle(&b.path)
        .err()
        .ok_or("files dropped undetected")?;
    assert_eq!(err.file, countersign_audit::MANIFEST_FILE);
    assert!(err.reason.contains("expected"), "{err}");

    let mut v3 = dropped;
    v3.format = BUNDLE_FORMAT_V3.to_string();
    fs::remove_file(b.path.join(EVALS_JSON))?;
    fs::remove_file(b.path.join(EVALS_CSV))?;
    resign(&b.path, &v3, &b.key)?;
    let r = verify_bundle(&b.path)?;
    assert_eq!(r.format, BUNDLE_FORMAT_V3);
    let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, FILE_NAMES_V3);
    Ok(())
}
