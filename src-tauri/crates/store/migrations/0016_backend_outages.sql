-- When each backend was down, kept from the sync health changes (the `sync_health` row only
-- holds the latest state): a stretch opens at the first failed sync after a success and
-- closes at the next success. The failure review counts a stretch of at least
-- `health::DOWN_AFTER` failures as an outage.

CREATE TABLE backend_outages (
    id          INTEGER PRIMARY KEY,
    backend_id  TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    from_ms     INTEGER NOT NULL,
    until_ms    INTEGER,
    failures    INTEGER NOT NULL,
    last_error  TEXT
) STRICT;
CREATE INDEX backend_outages_by_backend ON backend_outages(backend_id, from_ms);

CREATE TRIGGER sync_health_outage_insert AFTER INSERT ON sync_health
WHEN new.consecutive_failures > 0
BEGIN
    INSERT INTO backend_outages (backend_id, from_ms, failures, last_error)
    VALUES (new.backend_id, coalesce(new.last_attempt_ms, 0), new.consecutive_failures,
            new.last_error);
END;
CREATE TRIGGER sync_health_outage_track AFTER UPDATE ON sync_health
WHEN new.consecutive_failures > 0
BEGIN
    INSERT INTO backend_outages (backend_id, from_ms, failures, last_error)
    SELECT new.backend_id, coalesce(new.last_attempt_ms, 0), 0, NULL
    WHERE old.consecutive_failures = 0;
    UPDATE backend_outages SET failures = new.consecutive_failures, last_error = new.last_error
    WHERE backend_id = new.backend_id AND until_ms IS NULL;
END;
CREATE TRIGGER sync_health_outage_close AFTER UPDATE ON sync_health
WHEN new.consecutive_failures = 0 AND old.consecutive_failures > 0
BEGIN
    UPDATE backend_outages SET until_ms = new.last_success_ms
    WHERE backend_id = new.backend_id AND until_ms IS NULL;
END;
