//! The kind of an interrupt argument ([`FieldKind`]) and where it came from ([`KindSource`]).
//!
//! In order:
//! 1. **schema**: the tool's argument schema, when the interrupt carries one. Agent Inbox's
//!    `action_request` has no schema, and LangGraph Server publishes none for tool arguments
//!    (`GET /assistants/{id}/schemas` gives the graph's input/state/config schemas only), so a
//!    graph that wants to declare kinds puts the JSON Schema of the arguments beside the
//!    request: `{"action_request": {...}, "config": {...}, "args_schema": {...}}` (or inside
//!    `action_request`). Both a JSON Schema with `properties` and LangChain's `tool.args`
//!    property map are read. A property gives a kind through `x-countersign-kind` (a kind
//!    name), a `format` (`money`/`decimal`/`amount`, `currency`/`iso-4217`,
//!    `country`/`region`/`iso-3166-alpha-2`, `uuid`/`iban`/`identifier`) or `type: boolean`;
//!    a property with only a `type` string or number says too little and is passed over.
//! 2. **config**: the backend's `field_kinds` (set in the Backends view).
//! 3. **inferred**: from the argument's name (and JSON type): see [`infer_kind`].
//! 4. **fallback**: text. When the argument's name or value looks like money or an identifier
//!    the field is marked [`KindSource::Fallback`], which the review shows as a warning the
//!    reviewer must acknowledge, telling the admin to set the kind.

use crate::config::LangGraphConfig;
use countersign_core::{FieldKind, KindSource};
use serde_json::{Map, Value};

/// Common ISO 4217 codes, as name suffixes (`amount_eur`, `total_usd`).
const CURRENCY_CODES: &[&str] = &[
    "aud", "brl", "cad", "chf", "cny", "czk", "dkk", "eur", "gbp", "hkd", "huf", "inr", "jpy",
    "krw", "mxn", "nok", "nzd", "pln", "rub", "sek", "sgd", "usd", "zar",
];

/// Name words that make an argument money (`amount`, `refund_total`, `price`).
const MONEY_WORDS: &[&str] = &[
    "amount", "refund", "price", "total", "cost", "fee", "balance", "payment", "charge", "credit",
    "debit", "payout", "subtotal", "tax", "discount",
];

/// Name words that mean an amount in minor units (`amount_cents`): money, but not in the
/// decimal form the money kind reads, so they are left to the admin.
const MINOR_UNIT_WORDS: &[&str] = &["cents", "minor", "pence"];

/// Name words that make an argument an identifier (`iban`, `order_id`, `account_number`).
const ID_WORDS: &[&str] = &[
    "id",
    "ids",
    "uuid",
    "key",
    "ref",
    "reference",
    "number",
    "no",
    "sku",
    "iban",
    "bic",
    "swift",
    "account",
    "routing",
    "code",
];

/// Name words that make an `account*` argument text (`account_name`, `account_holder`).
const TEXT_WORDS: &[&str] = &[
    "name",
    "holder",
    "owner",
    "description",
    "note",
    "notes",
    "label",
    "type",
    "reason",
    "message",
    "comment",
    "status",
    "method",
];

/// The words of a name: `refundAmountEUR` and `refund-amount_eur` both give
/// `refund, amount, eur`.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_word(w: &str, list: &[&str]) -> bool {
    list.contains(&w)
}

/// Whether the name says money: its last word (or its only word) is a money word or a currency
/// code, or it starts with `amount`/`refund` followed only by money words and currency codes.
fn money_name(ws: &[String]) -> bool {
    let money = |w: &str| is_word(w, MONEY_WORDS) || is_word(w, CURRENCY_CODES);
    match ws {
        [] => false,
        [only] => is_word(only, MONEY_WORDS),
        [.., last] => money(last) || ws.iter().all(|w| money(w)),
    }
}

fn minor_units_name(ws: &[String]) -> bool {
    ws.last().is_some_and(|w| is_word(w, MINOR_UNIT_WORDS))
}

/// Whether the name says identifier: its last word is an identifier word (`order_id`,
/// `account_number`, `iban`), or it starts with `account` and does not end in a text word.
fn id_name(ws: &[String]) -> bool {
    let Some(last) = ws.last() else {
        return false;
    };
    (is_word(last, ID_WORDS) && !(ws.len() > 1 && last == "code" && currency_or_region(ws)))
        || (ws.first().is_some_and(|w| w == "account") && !is_word(last, TEXT_WORDS))
        || ws.iter().any(|w| w == "iban")
}

