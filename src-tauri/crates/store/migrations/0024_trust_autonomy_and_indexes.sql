-- Writes a backend executed without review at an autonomy level (issue 15): the action's
-- `decided_by` is `autonomy:<level>` (sampled_approval, autonomous_within_caps). They are no
-- reviewer's decision, so they stay out of `decisions` and every reviewer metric; the trust
-- report counts them per workflow and level from these columns.
ALTER TABLE actions ADD COLUMN auto_level TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN decided_at_ms INTEGER;
UPDATE actions SET
    auto_level = substr(json_extract(body, '$.decided_by'), 10),
    decided_at_ms = coalesce(CAST(strftime('%s', json_extract(body, '$.decided_at')) AS INTEGER)
                             * 1000 + CAST(substr(strftime('%f', json_extract(body, '$.decided_at')), 4) AS INTEGER),
                             requested_at_ms)
WHERE json_extract(body, '$.decided_by') LIKE 'autonomy:%';
CREATE INDEX actions_auto_executed ON actions(decided_at_ms, workflow, kind, auto_level)
    WHERE auto_level <> '';

-- Trust view and scorecard at 1M runs / 100k decisions (issue 15, performance): indexes that
-- answer the scorecard's and the report's reads without a table lookup per row.
-- Decisions recorded before their run was synced (workflow ''), by time: the report reads
-- them row by row for every period; the partial index holds only them.
CREATE INDEX decisions_unsynced ON decisions(decided_at_ms) WHERE workflow = '';
-- A workflow's decisions with their audit event (the scorecard's "audit complete").
DROP INDEX decisions_by_workflow;
CREATE INDEX decisions_by_workflow ON decisions(workflow, decided_at_ms, audit_seq);
-- Expired and overdue actions by deadline (0014's index; stores made before it was added to
-- 0014 lack it, and the report names it).
CREATE INDEX IF NOT EXISTS actions_by_expiry ON actions(status, expires_at_ms, kind, workflow,
    run_id);
-- A workflow's executed writes with their undo and kind (the scorecard's "reversible").
DROP INDEX actions_by_workflow;
CREATE INDEX actions_by_workflow ON actions(workflow, status, requested_at_ms, rollback_supported,
    kind);

-- A weekly layer over the daily roll-up (Monday 00:00 UTC weeks; week_ms is the Monday): the
-- all-time report reads whole weeks here (a sixth of the daily cells) and only the days of
-- the partial weeks at its period's edges from `trust_daily`. Each weekly cell is the sum of
-- its (at most seven) daily cells, recomputed by trigger whenever one of them changes, so it
-- is exactly what the daily layer holds whatever wrote there.
CREATE TABLE trust_weekly (
    week_ms             INTEGER NOT NULL,
    workflow            TEXT NOT NULL,
    action_kind         TEXT NOT NULL,
    reviewer            TEXT NOT NULL,
    approve             INTEGER NOT NULL DEFAULT 0,
    approve_with_edits  INTEGER NOT NULL DEFAULT 0,
    deny                INTEGER NOT NULL DEFAULT 0,
    escalate            INTEGER NOT NULL DEFAULT 0,
    corrected           INTEGER NOT NULL DEFAULT 0,
    too_fast            INTEGER NOT NULL DEFAULT 0,
    citation_opens      INTEGER NOT NULL DEFAULT 0,
    with_citation_opens INTEGER NOT NULL DEFAULT 0,
    rolled_back         INTEGER NOT NULL DEFAULT 0,
    second_reviews      INTEGER NOT NULL DEFAULT 0,
    disagreements       INTEGER NOT NULL DEFAULT 0,
    ttds                TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (week_ms, workflow, action_kind, reviewer)
) STRICT, WITHOUT ROWID;
CREATE INDEX trust_weekly_by_workflow ON trust_weekly(workflow, week_ms);
CREATE INDEX trust_weekly_by_reviewer ON trust_weekly(reviewer, week_ms);

CREATE TABLE trust_weekly_fields (
    week_ms     INTEGER NOT NULL,
    workflow    TEXT NOT NULL,
    action_kind TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    field       TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (week_ms, workflow, action_kind, reviewer, field)
) STRICT, WITHOUT ROWID;

-- The cells so far. `d - ((d - 345600000) % 604800000 + 604800000) % 604800000` is the Monday
-- 00:00 UTC (ms) of the week holding `d` (1970-01-05 is the first Monday after the epoch).
INSERT INTO trust_weekly (week_ms, workflow, action_kind, reviewer, approve, approve_with_edits,
        deny, escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back,
        second_reviews, disagreements, ttds)
SELECT day_ms - ((day_ms - 345600000) % 604800000 + 604800000) % 604800000,
       workflow, action_kind, reviewer, sum(approve), sum(approve_with_edits), sum(deny),
       sum(escalate), sum(corrected), sum(too_fast), sum(citation_opens),
       sum(with_citation_opens), sum(rolled_back), sum(second_reviews), sum(disagreements),
       group_concat(ttds, '')
FROM trust_daily GROUP BY 1, 2, 3, 4;

INSERT INTO trust_weekly_fields (week_ms, workflow, action_kind, reviewer, field, n)
SELECT day_ms - ((day_ms - 345600000) % 604800000 + 604800000) % 604800000,
       workflow, action_kind, reviewer, field, sum(n)
FROM trust_daily_fields GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) > 0;

