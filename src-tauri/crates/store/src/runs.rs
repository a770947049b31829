//! The `runs` table: one row per (backend, run id), the full run as JSON plus the columns the
//! run list filters and sorts on.

use crate::error::Result;
use crate::search::Batch;
use crate::search::Matched;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::{Micros, Outcome, Run, RunColumns, RunSummary};
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter, types::Value as SqlValue};

use serde::{Deserialize, Serialize};

/// What happened to a run offered to [`upsert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// New to the store.
    Inserted,
    /// Replaced an earlier revision.
    Updated,
    /// The store already had this or a later revision; nothing changed.
    Unchanged,
}

/// Stores a run, replacing an earlier revision; a stale revision is ignored. The run enters
/// the full-text index and the daily roll-up in the caller's transaction. `now` and
/// `freshness_days` decide which citations count as stale.
pub fn upsert(
    conn: &Connection,
    backend_id: &str,
    run: &Run,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Applied> {
    let body = serde_json::to_string(run)?;
    let text = crate::search::run_text(run);
    let mut batch = Batch::default();
    batch
        .words()
        .add(&run.workflow, run.outcome.as_str(), &text);
    let applied = store_run(
        conn,
        backend_id,
        &run.columns(),
        Index::Now(&text, &mut batch),
        &body,
        now,
        freshness_days,
    )?;
    batch.store(conn)?;
    Ok(applied)
}

/// Sync's path: stores a run record from its columns (read by [`RunColumns::from_json`]) and
/// its exact JSON `body`, and queues it for full-text indexing instead of indexing it in this
/// transaction; [`crate::search::index_pending`] catches up. The run is listed, filtered,
/// charted and opened at once; search finds it once indexed. (The native sync reads the text
/// ahead instead: [`upsert_indexed`].)
pub fn upsert_deferred(
    conn: &Connection,
    backend_id: &str,
    run: &RunColumns,
    body: &str,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Applied> {
    store_run(
        conn,
        backend_id,
        run,
        Index::Queue,
        body,
        now,
        freshness_days,
    )
}

/// Sync's path when the run's searchable text was read ahead, off the writing thread: `text`
/// is [`crate::search::run_text_json`] of `body`, whose words the caller has added to
/// `batch`'s (by the run's workflow and outcome). The run's indexed text joins `batch`, which
/// the caller stores ([`Batch::store`]) in this transaction after the batch's runs.
#[allow(clippy::too_many_arguments)]
pub fn upsert_indexed(
    conn: &Connection,
    backend_id: &str,
    run: &RunColumns,
    body: &str,
    text: &str,
    batch: &mut Batch,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Applied> {
    store_run(
        conn,
        backend_id,
        run,
        Index::Now(text, batch),
        body,
        now,
        freshness_days,
    )
}

/// How a stored run reaches the full-text index.
enum Index<'a> {
    /// Queued for [`crate::search::index_pending`].
    Queue,
    /// With the batch, from its searchable text without markers.
    Now(&'a str, &'a mut Batch),
}

/// Stores a run and indexes it for search as `index` says.
fn store_run(
    conn: &Connection,
    backend_id: &str,
    run: &RunColumns,
    index: Index<'_>,
    body: &str,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Applied> {
    let existing = conn
        .prepare_cached(
            "SELECT rid, revision, updated_at_ms, started_at_ms, workflow, model, outcome,
                    cost_micros, citation_warnings, citations, workflow_version, prompt, retrieval
             FROM runs WHERE backend_id = ?1 AND run_id = ?2",
        )?
        .query_row(rusqlite::params![backend_id, run.run_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                (
                    Bucket {
                        started_at_ms: r.get(3)?,
                        workflow: r.get(4)?,
                        model: r.get(5)?,
                        outcome: r.get(6)?,
                        cost_micros: r.get(7)?,
                        stale: r.get(8)?,
                        cited: r.get(9)?,
                    },
                    (
                        r.get::<_, String>(10)?,
                        r.get::<_, String>(11)?,
                        r.get::<_, String>(12)?,
                    ),
                ),
            ))
        })
        .optional()?;
    let revision = run.revision as i64;
    let updated_ms = to_ms(run.updated_at);
    if let Some((_, rev, upd, _)) = &existing
        && !(revision > *rev || (revision == *rev && updated_ms > *upd))
    {
        return Ok(Applied::Unchanged);
    }
    let stale = run.citation_warnings(now, freshness_days) as i64;
    let values = rusqlite::params![
        backend_id,
        run.run_id,
        revision,
        run.tenant,
        run.workflow,
        run.workflow_version,
        run.user_id,
        run.model,
        run.outcome.as_str(),
        run.decision,
        run.cost_micros.0,
        run.latency_ms as i64,
        run.tool_calls as i64,
        run.policy_failures as i64,
        stale,
        to_ms(run.started_at),
        updated_ms,
        body,
        run.team.as_deref().unwrap_or(""),
        run.citations.len() as i64,
        run.prompt.as_deref().unwrap_or(""),
        run.retrieval.as_deref().unwrap_or(""),
    ];
    let rid = match &existing {
        Some((rid, _, _, (old, _))) => {
            conn.prepare_cached(
                "UPDATE runs SET backend_id = ?1, run_id = ?2, revision = ?3, tenant = ?4,
                     workflow = ?5, workflow_version = ?6, user_id = ?7, model = ?8, outcome = ?9,
                     decision = ?10, cost_micros = ?11, latency_ms = ?12, tool_calls = ?13,
                     policy_failures = ?14, citation_warnings = ?15, started_at_ms = ?16,
                     updated_at_ms = ?17, body = ?18, team = ?19, citations = ?20,
                     prompt = ?21, retrieval = ?22
                 WHERE rid = ?23",
            )?
            .execute(rusqlite::params_from_iter(
                values
                    .iter()
                    .copied()
                    .chain(std::iter::once(rid as &dyn rusqlite::ToSql)),
            ))?;
            rollup(conn, backend_id, old, -1)?;
            // An indexed run leaves the index; a queued one was never in it.
            let queued = conn
                .prepare_cached("DELETE FROM fts_queue WHERE rid = ?1")?
                .execute([rid])?;
            if queued == 0 {
                conn.prepare_cached("DELETE FROM run_fts WHERE rowid = ?1")?
                    .execute([rid])?;
            }
            *rid
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO runs (backend_id, run_id, revision, tenant, workflow, workflow_version,
                     user_id, model, outcome, decision, cost_micros, latency_ms, tool_calls,
                     policy_failures, citation_warnings, started_at_ms, updated_at_ms, body, team,
                     citations, prompt, retrieval)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22)",
            )?
            .execute(values)?;
            conn.last_insert_rowid()
        }
    };
    let bucket = Bucket {
        started_at_ms: to_ms(run.started_at),
        workflow: run.workflow.clone(),
        model: run.model.clone(),
        outcome: run.outcome.as_str().to_string(),
        cost_micros: run.cost_micros.0,
        stale,
        cited: run.citations.len() as i64,
    };
    rollup(conn, backend_id, &bucket, 1)?;
    let config_changed =
        existing
            .as_ref()
            .is_none_or(|(_, _, _, (old, (version, prompt, retrieval)))| {
                old.workflow != run.workflow
                    || *version != run.workflow_version
                    || old.model != run.model
                    || prompt != run.prompt.as_deref().unwrap_or("")
                    || retrieval != run.retrieval.as_deref().unwrap_or("")
            });
    if config_changed {
        note_config(conn, run)?;
    }
    queue_for_failure_review(conn, backend_id, rid, run, existing.is_some())?;
    match index {
        Index::Now(text, batch) => {
            let markers = crate::search_filters::markers(&crate::search_filters::RunFacets {
                backend_id,
                tenant: &run.tenant,
                workflow: &run.workflow,
                outcome: run.outcome.as_str(),
                model: &run.model,
                user_id: &run.user_id,
                cost_micros: run.cost_micros.0,
                started_at_ms: to_ms(run.started_at),
                policy_failures: run.policy_failures as i64,
                citation_warnings: stale,
            });
            batch
                .words()
                .add(&run.workflow, run.outcome.as_str(), &markers);
            batch.push(rid, format!("{text}{markers}"));
        }
        Index::Queue => {
            conn.prepare_cached("INSERT INTO fts_queue (rid) VALUES (?1)")?
                .execute([rid])?;
        }
    }
    Ok(if existing.is_some() {
        Applied::Updated
    } else {
        Applied::Inserted
    })
}

