//! The simulated organisation: deterministic runs and pending actions from `(seed, index)`.
//!
//! [`generate`] draws who runs which [`Workflow`], lets that workflow's module draft the run
//! (inputs, tool steps, citations, the write it proposes), then lays out the timeline, applies
//! the hard budget caps, settles the proposed write's history and picks what is served. All
//! draws come from one ChaCha stream keyed by seed and index, always in the same order, so the
//! output is byte-identical for the same seed.

mod budget;
mod common;
mod history;
mod hostile;
mod trace;
mod workflow;

use chrono::{DateTime, TimeZone, Utc};
use common::{model_cost, pick, round2};
use countersign_core::{
    Budget, Micros, Outcome, PendingAction, PolicyCheck, RecordChange, Run, TokenUsage,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use workflow::{Context, Workflow};

pub(crate) use budget::{period_bounds, scope_matches};
pub(crate) use history::expire_run;

/// A fixed date before any seeded data (2026-11-20T00:00:00Z, less 90 days): when the default
/// budgets were last changed.
pub(crate) fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Where the data is in time and how expiry is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Historical seed data ending at the given time ("now" of the seeding): writes of its
    /// last day wait for review, expiring minutes to a day after it; older ones were decided
    /// or expired.
    Seeded(DateTime<Utc>),
    /// Live data (trickle, simulate): actions expire 24 h after they are requested.
    Live,
}

impl Mode {
    /// The "now" the data is generated for: the end of seeded history, or the run's own start.
    fn now(self, started_at: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Mode::Seeded(until) => until,
            Mode::Live => started_at,
        }
    }
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

/// Who runs the workflows: (user, team, tenant).
const USERS: &[(&str, &str, &str)] = &[
    ("u_anna", "support", "northwind-eu"),
    ("u_ben", "support", "northwind-us"),
    ("u_chen", "finance", "northwind-eu"),
    ("u_dara", "sales-ops", "contoso"),
    ("u_eli", "billing", "northwind-us"),
    ("u_fatima", "support", "contoso"),
];

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
    let workflow = Workflow::from_roll(roll);
    let model = workflow.model(&mut rng, started_at, mode.now(started_at));
    let tokens = TokenUsage {
        input: rng.random_range(600..6500),
        output: rng.random_range(80..1100),
    };
    let drawn_confidence = round2(rng.random_range(0.45..0.99));
    let mut checks = common_checks(&mut rng);
    let cx = Context {
        started_at,
        tenant,
        run_id: &run_id,
        action_id: &action_id,
        confidence: drawn_confidence,
    };
    let draft = workflow.draft(&mut rng, &cx);
    checks.extend(draft.checks);
    let confidence = workflow.confidence(drawn_confidence);

    let (tool_calls, ended) = trace::tool_calls(&mut rng, started_at, draft.steps);
    let citations = trace::citations(&mut rng, draft.citations_from);
    let mcost = model_cost(model, tokens);
    let tools_cost: i64 = tool_calls.iter().map(|c| c.cost_micros.0).sum();
    let latency = (ended - started_at).num_milliseconds().max(0) as u64;
    let pending = draft.outcome == Outcome::Pending;
    let mut run = Run {
        eval_id: None,
        prompt: Some(workflow.prompt(started_at, mode.now(started_at)).into()),
        retrieval: workflow
            .retrieval(started_at, mode.now(started_at))
            .map(Into::into),
        run_id,
        revision: 1,
        tenant: tenant.into(),
        user_id: user.into(),
        team: Some(team.into()),
        workflow: workflow.name().into(),
        workflow_version: workflow.version().into(),
        model: model.into(),
        inputs: draft.inputs,
        tool_calls,
        citations,
        outputs: draft.outputs,
        confidence: Some(confidence),
        cost_micros: Micros(tools_cost + mcost),
        tokens,
        latency_ms: latency,
        outcome: draft.outcome,
        decision: draft.decision.into(),
        rationale: Some(draft.rationale),
        policy_checks: checks,
        changes: draft.changes,
        started_at,
        ended_at: (!pending).then_some(ended),
        updated_at: ended,
    };
    let (mut action, mut ticket) = (draft.action, draft.ticket);

    // Budgets: a hard cap stops the run at the cap.
    if budget::apply(&mut run, mcost, budgets, usage) {
        action = None;
        ticket = None;
    }
    let mut execution = match action.as_mut() {
        Some(a) => history::settle(&mut rng, mode, &mut run, a, ended),
        None => None,
    };
    let json = hostile::served_json(
        &mut rng,
        hostile,
        index,
        &mut run,
        &mut action,
        &mut execution,
    );
    GenRun {
        run,
        json,
        action,
        ticket,
        execution,
    }
}

/// The checks every run gets first: PII redaction (fails for 3 %, one draw) and role.
fn common_checks(rng: &mut ChaCha8Rng) -> Vec<PolicyCheck> {
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
    checks
}