fn currency_or_region(ws: &[String]) -> bool {
    ws.iter()
        .any(|w| w == "currency" || w == "country" || w == "region")
}

/// The kind an argument's name (and JSON type) says, if it says one: booleans are flags;
/// `currency`, `*_currency(_code)` a currency; `region`, `country`, `*_country(_code)` a
/// region; `id`, `*_id`, `iban`, `account*`, `*_number`... an identifier; `amount*`,
/// `*_amount`, `refund*`, `price`, `total`, `*_eur`/`*_usd`/... money.
pub fn infer_kind_from_name(name: &str, value: &Value) -> Option<FieldKind> {
    if value.is_boolean() {
        return Some(FieldKind::Bool);
    }
    if value.is_object() || value.is_array() {
        return None;
    }
    let ws = words(name);
    let last = ws.last().map(String::as_str).unwrap_or_default();
    if last == "currency" || (last == "code" && ws.iter().any(|w| w == "currency")) {
        Some(FieldKind::Currency)
    } else if matches!(last, "region" | "country")
        || (last == "code" && ws.iter().any(|w| w == "country" || w == "region"))
    {
        Some(FieldKind::Region)
    } else if id_name(&ws) {
        Some(FieldKind::Identifier)
    } else if minor_units_name(&ws) {
        None
    } else if money_name(&ws) {
        Some(FieldKind::Money)
    } else {
        None
    }
}

/// The kind an argument's name says, text when it says none (see [`infer_kind_from_name`]).
pub fn infer_kind(name: &str, value: &Value) -> FieldKind {
    infer_kind_from_name(name, value).unwrap_or(FieldKind::Text)
}

/// Whether a value's text looks like an amount: digits with a currency sign or code
/// (`€120`, `120 EUR`), or exactly two decimals (`120.00`, `120,00`).
fn money_value(text: &str) -> bool {
    let t = text.trim();
    if !t.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let symbols = ['$', '€', '£', '¥', '₹', '₩', '₽', '₺', '¢'];
    if t.chars().any(|c| symbols.contains(&c)) {
        return true;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let code = |w: &str| w.len() == 3 && w.bytes().all(|b| b.is_ascii_uppercase());
    if words.len() == 2 && (code(words[0]) || code(words[1])) {
        return true;
    }
    let unsigned = t.trim_start_matches(['-', '+']);
    match unsigned.rsplit_once(['.', ',']) {
        Some((whole, frac)) => {
            frac.len() == 2
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !whole.is_empty()
                && whole
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
        }
        None => false,
    }
}

/// Whether a value's text looks like an identifier: an IBAN (`DE89 3704 0044 0532 0130 00`) or
/// a prefixed id (`ord_1001`, `cus-42ab`).
fn id_value(text: &str) -> bool {
    let t = text.trim();
    let compact: String = t.chars().filter(|c| *c != ' ').collect();
    let b = compact.as_bytes();
    let iban = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric);
    let prefixed = !t.contains(' ')
        && t.split_once(['_', '-']).is_some_and(|(p, rest)| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_alphabetic())
                && rest.bytes().any(|b| b.is_ascii_digit())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    iban || prefixed
}

/// Whether an argument that no schema, config or name gives a kind looks like money or an
/// identifier all the same, by its name (`amount_cents`, `payout_ref_text`) or its value.
pub fn looks_like_money_or_id(name: &str, value: &Value) -> bool {
    let ws = words(name);
    let textual = ws.last().is_some_and(|w| is_word(w, TEXT_WORDS));
    let named = minor_units_name(&ws)
        || (!textual
            && (ws.first().is_some_and(|w| is_word(w, MONEY_WORDS))
                || ws.iter().any(|w| w == "iban" || w == "account")));
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    named || money_value(&text) || id_value(&text)
}

/// The JSON Schema of an argument in an interrupt's argument schema (`properties.NAME`, or
/// `NAME` in a bare property map), with an `anyOf`/`oneOf` of one type and `null` (an optional
/// argument) unwrapped.
pub fn property_schema<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    let prop = match schema.get("properties") {
        Some(props) => props.get(name)?,
        None => schema.get(name)?,
    };
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = prop.get(key) {
            let non_null: Vec<&Value> = alts
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if let [one] = non_null.as_slice() {
                return Some(one);
            }
        }
    }
    Some(prop)
}