/// Records the run's configuration (workflow, version, model, prompt and retrieval labels) and
/// the span of its runs, which the golden-set gate reads to see a change.
///
/// Done here rather than by a trigger on `runs`: any row trigger makes SQLite keep a statement
/// journal of every page an insert touches (each of the table's indexes), which cost more than
/// half of the write path's time.
fn note_config(conn: &Connection, run: &RunColumns) -> Result<()> {
    let at = to_ms(run.started_at);
    conn.prepare_cached(
        "INSERT INTO workflow_configs (workflow, workflow_version, model, prompt, retrieval,
             first_ms, last_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (workflow, workflow_version, model, prompt, retrieval) DO UPDATE SET
             first_ms = min(first_ms, excluded.first_ms),
             last_ms = max(last_ms, excluded.last_ms)",
    )?
    .execute(rusqlite::params![
        run.workflow,
        run.workflow_version,
        run.model,
        run.prompt.as_deref().unwrap_or(""),
        run.retrieval.as_deref().unwrap_or(""),
        at
    ])?;
    Ok(())
}

/// Queues the run for failure review when it is reviewable (failed, escalated, denied), has a
/// rolled-back write, or (when `replaced`) already has a review to keep current. Like
/// [`note_config`], done here instead of by a row trigger.
fn queue_for_failure_review(
    conn: &Connection,
    backend_id: &str,
    rid: i64,
    run: &RunColumns,
    replaced: bool,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO failure_queue (rid)
         SELECT ?1 WHERE ?2 IN ('fail', 'escalated', 'denied')
            OR (?5 AND EXISTS (SELECT 1 FROM failure_reviews WHERE rid = ?1))
            OR EXISTS (SELECT 1 FROM actions WHERE backend_id = ?3 AND run_id = ?4
                       AND status = 'rolled_back')",
    )?
    .execute(rusqlite::params![
        rid,
        run.outcome.as_str(),
        backend_id,
        run.run_id,
        replaced
    ])?;
    Ok(())
}

