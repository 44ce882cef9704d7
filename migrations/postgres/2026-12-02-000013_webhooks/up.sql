-- What webhooks need of the change log: whether the public could see the row before the change
-- and after it (`public` stays: either of the two), and the status the row entered, when the
-- change moved it (an event cancelled, a question published). Entries older than this migration
-- leave them NULL.
ALTER TABLE changes ADD COLUMN was_public BOOLEAN;
ALTER TABLE changes ADD COLUMN is_public BOOLEAN;
ALTER TABLE changes ADD COLUMN status TEXT;

CREATE FUNCTION muni_record_change(resource TEXT, resource_id BIGINT, site_id BIGINT, op TEXT, was BOOLEAN, now_public BOOLEAN, entered TEXT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status)
    VALUES (muni_change_tick(), resource, resource_id, site_id, lower(op), was OR now_public, was, now_public, entered);
$$;

-- One body for every logged table: `was` and `now_public` are the visibility of OLD and NEW.
CREATE OR REPLACE FUNCTION muni_log_sites() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('site', OLD.id, OLD.id, TG_OP, TRUE, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('site', NEW.id, NEW.id, TG_OP, TG_OP <> 'INSERT', TRUE, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_categories() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('category', OLD.id, OLD.site_id, TG_OP, TRUE, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('category', NEW.id, NEW.site_id, TG_OP, TG_OP <> 'INSERT', TRUE, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_articles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := FALSE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('article', OLD.id, OLD.site_id, TG_OP,
            COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL, FALSE), FALSE, NULL);
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        was := COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.published_at <= NEW.updated_at, FALSE);
    END IF;
    PERFORM muni_record_change('article', NEW.id, NEW.site_id, TG_OP, was,
        COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, FALSE),
        CASE WHEN TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN NEW.status END);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('event', OLD.id, OLD.site_id, TG_OP, was, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('event', NEW.id, NEW.site_id, TG_OP, was,
            COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, FALSE),
            CASE WHEN TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN NEW.status END);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_procedures() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := COALESCE(OLD.deleted_at IS NULL, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('procedure', OLD.id, OLD.site_id, TG_OP, was, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('procedure', NEW.id, NEW.site_id, TG_OP, was, COALESCE(NEW.deleted_at IS NULL, FALSE), NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_questions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := COALESCE(OLD.status = 'published', FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('question', OLD.id, OLD.site_id, TG_OP, was, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('question', NEW.id, NEW.site_id, TG_OP, was, COALESCE(NEW.status = 'published', FALSE),
            CASE WHEN TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN NEW.status END);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_feedback() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := COALESCE(OLD.published_at IS NOT NULL, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('feedback', OLD.id, OLD.site_id, TG_OP, was, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('feedback', NEW.id, NEW.site_id, TG_OP, was, COALESCE(NEW.published_at IS NOT NULL, FALSE),
            CASE WHEN TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN NEW.status END);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION muni_log_feedback_topics() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := COALESCE(OLD.active, FALSE);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM muni_record_change('topic', OLD.id, OLD.site_id, TG_OP, was, FALSE, NULL);
    ELSE
        PERFORM muni_record_change('topic', NEW.id, NEW.site_id, TG_OP, was, COALESCE(NEW.active, FALSE), NULL);
    END IF;
    RETURN NULL;
END
$$;

-- Webhooks: each site's admins register endpoints; a background worker on every node turns new
-- change log entries into deliveries (fan-out, from the position in `webhooks_fanned_until`) and
-- sends them, in order per endpoint, under a lease on the endpoint's row (src/webhooks).
CREATE TABLE webhook_endpoints (
    id              BIGSERIAL PRIMARY KEY,
    -- NULL: every site (an endpoint of an administrator bound to no site).
    site_id         BIGINT REFERENCES sites (id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    -- JSON array of event types; empty: every type.
    event_types     TEXT NOT NULL DEFAULT '[]',
    -- The signing secret (whsec_...), sealed with the data key.
    secret_sealed   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    disabled_reason TEXT,
    -- Since when every attempt has failed (NULL after a success).
    failing_since   TIMESTAMP,
    -- The oldest pending delivery waits for a retry until then (later ones wait behind it).
    retry_at        TIMESTAMP,
    -- The worker that is sending this endpoint's deliveries, until when.
    lease_owner     TEXT,
    lease_until     TIMESTAMP,
    created_by      BIGINT REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    -- Where the change log stood when it was registered: only later entries reach it.
    start_tick      BIGINT NOT NULL DEFAULT 0,
    start_id        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_endpoints_by_site ON webhook_endpoints (site_id, id);

CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    endpoint_id      BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The Standard Webhooks `webhook-id`: the same for a redelivery of the same message.
    message_id       TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    -- The change log entry it tells of (NULL for a ping).
    change_id        BIGINT,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_attempt_at  TIMESTAMP,
    last_status_code INTEGER,
    last_error       TEXT,
    last_duration_ms INTEGER,
    delivered_at     TIMESTAMP,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

-- Deliveries start with what changes after this migration.
INSERT INTO settings (name, value)
    SELECT 'webhooks_fanned_until', COALESCE((SELECT tick || '.' || id FROM changes ORDER BY tick DESC, id DESC LIMIT 1), '0.0');
