-- When this console last changed a backend's settings there: its budgets ("budgets") or one
-- workflow's autonomy level ("autonomy:<workflow>"). A sync snapshot fetched before that moment
-- may predate the change, so it must not overwrite what the console just recorded.
CREATE TABLE local_setting_writes (
    backend_id TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    at_ms      INTEGER NOT NULL,
    PRIMARY KEY (backend_id, subject)
) STRICT, WITHOUT ROWID;
