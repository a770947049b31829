//! The simulated organisation: deterministic runs and pending actions from `(seed, index)`.

use crate::corpus::{self, DOCS, Passage};
use chrono::{DateTime, Duration, TimeZone, Utc};
use countersign_core::review::FieldRule;
use countersign_core::{
    ActionStatus, Budget, BudgetScope, Citation, ConfirmMode, Enforcement, FieldKind, Micros,
    Outcome, PendingAction, Period, PolicyCheck, RecordChange, ReviewField, RiskLevel, Run,
    ScopeKind, TargetRecord, TokenUsage, ToolCall,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// The fixed base time seeded data is spread before: 2026-11-20T00:00:00Z.
pub(crate) fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Where the seeded (historical) data ends and how expiry is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Historical seed data: most actions stay open until a month after the base time.
    Seeded,
    /// Live data (trickle, simulate): actions expire 24 h after they are requested.
    Live,
}

/// A generated run, what is served for it, and the side records it brings.
pub(crate) struct GenRun {
    /// The run (always valid).
    pub run: Run,
    /// The JSON served for it: the run itself, or a malformed/hostile variant.
    pub json: String,
    /// The write it proposes, held for review.
    pub action: Option<PendingAction>,
    /// A helpdesk ticket status the run wrote directly (ticket id, status).
    pub ticket: Option<(String, String)>,
    /// For historical data: the write a reviewer already approved and the backend executed.
    pub execution: Option<RecordChange>,
}

/// Usage so far of a budget in the period `[from, to)`: (cost, runs).
pub(crate) type UsageFn<'a> = dyn FnMut(&Budget, DateTime<Utc>, DateTime<Utc>) -> (i64, u32) + 'a;

const USERS: &[(&str, &str, &str)] = &[
    ("u_anna", "support", "northwind-eu"),
    ("u_ben", "support", "northwind-us"),
    ("u_chen", "finance", "northwind-eu"),
    ("u_dara", "sales-ops", "contoso"),
    ("u_eli", "billing", "northwind-us"),
    ("u_fatima", "support", "contoso"),
];

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn model_cost(model: &str, t: TokenUsage) -> i64 {
    // Micro-dollars per token = dollars per million tokens.
    let (inp, out) = match model {
        "claude-sonnet-4" => (300, 1500),
        "llama-3.3-70b" => (60, 60),
        _ => (40, 160),
    };
    (t.input as i64 * inp + t.output as i64 * out) / 100
}

struct Step {
    tool: &'static str,
    arguments: Value,
    result: Value,
    summary: String,
    cost: i64,
    documents: Vec<String>,
    error: Option<String>,
}

fn step(tool: &'static str, arguments: Value, result: Value, summary: String, cost: i64) -> Step {
    Step {
        tool,
        arguments,
        result,
        summary,
        cost,
        documents: vec![],
        error: None,
    }
}

fn cite(rng: &mut ChaCha8Rng, doc_id: &str, call_id: &str) -> Option<Citation> {
    let ps = corpus::passages_of(doc_id);
    if ps.is_empty() {
        return None;
    }
    let p: &Passage = ps[rng.random_range(0..ps.len())];
    let d = &DOCS[p.doc];
    Some(Citation {
        doc_id: d.doc_id.into(),
        title: d.title.into(),
        url: Some(d.url.into()),
        call_id: Some(call_id.into()),
        passage: p.text.clone(),
        start: p.start,
        end: p.end,
        context: p.context.clone(),
        context_start: p.context_start,
        source_version: d.version.into(),
        source_updated_at: Some(d.updated_at()),
        deprecated: d.deprecated,
    })
}

fn kb_search(rng: &mut ChaCha8Rng, query: &str, docs: &[&str]) -> Step {
    let hits: Vec<Value> = docs
        .iter()
        .map(|d| json!({"doc_id": d, "score": round2(rng.random_range(0.55..0.97))}))
        .collect();
    let mut s = step(
        "kb_search",
        json!({"query": query, "top_k": 3}),
        json!({"hits": hits}),
        format!("{} passages found", docs.len()),
        rng.random_range(300..900),
    );
    s.documents = docs.iter().map(|d| d.to_string()).collect();
    s
}

