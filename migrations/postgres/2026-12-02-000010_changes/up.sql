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
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    tick BIGINT NOT NULL,
    -- The transaction that last took a tick.
    tx   BIGINT
);
INSERT INTO change_clock (id, tick) VALUES (1, 1);

CREATE TABLE changes (
    id          BIGSERIAL PRIMARY KEY,
    tick        BIGINT NOT NULL,
    resource    TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    site_id     BIGINT,
    action      TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    public      BOOLEAN NOT NULL,
    changed_at  TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);
CREATE INDEX changes_in_order ON changes (tick, id);
CREATE INDEX changes_public_in_order ON changes (tick, id) WHERE public;
-- The history of one resource (its latest entry: whether a scheduled article was released).
CREATE INDEX changes_by_resource ON changes (resource, resource_id, tick, id);

-- The tick of the current transaction: taken (and the clock locked) at its first change.
CREATE FUNCTION muni_change_tick() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    taken BIGINT;
BEGIN
    UPDATE change_clock SET tick = tick + 1, tx = txid_current()
        WHERE id = 1 AND tx IS DISTINCT FROM txid_current()
        RETURNING tick INTO taken;
    IF taken IS NULL THEN
        SELECT tick INTO taken FROM change_clock WHERE id = 1;
    END IF;
    RETURN taken;
END
$$;

CREATE FUNCTION muni_record_change(resource TEXT, resource_id BIGINT, site_id BIGINT, op TEXT, public BOOLEAN)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public)
    VALUES (muni_change_tick(), resource, resource_id, site_id, lower(op), public);
$$;

-- Every transaction that changes served content takes the change clock before the content
-- version, whichever table it writes first: the two locks are always taken in the same order.
CREATE OR REPLACE FUNCTION muni_touch_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM muni_change_tick();
    UPDATE content_version SET version = version + 1, tx = txid_current()
        WHERE id = 1 AND tx IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$;

CREATE FUNCTION muni_log_sites() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := TRUE;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('site', OLD.id, OLD.id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('site', NEW.id, NEW.id, TG_OP, seen OR TRUE);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sites_log AFTER INSERT OR UPDATE OR DELETE ON sites FOR EACH ROW EXECUTE FUNCTION muni_log_sites();

CREATE FUNCTION muni_log_categories() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := TRUE;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('category', OLD.id, OLD.site_id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('category', NEW.id, NEW.site_id, TG_OP, seen OR TRUE);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER categories_log AFTER INSERT OR UPDATE OR DELETE ON categories FOR EACH ROW EXECUTE FUNCTION muni_log_categories();

-- An article is public once published and due. "Now" is the writer's clock, as the row records it
-- (`updated_at`, set by every write with `published_at`), not the database's: the two may differ.
-- A scheduled article is logged when it comes due, by the release (src/articles/repo: release_due).
CREATE FUNCTION muni_log_articles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('article', OLD.id, OLD.site_id, TG_OP,
            COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL, FALSE));
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        seen := COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.published_at <= NEW.updated_at, FALSE);
    END IF;
    PERFORM muni_record_change('article', NEW.id, NEW.site_id, TG_OP,
        seen OR COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, FALSE));
    RETURN NULL;
END
$$;
CREATE TRIGGER articles_log AFTER INSERT OR UPDATE OR DELETE ON articles FOR EACH ROW EXECUTE FUNCTION muni_log_articles();

CREATE FUNCTION muni_log_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('event', OLD.id, OLD.site_id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('event', NEW.id, NEW.site_id, TG_OP, seen OR COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, FALSE));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_log AFTER INSERT OR UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION muni_log_events();

CREATE FUNCTION muni_log_procedures() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := COALESCE(OLD.deleted_at IS NULL, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('procedure', OLD.id, OLD.site_id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('procedure', NEW.id, NEW.site_id, TG_OP, seen OR COALESCE(NEW.deleted_at IS NULL, FALSE));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER procedures_log AFTER INSERT OR UPDATE OR DELETE ON procedures FOR EACH ROW EXECUTE FUNCTION muni_log_procedures();

CREATE FUNCTION muni_log_questions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := COALESCE(OLD.status = 'published', FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('question', OLD.id, OLD.site_id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('question', NEW.id, NEW.site_id, TG_OP, seen OR COALESCE(NEW.status = 'published', FALSE));
    END IF;
    RETURN NULL;
END
$$;
-- Counting a view (view_count) is not a change.
CREATE TRIGGER questions_log AFTER INSERT OR DELETE OR UPDATE OF site_id, tracking_code, secret_hash, secret_sealed, field_id, procedure_code, title, question, original_title, original_question, asker_name, asker_phone, asker_email, contact_index, consent_version, consent_at, status, rejection_reason, answer, answering_unit, answered_at, published_at, featured, slug, search_text, idempotency_key, fingerprint, created_at, updated_at ON questions FOR EACH ROW EXECUTE FUNCTION muni_log_questions();

CREATE FUNCTION muni_log_feedback() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := COALESCE(OLD.published_at IS NOT NULL, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('feedback', OLD.id, OLD.site_id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('feedback', NEW.id, NEW.site_id, TG_OP, seen OR COALESCE(NEW.published_at IS NOT NULL, FALSE));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_log AFTER INSERT OR UPDATE OR DELETE ON feedback FOR EACH ROW EXECUTE FUNCTION muni_log_feedback();

CREATE FUNCTION muni_log_feedback_topics() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        seen := COALESCE(OLD.active, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('topic', OLD.id, OLD.site_id, TG_OP, seen);
    ELSE
        PERFORM muni_record_change('topic', NEW.id, NEW.site_id, TG_OP, seen OR COALESCE(NEW.active, FALSE));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_topics_log AFTER INSERT OR UPDATE OR DELETE ON feedback_topics FOR EACH ROW EXECUTE FUNCTION muni_log_feedback_topics();
-- Scheduled articles enter the log when they become public (src/articles/repo: release_due):
-- those due up to this moment are in the backfill below, the later ones are released from it on.
INSERT INTO settings (name, value) VALUES ('articles_released_until', to_char(LOCALTIMESTAMP, 'YYYY-MM-DD HH24:MI:SS.US'));

-- What the public can already see enters the log once, so that a reader from the start gets all of it.
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'site', id, id, 'insert', TRUE FROM sites ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'category', id, site_id, 'insert', TRUE FROM categories ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'article', id, site_id, 'insert', TRUE FROM articles WHERE COALESCE(status = 'published' AND deleted_at IS NULL AND published_at <= (SELECT value FROM settings WHERE name = 'articles_released_until')::timestamp, FALSE) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'event', id, site_id, 'insert', TRUE FROM events WHERE COALESCE(status <> 'draft' AND deleted_at IS NULL, FALSE) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'procedure', id, site_id, 'insert', TRUE FROM procedures WHERE COALESCE(deleted_at IS NULL, FALSE) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'question', id, site_id, 'insert', TRUE FROM questions WHERE COALESCE(status = 'published', FALSE) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'feedback', id, site_id, 'insert', TRUE FROM feedback WHERE COALESCE(published_at IS NOT NULL, FALSE) ORDER BY id;
INSERT INTO changes (tick, resource, resource_id, site_id, action, public) SELECT 1, 'topic', id, site_id, 'insert', TRUE FROM feedback_topics WHERE COALESCE(active, FALSE) ORDER BY id;
