-- Golden sets (issue 16): per workflow, versioned lists of recorded runs with what a replay
-- must do; evals (a configuration's replay of a version) with their runs and report; and the
-- configurations (workflow version + model) each workflow has run with, kept by triggers on
-- `runs` so the readiness gate reads a few rows instead of the runs.

-- Every change of a workflow's set makes a new version holding all of its cases.
CREATE TABLE golden_versions (
    workflow       TEXT NOT NULL,
    version        INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    change         TEXT NOT NULL,
    cases          INTEGER NOT NULL,
    PRIMARY KEY (workflow, version)
) STRICT;

CREATE TABLE golden_cases (
    workflow    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    case_id     TEXT NOT NULL,
    backend_id  TEXT NOT NULL,
    run         TEXT NOT NULL,
    expect      TEXT NOT NULL,
    PRIMARY KEY (workflow, version, case_id),
    FOREIGN KEY (workflow, version) REFERENCES golden_versions(workflow, version)
) STRICT;
CREATE INDEX golden_cases_in_order ON golden_cases(workflow, version, position);

CREATE TABLE golden_evals (
    eval_id        TEXT PRIMARY KEY,
    backend_id     TEXT NOT NULL,
    workflow       TEXT NOT NULL,
    set_version    INTEGER NOT NULL,
    config_version TEXT NOT NULL,
    config_model   TEXT NOT NULL,
    config_prompt  TEXT NOT NULL,
    baseline_eval  TEXT,
    started_at_ms  INTEGER NOT NULL,
    passed         INTEGER,
    report         TEXT
) STRICT;
CREATE INDEX golden_evals_by_workflow ON golden_evals(workflow, started_at_ms DESC);

-- The runs an eval reported, one per case.
CREATE TABLE golden_eval_runs (
    eval_id  TEXT NOT NULL REFERENCES golden_evals(eval_id) ON DELETE CASCADE,
    case_id  TEXT NOT NULL,
    run      TEXT NOT NULL,
    PRIMARY KEY (eval_id, case_id)
) STRICT;

CREATE TABLE workflow_configs (
    workflow          TEXT NOT NULL,
    workflow_version  TEXT NOT NULL,
    model             TEXT NOT NULL,
    first_ms          INTEGER NOT NULL,
    last_ms           INTEGER NOT NULL,
    PRIMARY KEY (workflow, workflow_version, model)
) STRICT, WITHOUT ROWID;

INSERT INTO workflow_configs (workflow, workflow_version, model, first_ms, last_ms)
SELECT workflow, workflow_version, model, min(started_at_ms), max(started_at_ms)
FROM runs GROUP BY workflow, workflow_version, model;

CREATE TRIGGER runs_config_insert AFTER INSERT ON runs
BEGIN
    INSERT INTO workflow_configs (workflow, workflow_version, model, first_ms, last_ms)
    VALUES (new.workflow, new.workflow_version, new.model, new.started_at_ms, new.started_at_ms)
    ON CONFLICT (workflow, workflow_version, model) DO UPDATE SET
        first_ms = min(first_ms, excluded.first_ms),
        last_ms = max(last_ms, excluded.last_ms);
END;

CREATE TRIGGER runs_config_update AFTER UPDATE OF workflow, workflow_version, model ON runs
WHEN old.workflow IS NOT new.workflow OR old.workflow_version IS NOT new.workflow_version
  OR old.model IS NOT new.model
BEGIN
    INSERT INTO workflow_configs (workflow, workflow_version, model, first_ms, last_ms)
    VALUES (new.workflow, new.workflow_version, new.model, new.started_at_ms, new.started_at_ms)
    ON CONFLICT (workflow, workflow_version, model) DO UPDATE SET
        first_ms = min(first_ms, excluded.first_ms),
        last_ms = max(last_ms, excluded.last_ms);
END;
