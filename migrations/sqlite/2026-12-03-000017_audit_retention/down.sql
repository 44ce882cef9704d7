DROP TRIGGER audit_anchor_no_delete;
DROP TRIGGER audit_anchor_forward;
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused');
END;
DROP TABLE audit_anchor;
