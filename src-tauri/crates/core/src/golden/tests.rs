use super::fixtures::refund;
use super::*;

fn case(id: &str) -> GoldenCase {
    let run = refund(id, "40.00", false, 1_000, 2_000);
    GoldenCase {
        expect: Expectations::from_run(&run, 1.5),
        run,
    }
}

#[test]
fn expectations_from_a_run_take_its_outcome_citations_writes_and_ceilings() {
    let c = case("r1");
    assert_eq!(c.expect.outcome, Some(Outcome::Success));
    assert_eq!(c.expect.decision.as_deref(), Some("refund_proposed"));
    assert_eq!(c.expect.citations.len(), 1);
    assert_eq!(c.expect.citations[0].passage, "within 14 days");
    assert_eq!(c.expect.writes[0].field, "refund");
    assert_eq!(c.expect.writes[0].after, serde_json::json!("40.00"));
    assert_eq!(c.expect.max_cost_micros, Some(Micros(1_500)));
    assert_eq!(c.expect.max_latency_ms, Some(3_000));
}

#[test]
fn jsonl_round_trips_run_record_plus_expect() -> Result<(), JsonlError> {
    let cases = vec![case("r1"), case("r2")];
    let text = to_jsonl(&cases).unwrap_or_default();
    assert_eq!(text.lines().count(), 2);
    let first: Value = serde_json::from_str(text.lines().next().unwrap_or("")).unwrap_or_default();
    assert_eq!(first["run_id"], "r1");
    assert_eq!(first["expect"]["decision"], "refund_proposed");
    let back = from_jsonl(&format!("\n{text}\n"), Some("refund_request"))?;
    assert_eq!(back, cases);
    Ok(())
}

#[test]
fn jsonl_refuses_other_workflows_duplicates_and_bad_lines_with_their_line() {
    let text = to_jsonl(&[case("r1"), case("r1")]).unwrap_or_default();
    let e = from_jsonl(&text, None).err();
    assert_eq!(e.map(|e| e.line), Some(2));
    let e = from_jsonl(&text, Some("crm_update")).err();
    assert!(e.is_some_and(|e| e.line == 1 && e.message.contains("not crm_update")));
    let e = from_jsonl("{\"run_id\": \"x\"}\n", None).err();
    assert!(e.is_some_and(|e| e.line == 1));
    let bad_expect = text
        .lines()
        .next()
        .unwrap_or("")
        .replace("\"passage\":\"within 14 days\"}]", "\"passage\":\"\"}]");
    let e = from_jsonl(&bad_expect, None).err();
    assert!(e.is_some(), "an empty required passage is refused");
}

#[test]
fn no_expectation_means_no_check() {
    let e: Expectations = serde_json::from_str("{}").unwrap_or_default();
    assert_eq!(e, Expectations::default());
    assert!(e.validate().is_ok());
}