fn money_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Builds run `index` for `seed`, starting at `started_at`, with budgets enforced.
pub(crate) fn generate(
    seed: u64,
    index: u64,
    started_at: DateTime<Utc>,
    mode: Mode,
    hostile: bool,
    budgets: &[Budget],
    usage: &mut UsageFn<'_>,
) -> GenRun {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let run_id = format!("run_{index:07}");
    let action_id = format!("act_{index:07}");
    let (user, team, tenant) = *pick(&mut rng, USERS);
    let roll: f64 = rng.random();
    let workflow = if roll < 0.40 {
        "support_triage"
    } else if roll < 0.70 {
        "refund_request"
    } else if roll < 0.85 {
        "crm_update"
    } else {
        "invoice_reconcile"
    };
    let swap = Utc
        .with_ymd_and_hms(2026, 10, 15, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let (version, model) = match workflow {
        "support_triage" => (
            "v2",
            if started_at < swap {
                "gpt-4.1-mini"
            } else {
                "claude-sonnet-4"
            },
        ),
        "refund_request" => (
            "v3",
            if rng.random_bool(0.8) {
                "claude-sonnet-4"
            } else {
                "gpt-4.1-mini"
            },
        ),
        "crm_update" => ("v1", "llama-3.3-70b"),
        _ => ("v1", "gpt-4.1-mini"),
    };
    let tokens = TokenUsage {
        input: rng.random_range(600..6500),
        output: rng.random_range(80..1100),
    };
    let mut confidence = round2(rng.random_range(0.45..0.99));
    let mut steps: Vec<Step> = Vec::new();
    let mut citations_from: Vec<(usize, &'static str)> = Vec::new();
    let mut checks = vec![
        PolicyCheck {
            name: "pii_redaction".into(),
            passed: !rng.random_bool(0.03),
            detail: None,
        },
        PolicyCheck {
            name: "role_allowed".into(),
            passed: true,
            detail: None,
        },
    ];
    if !checks[0].passed {
        checks[0].detail = Some("an email address was found in the tool arguments".into());
    }
    let mut outcome;
    let decision;
    let rationale;
    let mut outputs;
    let mut changes = Vec::new();
    let mut action: Option<PendingAction> = None;
    let mut ticket = None;
    let inputs;
    match workflow {
        "support_triage" => {
            let ticket_id = format!("T-{}", rng.random_range(40000..99999));
            let (subject, message) = *pick(
                &mut rng,
                &[
                    (
                        "Refund for damaged blender",
                        "My blender arrived with a cracked jug. Can I get my money back?",
                    ),
                    (
                        "Where is my order?",
                        "I ordered two weeks ago and the tracking has not moved since Monday.",
                    ),
                    (
                        "Price question",
                        "Is the Team plan still 19 USD per seat? Your page says something else.",
                    ),
                    (
                        "Cancel subscription",
                        "Please cancel my subscription at the end of this month.",
                    ),
                    (
                        "Chargeback warning",
                        "If I don't hear back by Friday I will file a chargeback with my bank.",
                    ),
                ],
            );
            inputs = json!({"ticket_id": ticket_id, "channel": "email", "subject": subject, "message": message});
            let docs: &[&str] = match rng.random_range(0..4) {
                0 => &["kb_150", "kb_302"],
                1 => &["kb_401", "kb_150"],
                2 => &["kb_101", "kb_100"],
                _ => &["kb_302"],
            };
            steps.push(kb_search(&mut rng, subject, docs));
            for d in docs {
                citations_from.push((0, d));
            }
            let label = *pick(
                &mut rng,
                &[
                    "refund_question",
                    "shipping_delay",
                    "pricing",
                    "cancellation",
                    "complaint",
                ],
            );
            steps.push(step(
                "classify",
                json!({"labels": ["refund_question", "shipping_delay", "pricing", "cancellation", "complaint"], "text": message}),
                json!({"label": label, "confidence": confidence}),
                format!("classified as {label} ({confidence:.2})"),
                rng.random_range(50..200),
            ));
            let draft = format!(
                "Hi, thanks for reaching out about \"{subject}\". We are looking into it and will get back to you within one business day."
            );
            steps.push(step(
                "draft_reply",
                json!({"tone": "friendly", "label": label, "max_words": 120}),
                json!({"draft": draft}),
                "reply drafted".into(),
                rng.random_range(80..300),
            ));
            if rng.random_bool(0.05) {
                if let Some(s) = steps.last_mut() {
                    s.error = Some("upstream model timeout after 30000 ms".into());
                    s.result = Value::Null;
                    s.summary = "timed out".into();
                }
                outcome = Outcome::Fail;
                decision = "failed";
                rationale = "The reply could not be drafted: the model call timed out.".to_string();
                outputs = json!({"error": "draft_reply timed out"});
            } else if confidence < 0.7 || subject.contains("Chargeback") {
                steps.push(step(
                    "escalate_to_human",
                    json!({"queue": "tier2", "ticket_id": ticket_id}),
                    json!({"queued": true, "position": rng.random_range(1..40)}),
                    "escalated to tier 2".into(),
                    40,
                ));
                outcome = Outcome::Escalated;
                decision = "escalated_to_human";
                rationale = format!(
                    "Confidence {confidence:.2} is below the 0.70 threshold of the escalation SOP, or the customer mentioned a chargeback."
                );
                outputs = json!({"label": label, "reply": draft, "queue": "tier2"});
                ticket = Some((ticket_id.clone(), "escalated".to_string()));
            } else {
                outcome = Outcome::Success;
                decision = "auto_resolved";
                rationale = format!(
                    "Classified as {label} with confidence {confidence:.2}; a standard reply applies."
                );
                outputs = json!({"label": label, "reply": draft});
                ticket = Some((ticket_id.clone(), "resolved".to_string()));
            }
            if let Some((tid, st)) = &ticket {
                changes.push(RecordChange {
                    system: "helpdesk".into(),
                    record_id: tid.clone(),
                    field: "status".into(),
                    before: json!("open"),
                    after: json!(st),
                    action_id: None,
                });
            }
        }
        "refund_request" => {
            let us = tenant == "northwind-us";
            let (region, currency) = if us { ("US", "USD") } else { ("EU", "EUR") };
            let order_id = format!("ORD-{}", rng.random_range(100000..999999));
            let customer = format!("cus_{}", rng.random_range(1000..9999));
            let reason = *pick(
                &mut rng,
                &[
                    "damaged on arrival",
                    "wrong size",
                    "changed my mind",
                    "item never arrived",
                    "duplicate charge",
                ],
            );
            inputs = json!({"order_id": order_id, "customer_id": customer, "reason": reason, "region": region});
            let total_cents: i64 = rng.random_range(500..60000);
            let found = !rng.random_bool(0.06);
            let delivered = started_at - Duration::days(rng.random_range(1..40));
            steps.push(if found {
                step(
                    "lookup_order",
                    json!({"order_id": order_id}),
                    json!({"order_id": order_id, "total": money_text(total_cents), "currency": currency, "delivered_at": delivered.to_rfc3339(), "items": rng.random_range(1..4)}),
                    format!("order {order_id}: {} {currency}", money_text(total_cents)),
                    rng.random_range(100..250),
                )
            } else {
                let mut s = step("lookup_order", json!({"order_id": order_id}), Value::Null, "order not found".into(), 120);
                s.error = Some(format!("404: order {order_id} not found"));
                s
            });
            if !found {
                let mut s = step(
                    "search_orders",
                    json!({"customer_id": customer, "status": "delivered"}),
                    json!({"matches": []}),
                    "no matching orders".into(),
                    rng.random_range(100..250),
                );
                s.error = Some(format!("no delivered order for {customer}"));
                steps.push(s);
                outcome = Outcome::Fail;
                decision = "failed";
                rationale = format!("Order {order_id} does not exist in the order system.");
                outputs = json!({"error": "order not found"});
            } else {
                let doc = if us {
                    "kb_110"
                } else if rng.random_bool(0.2) {
                    "kb_100"
                } else {
                    "kb_101"
                };
                steps.push(kb_search(
                    &mut rng,
                    "refund policy withdrawal period",
                    &[doc],
                ));
                citations_from.push((1, doc));
                let partial = rng.random_bool(0.2);
                let amount_cents = if partial {
                    total_cents * rng.random_range(30..90) / 100
                } else {
                    total_cents
                };
                let amount = money_text(amount_cents);
                steps.push(step(
                    "compute_refund",
                    json!({"order_total": money_text(total_cents), "policy": doc, "partial": partial}),
                    json!({"amount": amount, "currency": currency}),
                    format!("refund {amount} {currency}"),
                    rng.random_range(40..90),
                ));
                let limit = if us { 20000 } else { 25000 };
                let within = amount_cents <= limit;
                checks.push(PolicyCheck {
                    name: "amount_within_policy".into(),
                    passed: within,
                    detail: (!within).then(|| {
                        format!(
                            "{amount} {currency} is above the agent limit of {} {currency}",
                            money_text(limit)
                        )
                    }),
                });
                checks.push(PolicyCheck {
                    name: "region_allowed".into(),
                    passed: true,
                    detail: Some(format!("region {region}")),
                });
                steps.push(step(
                    "issue_refund",
                    json!({"order_id": order_id, "amount": amount, "currency": currency}),
                    json!({"status": "pending_approval", "action_id": action_id}),
                    "held for reviewer approval".into(),
                    100,
                ));
                outcome = Outcome::Pending;
                decision = "awaiting_approval";
                rationale = format!(
                    "Customer reports '{reason}'; delivery {} days ago is inside the window of {doc}.",
                    (started_at - delivered).num_days()
                );
                outputs = json!({"proposed_refund": {"amount": amount, "currency": currency}});
                changes.push(RecordChange {
                    system: "billing".into(),
                    record_id: order_id.clone(),
                    field: "refund".into(),
                    before: Value::Null,
                    after: json!({"amount": amount, "currency": currency}),
                    action_id: Some(action_id.clone()),
                });
                let field =
                    |name: &str, label: &str, kind, value: &str, confirm, editable| ReviewField {
                        name: name.into(),
                        label: label.into(),
                        kind,
                        value: value.into(),
                        current: None,
                        confirm,
                        editable,
                        required: true,
                    };
                action = Some(PendingAction {
                    action_id: action_id.clone(),
                    revision: 1,
                    run_id: run_id.clone(),
                    tenant: tenant.into(),
                    kind: "issue_refund".into(),
                    title: format!("Issue refund for {order_id}"),
                    target: TargetRecord {
                        system: "billing".into(),
                        record_id: order_id.clone(),
                    },
                    risk: if within {
                        RiskLevel::Medium
                    } else {
                        RiskLevel::High
                    },
                    fields: vec![
                        field(
                            "amount",
                            "Refund amount",
                            FieldKind::Money,
                            &amount,
                            ConfirmMode::Reenter,
                            true,
                        ),
                        field(
                            "currency",
                            "Currency",
                            FieldKind::Currency,
                            currency,
                            ConfirmMode::Tick,
                            true,
                        ),
                        field(
                            "region",
                            "Region",
                            FieldKind::Region,
                            region,
                            ConfirmMode::Tick,
                            true,
                        ),
                        field(
                            "order_id",
                            "Order",
                            FieldKind::Identifier,
                            &order_id,
                            ConfirmMode::Tick,
                            false,
                        ),
                        field(
                            "exceptions",
                            "Policy exceptions",
                            FieldKind::Text,
                            if within { "none" } else { "above agent limit" },
                            ConfirmMode::Tick,
                            false,
                        ),
                    ],
                    proposed: json!({"order_id": order_id, "amount": amount, "currency": currency, "region": region}),
                    rationale: rationale.clone(),
                    confidence: Some(confidence),
                    policy_checks: vec![],
                    deny_reasons: vec![
                        "Amount does not match the order".into(),
                        "Outside the refund window".into(),
                        "Wrong currency".into(),
                        "Suspected fraud".into(),
                        "Policy cited is outdated".into(),
                    ],
                    escalate_to: Some("finance".into()),
                    rollback_supported: true,
                    escalated_to: None,
                    field_rules: [
                        (
                            "amount".to_string(),
                            FieldRule {
                                max: Some(money_text(limit)),
                                source: Some(doc.to_string()),
                                ..Default::default()
                            },
                        ),
                        (
                            "currency".to_string(),
                            FieldRule {
                                expected: Some(currency.to_string()),
                                source: Some(format!("order {order_id}")),
                                ..Default::default()
                            },
                        ),
                        (
                            "region".to_string(),
                            FieldRule {
                                allowed: vec![region.to_string()],
                                source: Some(doc.to_string()),
                                ..Default::default()
                            },
                        ),
                    ]
                    .into(),
                    allowed_decisions: vec![],
                    status: ActionStatus::Pending,
                    requested_at: started_at,
                    expires_at: started_at,
                    decided_by: None,
                    decided_at: None,
                    updated_at: started_at,
                });
            }
        }
        "crm_update" => {
            let record_id = format!("ACC-{}", rng.random_range(1000..9999));
            let company = *pick(
                &mut rng,
                &[
                    "Acme GmbH",
                    "Globex Ltd",
                    "Initech SA",
                    "Umbrella BV",
                    "Hooli Inc",
                ],
            );
            let (field, kind, current, value) = *pick(
                &mut rng,
                &[
                    ("industry", FieldKind::Text, "Retail", "E-commerce"),
                    ("employee_band", FieldKind::Text, "50-199", "200-499"),
                    ("billing_region", FieldKind::Region, "DE", "NL"),
                    (
                        "industry",
                        FieldKind::Text,
                        "Manufacturing",
                        "Industrial machinery",
                    ),
                ],
            );
            inputs = json!({"record_id": record_id, "request": format!("Refresh company attributes for {company}")});
            steps.push(step(
                "crm_lookup",
                json!({"record_id": record_id}),
                json!({"record_id": record_id, "company": company, field: current}),
                format!("{company}: {field} = {current}"),
                rng.random_range(80..200),
            ));
            let retrieved = started_at - Duration::days(rng.random_range(0..5));
            steps.push(step(
                "enrich_company",
                json!({"company": company}),
                json!({field: value, "source": "companies-registry", "retrieved_at": retrieved.to_rfc3339()}),
                format!("{field} → {value}"),
                rng.random_range(500..1500),
            ));
            steps.push(kb_search(
                &mut rng,
                "CRM automated update rules",
                &["kb_201"],
            ));
            citations_from.push((2, "kb_201"));
            steps.push(step(
                "update_crm_field",
                json!({"record_id": record_id, "field": field, "value": value}),
                json!({"status": "pending_approval", "action_id": action_id}),
                "held for reviewer approval".into(),
                100,
            ));
            outcome = Outcome::Pending;
            decision = "awaiting_approval";
            rationale = format!(
                "The companies registry reports {field} = {value} (retrieved {}); the CRM says {current}.",
                retrieved.date_naive()
            );
            outputs = json!({"proposed_update": {"field": field, "value": value}});
            changes.push(RecordChange {
                system: "crm".into(),
                record_id: record_id.clone(),
                field: field.into(),
                before: json!(current),
                after: json!(value),
                action_id: Some(action_id.clone()),
            });
            let high = field == "billing_region";
            action = Some(PendingAction {
                action_id: action_id.clone(),
                revision: 1,
                run_id: run_id.clone(),
                tenant: tenant.into(),
                kind: "update_crm_field".into(),
                title: format!("Update {field} of {company}"),
                target: TargetRecord {
                    system: "crm".into(),
                    record_id: record_id.clone(),
                },
                risk: if high {
                    RiskLevel::High
                } else {
                    RiskLevel::Low
                },
                fields: vec![
                    ReviewField {
                        name: "record_id".into(),
                        label: "Record".into(),
                        kind: FieldKind::Identifier,
                        value: record_id.clone(),
                        current: None,
                        confirm: ConfirmMode::Tick,
                        editable: false,
                        required: true,
                    },
                    ReviewField {
                        name: "field".into(),
                        label: "Field".into(),
                        kind: FieldKind::Identifier,
                        value: field.into(),
                        current: None,
                        confirm: ConfirmMode::Tick,
                        editable: false,
                        required: true,
                    },
                    ReviewField {
                        name: "value".into(),
                        label: "New value".into(),
                        kind,
                        value: value.into(),
                        current: Some(current.into()),
                        confirm: if high {
                            ConfirmMode::Reenter
                        } else {
                            ConfirmMode::Tick
                        },
                        editable: true,
                        required: true,
                    },
                ],
                proposed: json!({"record_id": record_id, "field": field, "value": value}),
                rationale: rationale.clone(),
                confidence: Some(confidence),
                policy_checks: vec![],
                deny_reasons: vec![
                    "Source not traceable".into(),
                    "Wrong record".into(),
                    "Value incorrect".into(),
                ],
                escalate_to: Some("reviewer".into()),
                rollback_supported: true,
                escalated_to: None,
                field_rules: Default::default(),
                allowed_decisions: vec![],
                status: ActionStatus::Pending,
                requested_at: started_at,
                expires_at: started_at,
                decided_by: None,
                decided_at: None,
                updated_at: started_at,
            });
        }
        _ => {
            let invoice_id = format!("INV-{}", rng.random_range(10000..99999));
            let po = format!("PO-{}", rng.random_range(1000..9999));
            let po_cents: i64 = rng.random_range(10000..2_000_000);
            let diff_bp: i64 = if rng.random_bool(0.25) {
                rng.random_range(210..900)
            } else {
                rng.random_range(0..150)
            };
            let inv_cents = po_cents + po_cents * diff_bp / 10000;
            inputs = json!({"invoice_id": invoice_id, "supplier": "Contoso Supplies"});
            steps.push(step(
                "fetch_invoice",
                json!({"invoice_id": invoice_id}),
                json!({"invoice_id": invoice_id, "amount": money_text(inv_cents), "currency": "EUR", "po_number": po}),
                format!("{invoice_id}: {} EUR", money_text(inv_cents)),
                rng.random_range(100..300),
            ));
            steps.push(kb_search(
                &mut rng,
                "three-way match tolerance",
                &["kb_301"],
            ));
            citations_from.push((1, "kb_301"));
            let diff_pct = format!("{}.{:02}", diff_bp / 100, diff_bp % 100);
            steps.push(step(
                "match_po",
                json!({"po_number": po, "invoice_amount": money_text(inv_cents)}),
                json!({"po_amount": money_text(po_cents), "diff_percent": diff_pct}),
                format!("difference {diff_pct} %"),
                rng.random_range(100..300),
            ));
            if diff_bp > 200 {
                steps.push(step(
                    "flag_exception",
                    json!({"invoice_id": invoice_id, "reason": format!("difference {diff_pct} % above 2 % tolerance")}),
                    json!({"exception_id": format!("EXC-{}", rng.random_range(100..999))}),
                    "exception flagged for accounts payable".into(),
                    60,
                ));
                outcome = Outcome::Escalated;
                decision = "exception_flagged";
                rationale = format!(
                    "Invoice differs from {po} by {diff_pct} %, above the 2 % tolerance of the invoice matching SOP."
                );
            } else {
                outcome = Outcome::Success;
                decision = "matched";
                rationale = format!("Invoice matches {po} within tolerance ({diff_pct} %).");
            }
            outputs = json!({"invoice_id": invoice_id, "matched": diff_bp <= 200, "diff_percent": diff_pct});
        }
    }
    if workflow != "support_triage" {
        confidence = round2(confidence.max(0.6));
    }

    // Timeline and costs.
    let mut t = started_at + Duration::milliseconds(rng.random_range(20..300));
    let mut tool_calls = Vec::with_capacity(steps.len());
    for (i, s) in steps.into_iter().enumerate() {
        let dur = Duration::milliseconds(rng.random_range(80..1800));
        tool_calls.push(ToolCall {
            call_id: format!("c{}", i + 1),
            parent_id: None,
            tool: s.tool.into(),
            arguments: s.arguments,
            result_summary: Some(s.summary),
            result: Some(s.result),
            started_at: t,
            ended_at: Some(t + dur),
            cost_micros: Micros(s.cost),
            documents: s.documents,
            error: s.error,
        });
        t = t + dur + Duration::milliseconds(rng.random_range(5..150));
    }
    let ended = t;
    let mut citations = Vec::new();
    for (ci, doc) in citations_from {
        let call_id = format!("c{}", ci + 1);
        if let Some(c) = cite(&mut rng, doc, &call_id) {
            citations.push(c);
        }
    }
    let mcost = model_cost(model, tokens);
    let tools_cost: i64 = tool_calls.iter().map(|c| c.cost_micros.0).sum();
    let latency = (ended - started_at).num_milliseconds().max(0) as u64;
    let pending = outcome == Outcome::Pending;
    let mut run = Run {
        run_id: run_id.clone(),
        revision: 1,
        tenant: tenant.into(),
        user_id: user.into(),
        team: Some(team.into()),
        workflow: workflow.into(),
        workflow_version: version.into(),
        model: model.into(),
        inputs,
        tool_calls,
        citations,
        outputs: Value::Null,
        confidence: Some(confidence),
        cost_micros: Micros(tools_cost + mcost),
        tokens,
        latency_ms: latency,
        outcome,
        decision: decision.into(),
        rationale: Some(rationale),
        policy_checks: checks,
        changes,
        started_at,
        ended_at: (!pending).then_some(ended),
        updated_at: ended,
    };
    run.outputs = std::mem::take(&mut outputs);

    // Budgets: a hard cap stops the run at the cap.
    if let Some(stop) = enforce(&mut run, mcost, budgets, usage) {
        run.outcome = Outcome::BudgetStopped;
        outcome = Outcome::BudgetStopped;
        run.decision = "budget_stopped".into();
        run.rationale = Some(format!("Stopped by hard budget cap {}: {}", stop.0, stop.1));
        run.policy_checks.push(PolicyCheck {
            name: "budget_cap".into(),
            passed: false,
            detail: Some(format!("budget {} exceeded: {}", stop.0, stop.1)),
        });
        run.changes.clear();
        run.outputs = json!({"stopped": "budget_cap", "budget_id": stop.0});
        let end = run
            .tool_calls
            .last()
            .and_then(|c| c.ended_at)
            .unwrap_or(started_at);
        run.ended_at = Some(end);
        run.updated_at = end;
        run.latency_ms = (end - started_at).num_milliseconds().max(0) as u64;
        action = None;
        ticket = None;
    } else {
        run.policy_checks.push(PolicyCheck {
            name: "budget_cap".into(),
            passed: true,
            detail: None,
        });
    }
    let _ = outcome;

    if let Some(a) = action.as_mut() {
        a.requested_at = ended;
        a.updated_at = ended;
        a.policy_checks = run.policy_checks.clone();
        a.expires_at = match mode {
            Mode::Live => ended + Duration::hours(24),
            Mode::Seeded if rng.random_bool(0.2) => ended + Duration::hours(24),
            Mode::Seeded => {
                base_time() + Duration::days(30) + Duration::minutes(rng.random_range(0..1440))
            }
        };
    }

    // History: in seeded data, actions requested more than two days before the base time were
    // mostly decided already (executed or denied) or expired unanswered.
    let mut execution = None;
    if mode == Mode::Seeded
        && let Some(a) = action.as_mut()
        && base_time() - ended > Duration::days(2)
    {
        let roll: f64 = rng.random();
        let decided = ended + Duration::minutes(rng.random_range(3..600));
        let reviewer = *pick(&mut rng, &["u_grace", "u_hiro", "u_chen"]);
        if roll < 0.85 {
            a.revision = 2;
            a.decided_by = Some(reviewer.into());
            a.decided_at = Some(decided);
            a.updated_at = decided;
            a.expires_at = ended + Duration::hours(24);
            run.revision = 2;
            run.ended_at = Some(decided);
            run.updated_at = decided;
            if roll < 0.70 {
                a.status = ActionStatus::Executed;
                run.outcome = Outcome::Success;
                run.decision = "approved_and_executed".into();
                execution = run.changes.iter().find(|c| c.action_id.is_some()).cloned();
            } else {
                a.status = ActionStatus::Denied;
                run.outcome = Outcome::Denied;
                run.changes.retain(|c| c.action_id.is_none());
            }
        } else {
            a.expires_at = ended + Duration::hours(24);
            a.status = ActionStatus::Expired;
            a.revision = 2;
            a.updated_at = a.expires_at;
            expire_run(&mut run, a.expires_at, a.expires_at);
        }
    }

    // Hostile and malformed variants, only when asked for.
    let roll: f64 = rng.random();
    let variant: usize = rng.random_range(0..6);
    let json = if hostile && roll < 0.02 {
        action = None;
        execution = None;
        malformed_json(&run, variant, index)
    } else {
        if hostile && roll < 0.07 {
            make_hostile(&mut run, action.as_mut());
        }
        serde_json::to_string(&run).unwrap_or_default()
    };
    GenRun {
        run,
        json,
        action,
        ticket,
        execution,
    }
}

/// Applies every matching hard cap; returns (budget id, what was exceeded) when it stopped.
fn enforce(
    run: &mut Run,
    mut model_cost: i64,
    budgets: &[Budget],
    usage: &mut UsageFn<'_>,
) -> Option<(String, String)> {
    let mut stopped = None;
    for b in budgets {
        if b.enforcement != Enforcement::Hard || !scope_matches(&b.scope, run) {
            continue;
        }
        let l = &b.limits;
        let mut max_calls = usize::MAX;
        let mut max_cost = i64::MAX;
        let mut max_wall = u64::MAX;
        let mut why = String::new();
        if b.period == Period::Run {
            if let Some(m) = l.max_tool_calls {
                max_calls = m as usize;
            }
            if let Some(m) = l.max_cost_micros {
                max_cost = m.0;
            }
            if let Some(m) = l.max_wall_ms {
                max_wall = m;
            }
        } else {
            let (from, to) = period_bounds(b, run.started_at);
            let (used_cost, used_runs) = usage(b, from, to);
            if let Some(m) = l.max_runs
                && used_runs >= m
            {
                max_calls = 0;
                max_cost = 0;
                why = format!("{used_runs} of {m} runs used this {:?}", b.period).to_lowercase();
            }
            if let Some(m) = l.max_cost_micros {
                max_cost = max_cost.min((m.0 - used_cost).max(0));
            }
        }
        let calls_over = run.tool_calls.len() > max_calls;
        let cost_over = run.cost_micros.0 > max_cost;
        let wall_over = run.latency_ms > max_wall;
        if !(calls_over || cost_over || wall_over || max_calls == 0) {
            continue;
        }
        if why.is_empty() {
            why = if calls_over {
                format!("more than {max_calls} tool calls")
            } else if wall_over {
                format!("wall time above {max_wall} ms")
            } else {
                format!("cost above {}", Micros(max_cost))
            };
        }
        // Keep calls while they fit every limit.
        let wall_end = i64::try_from(max_wall)
            .ok()
            .and_then(Duration::try_milliseconds)
            .and_then(|d| run.started_at.checked_add_signed(d));
        let mut kept = 0usize;
        let mut kept_cost = 0i64;
        for c in &run.tool_calls {
            let ends_in_time = match (c.ended_at, wall_end) {
                (Some(e), Some(w)) => e <= w,
                _ => true,
            };
            if kept >= max_calls || kept_cost + c.cost_micros.0 > max_cost || !ends_in_time {
                break;
            }
            kept += 1;
            kept_cost += c.cost_micros.0;
        }
        run.tool_calls.truncate(kept);
        model_cost = model_cost.min(max_cost - kept_cost).max(0);
        run.cost_micros = Micros(kept_cost + model_cost);
        stopped = Some((b.budget_id.clone(), why));
    }
    stopped
}

/// Whether a cap's scope covers the run.
pub(crate) fn scope_matches(scope: &BudgetScope, run: &Run) -> bool {
    let v = scope.value.as_deref();
    match scope.kind {
        ScopeKind::Backend => true,
        ScopeKind::Workflow => v == Some(run.workflow.as_str()),
        ScopeKind::Team => v.is_some() && v == run.team.as_deref(),
        ScopeKind::User => v == Some(run.user_id.as_str()),
    }
}

/// The calendar period containing `t` in the cap's time zone (core's rule); a per-run cap
/// falls back to the UTC day so callers always get bounds.
pub(crate) fn period_bounds(b: &Budget, t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    countersign_core::budget::period_bounds(b, t).unwrap_or_else(|| {
        let s = t
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        (s, s + Duration::days(1))
    })
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

/// What expiry of its pending action does to a run: no decision is coming, so the case goes
/// back to people (escalated), and the proposed change is dropped.
pub(crate) fn expire_run(run: &mut Run, expired_at: DateTime<Utc>, now: DateTime<Utc>) {
    if run.outcome != Outcome::Pending {
        return;
    }
    run.outcome = Outcome::Escalated;
    run.decision = "approval_expired".into();
    run.changes.retain(|c| c.action_id.is_none());
    run.ended_at = Some(expired_at.max(run.started_at));
    run.updated_at = now;
    run.revision += 1;
}
