//! Hostile and malformed variants of a run, mixed into generated data only when asked for:
//! markup, look-alike characters and unsafe links in valid records, and records that break
//! the protocol's schema.

use countersign_core::{PendingAction, RecordChange, Run};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// The JSON served for `run`. Always draws a roll and a variant (so the stream stays the
/// same with or without `hostile`); when `hostile`, 2 % of runs are served malformed (and lose
/// their action and execution) and another 5 % are made hostile, action included.
pub(super) fn served_json(
    rng: &mut ChaCha8Rng,
    hostile: bool,
    index: u64,
    run: &mut Run,
    action: &mut Option<PendingAction>,
    execution: &mut Option<RecordChange>,
) -> String {
    let roll: f64 = rng.random();
    let variant: usize = rng.random_range(0..6);
    if hostile && roll < 0.02 {
        *action = None;
        *execution = None;
        malformed_json(run, variant, index)
    } else {
        if hostile && roll < 0.07 {
            make_hostile(run, action.as_mut());
        }
        serde_json::to_string(run).unwrap_or_default()
    }
}

fn make_hostile(run: &mut Run, action: Option<&mut PendingAction>) {
    run.outputs = json!({
        "reply": "Thanks! <script>alert(1)</script> Your refund is on its way.",
        "note": "<img src=x onerror=alert(document.cookie)>",
        "link": "[Click here to confirm](javascript:alert(1))",
        "original": run.outputs.take(),
    });
    if let Some(c) = run.tool_calls.first_mut() {
        c.arguments =
            json!({"query": "<img src=x onerror=alert(1)>", "original": c.arguments.take()});
        c.result_summary = Some("see [the docs](https://evil.example/phish) \u{200B}now".into());
    }
    if let Some(c) = run.citations.first_mut() {
        c.url = Some("javascript:alert(1)".into());
    }
    if let Some(c) = run.citations.get(1).cloned() {
        let mut c = c;
        c.url = Some("data:text/html,<script>alert(1)</script>".into());
        run.citations.push(c);
    }
    run.rationale = Some(format!(
        "Approved per policy \u{202E}dnuf er\u{202C} \u{200B}{}",
        run.rationale.take().unwrap_or_default()
    ));
    if let Some(obj) = run.inputs.as_object_mut() {
        obj.insert("region".into(), json!("\u{0415}U"));
    }
    if let Some(a) = action {
        for f in &mut a.fields {
            if f.name == "region" {
                f.value = "\u{0415}U".into();
            }
        }
        if let Some(obj) = a.proposed.as_object_mut()
            && obj.contains_key("region")
        {
            obj.insert("region".into(), json!("\u{0415}U"));
        }
        a.rationale = format!("<script>alert(1)</script>\u{202E} {}", a.rationale);
    }
}

fn malformed_json(run: &Run, variant: usize, index: u64) -> String {
    let mut v = serde_json::to_value(run).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        match variant {
            0 => {
                o.insert("cost_micros".into(), json!(run.cost_micros.0.to_string()));
            }
            1 => {
                o.remove("run_id");
            }
            2 => {
                o.insert("confidence".into(), json!(7));
            }
            3 => {
                o.insert("cost_micros".into(), json!(-500));
            }
            4 => {
                v = json!(index);
            }
            _ => {
                o.insert("tool_calls".into(), json!("oops"));
            }
        }
    }
    v.to_string()
}
