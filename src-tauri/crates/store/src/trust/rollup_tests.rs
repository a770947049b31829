//! The daily roll-up (`trust_daily`, migration 0018) and its weekly layer (`trust_weekly`,
//! migration 0024: each cell the sum of its days) against the decisions read row by row:
//! for many periods (whole days, mid-day edges, within one day, open ends) and filters, after
//! second reviews, rollbacks undone and redone, removed decisions and actions, and for
//! decisions recorded before the roll-up existed.

use super::tests::{Act, action, decide, run};
use super::*;
use crate::decisions::record_second_review;
use crate::{Store, backends};
use chrono::Duration;

/// A small deterministic generator (no dependency, same data every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn base() -> DateTime<Utc> {
    // A Thursday, mid-morning: weeks and days cut through the data.
    "2026-10-01T09:17:23.456Z".parse().unwrap_or_default()
}

const WORKFLOWS: [&str; 3] = ["refund", "crm", "triage"];
const KINDS: [&str; 3] = ["issue_refund", "update_crm", "close_ticket"];
const REVIEWERS: [&str; 3] = ["alice", "bob", "carol"];
const DECISIONS: [&str; 4] = ["approve", "approve_with_edits", "deny", "escalate"];
const FIELDS: [&str; 3] = ["amount", "currency", "note"];

/// `n` decisions over ~40 days: actions in every status, some runs not synced (workflow ''),
/// second reviews on some; returns the backend and the decision ids.
fn fill(conn: &Connection, n: usize) -> Result<(String, Vec<i64>)> {
    let b = backends::upsert(conn, "b", "http://localhost:1", "countersign", false)?.backend_id;
    let mut g = Lcg(7);
    let mut ids = Vec::new();
    for i in 0..n {
        let wf = WORKFLOWS[g.next(3) as usize];
        let kind = KINDS[g.next(3) as usize];
        let run_id = format!("r{i}");
        let synced = g.next(10) != 0;
        let at = base() + Duration::milliseconds(g.next(40 * 86_400_000) as i64);
        if synced {
            run(conn, &b, &run_id, wf, 1, at)?;
        }
        let status = [
            "executed",
            "rolled_back",
            "denied",
            "approved",
            "expired",
            "pending",
        ][g.next(6) as usize];
        let act = format!("a{i}");
        action(
            conn,
            &b,
            &Act {
                id: &act,
                run: &run_id,
                workflow: if synced { wf } else { "" },
                kind,
                status,
                undo: true,
                at,
            },
        )?;
        let corrected: Vec<&str> = FIELDS.iter().copied().filter(|_| g.next(4) == 0).collect();
        let ttd = (g.next(8) != 0).then(|| g.next(200_000) as i64);
        let id = decide(
            conn,
            &b,
            (&act, &run_id, kind),
            (REVIEWERS[g.next(3) as usize], DECISIONS[g.next(4) as usize]),
            (at, ttd, ttd.is_some_and(|t| t < 3_000)),
            &corrected,
        )?;
        // A run synced after its decision: the report finds its workflow from the run.
        if !synced && g.next(2) == 0 {
            run(conn, &b, &run_id, wf, 1, at)?;
        }
        // A second action decided twice (escalated, then decided).
        if g.next(10) == 0 {
            decide(
                conn,
                &b,
                (&act, &run_id, kind),
                ("dave", "approve"),
                (at + Duration::minutes(5), Some(4_000), false),
                &[],
            )?;
        }
        if g.next(5) == 0 {
            record_second_review(conn, id, "zed", g.next(2) == 0, "", at)?;
        }
        ids.push(id);
    }
    Ok((b, ids))
}

fn queries() -> Vec<TrustQuery> {
    let at = |days: i64, hours: i64| Some(base() + Duration::days(days) + Duration::hours(hours));
    let day = |d: i64| {
        Some(
            "2026-10-10T00:00:00Z"
                .parse::<DateTime<Utc>>()
                .unwrap_or_default()
                + Duration::days(d),
        )
    };
    let mut v = vec![
        TrustQuery::default(),
        TrustQuery {
            from: at(3, 5),
            to: at(25, 2),
            ..Default::default()
        },
        TrustQuery {
            from: day(0),
            to: day(14),
            ..Default::default()
        },
        TrustQuery {
            from: at(10, 1),
            to: at(10, 9),
            ..Default::default()
        },
        // Whole days inside one week: no whole week, days only.
        TrustQuery {
            from: at(5, 0),
            to: at(8, 0),
            ..Default::default()
        },
        TrustQuery {
            from: at(12, 0),
            ..Default::default()
        },
        TrustQuery {
            to: at(20, 3),
            ..Default::default()
        },
    ];
    let periods = v.clone();
    for p in periods {
        for wf in WORKFLOWS {
            v.push(TrustQuery {
                workflow: Some(wf.into()),
                ..p.clone()
            });
        }
        v.push(TrustQuery {
            reviewer: Some("bob".into()),
            action_kind: Some("update_crm".into()),
            ..p.clone()
        });
    }
    v
}

