-- The content version: one counter that every change to publicly served content advances, in the
-- same transaction as the change. The response cache (src/cache.rs) keeps a shared response only
-- while the counter still reads what it read before computing that response, so a change made by
-- any process (another API node, the CLI, a hand-written UPDATE) is visible on the next request.
-- These triggers are the only writers: a table read by a cached route must have them.
CREATE TABLE content_version (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    -- The transaction that last advanced it.
    tx      BIGINT
);
INSERT INTO content_version (id, version) VALUES (1, 1);

CREATE FUNCTION muni_touch_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction is enough (readers see the counter only after the commit), and a bulk
    -- load that updated the one row at every statement would make each update slower than the last.
    UPDATE content_version SET version = version + 1, tx = txid_current()
        WHERE id = 1 AND tx IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$;

CREATE TRIGGER sites_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sites FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER categories_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER articles_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER article_tags_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_tags FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER article_slugs_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_slugs FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER events_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER procedures_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedures FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
CREATE TRIGGER fields_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
-- Only the public name of a user appears in served content.
CREATE TRIGGER users_touch AFTER UPDATE OF display_name OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
