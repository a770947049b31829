//! Structured-field review: the traps a reviewer must see before approving, and the checks a
//! decision must pass before it is queued. Pure rules, shared by the app and the tests.

use crate::action::{ActionStatus, Decision, DecisionKind, PendingAction};
use crate::amount_text::amount_traps;
use crate::authority::{AuthorityError, may_decide};
use crate::backend::Role;
pub use crate::field::FieldRule;
use crate::field::{ConfirmMode, FieldKind, KindSource, ReviewField};
use crate::lookalike::{look_alikes, mixed_script_words, scripts_of};
use crate::money::Micros;
use crate::text::is_marked_for_display;
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
    /// Stable code: `hidden_characters`, `confusable`, `mixed_script`, `kind_guessed`,
    /// `invalid_value`, the amount codes of [`crate::amount_text`] (`locale_ambiguous_amount`,
    /// `non_ascii_digits`, `signed_amount`, `digit_group_separator`, `leading_zeros`,
    /// `bare_decimal_point`, `currency_in_amount`), and the policy codes `outside_policy`,
    /// `unexpected_value`, `policy_unreadable`, `policy_unchecked`,
    /// `policy_currency_mismatch`, `policy_currency_unknown`.
    pub code: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// Every warning code the review gives, for the UI's list (`Warning::code`).
pub const WARNING_CODES: &[&str] = &[
    "hidden_characters",
    "confusable",
    "mixed_script",
    "kind_guessed",
    "invalid_value",
    crate::amount_text::LOCALE_AMBIGUOUS,
    crate::amount_text::NON_ASCII_DIGITS,
    crate::amount_text::SIGNED_AMOUNT,
    crate::amount_text::DIGIT_GROUP_SEPARATOR,
    crate::amount_text::LEADING_ZEROS,
    crate::amount_text::BARE_DECIMAL_POINT,
    crate::amount_text::CURRENCY_IN_AMOUNT,
    "outside_policy",
    "unexpected_value",
    "policy_unreadable",
    "policy_unchecked",
    "policy_currency_mismatch",
    "policy_currency_unknown",
];

fn warn(field: &str, code: &str, message: String) -> Warning {
    debug_assert!(
        WARNING_CODES.contains(&code),
        "unlisted warning code {code}"
    );
    Warning {
        field: field.to_string(),
        code: code.to_string(),
        message,
    }
}

/// The currency an action's amounts are in: the value of its currency field (the field of
/// kind [`FieldKind::Currency`]), as confirmed or proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionCurrency {
    /// Its one currency field holds this (or every currency field holds the same).
    Known(String),
    /// The action has no currency field (or it was not given).
    Missing,
    /// Its currency fields disagree.
    Conflicting(Vec<String>),
}

impl ActionCurrency {
    /// The currency of an action with these fields, each valued from `values` when it has the
    /// field, otherwise by its proposed value.
    pub fn of(fields: &[ReviewField], values: &BTreeMap<String, String>) -> ActionCurrency {
        let mut seen: Vec<String> = Vec::new();
        for f in fields.iter().filter(|f| f.kind == FieldKind::Currency) {
            let v = values.get(&f.name).unwrap_or(&f.value);
            if !seen.contains(v) {
                seen.push(v.clone());
            }
        }
        match seen.len() {
            0 => ActionCurrency::Missing,
            1 => ActionCurrency::Known(seen.remove(0)),
            _ => ActionCurrency::Conflicting(seen),
        }
    }
}

/// Warnings for every field of an action: each field valued from `values` (the reviewer's
/// confirmed or edited values; a field `values` lacks keeps its proposed value), under its
/// rule in `rules`, with money compared in the action's currency ([`ActionCurrency::of`]).
pub fn review_warnings(
    fields: &[ReviewField],
    values: &BTreeMap<String, String>,
    rules: &BTreeMap<String, FieldRule>,
) -> Vec<Warning> {
    let currency = ActionCurrency::of(fields, values);
    fields
        .iter()
        .flat_map(|f| {
            let value = values.get(&f.name).unwrap_or(&f.value);
            field_warnings_in(f, value, rules.get(&f.name), &currency)
        })
        .collect()
}

