DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.id > COALESCE((SELECT through_id FROM audit_anchor WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused (only archived entries may age out)');
END;
DROP TRIGGER audit_anchor_forward;
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.through_id < OLD.through_id
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor only moves forward');
END;
ALTER TABLE audit_anchor DROP COLUMN through_seq;
DROP INDEX audit_log_chain;
ALTER TABLE audit_log DROP COLUMN seq;
