//! What the export says about runs and actions: `runs.jsonl` carries what each run changed
//! and why; `decisions.jsonl` lists every action the console has seen with its review
//! history, also for actions decided elsewhere and for actions whose backend was removed.

mod common;

use chrono::Duration;
use common::{TestResult, run, t0};
use countersign_audit::{DECISIONS_JSONL, RUNS_JSONL, export_bundle_as, load_or_create_key};
use countersign_core::audit::kinds;
use countersign_core::{PendingAction, RecordChange};
use countersign_store::{Store, actions, audit, backends, runs};
use serde_json::{Value, json};
use std::fs;

fn action(id: &str, status: &str, decided_by: Option<&str>) -> TestResult<PendingAction> {
    let mut v = json!({
        "action_id": id,
        "run_id": "run_2026_11_01_0001",
        "tenant": "acme",
        "kind": "issue_refund",
        "title": "Issue refund",
        "target": {"system": "billing", "record_id": "inv_1"},
        "risk": "high",
        "fields": [{"name": "amount", "label": "Amount", "kind": "money", "value": "120.00",
                    "confirm": "reenter"}],
        "rationale": "customer within 14 days",
        "confidence": 0.8,
        "status": status,
        "requested_at": (t0() + Duration::minutes(1)).to_rfc3339(),
        "expires_at": (t0() + Duration::hours(4)).to_rfc3339(),
        "updated_at": (t0() + Duration::minutes(2)).to_rfc3339(),
    });
    if let Some(d) = decided_by {
        v["decided_by"] = json!(d);
        v["decided_at"] = json!((t0() + Duration::minutes(3)).to_rfc3339());
    }
    Ok(serde_json::from_value(v)?)
}

