-- When each reviewer last opened each action's review panel, recorded by the app when the
-- panel asks (never taken from the caller of a decision): the time-to-decide of a decision
-- is measured from it, and an approval without a recorded opening is refused.

CREATE TABLE review_opens (
    backend_id    TEXT NOT NULL REFERENCES backends(backend_id) ON DELETE CASCADE,
    action_id     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    opened_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (backend_id, action_id, actor)
) STRICT;
