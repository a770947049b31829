//! One string holding a lone UTF-16 surrogate escape (`"\ud800"`, as JavaScript exporters may
//! write) does not cost the other traces of the file: every trace is imported, and the repaired
//! one is named in the warnings.

use countersign_otel::{PriceTable, import_file, import_otlp_json};
use countersign_store::{Store, quarantine, runs};

type R = Result<(), Box<dyn std::error::Error>>;

/// Three traces (ids ending 1, 2, 3); the second holds `"\ud800"` in a span attribute.
fn three_traces() -> String {
    let span = |t: u8, prompt: &str| {
        format!(
            r#"{{"traceId":"5b8efff798038103d269b633813fc60{t}","spanId":"eee19b7ec3c1b17{t}","name":"invoke_agent triage",
              "startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445601000000000",
              "attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"invoke_agent"}}}},
                            {{"key":"gen_ai.agent.name","value":{{"stringValue":"triage"}}}},
                            {{"key":"input.value","value":{{"stringValue":"{prompt}"}}}}]}}"#
        )
    };
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},
          "scopeSpans":[{{"spans":[{},{},{}]}}]}}]}}"#,
        span(1, "hello"),
        span(2, r"cut emoji \ud800 here"),
        span(3, r"a pair \ud83d\ude00 is fine"),
    )
}

#[test]
fn a_lone_surrogate_is_repaired_and_flagged_not_fatal() -> R {
    let doc = three_traces();
    assert!(
        serde_json::from_str::<serde_json::Value>(&doc).is_err(),
        "serde_json alone refuses the document"
    );
    let r = import_otlp_json(doc.as_bytes(), &PriceTable::example())?;
    let ids: Vec<&str> = r.runs.iter().map(|x| x.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "otel-5b8efff798038103d269b633813fc601",
            "otel-5b8efff798038103d269b633813fc602",
            "otel-5b8efff798038103d269b633813fc603"
        ]
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let flagged: Vec<&String> = r
        .warnings
        .iter()
        .filter(|w| w.contains("lone UTF-16 surrogate"))
        .collect();
    assert_eq!(flagged.len(), 1, "{:?}", r.warnings);
    assert!(flagged[0].contains("trace 5b8efff798038103d269b633813fc602"));
    assert!(flagged[0].contains("eee19b7ec3c1b172"));
    assert!(flagged[0].contains("U+FFFD"));
    let repaired = &r.runs[1];
    assert_eq!(
        repaired.inputs.get("input").and_then(|v| v.as_str()),
        Some("cut emoji \u{FFFD} here")
    );
    assert_eq!(
        r.runs[2].inputs.get("input").and_then(|v| v.as_str()),
        Some("a pair \u{1F600} is fine")
    );
    Ok(())
}

#[test]
fn import_file_keeps_every_trace_and_says_which_was_repaired() -> R {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("js-export.json");
    std::fs::write(&path, three_traces())?;
    let mut store = Store::open(&dir.path().join("store.db"))?;
    let c = import_file(&mut store, &path, "", &PriceTable::example())?;
    assert_eq!((c.inserted, c.rejected), (3, 0));
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("5b8efff798038103d269b633813fc602") && w.contains("repaired")),
        "{:?}",
        c.warnings
    );
    assert_eq!(runs::list(store.conn(), &Default::default())?.total, 3);
    assert_eq!(quarantine::count(store.conn(), &c.backend_id)?, 0);
    Ok(())
}
