-- Backend tokens only go over https (or plain http to this machine) unless the admin allows
-- plain http for that backend explicitly; the choice is recorded in the audit trail.
ALTER TABLE backends ADD COLUMN allow_http INTEGER NOT NULL DEFAULT 0;
