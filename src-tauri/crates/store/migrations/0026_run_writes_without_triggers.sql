-- The runs table's row triggers move into the store's write path (runs.rs: note_config,
-- queue_for_failure_review). Any row trigger on a table makes SQLite keep a statement journal
-- of every page an INSERT or UPDATE touches (here the table and its 13 indexes, 32 KiB pages),
-- which cost more than half of the time of a synced run. Delete triggers stay: removals are rare.
-- (0025 dropped the configuration triggers and did not make new ones.)
DROP TRIGGER IF EXISTS runs_config_insert;
DROP TRIGGER IF EXISTS runs_config_update;
DROP TRIGGER runs_failure_queue_insert;
DROP TRIGGER runs_failure_queue_update;
