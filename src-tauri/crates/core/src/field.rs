//! Review fields: what a field of a pending write holds, how a reviewer confirms it, what the
//! cited policy says about it, and the one check of a value against its kind (used by the
//! console's review and by the reference backend alike).

use crate::money::Micros;
use serde::{Deserialize, Serialize};

/// What kind of value a review field holds; decides how it is confirmed and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A money amount as an exact decimal string.
    Money,
    /// An ISO 4217 currency code.
    Currency,
    /// A region or country code.
    Region,
    /// An identifier (account, order, record id).
    Identifier,
    /// Free text.
    Text,
    /// A yes/no flag.
    Bool,
}

impl FieldKind {
    /// Every kind, in the order the UI lists them.
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Money,
        FieldKind::Currency,
        FieldKind::Region,
        FieldKind::Identifier,
        FieldKind::Text,
        FieldKind::Bool,
    ];

    /// What a value of this kind looks like, in a few words (shown next to the field).
    pub fn hint(self) -> &'static str {
        match self {
            FieldKind::Money => "exact amount, plain decimal with a point",
            FieldKind::Currency => "3 capital letters",
            FieldKind::Region => "2 capital letters",
            FieldKind::Identifier => "identifier: printable ASCII, no spaces",
            FieldKind::Text => "text",
            FieldKind::Bool => "true or false",
        }
    }

    /// Checks a value against its kind; the error says what the value must be.
    pub fn check(self, value: &str) -> Result<(), &'static str> {
        let ok = match self {
            FieldKind::Money => Micros::parse_usd(value).is_ok_and(|m| m.0 >= 0),
            FieldKind::Currency => {
                value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase())
            }
            FieldKind::Region => value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()),
            FieldKind::Identifier => {
                !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic())
            }
            FieldKind::Text => true,
            FieldKind::Bool => value == "true" || value == "false",
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                FieldKind::Money => "must be an exact decimal amount >= 0 with at most 6 decimals",
                FieldKind::Currency => "must be 3 uppercase ASCII letters",
                FieldKind::Region => "must be 2 uppercase ASCII letters",
                FieldKind::Identifier => "must be non-empty printable ASCII without spaces",
                FieldKind::Bool => "must be true or false",
                FieldKind::Text => "",
            })
        }
    }
}

/// How a reviewer must confirm a field before approve works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmMode {
    /// Tick the value explicitly.
    Tick,
    /// Type the value again; it must match.
    Reenter,
}

/// A field the reviewer must look at and confirm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReviewField {
    /// Machine name (`amount`).
    pub name: String,
    /// Label to show (`Refund amount`).
    pub label: String,
    /// Value kind.
    pub kind: FieldKind,
    /// Proposed value, as text.
    pub value: String,
    /// Current value in the system of record, for updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// How confirmation works.
    pub confirm: ConfirmMode,
    /// Whether the reviewer may edit it when approving with edits.
    #[serde(default = "yes")]
    pub editable: bool,
    /// Whether approving needs this field confirmed. A field that is not required is shown
    /// (and editable where allowed) but approve works without ticking it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Where `kind` came from. Backends that speak Countersign's protocol declare it; for
    /// others (LangGraph) it may come from an argument schema, the backend's configuration, the
    /// argument's name, or be a fallback to text the admin should correct.
    #[serde(default, skip_serializing_if = "KindSource::is_declared")]
    pub kind_source: KindSource,
}

/// Where a review field's [`FieldKind`] came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum KindSource {
    /// The backend declared it with the field (Countersign's own protocol).
    #[default]
    Declared,
    /// The tool's argument schema.
    Schema,
    /// The backend's configuration (`field_kinds`, set in the Backends view).
    Config,
    /// Inferred from the argument's name or JSON type.
    Inferred,
    /// Nothing said what it is, so it is shown as free text, although its name or value looks
    /// like money or an identifier: the admin should set its kind in the Backends view.
    Fallback,
}

impl KindSource {
    /// Whether the backend declared the kind itself (the default, not serialized).
    pub fn is_declared(&self) -> bool {
        *self == KindSource::Declared
    }
}

fn yes() -> bool {
    true
}

