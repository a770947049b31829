-- Trust and readiness (issue 15): the console's own record of every decision it made, in
-- columns the trust view groups and filters on; citation opens; blind second reviews; and the
-- roll-up columns the readiness scorecard reads instead of scanning run bodies.

-- One row per decision this console queued (approve, approve with edits, deny, escalate), for
-- every backend kind, written in the same transaction as its outbox entry and audit event.
-- Expired actions are not decisions: the trust view reads them from `actions`.
CREATE TABLE decisions (
    id                 INTEGER PRIMARY KEY,
    backend_id         TEXT NOT NULL,
    action_id          TEXT NOT NULL,
    run_id             TEXT NOT NULL,
    -- The run's workflow when decided ('' when the run was not synced yet).
    workflow           TEXT NOT NULL,
    action_kind        TEXT NOT NULL,
    reviewer           TEXT NOT NULL,
    decision           TEXT NOT NULL
        CHECK (decision IN ('approve', 'approve_with_edits', 'deny', 'escalate')),
    decided_at_ms      INTEGER NOT NULL,
    -- From the reviewer's latest recorded opening; NULL when there was none.
    time_to_decide_ms  INTEGER,
    too_fast           INTEGER NOT NULL,
    -- JSON array of the names of the fields the reviewer corrected ('[]' when none).
    corrected_fields   TEXT NOT NULL DEFAULT '[]',
    -- Citations or sources this reviewer opened for the action's run before deciding.
    citation_opens     INTEGER NOT NULL DEFAULT 0,
    -- Uniform in 0..10000, fixed at insert: the decision is in the second-review sample while
    -- sample_key < share in basis points, so a larger share keeps every earlier pick.
    sample_key         INTEGER NOT NULL,
    audit_seq          INTEGER
) STRICT;
CREATE INDEX decisions_by_time ON decisions(decided_at_ms);
CREATE INDEX decisions_by_action ON decisions(backend_id, action_id);
CREATE INDEX decisions_by_sample ON decisions(sample_key, decided_at_ms DESC);

-- Decisions recorded before this table existed come from their audit events.
INSERT INTO decisions (backend_id, action_id, run_id, workflow, action_kind, reviewer, decision,
        decided_at_ms, time_to_decide_ms, too_fast, corrected_fields, citation_opens, sample_key,
        audit_seq)
SELECT substr(e.subject, 1, instr(e.subject, '/') - 1),
       substr(e.subject, instr(e.subject, '/') + 1),
       coalesce(json_extract(e.details, '$.run_id'), ''),
       coalesce((SELECT r.workflow FROM runs r
                 WHERE r.backend_id = substr(e.subject, 1, instr(e.subject, '/') - 1)
                   AND r.run_id = json_extract(e.details, '$.run_id')), ''),
       coalesce(json_extract(e.details, '$.action_kind'), ''),
       e.actor,
       json_extract(e.details, '$.decision'),
       e.at_ms,
       json_extract(e.details, '$.time_to_decide_ms'),
       coalesce(json_extract(e.details, '$.too_fast'), 0),
       coalesce((SELECT json_group_array(json_extract(c.value, '$.field'))
                 FROM json_each(e.details, '$.corrections') c), '[]'),
       0,
       abs(random() % 10000),
       e.seq
FROM audit_events e
WHERE e.kind = 'decision' AND instr(e.subject, '/') > 0
  AND json_extract(e.details, '$.decision')
      IN ('approve', 'approve_with_edits', 'deny', 'escalate');

-- A reviewer (or operator) opened a citation or its source; also an audit event.
CREATE TABLE citation_opens (
    id            INTEGER PRIMARY KEY,
    backend_id    TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    action_id     TEXT,
    actor         TEXT NOT NULL,
    doc_id        TEXT NOT NULL,
    target        TEXT NOT NULL CHECK (target IN ('passage', 'source')),
    opened_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX citation_opens_by_run ON citation_opens(backend_id, run_id, actor);

-- A blind second opinion on a sampled decision: recorded, never executed.
CREATE TABLE second_reviews (
    decision_id    INTEGER PRIMARY KEY REFERENCES decisions(id),
    reviewer       TEXT NOT NULL,
    would_approve  INTEGER NOT NULL,
    -- 1 when the second reviewer would not have done what the first did (approve vs not).
    disagrees      INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    reviewed_at_ms INTEGER NOT NULL
) STRICT;

-- The workflow of an action's run and whether the write can be undone, as columns.
ALTER TABLE actions ADD COLUMN workflow TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN rollback_supported INTEGER NOT NULL DEFAULT 0;
UPDATE actions SET
    rollback_supported = coalesce(json_extract(body, '$.rollback_supported'), 0),
    workflow = coalesce((SELECT r.workflow FROM runs r
                         WHERE r.backend_id = actions.backend_id AND r.run_id = actions.run_id), '');
CREATE INDEX actions_by_workflow ON actions(workflow, status, requested_at_ms);

-- Runs citing at least one source, and citing at least one stale or deprecated one, per day.
ALTER TABLE runs ADD COLUMN citations INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET citations = json_array_length(body, '$.citations')
WHERE json_array_length(body, '$.citations') > 0;
ALTER TABLE run_daily ADD COLUMN cited_runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_daily ADD COLUMN stale_runs INTEGER NOT NULL DEFAULT 0;
UPDATE run_daily SET
    cited_runs = (SELECT count(*) FROM runs r
                  WHERE r.backend_id = run_daily.backend_id AND r.workflow = run_daily.workflow
                    AND r.model = run_daily.model AND r.outcome = run_daily.outcome
                    AND r.started_at_ms >= run_daily.day_ms
                    AND r.started_at_ms < run_daily.day_ms + 86400000 AND r.citations > 0),
    stale_runs = (SELECT count(*) FROM runs r
                  WHERE r.backend_id = run_daily.backend_id AND r.workflow = run_daily.workflow
                    AND r.model = run_daily.model AND r.outcome = run_daily.outcome
                    AND r.started_at_ms >= run_daily.day_ms
                    AND r.started_at_ms < run_daily.day_ms + 86400000
                    AND r.citation_warnings > 0)
WHERE stale_citations > 0 OR runs > 0;

-- The scorecard's "no run over a cap": a workflow's most expensive runs, first.
CREATE INDEX runs_by_workflow_cost ON runs(workflow, cost_micros DESC, started_at_ms);
