-- Trust report pre-aggregation (issue 15, performance): per UTC day, workflow, action kind and
-- reviewer, every count the trust view shows, kept in step with `decisions`, `second_reviews`
-- and the actions' rolled-back status by trigger (so every write path and bulk SQL maintain
-- it). A report reads whole days here and only the partial days at its period's edges (and
-- decisions whose run was not synced yet, workflow '') from `decisions`.
--
-- `ttds` holds every time to decide of the cell as `ms * 2 + too_fast` followed by ',', so the
-- report computes exact percentiles and the distribution (with its too-fast share) from it.

CREATE TABLE trust_daily (
    day_ms              INTEGER NOT NULL,
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
    PRIMARY KEY (day_ms, workflow, action_kind, reviewer)
) STRICT, WITHOUT ROWID;
CREATE INDEX trust_daily_by_workflow ON trust_daily(workflow, day_ms);
CREATE INDEX trust_daily_by_reviewer ON trust_daily(reviewer, day_ms);

-- Corrections of approvals per cell and field.
CREATE TABLE trust_daily_fields (
    day_ms      INTEGER NOT NULL,
    workflow    TEXT NOT NULL,
    action_kind TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    field       TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (day_ms, workflow, action_kind, reviewer, field)
) STRICT, WITHOUT ROWID;

-- The decisions recorded so far.
INSERT INTO trust_daily (day_ms, workflow, action_kind, reviewer, approve, approve_with_edits,
        deny, escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back,
        second_reviews, disagreements, ttds)
SELECT d.decided_at_ms / 86400000 * 86400000, d.workflow, d.action_kind, d.reviewer,
       sum(d.decision = 'approve'), sum(d.decision = 'approve_with_edits'),
       sum(d.decision = 'deny'), sum(d.decision = 'escalate'),
       sum(d.decision IN ('approve', 'approve_with_edits')
           AND json_array_length(d.corrected_fields) > 0),
       sum(d.too_fast), sum(d.citation_opens), sum(d.citation_opens > 0),
       sum(d.decision IN ('approve', 'approve_with_edits') AND EXISTS (SELECT 1 FROM actions a
           WHERE a.backend_id = d.backend_id AND a.action_id = d.action_id
             AND a.status = 'rolled_back')),
       count(s.decision_id), coalesce(sum(s.disagrees), 0),
       coalesce(group_concat((d.time_to_decide_ms * 2 + d.too_fast) || ',', ''), '')
FROM decisions d LEFT JOIN second_reviews s ON s.decision_id = d.id
WHERE d.workflow <> '' AND d.decided_at_ms >= 0
GROUP BY 1, 2, 3, 4;

INSERT INTO trust_daily_fields (day_ms, workflow, action_kind, reviewer, field, n)
SELECT d.decided_at_ms / 86400000 * 86400000, d.workflow, d.action_kind, d.reviewer, j.value,
       count(*)
FROM decisions d, json_each(d.corrected_fields) j
WHERE d.workflow <> '' AND d.decided_at_ms >= 0
  AND d.decision IN ('approve', 'approve_with_edits')
GROUP BY 1, 2, 3, 4, 5;

