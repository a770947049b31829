//! Structured-field review: the traps a reviewer must see before approving, and the checks a
//! decision must pass before it is queued. Pure rules, shared by the app and the tests.

use crate::action::{ActionStatus, Decision, DecisionKind, PendingAction};
pub use crate::field::FieldRule;
use crate::field::{ConfirmMode, FieldKind, ReviewField};
use crate::money::Micros;
use crate::text::is_invisible_or_bidi;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Approvals made sooner than this after the reviewer opened the item are flagged as too fast
/// in the audit trail (the app reads `COUNTERSIGN_MIN_REVIEW_MS` to change it).
pub const DEFAULT_MIN_REVIEW_MS: u64 = 4_000;

/// A trap in a field value the reviewer must acknowledge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ReviewWarning")]
pub struct Warning {
    /// Field it concerns.
    pub field: String,
    /// Stable code (`confusable`, `hidden_characters`, `locale_ambiguous_amount`,
    /// `outside_policy`, `unexpected_value`, `invalid_value`).
    pub code: String,
    /// What is wrong, in plain words.
    pub message: String,
}

fn warn(field: &str, code: &str, message: String) -> Warning {
    Warning {
        field: field.to_string(),
        code: code.to_string(),
        message,
    }
}

/// Letters from other scripts that look like Latin ones (Cyrillic, Greek, fullwidth).
fn confusable(c: char) -> Option<char> {
    Some(match c {
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' => 'Y',
        'Х' => 'X',
        'І' => 'I',
        'Ј' => 'J',
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'ο' => 'o',
        'ν' => 'v',
        '\u{FF21}'..='\u{FF3A}' => char::from_u32(c as u32 - 0xFF21 + 'A' as u32)?,
        '\u{FF41}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFF41 + 'a' as u32)?,
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + '0' as u32)?,
        _ => return None,
    })
}

/// The value with look-alike letters replaced by the Latin ones they imitate.
pub fn skeleton(value: &str) -> String {
    value.chars().map(|c| confusable(c).unwrap_or(c)).collect()
}

