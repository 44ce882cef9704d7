-- Audit retention: entries past MUNI_AUDIT_RETENTION_DAYS are exported to an archive file first,
-- then the anchor records the last one archived (its id and hash, and the file), and only then
-- may they be deleted: the triggers refuse to delete any entry after the anchor. The chain goes on
-- from the anchor's hash, so `muni audit verify` still checks every entry that remains.
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through_id BIGINT NOT NULL,
    through_hash TEXT NOT NULL,
    archive TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.id > COALESCE((SELECT through_id FROM audit_anchor WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused (only archived entries may age out)');
END;

CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.through_id < OLD.through_id
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor only moves forward');
END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor cannot be deleted');
END;
