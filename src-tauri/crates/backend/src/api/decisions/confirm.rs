//! The values a reviewer confirmed: every field confirmed, unchanged on plain approve, edited
//! only where editable and then valid for its kind (the core's one rule), nothing unknown.

use crate::api::problem::{Problem, unprocessable};
use countersign_core::{Decision, DecisionKind, PendingAction};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// Checks the confirmed values; returns the values to execute, by field name.
pub(super) fn confirmed_values(
    a: &PendingAction,
    d: &Decision,
) -> Result<HashMap<String, String>, Problem> {
    let mut out = HashMap::new();
    for f in &a.fields {
        let Some(v) = d.fields.get(&f.name) else {
            return Err(unprocessable(
                "missing-field",
                "Field not confirmed",
                &format!("field {} must be confirmed", f.name),
            )
            .with("field", json!(f.name)));
        };
        if *v != f.value {
            let mismatch = |why: &str| {
                unprocessable(
                    "field-mismatch",
                    "Confirmed value differs",
                    &format!("field {}: {why}", f.name),
                )
                .with("field", json!(f.name))
            };
            if d.decision == DecisionKind::Approve {
                return Err(mismatch(
                    "the confirmed value differs from the proposed value",
                ));
            }
            if !f.editable {
                return Err(mismatch("this field cannot be edited"));
            }
            f.kind.check(v).map_err(|why| {
                unprocessable(
                    "invalid-field",
                    "Invalid field value",
                    &format!("field {}: {why}", f.name),
                )
                .with("field", json!(f.name))
            })?;
        }
        out.insert(f.name.clone(), v.clone());
    }
    let known: BTreeSet<&str> = a.fields.iter().map(|f| f.name.as_str()).collect();
    if let Some(extra) = d.fields.keys().find(|k| !known.contains(k.as_str())) {
        return Err(unprocessable(
            "unknown-field",
            "Unknown field",
            &format!("the action has no field {extra}"),
        )
        .with("field", json!(extra)));
    }
    Ok(out)
}
