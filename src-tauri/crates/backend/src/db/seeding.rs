//! Generated data: the seeded history a fresh backend starts with, and live runs (trickle,
//! `POST /v1/admin/simulate`), with their pending actions, executed writes and tickets.

use super::sql::{Conn, Sql, args, lock_key};
use super::{load_budgets, next_seq};
use crate::Error;
use crate::generate::{self, GenRun, Mode};
use chrono::{DateTime, Duration, Utc};
use countersign_core::{
    AutonomyLevel, AutonomySetting, Budget, Micros, Period, Run, ScopeKind, WriteTreatment,
};
use std::collections::HashMap;

/// Generation takes turns under this lock (run ids follow the generator's index).
const GENERATE: &str = "countersign:generate";

fn next_index(c: &mut dyn Sql) -> Result<u64, Error> {
    Ok(c.int("SELECT COALESCE(MAX(idx) + 1, 0) FROM runs", args![])? as u64)
}

/// How many runs are stored.
pub(crate) fn run_count(c: &mut dyn Sql) -> Result<u64, Error> {
    Ok(c.int("SELECT COUNT(*) FROM runs", args![])? as u64)
}

/// Inserts one generated run and what came with it, under change numbers counted from
/// `seq` (SQLite; PostgreSQL's trigger numbers changes itself).
struct Inserter {
    run_seq: i64,
    action_seq: i64,
}

impl Inserter {
    fn new(c: &mut dyn Sql) -> Result<Self, Error> {
        Ok(Inserter {
            run_seq: next_seq(c, "runs")?,
            action_seq: next_seq(c, "actions")?,
        })
    }

    fn insert(&mut self, c: &mut dyn Sql, idx: u64, g: &GenRun) -> Result<(), Error> {
        let r = &g.run;
        c.exec(
            "INSERT INTO runs(run_id, seq, idx, workflow, team, user_id, started_ms, cost_micros, json)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            args![
                r.run_id,
                self.run_seq,
                idx as i64,
                r.workflow,
                r.team,
                r.user_id,
                r.started_at.timestamp_millis(),
                r.cost_micros.0,
                g.json
            ],
        )?;
        self.run_seq += 1;
        if let Some(a) = &g.action {
            c.exec(
                "INSERT INTO actions(action_id, seq, run_id, status, expires_ms, json)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                args![
                    a.action_id,
                    self.action_seq,
                    a.run_id,
                    a.status.as_str(),
                    a.expires_at.timestamp_millis(),
                    serde_json::to_string(a)?
                ],
            )?;
            self.action_seq += 1;
        }
        if let (Some(a), Some(ch)) = (&g.action, &g.execution) {
            let at = a.decided_at.unwrap_or(a.updated_at).to_rfc3339();
            let field = |name: &str| {
                a.fields
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.value.clone())
                    .unwrap_or_default()
            };
            if a.kind == "issue_refund" {
                let amount = Micros::parse_usd(&field("amount")).unwrap_or_default();
                c.exec(
                    "INSERT INTO refunds(refund_id, action_id, order_id, amount_micros, currency, region, created_at)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(refund_id) DO UPDATE SET action_id = excluded.action_id,
                         order_id = excluded.order_id, amount_micros = excluded.amount_micros,
                         currency = excluded.currency, region = excluded.region,
                         created_at = excluded.created_at",
                    args![
                        format!("rf_{}", a.action_id),
                        a.action_id,
                        field("order_id"),
                        amount.0,
                        field("currency"),
                        field("region"),
                        at
                    ],
                )?;
            } else {
                c.exec(
                    "INSERT INTO crm_fields(record_id, field, value, updated_at) VALUES(?1, ?2, ?3, ?4)
                     ON CONFLICT(record_id, field) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    args![field("record_id"), field("field"), field("value"), at],
                )?;
            }
            c.exec(
                "INSERT INTO executions(action_id, system, record_id, field, before, after)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(action_id) DO UPDATE SET system = excluded.system,
                     record_id = excluded.record_id, field = excluded.field,
                     before = excluded.before, after = excluded.after",
                args![
                    a.action_id,
                    ch.system,
                    ch.record_id,
                    ch.field,
                    ch.before.to_string(),
                    ch.after.to_string()
                ],
            )?;
        }
        if let Some((tid, status)) = &g.ticket {
            c.exec(
                "INSERT INTO tickets(ticket_id, status, updated_at) VALUES(?1, ?2, ?3)
                 ON CONFLICT(ticket_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                args![tid, status, r.updated_at.to_rfc3339()],
            )?;
        }
        Ok(())
    }
}

