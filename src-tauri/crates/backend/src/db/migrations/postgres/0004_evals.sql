-- Evals (issue 16): a configuration's replay of a golden set's cases in eval mode. Their runs
-- live here, never in `runs`, so the run feed, budgets and actions never see them; their
-- proposed writes are recorded in the run bodies and never executed.
CREATE TABLE evals(
    eval_id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    config TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    requested_by TEXT NOT NULL
);
CREATE TABLE eval_runs(
    eval_id TEXT NOT NULL REFERENCES evals(eval_id),
    position BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (eval_id, case_id)
);
