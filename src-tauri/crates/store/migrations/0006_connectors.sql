-- Backends of other kinds (LangGraph Server, Phoenix, Langfuse) carry per-kind settings
-- (project, which argument fields need confirmation per action name, ...) as JSON.
ALTER TABLE backends ADD COLUMN config TEXT NOT NULL DEFAULT '{}';

-- Trace stores hand out spans, not runs, and a trace's spans can arrive over several pages or
-- syncs: every span received is kept here so the trace's run can be rebuilt whole each time.
CREATE TABLE trace_spans (
    backend_id  TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    trace_id    TEXT NOT NULL,
    span_id     TEXT NOT NULL,
    body        BLOB NOT NULL,
    PRIMARY KEY (backend_id, trace_id, span_id)
) STRICT, WITHOUT ROWID;

-- Console settings edited in the UI (the model price table, the OTLP receiver), as JSON.
CREATE TABLE settings (
    key            TEXT PRIMARY KEY,
    value          TEXT NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) STRICT;
