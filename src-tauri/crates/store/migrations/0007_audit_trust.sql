-- Trust for audit bundles. `trusted_keys` holds the Ed25519 public keys the admin trusts:
-- installation keys (whose bundles the console's Verify accepts) and backend keys (whose
-- checkpoint receipts anchor the chain). Every change is recorded in the audit trail.
CREATE TABLE trusted_keys (
    public_key   TEXT PRIMARY KEY CHECK (length(public_key) = 64),
    role         TEXT NOT NULL CHECK (role IN ('installation', 'backend')),
    label        TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('this_installation', 'imported', 'pinned')),
    backend_id   TEXT,
    added_at_ms  INTEGER NOT NULL
) STRICT;

-- Checkpoint receipts: a backend's Ed25519 countersignature over the console's chain head
-- (installation key, seq, head hash, time). Kept as the backend sent them (`body`, canonical
-- JSON) and never changed or deleted, not even when the backend is removed: they are what
-- anchors the history outside this machine.
CREATE TABLE checkpoint_receipts (
    id                INTEGER PRIMARY KEY,
    backend_id        TEXT NOT NULL,
    installation_key  TEXT NOT NULL,
    seq               INTEGER NOT NULL,
    head_hash         TEXT NOT NULL,
    backend_key       TEXT NOT NULL,
    received_at_ms    INTEGER NOT NULL,
    body              TEXT NOT NULL,
    UNIQUE (backend_key, installation_key, seq)
) STRICT;
CREATE INDEX checkpoint_receipts_by_seq ON checkpoint_receipts(installation_key, seq);

CREATE TRIGGER checkpoint_receipts_append_only_update BEFORE UPDATE ON checkpoint_receipts
BEGIN
    SELECT RAISE(ABORT, 'checkpoint receipts are append-only');
END;
CREATE TRIGGER checkpoint_receipts_append_only_delete BEFORE DELETE ON checkpoint_receipts
BEGIN
    SELECT RAISE(ABORT, 'checkpoint receipts are append-only');
END;