/// A layer's cells keyed by (week, workflow, kind, reviewer): the counts summed and the times
/// to decide sorted; and its field counts.
type Cells = std::collections::BTreeMap<(i64, String, String, String), (Vec<i64>, Vec<i64>)>;
type Fields = std::collections::BTreeMap<(i64, String, String, String, String), i64>;

fn layer(conn: &Connection, cells: &str, fields: &str, at: &str) -> Result<(Cells, Fields)> {
    let mut out = Cells::new();
    let mut st = conn.prepare(&format!(
        "SELECT {at}, workflow, action_kind, reviewer, approve, approve_with_edits, deny,
            escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back,
            second_reviews, disagreements, ttds FROM {cells}"
    ))?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let key = (week_start_ms(r.get(0)?), r.get(1)?, r.get(2)?, r.get(3)?);
        let e = out.entry(key).or_insert_with(|| (vec![0; 11], Vec::new()));
        for i in 0..11 {
            e.0[i] += r.get::<_, i64>(4 + i)?;
        }
        let ttds: String = r.get(15)?;
        e.1.extend(ttds.split(',').filter_map(|v| v.parse::<i64>().ok()));
        e.1.sort_unstable();
    }
    let mut f = Fields::new();
    let mut st = conn.prepare(&format!(
        "SELECT {at}, workflow, action_kind, reviewer, field, n FROM {fields}"
    ))?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let key = (
            week_start_ms(r.get(0)?),
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        );
        *f.entry(key).or_default() += r.get::<_, i64>(5)?;
    }
    f.retain(|_, n| *n > 0);
    Ok((out, f))
}

fn same_everywhere(conn: &Connection, when: &str) -> Result<()> {
    let now = base() + Duration::days(60);
    // The weekly layer holds exactly the sums of the daily cells of its weeks.
    let weekly = layer(conn, "trust_weekly", "trust_weekly_fields", "week_ms")?;
    assert!(
        !weekly.0.is_empty() && !weekly.1.is_empty(),
        "{when}: weekly cells"
    );
    assert_eq!(
        weekly,
        layer(conn, "trust_daily", "trust_daily_fields", "day_ms")?,
        "{when}: weekly = daily summed per week"
    );
    for q in queries() {
        let fast = report(conn, &q, now)?;
        let rows = report_by_rows(conn, &q, now)?;
        assert_eq!(fast, rows, "{when}: {q:?}");
    }
    Ok(())
}

#[test]
fn the_roll_up_answers_what_the_rows_do() -> Result<()> {
    let mut store = Store::open_in_memory()?;
    let (b, ids) = fill(store.conn(), 600)?;
    let c = store.conn();
    let total = report(c, &TrustQuery::default(), base() + Duration::days(60))?.totals;
    assert!(total.decisions > 600 && total.rolled_back > 0 && total.disagreements > 0);
    assert!(total.second_reviews > 0 && total.corrected > 0 && total.expired > 0);
    same_everywhere(c, "as written")?;

    // Rollbacks undone and done, an action removed, decisions removed.
    let tx = store.write()?;
    tx.execute(
        "UPDATE actions SET status = CASE status WHEN 'rolled_back' THEN 'executed'
             ELSE 'rolled_back' END
         WHERE backend_id = ?1 AND CAST(substr(action_id, 2) AS INTEGER) % 3 = 0",
        [&b],
    )?;
    tx.execute(
        "DELETE FROM actions WHERE backend_id = ?1 AND status = 'rolled_back' AND CAST(substr(action_id, 2) AS INTEGER) % 5 = 0",
        [&b],
    )?;
    tx.execute("DELETE FROM second_reviews WHERE decision_id % 7 = 0", [])?;
    for id in ids.iter().step_by(11) {
        tx.execute("DELETE FROM second_reviews WHERE decision_id = ?1", [id])?;
        tx.execute("DELETE FROM decisions WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    same_everywhere(store.conn(), "after changes")?;
    let left: i64 = store.conn().query_row(
        "SELECT count(*) FROM trust_daily_fields WHERE n <= 0",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(left, 0, "no empty field counts linger");
    Ok(())
}

#[test]
fn decisions_recorded_before_the_roll_up_are_counted_in_it() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let all = crate::db::migrations();
    // Every migration before 0018 (the roll-up), data, then the rest.
    let before: usize = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .map_err(|e| crate::StoreError::Invalid(e.to_string()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().as_ref() < "0018")
        .count();
    let migration = |e: rusqlite_migration::Error| crate::StoreError::Migration(e.to_string());
    all.to_version(&mut conn, before).map_err(migration)?;
    fill(&conn, 300)?;
    crate::db::migrations()
        .to_latest(&mut conn)
        .map_err(migration)?;
    let cells: i64 = conn.query_row("SELECT count(*) FROM trust_daily", [], |r| r.get(0))?;
    assert!(cells > 0, "back-filled");
    same_everywhere(&conn, "back-filled")?;
    Ok(())
}
