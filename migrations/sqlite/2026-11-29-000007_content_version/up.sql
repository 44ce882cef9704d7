-- The content version: one counter that every change to publicly served content advances, in the
-- same transaction as the change. The response cache (src/cache.rs) keeps a shared response only
-- while the counter still reads what it read before computing that response, so a change made by
-- any process (another API node, the CLI, a hand-written UPDATE) is visible on the next request.
-- These triggers are the only writers: a table read by a cached route must have them.
CREATE TABLE content_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO content_version (id, version) VALUES (1, 1);
CREATE TRIGGER sites_touch_insert AFTER INSERT ON sites BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER sites_touch_update AFTER UPDATE ON sites BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER sites_touch_delete AFTER DELETE ON sites BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_touch_insert AFTER INSERT ON categories BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_touch_update AFTER UPDATE ON categories BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_touch_delete AFTER DELETE ON categories BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER articles_touch_insert AFTER INSERT ON articles BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER articles_touch_update AFTER UPDATE ON articles BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER articles_touch_delete AFTER DELETE ON articles BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER article_tags_touch_insert AFTER INSERT ON article_tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER article_tags_touch_update AFTER UPDATE ON article_tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER article_tags_touch_delete AFTER DELETE ON article_tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER article_slugs_touch_insert AFTER INSERT ON article_slugs BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER article_slugs_touch_update AFTER UPDATE ON article_slugs BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER article_slugs_touch_delete AFTER DELETE ON article_slugs BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER events_touch_insert AFTER INSERT ON events BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER events_touch_update AFTER UPDATE ON events BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER events_touch_delete AFTER DELETE ON events BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER procedures_touch_insert AFTER INSERT ON procedures BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER procedures_touch_update AFTER UPDATE ON procedures BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER procedures_touch_delete AFTER DELETE ON procedures BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER fields_touch_insert AFTER INSERT ON fields BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER fields_touch_update AFTER UPDATE ON fields BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER fields_touch_delete AFTER DELETE ON fields BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
-- Only the public name of a user appears in served content.
CREATE TRIGGER users_touch_update AFTER UPDATE OF display_name ON users BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_touch_delete AFTER DELETE ON users BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
