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
}

fn yes() -> bool {
    true
}

/// What a backend's policy says about a field (from the run's cited policy).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldRule {
    /// Largest allowed amount (money fields), exact decimal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
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
}
