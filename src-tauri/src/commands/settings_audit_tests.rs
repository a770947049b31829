//! Backend and price-table changes reach the audit trail with before → after, never a token;
//! re-adding a known URL changes nothing unless asked to replace it.

use super::backend_edit::edit;
use super::backends::{remove_row, store_added};
use super::traces::save_prices;
use countersign_core::Micros;
use countersign_core::audit::AuditEvent;
use countersign_core::audit::kinds;
use countersign_otel::price::{ModelPrice, PriceTable};
use countersign_store::{Store, audit, backends};
use serde_json::{Value, json};

fn events(s: &Store) -> Vec<AuditEvent> {
    let mut all = audit::list(s.conn(), None, None, 100).expect("audit");
    all.reverse();
    all
}

fn new<'a>(name: &'a str, config: &'a Value, allow_http: bool) -> backends::NewBackend<'a> {
    backends::NewBackend {
        name,
        url: "http://agents.internal:8123",
        kind: "langgraph",
        config,
        allow_http,
    }
}

#[test]
fn adding_re_adding_editing_and_removing_are_audited_before_and_after() {
    let mut s = Store::open_in_memory().expect("store");
    let cfg = json!({"confirm_fields": {"refund": ["amount"]}});
    store_added(&mut s, &new("Agents", &cfg, true), false, None, true).expect("add");
    let id = backends::backend_id_for_url("http://agents.internal:8123");

    let empty = json!({});
    let Err(again) = store_added(&mut s, &new("Other", &empty, false), false, None, false) else {
        panic!("a known URL is not silently replaced");
    };
    assert_eq!(again.code, "backend_exists");
    let row = backends::get(s.conn(), &id).expect("get").expect("row");
    assert_eq!(
        (row.name.as_str(), &row.config, row.allow_http),
        ("Agents", &cfg, true)
    );

    store_added(&mut s, &new("Other", &empty, false), true, None, false).expect("replace");
    edit(&mut s, &id, None, Some(true)).expect("allow http");
    edit(&mut s, &id, Some("Other"), Some(true)).expect("no change");
    assert!(remove_row(&mut s, &id).expect("remove"));

    let ev = events(&s);
    let kinds_seen: Vec<&str> = ev.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds_seen,
        [
            kinds::BACKEND_ADDED,
            kinds::BACKEND_ADDED,
            kinds::BACKEND_EDITED,
            kinds::BACKEND_REMOVED
        ],
        "the refused re-add and the edit that changed nothing left no event"
    );
    assert!(ev.iter().all(|e| e.subject == id));
    let d: Vec<&Value> = ev.iter().map(|e| &e.details).collect();
    assert_eq!(d[0]["before"], Value::Null);
    assert_eq!(d[0]["after"]["allow_http"], true);
    assert_eq!(d[0]["after"]["config"], cfg);
    assert_eq!(d[0]["token"], "stored");
    assert_eq!(d[1]["replaced"], true);
    assert_eq!(d[1]["before"]["name"], "Agents");
    assert_eq!(d[1]["after"]["name"], "Other");
    assert_eq!(d[1]["after"]["allow_http"], false);
    assert_eq!(d[1]["token"], "none");
    assert_eq!(d[2]["before"]["allow_http"], false);
    assert_eq!(d[2]["after"]["allow_http"], true);
    assert_eq!(d[3]["before"]["url"], "http://agents.internal:8123");
    assert_eq!(d[3]["after"], Value::Null);
    assert!(audit::verify(s.conn()).expect("verify").is_ok());
}

fn table(price: i64) -> PriceTable {
    PriceTable {
        prices: vec![ModelPrice {
            model: "gpt-x".into(),
            effective_from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            input_per_mtok: Micros(price),
            output_per_mtok: Micros(price * 4),
        }],
    }
}

#[test]
fn a_price_table_change_is_audited_before_and_after() {
    let mut s = Store::open_in_memory().expect("store");
    save_prices(&mut s, &table(1_000_000)).expect("first");
    save_prices(&mut s, &table(1_000_000)).expect("same again");
    save_prices(&mut s, &table(2_500_000)).expect("changed");
    let ev = events(&s);
    assert_eq!(ev.len(), 2, "saving the same table again is no change");
    assert!(ev.iter().all(|e| e.kind == kinds::PRICE_TABLE_CHANGED));
    assert_eq!(ev[0].details["before_is_example"], true);
    assert_eq!(ev[1].details["before_is_example"], false);
    assert_eq!(ev[1].details["before"], ev[0].details["after"]);
    assert_ne!(ev[1].details["before"], ev[1].details["after"]);
}

#[test]
fn an_identity_keys_change_is_audited_before_and_after() {
    use super::identity_keys::save_identity_keys;
    use countersign_core::IdentityKeys;
    let mut s = Store::open_in_memory().expect("store");
    let org = IdentityKeys {
        tenant_keys: vec!["org".into()],
        ..IdentityKeys::default()
    };
    save_identity_keys(&mut s, &IdentityKeys::default()).expect("first");
    save_identity_keys(&mut s, &IdentityKeys::default()).expect("same again");
    save_identity_keys(&mut s, &org).expect("changed");
    let ev = events(&s);
    assert_eq!(ev.len(), 2, "saving the same keys again is no change");
    assert!(ev.iter().all(|e| e.kind == kinds::IDENTITY_KEYS_CHANGED));
    assert_eq!(ev[0].details["before_is_default"], true);
    assert_eq!(
        ev[1].details["before"]["tenant_keys"],
        json!(["tenant_id", "tenant"])
    );
    assert_eq!(ev[1].details["after"]["tenant_keys"], json!(["org"]));
    let (now, custom) = countersign_otel::identity_keys::load(s.conn()).expect("load");
    assert_eq!((now, custom), (org, true));
}

#[test]
fn a_backend_config_with_unreadable_identity_keys_is_refused() {
    use super::backends::check_config;
    assert!(check_config(&json!({"project": "p"})).is_ok());
    assert!(check_config(&json!({"identity": {"user_keys": ["customer"]}})).is_ok());
    let bad = check_config(&json!({"identity": {"user_keys": ["a", "a"]}})).expect_err("twice");
    assert_eq!(bad.code, "invalid");
    assert!(bad.message.contains("listed twice"), "{}", bad.message);
    assert!(check_config(&json!([1])).is_err());
}