#[test]
fn decisions_list_every_action_with_its_review_history() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("countersign.db");
    let mut store = Store::open(&path)?;
    let b = backends::upsert(
        store.conn(),
        "ref",
        "http://127.0.0.1:1",
        "countersign",
        false,
    )?;
    let gone = backends::upsert(
        store.conn(),
        "old",
        "http://127.0.0.1:2",
        "countersign",
        false,
    )?;
    let be = b.backend_id.clone();
    let tx = store.write()?;
    actions::upsert(&tx, &be, &action("act_console", "executed", Some("ana"))?)?;
    actions::upsert(
        &tx,
        &be,
        &action("act_elsewhere", "approved", Some("bob@backend"))?,
    )?;
    actions::upsert(&tx, &be, &action("act_open", "pending", None)?)?;
    let at = |m: i64| t0() + Duration::minutes(m);
    audit::append(
        &tx,
        "user:ana",
        kinds::DECISION,
        &format!("{be}/act_console"),
        json!({
            "decision": "approve", "reason": null,
            "reviewed_fields": {"amount": "100.00"},
            "corrections": [{"field": "amount", "proposed": "120.00", "corrected": "100.00"}],
            "acknowledged_warnings": [], "time_to_decide_ms": 41_000, "too_fast": false,
            "idempotency_key": "k1", "run_id": "run_2026_11_01_0001", "action_kind": "issue_refund",
        }),
        at(3),
    )?;
    audit::append(
        &tx,
        "user:ana",
        kinds::DECISION_DELIVERY,
        &format!("{be}/act_console"),
        json!({"op": "decision", "idempotency_key": "k1", "outcome": "delivered", "error": null,
               "replayed": false, "action_status": "executed"}),
        at(4),
    )?;
    audit::append(
        &tx,
        "user:ana",
        kinds::ROLLBACK,
        &format!("{be}/act_console"),
        json!({"reason": "wrong customer", "idempotency_key": "k2", "run_id": "run_2026_11_01_0001"}),
        at(5),
    )?;
    // Decided in this console for a backend since removed: the action row is gone, the trail
    // is not.
    audit::append(
        &tx,
        "user:cy",
        kinds::DECISION,
        &format!("{}/act_gone", gone.backend_id),
        json!({"decision": "deny", "reason": "duplicate", "reviewed_fields": {},
               "corrections": [], "time_to_decide_ms": 9_000, "too_fast": false}),
        at(6),
    )?;
    let mut r = run(1);
    r.rationale = Some("refund within policy".into());
    r.changes = vec![RecordChange {
        system: "billing".into(),
        record_id: "inv_1".into(),
        field: "refund".into(),
        before: json!(null),
        after: json!("100.00"),
        action_id: Some("act_console".into()),
    }];
    runs::upsert(&tx, &be, &r, t0(), 365)?;
    tx.commit()?;
    backends::remove(store.conn(), &gone.backend_id)?;

    let key = load_or_create_key(dir.path())?;
    let out = dir.path().join("bundle");
    let m = export_bundle_as(&store, &key, &out, None, None, "test")?;
    countersign_audit::verify_bundle(&out)?;

    let text = fs::read_to_string(out.join(DECISIONS_JSONL))?;
    let lines: Vec<Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["action_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["act_console", "act_elsewhere", "act_open", "act_gone"]
    );

    let console = &lines[0];
    assert_eq!(console["backend_id"], json!(be));
    assert_eq!(console["status"], "executed");
    assert_eq!(console["decided_in_console"], true);
    assert_eq!(console["proposed_fields"][0]["value"], "120.00");
    assert_eq!(console["decisions"][0]["actor"], "user:ana");
    assert_eq!(console["decisions"][0]["seq"], 1);
    assert_eq!(
        console["decisions"][0]["reviewed_fields"]["amount"],
        "100.00"
    );
    assert_eq!(
        console["decisions"][0]["corrections"][0]["corrected"],
        "100.00"
    );
    assert_eq!(console["decisions"][0]["time_to_decide_ms"], 41_000);
    assert_eq!(console["deliveries"][0]["outcome"], "delivered");
    assert_eq!(console["rollbacks"][0]["reason"], "wrong customer");
    assert_eq!(console["rollbacks"][0]["seq"], 3);

    let elsewhere = &lines[1];
    assert_eq!(elsewhere["decided_in_console"], false);
    assert_eq!(elsewhere["decided_by"], "bob@backend");
    assert_eq!(elsewhere["status"], "approved");
    assert_eq!(elsewhere["decisions"], json!([]));

    assert_eq!(lines[2]["status"], "pending");
    assert_eq!(lines[2]["decided_by"], Value::Null);

    let gone_line = &lines[3];
    assert_eq!(gone_line["in_store"], false);
    assert_eq!(gone_line["backend_id"], json!(gone.backend_id));
    assert_eq!(gone_line["decisions"][0]["decision"], "deny");

    let export_event = audit::head(store.conn())?.ok_or("no head")?;
    assert_eq!(export_event.details["decisions"], 4);
    assert_eq!(
        export_event.details["files"][DECISIONS_JSONL],
        json!(m.files[2].sha256)
    );

    // runs.jsonl: what the run changed and why, with tenant, team, version, tokens and the
    // policy checks' details.
    let run_line: Value = serde_json::from_str(
        fs::read_to_string(out.join(RUNS_JSONL))?
            .lines()
            .next()
            .ok_or("no run")?,
    )?;
    assert_eq!(run_line["tenant"], "acme");
    assert_eq!(run_line["team"], "support");
    assert_eq!(run_line["workflow_version"], "v2");
    assert_eq!(run_line["rationale"], "refund within policy");
    assert_eq!(run_line["confidence"], 0.86);
    assert_eq!(run_line["tokens"], json!({"input": 100, "output": 20}));
    assert_eq!(run_line["changes"][0]["after"], "100.00");
    assert_eq!(run_line["changes"][0]["action_id"], "act_console");
    assert_eq!(
        run_line["policy_check_details"][1],
        json!({"name": "role_allowed", "passed": false})
    );
    Ok(())
}
