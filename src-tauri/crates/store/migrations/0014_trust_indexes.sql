-- Trust report filters (issue 15): one workflow's or one reviewer's decisions in a period are
-- read through an index instead of scanning every decision.
CREATE INDEX decisions_by_workflow ON decisions(workflow, decided_at_ms);
CREATE INDEX decisions_by_reviewer ON decisions(reviewer, decided_at_ms);
-- Expired and overdue actions by deadline, covering what the trust view reads of them.
CREATE INDEX actions_by_expiry ON actions(status, expires_at_ms, kind, workflow, run_id);
