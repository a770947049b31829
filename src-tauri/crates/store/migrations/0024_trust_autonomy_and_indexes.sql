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
