-- Audit retention: entries past MUNI_AUDIT_RETENTION_DAYS are exported to an archive file first,
-- then the anchor records the last one archived (its id and hash, and the file), and only then
-- may they be deleted: the trigger refuses to delete any entry after the anchor. The chain goes on
-- from the anchor's hash, so `muni audit verify` still checks every entry that remains.
CREATE TABLE audit_anchor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    through_id BIGINT NOT NULL,
    through_hash TEXT NOT NULL,
    archive TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

CREATE OR REPLACE FUNCTION muni_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.id <= COALESCE((SELECT through_id FROM audit_anchor WHERE id = 1), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused (only archived entries may age out)', TG_OP;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION muni_audit_anchor_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' OR NEW.through_id < OLD.through_id THEN
        RAISE EXCEPTION 'the audit anchor only moves forward';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE OR DELETE ON audit_anchor
    FOR EACH ROW EXECUTE FUNCTION muni_audit_anchor_forward();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION muni_audit_anchor_forward();
