DROP TABLE audit_anchor;
DROP FUNCTION muni_audit_anchor_forward();
CREATE OR REPLACE FUNCTION muni_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql;
