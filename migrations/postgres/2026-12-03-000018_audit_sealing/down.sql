CREATE OR REPLACE FUNCTION muni_audit_anchor_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' OR NEW.through_id < OLD.through_id THEN
        RAISE EXCEPTION 'the audit anchor only moves forward';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION muni_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.id <= COALESCE((SELECT through_id FROM audit_anchor WHERE id = 1), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused (only archived entries may age out)', TG_OP;
END
$$ LANGUAGE plpgsql;
ALTER TABLE audit_anchor DROP COLUMN through_seq;
DROP INDEX audit_log_unsealed;
DROP INDEX audit_log_chain;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed_whole;
-- Entries still awaiting their seal cannot go back to the NOT NULL columns: seal them first.
ALTER TABLE audit_log ALTER COLUMN hash SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE audit_log DROP COLUMN seq;