/// Key of an in-memory usage tally: budget id and period start.
type UsageKey = (String, i64);

fn tally(budgets: &[Budget], tallies: &mut HashMap<UsageKey, (i64, u32)>, run: &Run) {
    for b in budgets {
        if b.period == Period::Run || !generate::scope_matches(&b.scope, run) {
            continue;
        }
        let (from, _) = generate::period_bounds(b, run.started_at);
        let e = tallies
            .entry((b.budget_id.clone(), from.timestamp()))
            .or_insert((0, 0));
        e.0 += run.cost_micros.0;
        e.1 += 1;
    }
}

/// Seeds `n` historical runs spread evenly over the 60 days before `until` (the last one
/// shortly before it), in one transaction; with `only_if_empty`, only when no run is stored
/// yet (checked under the generation lock, so server processes starting together seed once).
/// Writes proposed in the last day before `until` still wait for review. Returns the runs
/// written.
pub(crate) fn seed(
    conn: &mut Conn<'_>,
    n: u64,
    seed: u64,
    hostile: bool,
    only_if_empty: bool,
    until: DateTime<Utc>,
) -> Result<u64, Error> {
    let budgets = load_budgets(conn)?;
    let mut tx = conn.begin()?;
    lock_key(&mut tx, GENERATE)?;
    if only_if_empty && run_count(&mut tx)? > 0 {
        return Ok(0);
    }
    let first = next_index(&mut tx)?;
    let mut ins = Inserter::new(&mut tx)?;
    let span_ms: i64 = 60 * 24 * 3600 * 1000;
    let begin = until - Duration::milliseconds(span_ms);
    let mut tallies: HashMap<UsageKey, (i64, u32)> = HashMap::new();
    for i in 0..n {
        let idx = first + i;
        let offset = (i as i128 * span_ms as i128 / n.max(1) as i128) as i64;
        let started = begin + Duration::milliseconds(offset);
        let g = {
            let t = &tallies;
            let mut usage = |b: &Budget, from: DateTime<Utc>, _to: DateTime<Utc>| {
                t.get(&(b.budget_id.clone(), from.timestamp()))
                    .copied()
                    .unwrap_or((0, 0))
            };
            generate::generate(
                seed,
                idx,
                started,
                Mode::Seeded(until),
                hostile,
                &budgets,
                &mut usage,
            )
        };
        tally(&budgets, &mut tallies, &g.run);
        ins.insert(&mut tx, idx, &g)?;
    }
    tx.commit()?;
    Ok(n)
}

/// Adjustments tests can ask of simulated runs.
#[derive(Default)]
pub(crate) struct SimTweak {
    /// Actions expire this many seconds from now.
    pub expires_in_secs: Option<i64>,
    /// Actions carry a look-alike region ("ЕU" with a Cyrillic Е).
    pub homoglyph_region: bool,
    /// The policy maximum on the amount is stated in this currency (e.g. "USD" while the
    /// refund is in EUR): the reviewer must see the maximum could not be compared.
    pub policy_max_currency: Option<String>,
}

/// A generated write the workflow's autonomy level refused.
pub(crate) struct RefusedWrite {
    /// The run that proposed it.
    pub run_id: String,
    /// Its workflow.
    pub workflow: String,
    /// The level that refused it.
    pub level: AutonomyLevel,
}

/// What a simulation made.
#[derive(Default)]
pub(crate) struct Simulated {
    /// The runs, in order.
    pub ids: Vec<String>,
    /// The writes refused by a read-only level (their runs are kept, without the write).
    pub refused: Vec<RefusedWrite>,
}

