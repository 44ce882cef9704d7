-- The chain's order is `seq`, as on PostgreSQL (where entries are sealed after commit, in the
-- order a sealer finds them). SQLite commits one writer at a time, so here an entry is sealed
-- as it is written, and `seq` follows `id`.
DROP TRIGGER audit_log_no_update;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
UPDATE audit_log SET seq = id;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused');
END;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (seq);

ALTER TABLE audit_anchor ADD COLUMN through_seq BIGINT NOT NULL DEFAULT 0;
UPDATE audit_anchor SET through_seq = through_id;
DROP TRIGGER audit_anchor_forward;
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.through_seq < OLD.through_seq OR NEW.through_id < OLD.through_id
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor only moves forward');
END;

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq IS NULL OR OLD.seq > COALESCE((SELECT through_seq FROM audit_anchor WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused (only archived entries may age out)');
END;
