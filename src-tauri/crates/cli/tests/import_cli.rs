//! `countersign import` as a whole process: a file whose one string holds a lone UTF-16
//! surrogate escape (`"\ud800"`, as JavaScript exporters may write) still imports every trace,
//! and the repaired one is named.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_countersign");

/// Three traces (ids ending 1, 2, 3); the second holds `"\ud800"` in a span attribute.
fn three_traces() -> String {
    let span = |t: u8, prompt: &str| {
        format!(
            r#"{{"traceId":"5b8efff798038103d269b633813fc60{t}","spanId":"eee19b7ec3c1b17{t}","name":"invoke_agent triage",
              "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
              "attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"invoke_agent"}}}},
                            {{"key":"input.value","value":{{"stringValue":"{prompt}"}}}}]}}"#
        )
    };
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},
          "scopeSpans":[{{"spans":[{},{},{}]}}]}}]}}"#,
        span(1, "hello"),
        span(2, r"cut emoji \ud800 here"),
        span(3, "bye"),
    )
}

#[test]
fn import_keeps_every_trace_and_names_the_repaired_one() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("js-export.json");
    std::fs::write(&file, three_traces())?;
    let store = dir.path().join("store.db");
    let out = Command::new(BIN)
        .arg("import")
        .arg(&file)
        .arg("--store")
        .arg(&store)
        .env_remove("COUNTERSIGN_STORE")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 runs inserted"), "{stdout}");
    assert!(stdout.contains("0 traces quarantined"), "{stdout}");
    for t in 1..=3 {
        assert!(
            stdout.contains(&format!("otel-5b8efff798038103d269b633813fc60{t}")),
            "{stdout}"
        );
    }
    let flagged: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("warning:") && l.contains("repaired"))
        .collect();
    assert_eq!(flagged.len(), 1, "{stdout}");
    assert!(flagged[0].contains("5b8efff798038103d269b633813fc602"));
    assert!(flagged[0].contains("eee19b7ec3c1b172"));

    // The same as JSON: the warning is in the report's `warnings`.
    let out = Command::new(BIN)
        .arg("import")
        .arg(&file)
        .arg("--store")
        .arg(&store)
        .arg("--json")
        .env_remove("COUNTERSIGN_STORE")
        .output()?;
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["unchanged"], 3, "{report}");
    assert!(
        report["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("U+FFFD")))),
        "{report}"
    );
    Ok(())
}