-- A weekly cell is recomputed from its daily cells whenever one of them is written or removed.
CREATE TRIGGER trust_daily_weekly_insert AFTER INSERT ON trust_daily
BEGIN
    DELETE FROM trust_weekly WHERE week_ms = (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) AND workflow = new.workflow
        AND action_kind = new.action_kind AND reviewer = new.reviewer;
    INSERT INTO trust_weekly (week_ms, workflow, action_kind, reviewer, approve, approve_with_edits, deny, escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back, second_reviews, disagreements, ttds)
    SELECT (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), workflow, action_kind, reviewer,
        sum(approve), sum(approve_with_edits), sum(deny), sum(escalate), sum(corrected), sum(too_fast), sum(citation_opens), sum(with_citation_opens), sum(rolled_back), sum(second_reviews), sum(disagreements),
        group_concat(ttds, '')
    FROM trust_daily
    WHERE day_ms IN ((new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 86400000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 172800000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 259200000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 345600000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 432000000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 518400000)
      AND workflow = new.workflow AND action_kind = new.action_kind AND reviewer = new.reviewer
    GROUP BY workflow, action_kind, reviewer;
END;
CREATE TRIGGER trust_daily_weekly_update AFTER UPDATE ON trust_daily
BEGIN
    DELETE FROM trust_weekly WHERE week_ms = (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) AND workflow = new.workflow
        AND action_kind = new.action_kind AND reviewer = new.reviewer;
    INSERT INTO trust_weekly (week_ms, workflow, action_kind, reviewer, approve, approve_with_edits, deny, escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back, second_reviews, disagreements, ttds)
    SELECT (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), workflow, action_kind, reviewer,
        sum(approve), sum(approve_with_edits), sum(deny), sum(escalate), sum(corrected), sum(too_fast), sum(citation_opens), sum(with_citation_opens), sum(rolled_back), sum(second_reviews), sum(disagreements),
        group_concat(ttds, '')
    FROM trust_daily
    WHERE day_ms IN ((new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 86400000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 172800000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 259200000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 345600000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 432000000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 518400000)
      AND workflow = new.workflow AND action_kind = new.action_kind AND reviewer = new.reviewer
    GROUP BY workflow, action_kind, reviewer;
END;
CREATE TRIGGER trust_daily_weekly_delete AFTER DELETE ON trust_daily
BEGIN
    DELETE FROM trust_weekly WHERE week_ms = (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) AND workflow = old.workflow
        AND action_kind = old.action_kind AND reviewer = old.reviewer;
    INSERT INTO trust_weekly (week_ms, workflow, action_kind, reviewer, approve, approve_with_edits, deny, escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back, second_reviews, disagreements, ttds)
    SELECT (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000), workflow, action_kind, reviewer,
        sum(approve), sum(approve_with_edits), sum(deny), sum(escalate), sum(corrected), sum(too_fast), sum(citation_opens), sum(with_citation_opens), sum(rolled_back), sum(second_reviews), sum(disagreements),
        group_concat(ttds, '')
    FROM trust_daily
    WHERE day_ms IN ((old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000), (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 86400000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 172800000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 259200000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 345600000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 432000000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 518400000)
      AND workflow = old.workflow AND action_kind = old.action_kind AND reviewer = old.reviewer
    GROUP BY workflow, action_kind, reviewer;
END;
CREATE TRIGGER trust_daily_fields_weekly_insert AFTER INSERT ON trust_daily_fields
BEGIN
    DELETE FROM trust_weekly_fields WHERE week_ms = (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) AND workflow = new.workflow
        AND action_kind = new.action_kind AND reviewer = new.reviewer AND field = new.field;
    INSERT INTO trust_weekly_fields (week_ms, workflow, action_kind, reviewer, field, n)
    SELECT (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), workflow, action_kind, reviewer, field, sum(n)
    FROM trust_daily_fields
    WHERE day_ms IN ((new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 86400000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 172800000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 259200000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 345600000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 432000000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 518400000)
      AND workflow = new.workflow AND action_kind = new.action_kind AND reviewer = new.reviewer
      AND field = new.field
    GROUP BY workflow, action_kind, reviewer, field HAVING sum(n) > 0;
END;
CREATE TRIGGER trust_daily_fields_weekly_update AFTER UPDATE ON trust_daily_fields
BEGIN
    DELETE FROM trust_weekly_fields WHERE week_ms = (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) AND workflow = new.workflow
        AND action_kind = new.action_kind AND reviewer = new.reviewer AND field = new.field;
    INSERT INTO trust_weekly_fields (week_ms, workflow, action_kind, reviewer, field, n)
    SELECT (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), workflow, action_kind, reviewer, field, sum(n)
    FROM trust_daily_fields
    WHERE day_ms IN ((new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000), (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 86400000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 172800000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 259200000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 345600000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 432000000, (new.day_ms - ((new.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 518400000)
      AND workflow = new.workflow AND action_kind = new.action_kind AND reviewer = new.reviewer
      AND field = new.field
    GROUP BY workflow, action_kind, reviewer, field HAVING sum(n) > 0;
END;
CREATE TRIGGER trust_daily_fields_weekly_delete AFTER DELETE ON trust_daily_fields
BEGIN
    DELETE FROM trust_weekly_fields WHERE week_ms = (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) AND workflow = old.workflow
        AND action_kind = old.action_kind AND reviewer = old.reviewer AND field = old.field;
    INSERT INTO trust_weekly_fields (week_ms, workflow, action_kind, reviewer, field, n)
    SELECT (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000), workflow, action_kind, reviewer, field, sum(n)
    FROM trust_daily_fields
    WHERE day_ms IN ((old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000), (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 86400000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 172800000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 259200000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 345600000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 432000000, (old.day_ms - ((old.day_ms - 345600000) % 604800000 + 604800000) % 604800000) + 518400000)
      AND workflow = old.workflow AND action_kind = old.action_kind AND reviewer = old.reviewer
      AND field = old.field
    GROUP BY workflow, action_kind, reviewer, field HAVING sum(n) > 0;
END;