/// Warnings for one field value under an optional policy rule.
pub fn field_warnings(field: &ReviewField, value: &str, rule: Option<&FieldRule>) -> Vec<Warning> {
    let name = field.name.as_str();
    let mut out = Vec::new();
    let hidden: Vec<String> = value
        .chars()
        .filter(|c| is_invisible_or_bidi(*c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    if !hidden.is_empty() {
        out.push(warn(
            name,
            "hidden_characters",
            format!(
                "contains invisible or direction-changing characters ({})",
                hidden.join(", ")
            ),
        ));
    }
    let looks: Vec<String> = value
        .chars()
        .filter_map(|c| confusable(c).map(|l| format!("{c} (U+{:04X}) looks like {l}", c as u32)))
        .collect();
    if !looks.is_empty() {
        out.push(warn(
            name,
            "confusable",
            format!("contains look-alike characters: {}", looks.join("; ")),
        ));
    }
    match field.kind {
        FieldKind::Money => money_warnings(name, value, rule, &mut out),
        kind => {
            if let Err(must) = kind.check(value) {
                out.push(warn(name, "invalid_value", format!("{value:?} {must}")));
            }
        }
    }
    if let Some(rule) = rule {
        if !rule.allowed.is_empty() && !rule.allowed.iter().any(|a| a == value) {
            out.push(warn(
                name,
                "outside_policy",
                format!(
                    "{value:?} is not one of the allowed values {:?}{}",
                    rule.allowed,
                    source(rule)
                ),
            ));
        }
        if let Some(exp) = &rule.expected
            && exp != value
        {
            out.push(warn(
                name,
                "unexpected_value",
                format!("{value:?} differs from the record's {exp:?}"),
            ));
        }
    }
    out
}

fn source(rule: &FieldRule) -> String {
    rule.source
        .as_deref()
        .map(|s| format!(" (policy {s})"))
        .unwrap_or_default()
}

fn money_warnings(name: &str, value: &str, rule: Option<&FieldRule>, out: &mut Vec<Warning>) {
    let v = value.trim();
    // "1.000" or "1,000": a thousands separator in one locale is a decimal point in another.
    let ambiguous = |sep: char| {
        v.split_once(sep).is_some_and(|(w, f)| {
            f.len() == 3
                && !w.is_empty()
                && w.bytes().all(|b| b.is_ascii_digit())
                && f.bytes().all(|b| b.is_ascii_digit())
        })
    };
    if v.contains(',') || ambiguous('.') {
        out.push(warn(name, "locale_ambiguous_amount", format!("{value:?} reads differently by locale (1.000 is one thousand in some, one in others); the exact amount is a plain decimal with a point")));
    }
    match Micros::parse_usd(v) {
        Err(e) => out.push(warn(
            name,
            "invalid_value",
            format!("not an exact amount: {e}"),
        )),
        Ok(m) => {
            if m.0 < 0 {
                out.push(warn(name, "invalid_value", "negative amount".into()));
            }
            if let Some(max) = rule
                .and_then(|r| r.max.as_deref())
                .and_then(|s| Micros::parse_usd(s).ok())
                && m > max
            {
                out.push(warn(
                    name,
                    "outside_policy",
                    format!(
                        "{value} is above the policy maximum {}{}",
                        max.to_decimal_string(),
                        rule.map(source).unwrap_or_default()
                    ),
                ));
            }
        }
    }
}

/// Why a decision cannot be queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The action is no longer pending (decided elsewhere, expired...).
    #[error("action is {0:?}, not pending")]
    NotPending(ActionStatus),
    /// A field was not confirmed.
    #[error("field {0:?} was not confirmed")]
    Unconfirmed(String),
    /// A re-entered value does not match the proposed value.
    #[error("re-entered value of {0:?} does not match")]
    Mismatch(String),
    /// A warning was not acknowledged.
    #[error("warning on {field:?} ({code}) was not acknowledged")]
    Unacknowledged {
        /// Field.
        field: String,
        /// Warning code.
        code: String,
    },
    /// A denial or escalation needs a reason.
    #[error("a denial or escalation needs a reason")]
    MissingReason,
    /// An escalation needs the role to hand the decision to.
    #[error("an escalation needs the role to escalate to")]
    MissingRole,
    /// The backend does not accept this kind of decision for the action.
    #[error("this backend does not accept {0:?} for this action")]
    NotAllowed(DecisionKind),
    /// Approve-with-edits changed nothing, or changed a field that may not be edited.
    #[error("invalid edit: {0}")]
    InvalidEdit(String),
}

/// What the reviewer did with each field: the confirmed (or corrected) value, whether it was
/// ticked or re-entered, and which warnings they acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReviewInput {
    /// Decision kind.
    pub decision: Option<DecisionKind>,
    /// Per field: the value the reviewer confirmed (re-entered text for `reenter` fields; for
    /// `tick` fields the proposed value once ticked). Edited values for approve-with-edits.
    pub fields: BTreeMap<String, String>,
    /// Warning codes acknowledged, as `field:code`.
    pub acknowledged: Vec<String>,
    /// Reason (required to deny or escalate).
    pub reason: Option<String>,
    /// Role to escalate to (escalations only).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub escalate_to: Option<crate::backend::Role>,
}