/// The kind a property's JSON Schema gives, when it says enough (see the module docs).
pub fn schema_kind(prop: &Value) -> Option<FieldKind> {
    if let Some(k) = prop.get("x-countersign-kind")
        && let Ok(kind) = serde_json::from_value::<FieldKind>(k.clone())
    {
        return Some(kind);
    }
    let format = prop
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let by_format = match format.as_deref() {
        Some("money" | "decimal" | "amount") => Some(FieldKind::Money),
        Some("currency" | "iso-4217" | "iso4217") => Some(FieldKind::Currency),
        Some("country" | "region" | "iso-3166-alpha-2" | "iso3166-1-alpha-2") => {
            Some(FieldKind::Region)
        }
        Some("uuid" | "iban" | "identifier") => Some(FieldKind::Identifier),
        _ => None,
    };
    by_format.or_else(|| {
        (prop.get("type").and_then(Value::as_str) == Some("boolean")).then_some(FieldKind::Bool)
    })
}

/// The kind of argument `name` (with `value`) of `action`, and where it came from: the
/// argument schema, the config's `field_kinds`, the name, or the text fallback.
pub fn argument_kind(
    action: &str,
    name: &str,
    value: &Value,
    schema: Option<&Value>,
    cfg: &LangGraphConfig,
) -> (FieldKind, KindSource) {
    if let Some(kind) = schema
        .and_then(|s| property_schema(s, name))
        .and_then(schema_kind)
    {
        return (kind, KindSource::Schema);
    }
    if let Some(kind) = cfg.field_kind(action, name) {
        return (kind, KindSource::Config);
    }
    match infer_kind_from_name(name, value) {
        Some(kind) => (kind, KindSource::Inferred),
        None if looks_like_money_or_id(name, value) => (FieldKind::Text, KindSource::Fallback),
        None => (FieldKind::Text, KindSource::Inferred),
    }
}