/// A run's contribution to the daily roll-up.
struct Bucket {
    started_at_ms: i64,
    workflow: String,
    model: String,
    outcome: String,
    cost_micros: i64,
    /// Stale or deprecated citations.
    stale: i64,
    /// Citations.
    cited: i64,
}

const DAY_MS: i64 = 86_400_000;

fn rollup(conn: &Connection, backend_id: &str, b: &Bucket, sign: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO run_daily (day_ms, backend_id, workflow, model, outcome, runs, cost_micros,
             stale_citations, cited_runs, stale_runs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT DO UPDATE SET runs = runs + excluded.runs,
             cost_micros = cost_micros + excluded.cost_micros,
             stale_citations = stale_citations + excluded.stale_citations,
             cited_runs = cited_runs + excluded.cited_runs,
             stale_runs = stale_runs + excluded.stale_runs",
    )?
    .execute(rusqlite::params![
        b.started_at_ms.div_euclid(DAY_MS) * DAY_MS,
        backend_id,
        b.workflow,
        b.model,
        b.outcome,
        sign,
        sign * b.cost_micros,
        sign * b.stale,
        sign * i64::from(b.cited > 0),
        sign * i64::from(b.stale > 0),
    ])?;
    Ok(())
}

/// One run in full.
pub fn get(conn: &Connection, backend_id: &str, run_id: &str) -> Result<Option<Run>> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM runs WHERE backend_id = ?1 AND run_id = ?2",
            [backend_id, run_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
}

/// Finds a run by its id alone, across backends (first match by backend id).
pub fn find(conn: &Connection, run_id: &str) -> Result<Option<(String, Run)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT backend_id, body FROM runs WHERE run_id = ?1 ORDER BY backend_id LIMIT 1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(b, body)| Ok((b, serde_json::from_str(&body)?)))
        .transpose()
}

