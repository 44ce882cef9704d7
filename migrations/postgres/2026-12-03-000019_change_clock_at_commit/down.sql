DROP TRIGGER users_at_commit ON users;
CREATE TRIGGER users_touch AFTER UPDATE OF display_name OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER sites_at_commit ON sites;
DROP TRIGGER sites_touch ON sites;
CREATE TRIGGER sites_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sites FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER categories_at_commit ON categories;
DROP TRIGGER categories_touch ON categories;
CREATE TRIGGER categories_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER articles_at_commit ON articles;
DROP TRIGGER articles_touch ON articles;
CREATE TRIGGER articles_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER article_tags_at_commit ON article_tags;
DROP TRIGGER article_tags_touch ON article_tags;
CREATE TRIGGER article_tags_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_tags FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER article_slugs_at_commit ON article_slugs;
DROP TRIGGER article_slugs_touch ON article_slugs;
CREATE TRIGGER article_slugs_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_slugs FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER events_at_commit ON events;
DROP TRIGGER events_touch ON events;
CREATE TRIGGER events_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER procedures_at_commit ON procedures;
DROP TRIGGER procedures_touch ON procedures;
CREATE TRIGGER procedures_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedures FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER fields_at_commit ON fields;
DROP TRIGGER fields_touch ON fields;
CREATE TRIGGER fields_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER privacy_notices_at_commit ON privacy_notices;
DROP TRIGGER privacy_notices_touch ON privacy_notices;
CREATE TRIGGER privacy_notices_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON privacy_notices FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
DROP TRIGGER changes_at_commit ON changes;
DROP FUNCTION muni_at_commit();
CREATE OR REPLACE FUNCTION muni_record_change(resource TEXT, resource_id BIGINT, site_id BIGINT, op TEXT, was BOOLEAN, now_public BOOLEAN, entered TEXT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status)
    VALUES (muni_change_tick(), resource, resource_id, site_id, lower(op), was OR now_public, was, now_public, entered);
$$;
DROP INDEX changes_unstamped;
ALTER TABLE changes DROP COLUMN tx;