/// Checks a review against the action and its rules, returning the decision to send. Approve
/// needs every field confirmed (re-entered fields must match), every warning acknowledged, and a
/// pending, unexpired action; approve-with-edits needs at least one edited editable field and
/// re-validates edited values; deny needs a reason.
pub fn check_review(
    action: &PendingAction,
    rules: &BTreeMap<String, FieldRule>,
    input: &ReviewInput,
    now: DateTime<Utc>,
    idempotency_key: String,
) -> Result<Decision, ReviewError> {
    let status = action.effective_status(now);
    if status != ActionStatus::Pending {
        return Err(ReviewError::NotPending(status));
    }
    let kind = input.decision.unwrap_or(DecisionKind::Approve);
    if !action.allows(kind) {
        return Err(ReviewError::NotAllowed(kind));
    }
    if matches!(kind, DecisionKind::Deny | DecisionKind::Escalate) {
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or(ReviewError::MissingReason)?;
        let escalate_to = match kind {
            DecisionKind::Escalate => Some(input.escalate_to.ok_or(ReviewError::MissingRole)?),
            _ => None,
        };
        let fields = action
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        return Ok(Decision {
            decision: kind,
            reason: Some(reason.to_string()),
            fields,
            idempotency_key,
            escalate_to,
        });
    }
    let mut fields = BTreeMap::new();
    let mut edited = 0;
    for f in &action.fields {
        let given = match input.fields.get(&f.name) {
            Some(v) => v,
            // Not required: approving takes the proposed value as it is.
            None if !f.required => &f.value,
            None => return Err(ReviewError::Unconfirmed(f.name.clone())),
        };
        let value = if given == &f.value {
            f.value.clone()
        } else if kind == DecisionKind::ApproveWithEdits {
            if !f.editable {
                return Err(ReviewError::InvalidEdit(format!(
                    "{} may not be edited",
                    f.name
                )));
            }
            edited += 1;
            given.clone()
        } else if f.confirm == ConfirmMode::Reenter {
            return Err(ReviewError::Mismatch(f.name.clone()));
        } else {
            return Err(ReviewError::Unconfirmed(f.name.clone()));
        };
        for w in field_warnings(f, &value, rules.get(&f.name)) {
            if !input
                .acknowledged
                .contains(&format!("{}:{}", w.field, w.code))
            {
                return Err(ReviewError::Unacknowledged {
                    field: w.field,
                    code: w.code,
                });
            }
        }
        fields.insert(f.name.clone(), value);
    }
    if kind == DecisionKind::ApproveWithEdits && edited == 0 {
        return Err(ReviewError::InvalidEdit("no field was changed".into()));
    }
    Ok(Decision {
        decision: kind,
        reason: input.reason.clone().filter(|r| !r.trim().is_empty()),
        fields,
        idempotency_key,
        escalate_to: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{RiskLevel, TargetRecord};

    fn field(name: &str, kind: FieldKind, value: &str, confirm: ConfirmMode) -> ReviewField {
        ReviewField {
            name: name.into(),
            label: name.into(),
            kind,
            value: value.into(),
            current: None,
            confirm,
            editable: true,
            required: true,
        }
    }

    fn action(region: &str) -> PendingAction {
        let t: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap_or_default();
        PendingAction {
            action_id: "a1".into(),
            revision: 1,
            run_id: "r1".into(),
            tenant: "acme".into(),
            kind: "issue_refund".into(),
            title: "Issue refund".into(),
            target: TargetRecord {
                system: "billing".into(),
                record_id: "ord_1".into(),
            },
            risk: RiskLevel::High,
            fields: vec![
                field("amount", FieldKind::Money, "120.00", ConfirmMode::Reenter),
                field("region", FieldKind::Region, region, ConfirmMode::Tick),
            ],
            proposed: serde_json::Value::Null,
            rationale: String::new(),
            confidence: Some(0.9),
            policy_checks: vec![],
            deny_reasons: vec![],
            escalate_to: None,
            rollback_supported: true,
            escalated_to: None,
            field_rules: Default::default(),
            allowed_decisions: vec![],
            status: ActionStatus::Pending,
            requested_at: t,
            expires_at: t + chrono::Duration::hours(4),
            decided_by: None,
            decided_at: None,
            updated_at: t,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-01T01:00:00Z".parse().unwrap_or_default()
    }

    fn input(amount: &str, region: &str) -> ReviewInput {
        ReviewInput {
            decision: Some(DecisionKind::Approve),
            fields: [
                ("amount".to_string(), amount.to_string()),
                ("region".to_string(), region.to_string()),
            ]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn fields_not_required_need_no_confirmation_but_keep_their_value() {
        let mut a = action("EU");
        a.fields[1].required = false;
        let mut only_amount = input("120.00", "EU");
        only_amount.fields.remove("region");
        let d = check_review(&a, &BTreeMap::new(), &only_amount, now(), "k".into())
            .expect("approve without the unrequired field");
        assert_eq!(d.fields.get("region").map(String::as_str), Some("EU"));
        a.fields[1].required = true;
        assert_eq!(
            check_review(&a, &BTreeMap::new(), &only_amount, now(), "k".into()),
            Err(ReviewError::Unconfirmed("region".into()))
        );
    }

    #[test]
    fn decisions_the_backend_does_not_accept_are_refused() {
        let mut a = action("EU");
        a.allowed_decisions = vec![DecisionKind::Approve, DecisionKind::Deny];
        let mut edit = input("100.00", "EU");
        edit.decision = Some(DecisionKind::ApproveWithEdits);
        assert_eq!(
            check_review(&a, &BTreeMap::new(), &edit, now(), "k".into()),
            Err(ReviewError::NotAllowed(DecisionKind::ApproveWithEdits))
        );
        assert!(
            check_review(
                &a,
                &BTreeMap::new(),
                &input("120.00", "EU"),
                now(),
                "k".into()
            )
            .is_ok()
        );
    }

    #[test]
    fn homoglyph_region_is_flagged_and_must_be_acknowledged() {
        let a = action("ЕU"); // Cyrillic Е
        let w = field_warnings(&a.fields[1], "ЕU", None);
        assert!(
            w.iter()
                .any(|w| w.code == "confusable" && w.message.contains("U+0415")),
            "{w:?}"
        );
        assert!(w.iter().any(|w| w.code == "invalid_value"));
        let err = check_review(
            &a,
            &BTreeMap::new(),
            &input("120.00", "ЕU"),
            now(),
            "k".into(),
        );
        assert!(
            matches!(err, Err(ReviewError::Unacknowledged { .. })),
            "{err:?}"
        );
        let mut ok = input("120.00", "ЕU");
        ok.acknowledged = vec!["region:confusable".into(), "region:invalid_value".into()];
        assert!(check_review(&a, &BTreeMap::new(), &ok, now(), "k".into()).is_ok());
    }

    #[test]
    fn approve_needs_every_field_confirmed_and_reentered_values_to_match() {
        let a = action("EU");
        let mut missing = input("120.00", "EU");
        missing.fields.remove("region");
        assert_eq!(
            check_review(&a, &BTreeMap::new(), &missing, now(), "k".into()),
            Err(ReviewError::Unconfirmed("region".into()))
        );
        assert_eq!(
            check_review(
                &a,
                &BTreeMap::new(),
                &input("12.00", "EU"),
                now(),
                "k".into()
            ),
            Err(ReviewError::Mismatch("amount".into()))
        );
        let d = check_review(
            &a,
            &BTreeMap::new(),
            &input("120.00", "EU"),
            now(),
            "k".into(),
        );
        assert_eq!(
            d.map(|d| d.fields["amount"].clone()),
            Ok("120.00".to_string())
        );
    }

    #[test]
    fn edits_are_revalidated_deny_needs_reason_and_expiry_blocks() {
        let a = action("EU");
        let rules: BTreeMap<String, FieldRule> = [(
            "amount".to_string(),
            FieldRule {
                max: Some("100.00".into()),
                source: Some("kb_102".into()),
                ..Default::default()
            },
        )]
        .into();
        let mut edit = input("1.000", "EU");
        edit.decision = Some(DecisionKind::ApproveWithEdits);
        let err = check_review(&a, &rules, &edit, now(), "k".into());
        assert!(
            matches!(err, Err(ReviewError::Unacknowledged { ref code, .. }) if code == "locale_ambiguous_amount"),
            "{err:?}"
        );
        let w = field_warnings(&a.fields[0], "120.00", rules.get("amount"));
        assert!(
            w.iter()
                .any(|w| w.code == "outside_policy" && w.message.contains("kb_102"))
        );
        let deny = ReviewInput {
            decision: Some(DecisionKind::Deny),
            reason: Some("  ".into()),
            ..Default::default()
        };
        assert_eq!(
            check_review(&a, &rules, &deny, now(), "k".into()),
            Err(ReviewError::MissingReason)
        );
        let late = a.expires_at + chrono::Duration::minutes(1);
        assert_eq!(
            check_review(&a, &rules, &input("120.00", "EU"), late, "k".into()),
            Err(ReviewError::NotPending(ActionStatus::Expired))
        );
        let w = field_warnings(&a.fields[1], "E\u{200B}U", None);
        assert!(w.iter().any(|w| w.code == "hidden_characters"));
    }
}
