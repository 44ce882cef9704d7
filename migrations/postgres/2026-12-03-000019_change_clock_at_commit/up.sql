-- The change clock is taken at commit. A writing transaction used to take its tick (and lock the
-- clock's row) at its first change and hold it until commit, so every other writer waited for
-- all of its remaining statements and round trips (the revision snapshot, the audit entry, the
-- answer's reads): writes were as many per second as one over that whole span. Now a change is
-- logged with tick 0 ("not yet committed"; no other transaction can see such a row) and its
-- transaction's id, and deferred
-- constraint triggers, which PostgreSQL runs as the transaction commits, take the tick, stamp the
-- transaction's entries with it and advance the content version: the clock is held only for the
-- commit itself. The order stays commit order (the row is locked until the commit completes), so
-- a reader that has seen tick T has still seen every entry of every earlier tick.
--
-- The clock is always taken before the content version (here and in muni_touch_content, which
-- TRUNCATE still runs at once), so two commits never wait on each other in a cycle.

-- The transaction that wrote an entry, while it has no tick: its commit finds its own entries by
-- it (an index keyed by transaction, so the entries others left behind are never walked).
ALTER TABLE changes ADD COLUMN tx BIGINT;
CREATE INDEX changes_unstamped ON changes (tx) WHERE tick = 0;

CREATE OR REPLACE FUNCTION muni_record_change(resource TEXT, resource_id BIGINT, site_id BIGINT, op TEXT, was BOOLEAN, now_public BOOLEAN, entered TEXT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO changes (tick, tx, resource, resource_id, site_id, action, public, was_public, is_public, status)
    VALUES (0, txid_current(), resource, resource_id, site_id, lower(op), was OR now_public, was, now_public, entered);
$$;

-- Run at commit for every changed row of a logged or served table ('content' when the response
-- cache reads it). The first run of a transaction takes the tick and stamps the entries; a
-- transaction-local setting makes every later run a comparison (a bulk load queues one run per row).
CREATE FUNCTION muni_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    me CONSTANT TEXT := txid_current()::text;
    taken BIGINT;
BEGIN
    IF current_setting('muni.ticked', true) IS DISTINCT FROM me THEN
        taken := muni_change_tick();
        UPDATE changes SET tick = taken WHERE tx = txid_current() AND tick = 0;
        PERFORM set_config('muni.ticked', me, true);
    END IF;
    IF TG_ARGV[0] = 'content' AND current_setting('muni.touched', true) IS DISTINCT FROM me THEN
        UPDATE content_version SET version = version + 1, tx = txid_current()
            WHERE id = 1 AND tx IS DISTINCT FROM txid_current();
        PERFORM set_config('muni.touched', me, true);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER changes_at_commit AFTER INSERT ON changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('log');
DROP TRIGGER sites_touch ON sites;
CREATE TRIGGER sites_touch AFTER TRUNCATE ON sites FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER sites_at_commit AFTER INSERT OR UPDATE OR DELETE ON sites
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER categories_touch ON categories;
CREATE TRIGGER categories_touch AFTER TRUNCATE ON categories FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER categories_at_commit AFTER INSERT OR UPDATE OR DELETE ON categories
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER articles_touch ON articles;
CREATE TRIGGER articles_touch AFTER TRUNCATE ON articles FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER articles_at_commit AFTER INSERT OR UPDATE OR DELETE ON articles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER article_tags_touch ON article_tags;
CREATE TRIGGER article_tags_touch AFTER TRUNCATE ON article_tags FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER article_tags_at_commit AFTER INSERT OR UPDATE OR DELETE ON article_tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER article_slugs_touch ON article_slugs;
CREATE TRIGGER article_slugs_touch AFTER TRUNCATE ON article_slugs FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER article_slugs_at_commit AFTER INSERT OR UPDATE OR DELETE ON article_slugs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER events_touch ON events;
CREATE TRIGGER events_touch AFTER TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER events_at_commit AFTER INSERT OR UPDATE OR DELETE ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER procedures_touch ON procedures;
CREATE TRIGGER procedures_touch AFTER TRUNCATE ON procedures FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER procedures_at_commit AFTER INSERT OR UPDATE OR DELETE ON procedures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER fields_touch ON fields;
CREATE TRIGGER fields_touch AFTER TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER fields_at_commit AFTER INSERT OR UPDATE OR DELETE ON fields
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
DROP TRIGGER privacy_notices_touch ON privacy_notices;
CREATE TRIGGER privacy_notices_touch AFTER TRUNCATE ON privacy_notices FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE CONSTRAINT TRIGGER privacy_notices_at_commit AFTER INSERT OR UPDATE OR DELETE ON privacy_notices
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
-- Only the public name of a user appears in served content.
DROP TRIGGER users_touch ON users;
CREATE CONSTRAINT TRIGGER users_at_commit AFTER UPDATE OF display_name OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION muni_at_commit('content');