-- A decision enters its cell (decisions before 1970 or not yet tied to a workflow stay out:
-- the report reads those from `decisions`).
CREATE TRIGGER decisions_trust_insert AFTER INSERT ON decisions
WHEN new.workflow <> '' AND new.decided_at_ms >= 0
BEGIN
    INSERT INTO trust_daily (day_ms, workflow, action_kind, reviewer, approve,
            approve_with_edits, deny, escalate, corrected, too_fast, citation_opens,
            with_citation_opens, rolled_back, second_reviews, disagreements, ttds)
    SELECT new.decided_at_ms / 86400000 * 86400000, new.workflow, new.action_kind,
           new.reviewer, new.decision = 'approve', new.decision = 'approve_with_edits',
           new.decision = 'deny', new.decision = 'escalate',
           new.decision IN ('approve', 'approve_with_edits')
               AND json_array_length(new.corrected_fields) > 0,
           new.too_fast, new.citation_opens, new.citation_opens > 0,
           new.decision IN ('approve', 'approve_with_edits') AND EXISTS (SELECT 1 FROM actions a
               WHERE a.backend_id = new.backend_id AND a.action_id = new.action_id
                 AND a.status = 'rolled_back'),
           (SELECT count(*) FROM second_reviews WHERE decision_id = new.id),
           coalesce((SELECT sum(disagrees) FROM second_reviews WHERE decision_id = new.id), 0),
           coalesce((new.time_to_decide_ms * 2 + new.too_fast) || ',', '')
    WHERE true
    ON CONFLICT DO UPDATE SET
        approve = approve + excluded.approve,
        approve_with_edits = approve_with_edits + excluded.approve_with_edits,
        deny = deny + excluded.deny,
        escalate = escalate + excluded.escalate,
        corrected = corrected + excluded.corrected,
        too_fast = too_fast + excluded.too_fast,
        citation_opens = citation_opens + excluded.citation_opens,
        with_citation_opens = with_citation_opens + excluded.with_citation_opens,
        rolled_back = rolled_back + excluded.rolled_back,
        second_reviews = second_reviews + excluded.second_reviews,
        disagreements = disagreements + excluded.disagreements,
        ttds = ttds || excluded.ttds;
    INSERT INTO trust_daily_fields (day_ms, workflow, action_kind, reviewer, field, n)
    SELECT new.decided_at_ms / 86400000 * 86400000, new.workflow, new.action_kind,
           new.reviewer, j.value, 1
    FROM json_each(new.corrected_fields) j
    WHERE new.decision IN ('approve', 'approve_with_edits')
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- A decision leaves its cell (decisions are written once; this keeps the roll-up exact if one
-- is ever removed or rewritten). One occurrence of its time to decide is cut from `ttds`.
CREATE TRIGGER decisions_trust_delete AFTER DELETE ON decisions
WHEN old.workflow <> '' AND old.decided_at_ms >= 0
BEGIN
    UPDATE trust_daily SET
        approve = approve - (old.decision = 'approve'),
        approve_with_edits = approve_with_edits - (old.decision = 'approve_with_edits'),
        deny = deny - (old.decision = 'deny'),
        escalate = escalate - (old.decision = 'escalate'),
        corrected = corrected - (old.decision IN ('approve', 'approve_with_edits')
            AND json_array_length(old.corrected_fields) > 0),
        too_fast = too_fast - old.too_fast,
        citation_opens = citation_opens - old.citation_opens,
        with_citation_opens = with_citation_opens - (old.citation_opens > 0),
        rolled_back = rolled_back - (old.decision IN ('approve', 'approve_with_edits')
            AND EXISTS (SELECT 1 FROM actions a WHERE a.backend_id = old.backend_id
                        AND a.action_id = old.action_id AND a.status = 'rolled_back')),
        second_reviews = second_reviews
            - (SELECT count(*) FROM second_reviews WHERE decision_id = old.id),
        disagreements = disagreements
            - coalesce((SELECT sum(disagrees) FROM second_reviews WHERE decision_id = old.id), 0),
        ttds = CASE WHEN old.time_to_decide_ms IS NULL THEN ttds ELSE
            substr(ttds, 1, instr(',' || ttds,
                ',' || (old.time_to_decide_ms * 2 + old.too_fast) || ',') - 1)
            || substr(ttds, instr(',' || ttds,
                ',' || (old.time_to_decide_ms * 2 + old.too_fast) || ',')
                + length((old.time_to_decide_ms * 2 + old.too_fast) || ','))
            END
    WHERE day_ms = old.decided_at_ms / 86400000 * 86400000 AND workflow = old.workflow
      AND action_kind = old.action_kind AND reviewer = old.reviewer;
    UPDATE trust_daily_fields SET n = n - (SELECT count(*) FROM json_each(old.corrected_fields) j
                                           WHERE j.value = trust_daily_fields.field)
    WHERE old.decision IN ('approve', 'approve_with_edits')
      AND day_ms = old.decided_at_ms / 86400000 * 86400000 AND workflow = old.workflow
      AND action_kind = old.action_kind AND reviewer = old.reviewer;
    DELETE FROM trust_daily_fields WHERE n <= 0;
