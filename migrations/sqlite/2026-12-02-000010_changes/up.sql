-- The change log: one entry per insert, update or delete of a site, category, article, event,
-- procedure, question, feedback submission or feedback topic, written by triggers in the same
-- transaction as the change, whoever makes it (an API node, the CLI, a hand-written statement).
-- The change feed (GET /api/v1/changes) reads it; search, webhooks and the audit trail are to read
-- it too, so that all of them agree on what changed and in which order.
--
-- Order: `tick` is the transaction's place in commit order, `id` the order within it. On
-- PostgreSQL each writing transaction takes its tick from `change_clock` once, and holds that row
-- locked until it commits, so a later tick always belongs to a later commit, and a reader that has
-- seen tick T has seen every entry of every tick before it: no entry can appear behind a reader's
-- cursor (a sequence or a timestamp would allow that, between two transactions in flight). SQLite
-- commits one transaction at a time, so there the tick simply advances with every entry.
--
-- `public` says whether the public may have seen the row, before or after the change: the feed
-- shows only those (drafts, unpublished questions and feedback stay out of it).

CREATE TABLE change_clock (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    tick BIGINT NOT NULL
);
INSERT INTO change_clock (id, tick) VALUES (1, 1);

CREATE TABLE changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tick        BIGINT NOT NULL,
    resource    TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    site_id     BIGINT,
    action      TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    public      BOOLEAN NOT NULL,
    changed_at  TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX changes_in_order ON changes (tick, id);
CREATE INDEX changes_public_in_order ON changes (tick, id) WHERE public;
-- The history of one resource (its latest entry: whether a scheduled article was released).
CREATE INDEX changes_by_resource ON changes (resource, resource_id, tick, id);


CREATE TRIGGER sites_log_insert AFTER INSERT ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', NEW.id, NEW.id, 'insert', TRUE);
END;
CREATE TRIGGER sites_log_update AFTER UPDATE ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', NEW.id, NEW.id, 'update', TRUE OR TRUE);
END;
CREATE TRIGGER sites_log_delete AFTER DELETE ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', OLD.id, OLD.id, 'delete', TRUE);
END;

CREATE TRIGGER categories_log_insert AFTER INSERT ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', NEW.id, NEW.site_id, 'insert', TRUE);
END;
CREATE TRIGGER categories_log_update AFTER UPDATE ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', NEW.id, NEW.site_id, 'update', TRUE OR TRUE);
END;
CREATE TRIGGER categories_log_delete AFTER DELETE ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', OLD.id, OLD.site_id, 'delete', TRUE);
END;

-- An article is public once published and due, by the writer's clock as the row records it
-- (`updated_at`, set with `published_at` by every write); scheduled ones are logged when due.
CREATE TRIGGER articles_log_insert AFTER INSERT ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0));
END;
CREATE TRIGGER articles_log_update AFTER UPDATE ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.published_at <= NEW.updated_at, 0) OR COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0));
END;
CREATE TRIGGER articles_log_delete AFTER DELETE ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL, 0));
END;

CREATE TRIGGER events_log_insert AFTER INSERT ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0));
END;
CREATE TRIGGER events_log_update AFTER UPDATE ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0) OR COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0));
END;
CREATE TRIGGER events_log_delete AFTER DELETE ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0));
END;

CREATE TRIGGER procedures_log_insert AFTER INSERT ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.deleted_at IS NULL, 0));
END;
CREATE TRIGGER procedures_log_update AFTER UPDATE ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', NEW.id, NEW.site_id, 'update', COALESCE(OLD.deleted_at IS NULL, 0) OR COALESCE(NEW.deleted_at IS NULL, 0));
END;
CREATE TRIGGER procedures_log_delete AFTER DELETE ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.deleted_at IS NULL, 0));
END;

CREATE TRIGGER questions_log_insert AFTER INSERT ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status = 'published', 0));
END;
CREATE TRIGGER questions_log_update AFTER UPDATE OF site_id, tracking_code, secret_hash, secret_sealed, field_id, procedure_code, title, question, original_title, original_question, asker_name, asker_phone, asker_email, contact_index, consent_version, consent_at, status, rejection_reason, answer, answering_unit, answered_at, published_at, featured, slug, search_text, idempotency_key, fingerprint, created_at, updated_at ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status = 'published', 0) OR COALESCE(NEW.status = 'published', 0));
END;
CREATE TRIGGER questions_log_delete AFTER DELETE ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status = 'published', 0));
END;

CREATE TRIGGER feedback_log_insert AFTER INSERT ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.published_at IS NOT NULL, 0));
END;
CREATE TRIGGER feedback_log_update AFTER UPDATE ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', NEW.id, NEW.site_id, 'update', COALESCE(OLD.published_at IS NOT NULL, 0) OR COALESCE(NEW.published_at IS NOT NULL, 0));
END;
CREATE TRIGGER feedback_log_delete AFTER DELETE ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.published_at IS NOT NULL, 0));
END;

CREATE TRIGGER feedback_topics_log_insert AFTER INSERT ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.active, 0));
END;
CREATE TRIGGER feedback_topics_log_update AFTER UPDATE ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', NEW.id, NEW.site_id, 'update', COALESCE(OLD.active, 0) OR COALESCE(NEW.active, 0));
END;
CREATE TRIGGER feedback_topics_log_delete AFTER DELETE ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.active, 0));
END;
-- Scheduled articles enter the log when they become public (src/articles/repo: release_due):
-- those due up to this moment are in the backfill below, the later ones are released from it on.
INSERT INTO settings (name, value) VALUES ('articles_released_until', strftime('%Y-%m-%d %H:%M:%f', 'now'));

-- What the public can already see enters the log once, so that a reader from the start gets all of it.
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'site', id, id, 'insert', TRUE FROM sites ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'category', id, site_id, 'insert', TRUE FROM categories ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'article', id, site_id, 'insert', TRUE FROM articles WHERE COALESCE(status = 'published' AND deleted_at IS NULL AND published_at <= (SELECT value FROM settings WHERE name = 'articles_released_until'), 0) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'event', id, site_id, 'insert', TRUE FROM events WHERE COALESCE(status <> 'draft' AND deleted_at IS NULL, 0) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'procedure', id, site_id, 'insert', TRUE FROM procedures WHERE COALESCE(deleted_at IS NULL, 0) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'question', id, site_id, 'insert', TRUE FROM questions WHERE COALESCE(status = 'published', 0) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'feedback', id, site_id, 'insert', TRUE FROM feedback WHERE COALESCE(published_at IS NOT NULL, 0) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'topic', id, site_id, 'insert', TRUE FROM feedback_topics WHERE COALESCE(active, 0) ORDER BY id;
