-- The audit log: who did what, when, from where. Append-only (UPDATE, DELETE and TRUNCATE are
-- refused here, whoever asks), and each entry carries a hash of its content chained to the
-- previous entry's, so that an edit or a gap made around these triggers is found by
-- `muni audit verify`. No foreign keys: an entry outlives the user and the content it names.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    site_id BIGINT,
    action TEXT NOT NULL,
    route TEXT,
    resource TEXT,
    resource_id TEXT,
    changes TEXT NOT NULL DEFAULT '[]',
    request_id TEXT,
    address TEXT,
    user_agent TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_resource ON audit_log (resource, resource_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION muni_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION muni_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION muni_audit_append_only();
