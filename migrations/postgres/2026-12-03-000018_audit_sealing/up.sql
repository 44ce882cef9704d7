-- Sealing after commit. A write appends its audit entry without a place in the chain (`seq`,
-- `prev_hash` and `hash` empty), in its own transaction, taking no lock: the chain's lock and the
-- read of the last hash were on the path of every staff write, while the change clock was held.
-- One sealer at a time (any node's; an advisory lock) then gives the committed entries their
-- place, in order, and their hashes. The chain follows `seq`, not `id`: ids are taken at insert,
-- so a later id can commit first. The only UPDATE the trigger lets through is that sealing, once,
-- changing nothing else; an entry waiting for its seal cannot be deleted.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
UPDATE audit_log SET seq = id;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_sealed_whole
    CHECK ((seq IS NULL AND prev_hash IS NULL AND hash IS NULL)
        OR (seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL));
CREATE UNIQUE INDEX audit_log_chain ON audit_log (seq);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;

-- The anchor names the last entry archived by its id and by its place in the chain.
ALTER TABLE audit_anchor ADD COLUMN through_seq BIGINT;
UPDATE audit_anchor SET through_seq = through_id;
ALTER TABLE audit_anchor ALTER COLUMN through_seq SET NOT NULL;

CREATE OR REPLACE FUNCTION muni_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.seq <= COALESCE((SELECT through_seq FROM audit_anchor WHERE id = 1), 0) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
        AND (NEW.id, NEW.at, NEW.actor_id, NEW.actor_role, NEW.site_id, NEW.action, NEW.route, NEW.resource,
             NEW.resource_id, NEW.changes, NEW.request_id, NEW.address, NEW.user_agent, NEW.detail)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.at, OLD.actor_id, OLD.actor_role, OLD.site_id, OLD.action, OLD.route, OLD.resource,
             OLD.resource_id, OLD.changes, OLD.request_id, OLD.address, OLD.user_agent, OLD.detail) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused (only archived entries may age out, and only an entry awaiting its seal may be sealed)', TG_OP;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION muni_audit_anchor_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' OR NEW.through_seq < OLD.through_seq OR NEW.through_id < OLD.through_id THEN
        RAISE EXCEPTION 'the audit anchor only moves forward';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