/// How the run list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "RunSort")]
pub enum Sort {
    /// Newest first.
    #[default]
    TimeDesc,
    /// Most expensive first.
    CostDesc,
    /// Slowest first.
    LatencyDesc,
}

/// Filters for the run list; every field that is set narrows the result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct RunQuery {
    /// Only this backend.
    pub backend_id: Option<String>,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this outcome (wire spelling).
    pub outcome: Option<String>,
    /// Only this model.
    pub model: Option<String>,
    /// Only runs triggered by this user.
    pub user_id: Option<String>,
    /// Full-text search over inputs, outputs, tool arguments/results and cited passages.
    /// Every word must match (prefix match on the last word).
    pub search: Option<String>,
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before.
    pub until: Option<DateTime<Utc>>,
    /// Cost at least this much.
    pub min_cost_micros: Option<i64>,
    /// Cost at most this much.
    pub max_cost_micros: Option<i64>,
    /// Only runs with a failed policy check.
    #[ts(as = "Option<bool>", optional)]
    pub policy_failed: bool,
    /// Only runs citing a deprecated or stale source.
    #[ts(as = "Option<bool>", optional)]
    pub cites_stale: bool,
    /// Sort order (ignored when searching: matches come newest-synced first).
    #[ts(as = "Option<Sort>", optional)]
    pub sort: Sort,
    /// Page size (default 200, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// Counting stops here; beyond it the UI says "1,000+" (an exact count of a third of a
/// million-run table costs more than the page itself).
pub const COUNT_CAP: u64 = 1_000;

/// A page of the run list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunPage {
    /// Rows of this page.
    pub items: Vec<RunSummary>,
    /// Rows matching the filters, counted up to [`COUNT_CAP`] when the index answers every
    /// filter; otherwise (searches, filters walked past) the rows up to the end of this page.
    pub total: u64,
    /// Whether there are more than `total` rows.
    pub total_capped: bool,
    /// When searching: runs stored but not yet indexed for search (they appear once indexed).
    #[serde(default)]
    pub search_pending: u64,
}

fn summary(r: &Row<'_>) -> rusqlite::Result<RunSummary> {
    let outcome: String = r.get("outcome")?;
    Ok(RunSummary {
        backend_id: r.get("backend_id")?,
        run_id: r.get("run_id")?,
        tenant: r.get("tenant")?,
        workflow: r.get("workflow")?,
        workflow_version: r.get("workflow_version")?,
        user_id: r.get("user_id")?,
        model: r.get("model")?,
        outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Fail),
        decision: r.get("decision")?,
        cost_micros: Micros(r.get("cost_micros")?),
        latency_ms: r.get::<_, i64>("latency_ms")? as u64,
        tool_calls: r.get::<_, i64>("tool_calls")? as u32,
        policy_failures: r.get::<_, i64>("policy_failures")? as u32,
        citation_warnings: r.get::<_, i64>("citation_warnings")? as u32,
        started_at: from_ms(r.get("started_at_ms")?),
    })
}

/// The statement parts of a run list query: which index or search drives it, the filters and
/// their values, the order.
struct Plan {
    from: String,
    filter: String,
    order: &'static str,
    args: Vec<SqlValue>,
    /// The walked index answers every filter, so a capped count is cheap.
    exact_count: bool,
    searching: bool,
}

const SUMMARY_COLUMNS: &str = "r.backend_id, r.run_id, r.tenant, r.workflow, r.workflow_version,
    r.user_id, r.model, r.outcome, r.decision, r.cost_micros, r.latency_ms, r.tool_calls,
    r.policy_failures, r.citation_warnings, r.started_at_ms";