/// What a backend's policy says about a field (from the run's cited policy).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldRule {
    /// Largest allowed amount (money fields), exact decimal, optionally with its ISO 4217
    /// currency code after it (`"500.00 EUR"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// ISO 4217 code of the currency `max` is in. With a currency (here or in `max`), the
    /// maximum is only compared with an amount whose action is in that currency; without one
    /// it is compared with the amount as written, whatever the action's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Allowed values (regions, currencies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// The value the record's context expects (e.g. the customer's currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Where the rule comes from (document id of the cited policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A policy maximum as read from a [`FieldRule`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyMax {
    /// The largest allowed amount.
    pub amount: Micros,
    /// The currency it is in, when the rule names one.
    pub currency: Option<String>,
}

fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

impl FieldRule {
    /// Reads the rule's maximum: `Ok(None)` when it sets none, an error saying what is wrong
    /// when it cannot be read (the review shows it; it is never skipped silently). `max` is an
    /// exact decimal >= 0, optionally followed (or preceded) by a currency code, which must
    /// agree with `currency` when both are given.
    pub fn policy_max(&self) -> Result<Option<PolicyMax>, String> {
        let Some(text) = self.max.as_deref() else {
            return Ok(None);
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let (number, code) = match words.as_slice() {
            [n] => (*n, None),
            [n, c] if is_currency_code(c) => (*n, Some(*c)),
            [c, n] if is_currency_code(c) => (*n, Some(*c)),
            _ => {
                return Err(
                    "expected an exact decimal, optionally with a currency code (500.00 EUR)"
                        .into(),
                );
            }
        };
        let amount = Micros::parse_usd(number).map_err(|e| e.to_string())?;
        if amount.0 < 0 {
            return Err("a maximum cannot be negative".into());
        }
        let field = self.currency.as_deref().map(str::trim);
        if let Some(c) = field
            && !is_currency_code(c)
        {
            return Err(format!(
                "currency {c:?} is not an ISO 4217 code (3 capital letters)"
            ));
        }
        let currency = match (code, field) {
            (Some(a), Some(b)) if a != b => {
                return Err(format!("max is in {a} but the rule's currency is {b}"));
            }
            (a, b) => a.or(b).map(str::to_string),
        };
        Ok(Some(PolicyMax { amount, currency }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_accepts_its_shape_and_refuses_others() {
        let cases: [(FieldKind, &str, &str); 6] = [
            (FieldKind::Money, "120.50", "-1"),
            (FieldKind::Currency, "EUR", "eur"),
            (FieldKind::Region, "DE", "DEU"),
            (FieldKind::Identifier, "ord_1001", "ord 1001"),
            (FieldKind::Text, "anything at all", "\u{0}"),
            (FieldKind::Bool, "true", "yes"),
        ];
        for (kind, good, bad) in cases {
            assert_eq!(kind.check(good), Ok(()), "{kind:?} {good:?}");
            if kind != FieldKind::Text {
                assert!(kind.check(bad).is_err(), "{kind:?} {bad:?}");
            }
            assert!(!kind.hint().is_empty());
        }
        assert!(FieldKind::Money.check("1,000.00").is_err());
        assert!(FieldKind::Identifier.check("").is_err());
    }

    fn rule(max: &str, currency: Option<&str>) -> FieldRule {
        FieldRule {
            max: Some(max.into()),
            currency: currency.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn policy_max_reads_amount_and_currency_or_says_why_not() {
        let m = |amount: i64, c: Option<&str>| {
            Ok(Some(PolicyMax {
                amount: Micros::from_usd(amount),
                currency: c.map(str::to_string),
            }))
        };
        assert_eq!(FieldRule::default().policy_max(), Ok(None));
        assert_eq!(rule("500.00", None).policy_max(), m(500, None));
        assert_eq!(rule("500.00 EUR", None).policy_max(), m(500, Some("EUR")));
        assert_eq!(rule("EUR 500", None).policy_max(), m(500, Some("EUR")));
        assert_eq!(rule("500", Some("USD")).policy_max(), m(500, Some("USD")));
        assert_eq!(
            rule("500 USD", Some("USD")).policy_max(),
            m(500, Some("USD"))
        );
        for (max, cur) in [
            ("500 EUR", Some("USD")),
            ("five hundred", None),
            ("500,00", None),
            ("€500", None),
            ("500 eur", None),
            ("-1", None),
            ("500", Some("euro")),
            ("", None),
        ] {
            assert!(rule(max, cur).policy_max().is_err(), "{max:?} {cur:?}");
        }
    }
}