/// Generates `n` live runs starting now; returns their ids.
pub(crate) fn simulate(
    conn: &mut Conn<'_>,
    n: u64,
    seed: u64,
    hostile: bool,
) -> Result<Vec<String>, Error> {
    Ok(simulate_with(conn, n, seed, hostile, &SimTweak::default())?.ids)
}

/// [`simulate`] with adjustments; each proposed write goes through its workflow's autonomy
/// level ([`crate::autonomy::apply`]).
pub(crate) fn simulate_with(
    conn: &mut Conn<'_>,
    n: u64,
    seed: u64,
    hostile: bool,
    tweak: &SimTweak,
) -> Result<Simulated, Error> {
    let budgets = load_budgets(conn)?;
    let mut tx = conn.begin()?;
    lock_key(&mut tx, GENERATE)?;
    let levels: HashMap<String, AutonomySetting> = super::autonomy::list(&mut tx)?
        .into_iter()
        .map(|w| (w.workflow.clone(), w.setting()))
        .collect();
    let mut out = Simulated::default();
    let mut ins = Inserter::new(&mut tx)?;
    let first = next_index(&mut tx)?;
    for i in 0..n {
        let idx = first + i;
        let started = Utc::now();
        let g = {
            let t: &mut dyn Sql = &mut tx;
            let mut usage = |b: &Budget, from: DateTime<Utc>, to: DateTime<Utc>| {
                period_usage(t, b, from, to).unwrap_or((i64::MAX / 4, u32::MAX))
            };
            generate::generate(
                seed,
                idx,
                started,
                Mode::Live,
                hostile,
                &budgets,
                &mut usage,
            )
        };
        let mut g = g;
        if let Some(a) = g.action.as_mut() {
            if let Some(secs) = tweak.expires_in_secs {
                a.expires_at = a.requested_at + Duration::seconds(secs);
            }
            if let (Some(cur), Some(rule)) = (
                tweak.policy_max_currency.as_ref(),
                a.field_rules.get_mut("amount"),
            ) {
                rule.currency = Some(cur.clone());
            }
            if tweak.homoglyph_region {
                for f in a.fields.iter_mut().filter(|f| f.name == "region") {
                    f.value = "\u{0415}U".into();
                }
                if let Some(o) = a
                    .proposed
                    .as_object_mut()
                    .filter(|o| o.contains_key("region"))
                {
                    o.insert("region".into(), serde_json::json!("\u{0415}U"));
                }
            }
        }
        let setting = levels.get(&g.run.workflow).copied().unwrap_or_default();
        let now = Utc::now();
        if crate::autonomy::apply(&mut g, &setting, now) == Some(WriteTreatment::Refuse) {
            super::autonomy::count_refused(&mut tx, &g.run.workflow, now)?;
            out.refused.push(RefusedWrite {
                run_id: g.run.run_id.clone(),
                workflow: g.run.workflow.clone(),
                level: setting.level,
            });
        }
        ins.insert(&mut tx, idx, &g)?;
        out.ids.push(g.run.run_id.clone());
    }
    tx.commit()?;
    Ok(out)
}

/// Cost and run count of runs under a cap's scope that started in `[from, to)`.
fn period_usage(
    c: &mut dyn Sql,
    b: &Budget,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, u32), Error> {
    let (col, val) = match b.scope.kind {
        // A text literal on both sides: `1 = '1'` would be false in SQLite.
        ScopeKind::Backend => ("CAST('all' AS TEXT)", String::from("all")),
        ScopeKind::Workflow => ("workflow", b.scope.value.clone().unwrap_or_default()),
        ScopeKind::Team => ("team", b.scope.value.clone().unwrap_or_default()),
        ScopeKind::User => ("user_id", b.scope.value.clone().unwrap_or_default()),
    };
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT), COUNT(*) FROM runs
         WHERE started_ms >= ?1 AND started_ms < ?2 AND {col} = ?3"
    );
    let r = c
        .row(
            &sql,
            args![from.timestamp_millis(), to.timestamp_millis(), val],
        )?
        .unwrap_or_default();
    Ok((r.int(0)?, r.int(1)? as u32))
}