fn plan(conn: &Connection, q: &RunQuery) -> Result<Plan> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    let mut text = |clause: &'static str, v: &Option<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            clauses.push(clause);
            args.push(SqlValue::Text(v.clone()));
        }
    };
    text("r.backend_id = ?", &q.backend_id);
    text("r.tenant = ?", &q.tenant);
    text("r.workflow = ?", &q.workflow);
    text("r.outcome = ?", &q.outcome);
    text("r.model = ?", &q.model);
    text("r.user_id = ?", &q.user_id);
    let mut int = |clause: &'static str, v: Option<i64>| {
        if let Some(v) = v {
            clauses.push(clause);
            args.push(SqlValue::Integer(v));
        }
    };
    int("r.started_at_ms >= ?", q.since.map(to_ms));
    int("r.started_at_ms < ?", q.until.map(to_ms));
    int("r.cost_micros >= ?", q.min_cost_micros);
    int("r.cost_micros <= ?", q.max_cost_micros);
    if q.policy_failed {
        clauses.push("r.policy_failures > 0");
    }
    if q.cites_stale {
        clauses.push("r.citation_warnings > 0");
    }
    let set_value = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let facets: Vec<String> = [
        set_value(&q.workflow).map(|w| crate::search_words::workflow_facet(&w)),
        set_value(&q.outcome).map(|o| crate::search_words::outcome_facet(&o)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (words, no_run) = match q.search.as_deref() {
        Some(typed) => match crate::search::fts_match_in(conn, typed, &facets)? {
            Matched::Query(m) => (Some(m), false),
            Matched::NoRun => (None, true),
            Matched::Nothing => (None, false),
        },
        None => (None, false),
    };
    if no_run {
        // A typed word the filtered workflow's or outcome's runs never contain.
        clauses.push("0");
    }
    let fts = match words {
        // The filters' markers join the typed words, so the index intersects both.
        Some(words) => {
            let span = if q.since.is_some() || q.until.is_some() {
                start_span(conn)?
            } else {
                None
            };
            let markers = crate::search_filters::filter_match(q, span);
            Some(if markers.is_empty() {
                words
            } else {
                // An OR group needs an explicit AND beside it.
                format!("{words} AND {}", markers.join(" AND "))
            })
        }
        None => None,
    };
    let set = |v: &Option<String>| v.as_ref().is_some_and(|v| !v.is_empty());
    // The index to walk is chosen here, not left to the planner: without statistics it
    // prefers an index that matches a filter and then sorts a third of the table.
    let (from, order) = match &fts {
        Some(m) => {
            clauses.insert(0, "run_fts MATCH ?");
            args.insert(0, SqlValue::Text(m.clone()));
            (
                "run_fts CROSS JOIN runs r ON r.rid = run_fts.rowid".to_string(),
                "run_fts.rowid DESC",
            )
        }
        None => {
            let (index, order) = match q.sort {
                Sort::CostDesc => ("runs_by_cost", "r.cost_micros DESC, r.rid DESC"),
                Sort::LatencyDesc => ("runs_by_latency", "r.latency_ms DESC, r.rid DESC"),
                Sort::TimeDesc => (
                    // Likely most selective first: people and tenants, then the rest.
                    if set(&q.user_id) {
                        "runs_by_user_time"
                    } else if set(&q.tenant) {
                        "runs_by_tenant_time"
                    } else if set(&q.workflow) && set(&q.outcome) {
                        "runs_by_workflow_outcome_time"
                    } else if set(&q.workflow) {
                        "runs_by_workflow_time"
                    } else if set(&q.model) {
                        "runs_by_model_time"
                    } else if set(&q.backend_id) {
                        "runs_by_backend_time"
                    } else if set(&q.outcome) {
                        "runs_by_outcome_time"
                    } else if q.policy_failed {
                        "runs_policy_failed"
                    } else if q.cites_stale {
                        "runs_citing_stale"
                    } else {
                        "runs_by_time"
                    },
                    "r.started_at_ms DESC, r.rid DESC",
                ),
            };
            (format!("runs r INDEXED BY {index}"), order)
        }
    };
    // Filters the walked index does not answer by itself; with any of them a count could scan
    // far, so the page reports "at least" instead (as a search does).
    let covered: &[&str] = match from.rsplit(' ').next().unwrap_or("") {
        "runs_by_user_time" => &["user"],
        "runs_by_tenant_time" => &["tenant"],
        "runs_by_model_time" => &["model"],
        "runs_by_backend_time" => &["backend"],
        "runs_by_workflow_outcome_time" => &["workflow", "outcome"],
        "runs_by_workflow_time" => &["workflow"],
        "runs_by_outcome_time" => &["outcome"],
        "runs_policy_failed" => &["policy"],
        "runs_citing_stale" => &["stale"],
        _ => &[],
    };
    let used = [
        ("backend", set(&q.backend_id)),
        ("tenant", set(&q.tenant)),
        ("workflow", set(&q.workflow)),
        ("outcome", set(&q.outcome)),
        ("model", set(&q.model)),
        ("user", set(&q.user_id)),
        (
            "cost",
            q.min_cost_micros.is_some() || q.max_cost_micros.is_some(),
        ),
        ("policy", q.policy_failed),
        ("stale", q.cites_stale),
    ];
    let exact_count =
        fts.is_none() && !no_run && used.iter().all(|(name, on)| !on || covered.contains(name));
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    Ok(Plan {
        from,
        filter,
        order,
        args,
        exact_count,
        searching: fts.is_some() || no_run,
    })
}

/// Runs matching `q`, one page, plus the (capped) total.
pub fn list(conn: &Connection, q: &RunQuery) -> Result<RunPage> {
    let Plan {
        from,
        filter,
        order,
        args,
        exact_count,
        searching,
    } = plan(conn, q)?;
    let limit = q.limit.unwrap_or(200).min(1000);
    let offset = q.offset.unwrap_or(0);
    // Without a cheap exact count, ask for one row more than the page instead of counting:
    // counting matches of a common word, or of filters the index does not answer, can cost far
    // more than the page itself.
    let fetch = if exact_count { limit } else { limit + 1 };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} {filter} ORDER BY {order} LIMIT {fetch} OFFSET {offset}"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let mut items = st
        .query_map(params_from_iter(args.iter()), summary)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if !exact_count {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let seen = u64::from(offset) + items.len() as u64;
        let search_pending = if searching {
            crate::search::pending(conn)?
        } else {
            0
        };
        return Ok(RunPage {
            items,
            total: seen,
            total_capped: more,
            search_pending,
        });
    }
    let counted: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM {from} {filter} LIMIT {})",
            COUNT_CAP + 1
        ))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let counted = counted as u64;
    Ok(RunPage {
        items,
        total: counted.min(COUNT_CAP),
        total_capped: counted > COUNT_CAP,
        search_pending: 0,
    })
}