/// The argument schema an interrupt value carries beside (or in) its `action_request`, when it
/// is a JSON object.
pub fn args_schema(request: &Map<String, Value>) -> Option<Value> {
    let in_request = request
        .get("action_request")
        .and_then(|ar| ar.get("args_schema"));
    request
        .get("args_schema")
        .or(in_request)
        .filter(|s| s.is_object())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_give_money_identifier_currency_and_region() {
        let money = [
            "amount",
            "amount_eur",
            "refund_amount",
            "refund",
            "refund_total",
            "price",
            "total",
            "total_usd",
            "unit_price",
            "shipping_cost",
            "fee",
            "refundAmount",
            "amountEUR",
        ];
        for n in money {
            assert_eq!(infer_kind(n, &json!("1.00")), FieldKind::Money, "{n}");
        }
        let ids = [
            "iban",
            "payee_iban",
            "account",
            "account_number",
            "account_no",
            "order_id",
            "id",
            "refund_id",
            "customerId",
            "sku",
            "order_ref",
        ];
        for n in ids {
            assert_eq!(infer_kind(n, &json!("x1")), FieldKind::Identifier, "{n}");
        }
        assert_eq!(infer_kind("currency", &json!("EUR")), FieldKind::Currency);
        assert_eq!(
            infer_kind("currency_code", &json!("EUR")),
            FieldKind::Currency
        );
        assert_eq!(
            infer_kind("refund_currency", &json!("EUR")),
            FieldKind::Currency
        );
        assert_eq!(infer_kind("country_code", &json!("DE")), FieldKind::Region);
        assert_eq!(infer_kind("region", &json!("DE")), FieldKind::Region);
        assert_eq!(infer_kind("notify", &json!(true)), FieldKind::Bool);
        for n in [
            "refund_reason",
            "account_name",
            "note",
            "qty",
            "amount_cents",
        ] {
            assert_eq!(infer_kind(n, &json!("x")), FieldKind::Text, "{n}");
        }
    }

    #[test]
    fn schema_wins_then_config_then_name_then_fallback() {
        let cfg = LangGraphConfig::from_backend_config(&json!({
            "field_kinds": {"pay": {"amount_cents": "money", "memo": "identifier",
                                    "flag": "text"}}
        }));
        let schema = json!({"type": "object", "properties": {
            "flag": {"type": "boolean"},
            "payee": {"type": "string", "format": "iban"},
            "sum": {"anyOf": [{"type": "string", "x-countersign-kind": "money"},
                              {"type": "null"}]},
            "memo": {"type": "string"}
        }});
        let kind = |name: &str, value: Value, schema: Option<&Value>| {
            argument_kind("pay", name, &value, schema, &cfg)
        };
        // Schema.
        assert_eq!(
            kind("flag", json!("yes"), Some(&schema)),
            (FieldKind::Bool, KindSource::Schema)
        );
        assert_eq!(
            kind("payee", json!("DE89370400440532013000"), Some(&schema)),
            (FieldKind::Identifier, KindSource::Schema)
        );
        assert_eq!(
            kind("sum", json!("5.00"), Some(&schema)),
            (FieldKind::Money, KindSource::Schema)
        );
        // A schema that only says "string" leaves it to the config.
        assert_eq!(
            kind("memo", json!("x"), Some(&schema)),
            (FieldKind::Identifier, KindSource::Config)
        );
        // Without a schema the config decides.
        assert_eq!(
            kind("flag", json!("yes"), None),
            (FieldKind::Text, KindSource::Config)
        );
        assert_eq!(
            kind("amount_cents", json!(12000), None),
            (FieldKind::Money, KindSource::Config)
        );
        // Names.
        assert_eq!(
            kind("amount_eur", json!("120.00"), None),
            (FieldKind::Money, KindSource::Inferred)
        );
        assert_eq!(
            kind("iban", json!("DE89"), None),
            (FieldKind::Identifier, KindSource::Inferred)
        );
        assert_eq!(
            kind("note", json!("call back"), None),
            (FieldKind::Text, KindSource::Inferred)
        );
        // Fallback: text, marked, when the name or value looks like money or an identifier.
        let other = LangGraphConfig::default();
        let fb = |name: &str, value: Value| argument_kind("pay", name, &value, None, &other);
        assert_eq!(
            fb("amount_cents", json!(12000)),
            (FieldKind::Text, KindSource::Fallback)
        );
        assert_eq!(
            fb("sum", json!("€120")),
            (FieldKind::Text, KindSource::Fallback)
        );
        assert_eq!(
            fb("sum", json!("120.00")),
            (FieldKind::Text, KindSource::Fallback)
        );
        assert_eq!(
            fb("payee", json!("DE89 3704 0044 0532 0130 00")),
            (FieldKind::Text, KindSource::Fallback)
        );
        assert_eq!(
            fb("target", json!("cus_42ab")),
            (FieldKind::Text, KindSource::Fallback)
        );
        assert_eq!(
            fb("amount_breakdown", json!({"a": 1})),
            (FieldKind::Text, KindSource::Fallback)
        );
        assert_eq!(fb("qty", json!(2)), (FieldKind::Text, KindSource::Inferred));
        assert_eq!(
            fb("note", json!("thanks!")),
            (FieldKind::Text, KindSource::Inferred)
        );
        assert_eq!(
            fb("refund_reason", json!("late")),
            (FieldKind::Text, KindSource::Inferred)
        );
    }

    #[test]
    fn schemas_are_read_beside_or_inside_the_request() {
        let props = json!({"amount": {"type": "number", "format": "decimal"}});
        let beside = json!({"action_request": {"action": "a", "args": {}}, "args_schema": props});
        let inside = json!({"action_request": {"action": "a", "args": {}, "args_schema": props}});
        for v in [beside, inside] {
            let s = v.as_object().and_then(args_schema);
            let kind = s
                .as_ref()
                .and_then(|s| property_schema(s, "amount"))
                .and_then(schema_kind);
            assert_eq!(kind, Some(FieldKind::Money), "{v}");
        }
        let none = json!({"action_request": {"action": "a", "args": {}}});
        assert_eq!(none.as_object().and_then(args_schema), None);
        assert_eq!(schema_kind(&json!({"type": "string"})), None);
        assert_eq!(
            schema_kind(&json!({"x-countersign-kind": "nonsense"})),
            None
        );
    }

    #[test]
    fn name_words_split_snake_kebab_and_camel_case() {
        assert_eq!(words("refundAmountEUR"), vec!["refund", "amount", "eur"]);
        assert_eq!(words("refund-amount_eur"), vec!["refund", "amount", "eur"]);
        assert_eq!(words("IBAN"), vec!["iban"]);
    }
}