/// Warnings for one field value under an optional policy rule, without the rest of the
/// action: a maximum that names a currency cannot be compared (the action's currency is
/// unknown here) and gives `policy_currency_unknown`. Callers use [`review_warnings`]; this
/// single-field form is what the rule tests exercise.
#[cfg(test)]
fn field_warnings(field: &ReviewField, value: &str, rule: Option<&FieldRule>) -> Vec<Warning> {
    field_warnings_in(field, value, rule, &ActionCurrency::Missing)
}

/// Warnings for one field value under an optional policy rule, amounts compared with a
/// maximum in `currency`, the action's currency.
pub fn field_warnings_in(
    field: &ReviewField,
    value: &str,
    rule: Option<&FieldRule>,
    currency: &ActionCurrency,
) -> Vec<Warning> {
    let name = field.name.as_str();
    let mut out = Vec::new();
    if field.kind_source == KindSource::Fallback {
        out.push(warn(
            name,
            "kind_guessed",
            format!(
                "{:?} is shown as free text because nothing says what kind of value it is, but \
                 its name or value looks like money or an identifier, so it was not checked as \
                 one; the admin should set its kind in the Backends view (field_kinds)",
                field.name
            ),
        ));
    }
    let hidden: Vec<String> = value
        .chars()
        .filter(|c| is_marked_for_display(*c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    if !hidden.is_empty() {
        out.push(warn(
            name,
            "hidden_characters",
            format!(
                "contains invisible, control or direction-changing characters ({})",
                hidden.join(", ")
            ),
        ));
    }
    let looks: Vec<String> = look_alikes(value, field.kind != FieldKind::Text)
        .into_iter()
        .map(|l| {
            format!(
                "{} (U+{:04X}{}) looks like {}",
                l.found,
                l.found as u32,
                if l.script.is_empty() {
                    String::new()
                } else {
                    format!(", {}", l.script)
                },
                l.looks_like
            )
        })
        .collect();
    if !looks.is_empty() {
        out.push(warn(
            name,
            "confusable",
            format!("contains look-alike characters: {}", looks.join("; ")),
        ));
    }
    let mixed: Vec<String> = mixed_script_words(value)
        .into_iter()
        .map(|w| format!("{w:?} ({})", scripts_of(w)))
        .collect();
    if !mixed.is_empty() {
        out.push(warn(
            name,
            "mixed_script",
            format!(
                "mixes scripts within a word, so it can pass for another word: {}",
                mixed.join("; ")
            ),
        ));
    }
    match field.kind {
        FieldKind::Money => money_warnings(name, value, &mut out),
        kind => {
            if let Err(must) = kind.check(value) {
                out.push(warn(name, "invalid_value", format!("{value:?} {must}")));
            }
        }
    }
    if let Some(rule) = rule {
        max_warnings(field, value, rule, currency, &mut out);
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

fn money_warnings(name: &str, value: &str, out: &mut Vec<Warning>) {
    for t in amount_traps(value) {
        out.push(warn(name, t.code, t.message));
    }
    match Micros::parse_usd(value.trim()) {
        Err(e) => out.push(warn(
            name,
            "invalid_value",
            format!("not an exact amount: {e}"),
        )),
        Ok(m) if m.0 < 0 => out.push(warn(name, "invalid_value", "negative amount".into())),
        Ok(_) => {}
    }
}

/// The rule's maximum against the value: unreadable, not applicable, in another currency, or
/// exceeded.
fn max_warnings(
    field: &ReviewField,
    value: &str,
    rule: &FieldRule,
    currency: &ActionCurrency,
    out: &mut Vec<Warning>,
) {
    let name = field.name.as_str();
    let text = rule.max.as_deref().unwrap_or_default();
    let max = match rule.policy_max() {
        Ok(Some(max)) => max,
        Ok(None) => return,
        Err(e) => {
            out.push(warn(
                name,
                "policy_unreadable",
                format!(
                    "the policy maximum {text:?}{} cannot be read ({e}), so the amount was not \
                     checked against it; the admin should fix the rule in the Backends view",
                    source(rule)
                ),
            ));
            return;
        }
    };
    // The maximum as the rule writes it, with the rule's currency when the text lacks it.
    let shown = match &max.currency {
        Some(c) if !text.contains(c.as_str()) => format!("{} {c}", text.trim()),
        _ => text.trim().to_string(),
    };
    if field.kind != FieldKind::Money {
        out.push(warn(
            name,
            "policy_unchecked",
            format!(
                "the policy sets a maximum of {shown}{} but this field is not a money amount \
                 (it is {}), so the maximum was not checked",
                source(rule),
                field.kind.hint()
            ),
        ));
        return;
    }
    let Ok(amount) = Micros::parse_usd(value.trim()) else {
        return; // invalid_value says why
    };
    if let Some(want) = &max.currency {
        match currency {
            ActionCurrency::Known(c) if c == want => {}
            ActionCurrency::Known(c) => {
                out.push(warn(
                    name,
                    "policy_currency_mismatch",
                    format!(
                        "the policy maximum is {shown}{} but this action is in {c:?}: amounts in \
                         different currencies are not compared, so check {value} {c} against \
                         the policy yourself",
                        source(rule)
                    ),
                ));
                return;
            }
            ActionCurrency::Missing | ActionCurrency::Conflicting(_) => {
                let why = match currency {
                    ActionCurrency::Conflicting(all) => {
                        format!("its currency fields disagree ({})", all.join(", "))
                    }
                    _ => "it has no currency field".to_string(),
                };
                out.push(warn(
                    name,
                    "policy_currency_unknown",
                    format!(
                        "the policy maximum is {shown}{} but this action's currency is unknown \
                         ({why}), so {value} was not compared with it",
                        source(rule)
                    ),
                ));
                return;
            }
        }
    }
    if amount > max.amount {
        out.push(warn(
            name,
            "outside_policy",
            format!(
                "{value} is above the policy maximum {shown}{}",
                source(rule)
            ),
        ));
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
    /// The decider's roles do not allow deciding this action (see [`crate::authority`]).
    #[error("{0}")]
    Authority(#[from] AuthorityError),
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
/// re-validates edited values; deny needs a reason. Every kind needs a decider whose `roles`
/// may decide the action ([`may_decide`]: reviewer, and the role it was escalated to) and a
/// kind the backend accepts for it.
pub fn check_review(
    action: &PendingAction,
    rules: &BTreeMap<String, FieldRule>,
    input: &ReviewInput,
    roles: &[Role],
    now: DateTime<Utc>,
    idempotency_key: String,
) -> Result<Decision, ReviewError> {
    let status = action.effective_status(now);
    if status != ActionStatus::Pending {
        return Err(ReviewError::NotPending(status));
    }
    may_decide(action, roles)?;
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
        fields.insert(f.name.clone(), value);
    }
    // Warnings are checked on the values as confirmed, all of them known (an amount's maximum
    // depends on the currency field).
    for w in review_warnings(&action.fields, &fields, rules) {
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
            kind_source: KindSource::Declared,
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
            batch: None,
            opaque_payload: false,
        }
    }

    const REVIEWER: &[Role] = &[Role::Reviewer];

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
        let d = check_review(
            &a,
            &BTreeMap::new(),
            &only_amount,
            REVIEWER,
            now(),
            "k".into(),
        )
        .expect("approve without the unrequired field");
        assert_eq!(d.fields.get("region").map(String::as_str), Some("EU"));
        a.fields[1].required = true;
        assert_eq!(
            check_review(
                &a,
                &BTreeMap::new(),
                &only_amount,
                REVIEWER,
                now(),
                "k".into()
            ),
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
            check_review(&a, &BTreeMap::new(), &edit, REVIEWER, now(), "k".into()),
            Err(ReviewError::NotAllowed(DecisionKind::ApproveWithEdits))
        );
        assert!(
            check_review(
                &a,
                &BTreeMap::new(),
                &input("120.00", "EU"),
                REVIEWER,
                now(),
                "k".into()
            )
            .is_ok()
        );
    }

    /// One review of each kind that passes every other check on `action("EU")`.
    fn review_of_each_kind() -> Vec<ReviewInput> {
        let mut edit = input("100.00", "EU");
        edit.decision = Some(DecisionKind::ApproveWithEdits);
        let reasoned = |kind, escalate_to| ReviewInput {
            decision: Some(kind),
            reason: Some("because".into()),
            escalate_to,
            ..Default::default()
        };
        vec![
            input("120.00", "EU"),
            edit,
            reasoned(DecisionKind::Deny, None),
            reasoned(DecisionKind::Escalate, Some(Role::Admin)),
        ]
    }

    #[test]
    fn every_decision_kind_needs_the_roles_to_decide() {
        use Role::*;
        let roles: [&[Role]; 6] = [
            &[Reviewer],
            &[Reviewer, Operator],
            &[Finance],
            &[Reviewer, Finance],
            &[Admin],
            &[],
        ];
        for escalated in [None, Some(Finance), Some(Admin)] {
            let mut a = action("EU");
            a.escalated_to = escalated;
            for held in roles {
                let may = crate::authority::may_decide(&a, held);
                for review in review_of_each_kind() {
                    let got = check_review(&a, &BTreeMap::new(), &review, held, now(), "k".into());
                    match &may {
                        Ok(()) => {
                            assert!(got.is_ok(), "{held:?} {escalated:?} {review:?}: {got:?}")
                        }
                        Err(e) => assert_eq!(got, Err(ReviewError::Authority(e.clone()))),
                    }
                }
                let expect_ok = crate::authority::holds(held, Reviewer)
                    && escalated.is_none_or(|r| crate::authority::holds(held, r));
                assert_eq!(may.is_ok(), expect_ok, "{held:?} {escalated:?}");
            }
        }
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
            REVIEWER,
            now(),
            "k".into(),
        );
        assert!(
            matches!(err, Err(ReviewError::Unacknowledged { .. })),
            "{err:?}"
        );
        let mut ok = input("120.00", "ЕU");
        ok.acknowledged = vec![
            "region:confusable".into(),
            "region:mixed_script".into(),
            "region:invalid_value".into(),
        ];
        assert!(check_review(&a, &BTreeMap::new(), &ok, REVIEWER, now(), "k".into()).is_ok());
    }

    #[test]
    fn approve_needs_every_field_confirmed_and_reentered_values_to_match() {
        let a = action("EU");
        let mut missing = input("120.00", "EU");
        missing.fields.remove("region");
        assert_eq!(
            check_review(&a, &BTreeMap::new(), &missing, REVIEWER, now(), "k".into()),
            Err(ReviewError::Unconfirmed("region".into()))
        );
        assert_eq!(
            check_review(
                &a,
                &BTreeMap::new(),
                &input("12.00", "EU"),
                REVIEWER,
                now(),
                "k".into()
            ),
            Err(ReviewError::Mismatch("amount".into()))
        );
        let d = check_review(
            &a,
            &BTreeMap::new(),
            &input("120.00", "EU"),
            REVIEWER,
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
        let err = check_review(&a, &rules, &edit, REVIEWER, now(), "k".into());
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
            check_review(&a, &rules, &deny, REVIEWER, now(), "k".into()),
            Err(ReviewError::MissingReason)
        );
        let late = a.expires_at + chrono::Duration::minutes(1);
        assert_eq!(
            check_review(
                &a,
                &rules,
                &input("120.00", "EU"),
                REVIEWER,
                late,
                "k".into()
            ),
            Err(ReviewError::NotPending(ActionStatus::Expired))
        );
        let w = field_warnings(&a.fields[1], "E\u{200B}U", None);
        assert!(w.iter().any(|w| w.code == "hidden_characters"));
    }

    /// An action with these fields (name, kind, proposed value), all ticked.
    fn action_of(fields: &[(&str, FieldKind, &str)]) -> PendingAction {
        let mut a = action("EU");
        a.fields = fields
            .iter()
            .map(|(n, k, v)| field(n, *k, v, ConfirmMode::Tick))
            .collect();
        a
    }

    /// Approves with every proposed value confirmed, acknowledging only what check_review
    /// refuses without, one warning at a time; returns the `field:code`s it asked for.
    fn acks_needed(a: &PendingAction, rules: &BTreeMap<String, FieldRule>) -> Vec<String> {
        let mut input = ReviewInput {
            decision: Some(DecisionKind::Approve),
            fields: a
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
            ..Default::default()
        };
        let mut needed = Vec::new();
        loop {
            match check_review(a, rules, &input, REVIEWER, now(), "k".into()) {
                Ok(_) => return needed,
                Err(ReviewError::Unacknowledged { field, code }) => {
                    let k = format!("{field}:{code}");
                    assert!(!needed.contains(&k), "asked twice for {k}");
                    needed.push(k.clone());
                    input.acknowledged.push(k);
                }
                Err(e) => panic!("{e:?}"),
            }
        }
    }

    fn codes_of(a: &PendingAction, rules: &BTreeMap<String, FieldRule>) -> Vec<String> {
        review_warnings(&a.fields, &BTreeMap::new(), rules)
            .into_iter()
            .map(|w| format!("{}:{}", w.field, w.code))
            .collect()
    }

    /// check_review refuses the approval until each warning `field:code` in `expected` (and
    /// exactly the warnings review_warnings reports) is acknowledged.
    fn assert_needs(a: &PendingAction, rules: &BTreeMap<String, FieldRule>, expected: &[&str]) {
        let needed = acks_needed(a, rules);
        for e in expected {
            assert!(
                needed.iter().any(|n| n == e),
                "{e} not required: {needed:?}"
            );
        }
        let mut reported = codes_of(a, rules);
        let mut sorted = needed.clone();
        reported.sort();
        sorted.sort();
        assert_eq!(
            sorted, reported,
            "acknowledged set differs from the warnings shown"
        );
    }

    #[test]
    fn each_look_alike_class_must_be_acknowledged() {
        let cases: [(FieldKind, &str, &[&str]); 7] = [
            // Cyrillic Е in a region code.
            (
                FieldKind::Region,
                "\u{0415}U",
                &["v:confusable", "v:mixed_script"],
            ),
            // Greek Alpha and Rho in a currency.
            (
                FieldKind::Currency,
                "\u{0391}U\u{03A1}",
                &["v:confusable", "v:mixed_script"],
            ),
            // Fullwidth letters: one script (Latin), still look-alikes of ASCII.
            (
                FieldKind::Currency,
                "\u{FF25}\u{FF35}\u{FF32}",
                &["v:confusable"],
            ),
            // Cyrillic о in an identifier.
            (
                FieldKind::Identifier,
                "\u{043E}rd_1001",
                &["v:confusable", "v:mixed_script"],
            ),
            // Free text: one word mixing Latin and Cyrillic.
            (
                FieldKind::Text,
                "pay P\u{0430}ypal",
                &["v:confusable", "v:mixed_script"],
            ),
            // Free text: a whole-script look-alike (Cyrillic "оре" reads "ope").
            (
                FieldKind::Text,
                "\u{043E}\u{0440}\u{0435}",
                &["v:confusable"],
            ),
            // Free text: a mixed-script word without an ASCII look-alike (Cyrillic й).
            (FieldKind::Text, "P\u{0439}ypal", &["v:mixed_script"]),
        ];
        for (kind, value, expected) in cases {
            let a = action_of(&[("v", kind, value)]);
            assert_needs(&a, &BTreeMap::new(), expected);
        }
        let w = field_warnings(
            &action_of(&[("v", FieldKind::Region, "\u{0415}U")]).fields[0],
            "\u{0415}U",
            None,
        );
        let c = w
            .iter()
            .find(|w| w.code == "confusable")
            .map(|w| w.message.clone());
        assert!(
            c.as_deref().is_some_and(|m| m.contains("U+0415")
                && m.contains("Cyrillic")
                && m.contains("looks like E")),
            "{c:?}"
        );
        // Ordinary text in other scripts is not a trap.
        let a = action_of(&[(
            "v",
            FieldKind::Text,
            "\u{0418}\u{0432}\u{0430}\u{043D} M\u{00FC}ller",
        )]);
        assert_eq!(acks_needed(&a, &BTreeMap::new()), Vec::<String>::new());
    }

    #[test]
    fn each_hidden_character_class_must_be_acknowledged() {
        for (what, value) in [
            ("zero width space", "E\u{200B}U"),
            ("bidi override", "\u{202E}UE"),
            ("soft hyphen", "E\u{00AD}U"),
            ("tag letter", "EU\u{E0041}"),
            ("language tag", "\u{E0001}EU"),
            ("variation selector 16", "EU\u{FE0F}"),
            ("variation selector 17", "EU\u{E0100}"),
            ("combining grapheme joiner", "E\u{034F}U"),
            ("Hangul filler", "EU\u{3164}"),
            ("Mongolian free variation selector", "EU\u{180B}"),
            ("C0 control", "EU\u{0007}"),
            ("line separator", "EU\u{2028}"),
        ] {
            let a = action_of(&[("v", FieldKind::Text, value)]);
            let needed = acks_needed(&a, &BTreeMap::new());
            assert_eq!(needed, vec!["v:hidden_characters".to_string()], "{what}");
        }
        let w = field_warnings(
            &action_of(&[("v", FieldKind::Text, "")]).fields[0],
            "EU\u{E0041}",
            None,
        );
        assert!(w[0].message.contains("U+E0041"), "{w:?}");
    }

    #[test]
    fn each_misreadable_amount_class_must_be_acknowledged() {
        for (value, code) in [
            ("\u{0661}\u{0662}\u{0660}.00", "non_ascii_digits"),
            ("\u{FF11}\u{FF12}\u{FF10}.00", "non_ascii_digits"),
            ("\u{0967}\u{0968}\u{0966}", "non_ascii_digits"),
            ("\u{2212}120.00", "signed_amount"),
            ("\u{2013}120.00", "signed_amount"),
            ("+120.00", "signed_amount"),
            ("1 000.00", "digit_group_separator"),
            ("1\u{00A0}000.00", "digit_group_separator"),
            ("1\u{2009}000.00", "digit_group_separator"),
            ("1'000.00", "digit_group_separator"),
            ("1,000.00", "locale_ambiguous_amount"),
            ("1.000", "locale_ambiguous_amount"),
            ("0120.00", "leading_zeros"),
            (".50", "bare_decimal_point"),
            ("\u{20AC}120.00", "currency_in_amount"),
            ("120.00 EUR", "currency_in_amount"),
        ] {
            let a = action_of(&[("amount", FieldKind::Money, value)]);
            let expected = format!("amount:{code}");
            assert_needs(&a, &BTreeMap::new(), &[expected.as_str()]);
        }
        // "+120.00", "0120.00" and ".50" parse: the only warning is the trap itself.
        for v in ["+120.00", "0120.00", ".50"] {
            let a = action_of(&[("amount", FieldKind::Money, v)]);
            assert_eq!(acks_needed(&a, &BTreeMap::new()).len(), 1, "{v}");
        }
        let a = action_of(&[("amount", FieldKind::Money, "120.00")]);
        assert_eq!(acks_needed(&a, &BTreeMap::new()), Vec::<String>::new());
        let a = action_of(&[("amount", FieldKind::Money, "-120.00")]);
        assert_needs(&a, &BTreeMap::new(), &["amount:invalid_value"]);
    }

    fn max_rule(max: &str, currency: Option<&str>) -> BTreeMap<String, FieldRule> {
        [(
            "amount".to_string(),
            FieldRule {
                max: Some(max.into()),
                currency: currency.map(str::to_string),
                source: Some("kb_7".into()),
                ..Default::default()
            },
        )]
        .into()
    }

    #[test]
    fn a_maximum_is_compared_only_in_its_own_currency() {
        let refund = |amount: &str, currency: &str| {
            action_of(&[
                ("amount", FieldKind::Money, amount),
                ("currency", FieldKind::Currency, currency),
            ])
        };
        // Same currency: compared.
        assert_needs(
            &refund("600.00", "EUR"),
            &max_rule("500.00 EUR", None),
            &["amount:outside_policy"],
        );
        assert_needs(
            &refund("600.00", "EUR"),
            &max_rule("500.00", Some("EUR")),
            &["amount:outside_policy"],
        );
        assert_eq!(
            acks_needed(&refund("400.00", "EUR"), &max_rule("500.00 EUR", None)),
            Vec::<String>::new()
        );
        // Another currency: not compared, whichever way the numbers go.
        for amount in ["400.00", "600.00"] {
            let a = refund(amount, "USD");
            assert_needs(
                &a,
                &max_rule("500.00 EUR", None),
                &["amount:policy_currency_mismatch"],
            );
            assert!(
                !codes_of(&a, &max_rule("500.00 EUR", None))
                    .contains(&"amount:outside_policy".to_string())
            );
        }
        // A look-alike currency is another currency.
        assert_needs(
            &refund("100.00", "\u{0415}UR"),
            &max_rule("500.00 EUR", None),
            &["amount:policy_currency_mismatch", "currency:confusable"],
        );
        // No currency field, or two that disagree: unknown.
        let alone = action_of(&[("amount", FieldKind::Money, "100.00")]);
        assert_needs(
            &alone,
            &max_rule("500.00 EUR", None),
            &["amount:policy_currency_unknown"],
        );
        let two = action_of(&[
            ("amount", FieldKind::Money, "100.00"),
            ("currency", FieldKind::Currency, "EUR"),
            ("fee_currency", FieldKind::Currency, "USD"),
        ]);
        assert_needs(
            &two,
            &max_rule("500.00 EUR", None),
            &["amount:policy_currency_unknown"],
        );
        // A maximum without a currency is compared with the amount as written.
        assert_needs(
            &refund("600.00", "JPY"),
            &max_rule("500.00", None),
            &["amount:outside_policy"],
        );
        // The reviewer's edited currency is the one compared.
        let a = refund("100.00", "EUR");
        let mut edit = ReviewInput {
            decision: Some(DecisionKind::ApproveWithEdits),
            fields: [
                ("amount".to_string(), "100.00".to_string()),
                ("currency".to_string(), "USD".to_string()),
            ]
            .into(),
            ..Default::default()
        };
        let err = check_review(
            &a,
            &max_rule("500.00 EUR", None),
            &edit,
            REVIEWER,
            now(),
            "k".into(),
        );
        assert_eq!(
            err,
            Err(ReviewError::Unacknowledged {
                field: "amount".into(),
                code: "policy_currency_mismatch".into()
            })
        );
        edit.acknowledged
            .push("amount:policy_currency_mismatch".into());
        assert!(
            check_review(
                &a,
                &max_rule("500.00 EUR", None),
                &edit,
                REVIEWER,
                now(),
                "k".into()
            )
            .is_ok()
        );
    }

    #[test]
    fn an_unreadable_maximum_is_shown_never_skipped() {
        let a = action_of(&[
            ("amount", FieldKind::Money, "100000.00"),
            ("currency", FieldKind::Currency, "EUR"),
        ]);
        for max in ["five hundred", "500,00", "\u{20AC}500", "500 EUR USD", "-5"] {
            let rules = max_rule(max, None);
            assert_needs(&a, &rules, &["amount:policy_unreadable"]);
            let w = review_warnings(&a.fields, &BTreeMap::new(), &rules);
            let m = w
                .iter()
                .find(|w| w.code == "policy_unreadable")
                .map(|w| w.message.clone());
            assert!(
                m.as_deref()
                    .is_some_and(|m| m.contains(&format!("{max:?}")) && m.contains("kb_7")),
                "{m:?}"
            );
        }
        assert_needs(
            &a,
            &max_rule("500", Some("euro")),
            &["amount:policy_unreadable"],
        );
        assert_needs(
            &a,
            &max_rule("500 EUR", Some("USD")),
            &["amount:policy_unreadable"],
        );
        // A maximum on a field that is not money is not silently skipped either.
        let t = action_of(&[("amount", FieldKind::Text, "100000")]);
        assert_needs(&t, &max_rule("500", None), &["amount:policy_unchecked"]);
    }

    #[test]
    fn a_kind_guessed_as_text_must_be_acknowledged() {
        let mut a = action_of(&[("amount_eur", FieldKind::Text, "120.00")]);
        assert_eq!(acks_needed(&a, &BTreeMap::new()), Vec::<String>::new());
        a.fields[0].kind_source = KindSource::Fallback;
        assert_needs(&a, &BTreeMap::new(), &["amount_eur:kind_guessed"]);
        a.fields[0].kind_source = KindSource::Inferred;
        assert_eq!(acks_needed(&a, &BTreeMap::new()), Vec::<String>::new());
    }

    #[test]
    fn kind_source_is_optional_on_the_wire() {
        let f = field("amount", FieldKind::Money, "1.00", ConfirmMode::Tick);
        let json = serde_json::to_value(&f).unwrap_or_default();
        assert!(json.get("kind_source").is_none(), "declared is not written");
        let mut fb = f.clone();
        fb.kind_source = KindSource::Fallback;
        let json = serde_json::to_value(&fb).unwrap_or_default();
        assert_eq!(json["kind_source"], "fallback");
        let back: ReviewField = serde_json::from_value(json).unwrap_or(f);
        assert_eq!(back.kind_source, KindSource::Fallback);
    }
}