END;

-- Second opinions count in the cell of the decision they review.
CREATE TRIGGER second_reviews_trust_insert AFTER INSERT ON second_reviews
BEGIN
    UPDATE trust_daily SET second_reviews = second_reviews + 1,
        disagreements = disagreements + new.disagrees
    FROM (SELECT decided_at_ms / 86400000 * 86400000 AS day, workflow AS wf, action_kind AS kind,
                 reviewer AS rev
          FROM decisions WHERE id = new.decision_id AND workflow <> '' AND decided_at_ms >= 0) d
    WHERE day_ms = d.day AND workflow = d.wf AND action_kind = d.kind AND reviewer = d.rev;
END;
CREATE TRIGGER second_reviews_trust_delete AFTER DELETE ON second_reviews
BEGIN
    UPDATE trust_daily SET second_reviews = second_reviews - 1,
        disagreements = disagreements - old.disagrees
    FROM (SELECT decided_at_ms / 86400000 * 86400000 AS day, workflow AS wf, action_kind AS kind,
                 reviewer AS rev
          FROM decisions WHERE id = old.decision_id AND workflow <> '' AND decided_at_ms >= 0) d
    WHERE day_ms = d.day AND workflow = d.wf AND action_kind = d.kind AND reviewer = d.rev;
END;

-- An approved write rolled back (or its action leaving that status, or the store) moves the
-- rolled-back count of every cell holding an approval of it.
CREATE TRIGGER actions_trust_rolled_insert AFTER INSERT ON actions
WHEN new.status = 'rolled_back'
BEGIN
    UPDATE trust_daily SET rolled_back = rolled_back + d.n
    FROM (SELECT decided_at_ms / 86400000 * 86400000 AS day, workflow AS wf, action_kind AS kind,
                 reviewer AS rev, count(*) AS n
          FROM decisions WHERE backend_id = new.backend_id AND action_id = new.action_id
            AND decision IN ('approve', 'approve_with_edits') AND workflow <> ''
            AND decided_at_ms >= 0
          GROUP BY 1, 2, 3, 4) d
    WHERE day_ms = d.day AND workflow = d.wf AND action_kind = d.kind AND reviewer = d.rev;
END;
CREATE TRIGGER actions_trust_rolled_update AFTER UPDATE OF status ON actions
WHEN (old.status = 'rolled_back') <> (new.status = 'rolled_back')
BEGIN
    UPDATE trust_daily SET
        rolled_back = rolled_back + d.n * (CASE WHEN new.status = 'rolled_back' THEN 1 ELSE -1 END)
    FROM (SELECT decided_at_ms / 86400000 * 86400000 AS day, workflow AS wf, action_kind AS kind,
                 reviewer AS rev, count(*) AS n
          FROM decisions WHERE backend_id = new.backend_id AND action_id = new.action_id
            AND decision IN ('approve', 'approve_with_edits') AND workflow <> ''
            AND decided_at_ms >= 0
          GROUP BY 1, 2, 3, 4) d
    WHERE day_ms = d.day AND workflow = d.wf AND action_kind = d.kind AND reviewer = d.rev;
END;
CREATE TRIGGER actions_trust_rolled_delete AFTER DELETE ON actions
WHEN old.status = 'rolled_back'
BEGIN
    UPDATE trust_daily SET rolled_back = rolled_back - d.n
    FROM (SELECT decided_at_ms / 86400000 * 86400000 AS day, workflow AS wf, action_kind AS kind,
                 reviewer AS rev, count(*) AS n
          FROM decisions WHERE backend_id = old.backend_id AND action_id = old.action_id
            AND decision IN ('approve', 'approve_with_edits') AND workflow <> ''
            AND decided_at_ms >= 0
          GROUP BY 1, 2, 3, 4) d
    WHERE day_ms = d.day AND workflow = d.wf AND action_kind = d.kind AND reviewer = d.rev;
END;