/// Every run matching `q` (its page size and offset ignored), in the list's order, handed to
/// `each` one at a time as read: for exports and the CLI, which print more than a page without
/// holding it in memory. At most `max` rows when given; returns how many were handed over.
pub fn for_each(
    conn: &Connection,
    q: &RunQuery,
    max: Option<u64>,
    mut each: impl FnMut(RunSummary) -> Result<()>,
) -> Result<u64> {
    let Plan {
        from,
        filter,
        order,
        args,
        ..
    } = plan(conn, q)?;
    let limit = max.map(|m| m.min(i64::MAX as u64) as i64).unwrap_or(-1);
    let mut st = conn.prepare(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} {filter} ORDER BY {order} LIMIT {limit}"
    ))?;
    let mut rows = st.query(params_from_iter(args.iter()))?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(summary(r)?)?;
        n += 1;
    }
    Ok(n)
}

/// The earliest and latest start of a stored run (two index seeks).
fn start_span(conn: &Connection) -> Result<Option<(i64, i64)>> {
    let span: (Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT (SELECT min(started_at_ms) FROM runs), (SELECT max(started_at_ms) FROM runs)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(span.0.zip(span.1))
}

/// Distinct values of a column, for filter pickers.
pub fn distinct(conn: &Connection, column: Facet) -> Result<Vec<String>> {
    let col = match column {
        Facet::Workflow => "workflow",
        Facet::Model => "model",
    };
    let mut st = conn.prepare(&format!(
        "SELECT DISTINCT {col} FROM run_daily WHERE runs > 0 ORDER BY 1"
    ))?;
    let v = st
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

/// Columns with a filter picker.
#[derive(Clone, Copy, Debug)]
pub enum Facet {
    /// Workflow names.
    Workflow,
    /// Model names.
    Model,
}

/// Number of runs stored for a backend.
pub fn count(conn: &Connection, backend_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM runs WHERE backend_id = ?1",
        [backend_id],
        |r| r.get(0),
    )?)
}
