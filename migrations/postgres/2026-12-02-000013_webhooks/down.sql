DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DELETE FROM settings WHERE name = 'webhooks_fanned_until';
CREATE OR REPLACE FUNCTION muni_log_sites() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_categories() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_articles() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_events() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_procedures() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_questions() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_feedback() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION muni_log_feedback_topics() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP FUNCTION muni_record_change(TEXT, BIGINT, BIGINT, TEXT, BOOLEAN, BOOLEAN, TEXT);
ALTER TABLE changes DROP COLUMN status;
ALTER TABLE changes DROP COLUMN is_public;
ALTER TABLE changes DROP COLUMN was_public;
