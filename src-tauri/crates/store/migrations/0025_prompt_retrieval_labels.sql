-- Prompt and retrieval labels (issue 16): a run may name the prompt and the retrieval setup
-- (index or corpus snapshot) it ran with. They are kept beside the run so the readiness gate
-- sees a prompt-only or retrieval-only change as a new configuration. Empty = not named.
ALTER TABLE runs ADD COLUMN prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN retrieval TEXT NOT NULL DEFAULT '';
-- Bodies are stored as the backend sent them: labels sent before this version are read back.
UPDATE runs SET
    prompt = CASE WHEN json_type(body, '$.prompt') = 'text'
                  THEN json_extract(body, '$.prompt') ELSE '' END,
    retrieval = CASE WHEN json_type(body, '$.retrieval') = 'text'
                     THEN json_extract(body, '$.retrieval') ELSE '' END
WHERE instr(body, '"prompt"') > 0 OR instr(body, '"retrieval"') > 0;

ALTER TABLE golden_evals ADD COLUMN config_retrieval TEXT NOT NULL DEFAULT '';
-- A replay stopped by a server error: what it got is kept, the error named here.
ALTER TABLE golden_evals ADD COLUMN error TEXT;

-- The configurations a workflow has run with, now keyed on all four labels.
DROP TRIGGER runs_config_insert;
DROP TRIGGER runs_config_update;
DROP TABLE workflow_configs;
CREATE TABLE workflow_configs (
    workflow          TEXT NOT NULL,
    workflow_version  TEXT NOT NULL,
    model             TEXT NOT NULL,
    prompt            TEXT NOT NULL,
    retrieval         TEXT NOT NULL,
    first_ms          INTEGER NOT NULL,
    last_ms           INTEGER NOT NULL,
    PRIMARY KEY (workflow, workflow_version, model, prompt, retrieval)
) STRICT, WITHOUT ROWID;
CREATE INDEX workflow_configs_latest ON workflow_configs(workflow, last_ms DESC, first_ms DESC);

-- One sequential pass over the table (NOT INDEXED): walking an index and looking every row up
-- took 4× as long on a 1M-run store.
INSERT INTO workflow_configs (workflow, workflow_version, model, prompt, retrieval, first_ms, last_ms)
SELECT workflow, workflow_version, model, prompt, retrieval, min(started_at_ms), max(started_at_ms)
FROM runs NOT INDEXED GROUP BY workflow, workflow_version, model, prompt, retrieval;

-- Kept current by the store's write path (runs.rs, note_config) since 0026; no trigger.
