-- What webhooks need of the change log: whether the public could see the row before the change
-- and after it (`public` stays: either of the two), and the status the row entered, when the
-- change moved it (an event cancelled, a question published). Entries older than this migration
-- leave them NULL. The triggers are those of the `changes` migration, writing the new columns.
ALTER TABLE changes ADD COLUMN was_public BOOLEAN;
ALTER TABLE changes ADD COLUMN is_public BOOLEAN;
ALTER TABLE changes ADD COLUMN status TEXT;

DROP TRIGGER sites_log_insert;
CREATE TRIGGER sites_log_insert AFTER INSERT ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', NEW.id, NEW.id, 'insert', TRUE, 0, TRUE, NULL);
END;

DROP TRIGGER sites_log_update;
CREATE TRIGGER sites_log_update AFTER UPDATE ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', NEW.id, NEW.id, 'update', TRUE OR TRUE, TRUE, TRUE, NULL);
END;

DROP TRIGGER sites_log_delete;
CREATE TRIGGER sites_log_delete AFTER DELETE ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', OLD.id, OLD.id, 'delete', TRUE, TRUE, 0, NULL);
END;

DROP TRIGGER categories_log_insert;
CREATE TRIGGER categories_log_insert AFTER INSERT ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', NEW.id, NEW.site_id, 'insert', TRUE, 0, TRUE, NULL);
END;

DROP TRIGGER categories_log_update;
CREATE TRIGGER categories_log_update AFTER UPDATE ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', NEW.id, NEW.site_id, 'update', TRUE OR TRUE, TRUE, TRUE, NULL);
END;

DROP TRIGGER categories_log_delete;
CREATE TRIGGER categories_log_delete AFTER DELETE ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', OLD.id, OLD.site_id, 'delete', TRUE, TRUE, 0, NULL);
END;

DROP TRIGGER articles_log_insert;
CREATE TRIGGER articles_log_insert AFTER INSERT ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0), 0, COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0), NEW.status);
END;

DROP TRIGGER articles_log_update;
CREATE TRIGGER articles_log_update AFTER UPDATE ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.published_at <= NEW.updated_at, 0) OR COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0), COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.published_at <= NEW.updated_at, 0), COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0), CASE WHEN OLD.status IS NOT NEW.status THEN NEW.status END);
END;

DROP TRIGGER articles_log_delete;
CREATE TRIGGER articles_log_delete AFTER DELETE ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL, 0), COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL, 0), 0, NULL);
END;

DROP TRIGGER events_log_insert;
CREATE TRIGGER events_log_insert AFTER INSERT ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0), 0, COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0), NEW.status);
END;

DROP TRIGGER events_log_update;
CREATE TRIGGER events_log_update AFTER UPDATE ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0) OR COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0), COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0), COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0), CASE WHEN OLD.status IS NOT NEW.status THEN NEW.status END);
END;

DROP TRIGGER events_log_delete;
CREATE TRIGGER events_log_delete AFTER DELETE ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0), COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0), 0, NULL);
END;

DROP TRIGGER procedures_log_insert;
CREATE TRIGGER procedures_log_insert AFTER INSERT ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.deleted_at IS NULL, 0), 0, COALESCE(NEW.deleted_at IS NULL, 0), NULL);
END;

DROP TRIGGER procedures_log_update;
CREATE TRIGGER procedures_log_update AFTER UPDATE ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', NEW.id, NEW.site_id, 'update', COALESCE(OLD.deleted_at IS NULL, 0) OR COALESCE(NEW.deleted_at IS NULL, 0), COALESCE(OLD.deleted_at IS NULL, 0), COALESCE(NEW.deleted_at IS NULL, 0), NULL);
END;

DROP TRIGGER procedures_log_delete;
CREATE TRIGGER procedures_log_delete AFTER DELETE ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.deleted_at IS NULL, 0), COALESCE(OLD.deleted_at IS NULL, 0), 0, NULL);
END;

DROP TRIGGER questions_log_insert;
CREATE TRIGGER questions_log_insert AFTER INSERT ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status = 'published', 0), 0, COALESCE(NEW.status = 'published', 0), NEW.status);
END;

DROP TRIGGER questions_log_update;
CREATE TRIGGER questions_log_update AFTER UPDATE OF site_id, tracking_code, secret_hash, secret_sealed, field_id, procedure_code, title, question, original_title, original_question, asker_name, asker_phone, asker_email, contact_index, consent_version, consent_at, status, rejection_reason, answer, answering_unit, answered_at, published_at, featured, slug, search_text, idempotency_key, fingerprint, created_at, updated_at ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status = 'published', 0) OR COALESCE(NEW.status = 'published', 0), COALESCE(OLD.status = 'published', 0), COALESCE(NEW.status = 'published', 0), CASE WHEN OLD.status IS NOT NEW.status THEN NEW.status END);
END;

DROP TRIGGER questions_log_delete;
CREATE TRIGGER questions_log_delete AFTER DELETE ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status = 'published', 0), COALESCE(OLD.status = 'published', 0), 0, NULL);
END;

DROP TRIGGER feedback_log_insert;
CREATE TRIGGER feedback_log_insert AFTER INSERT ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.published_at IS NOT NULL, 0), 0, COALESCE(NEW.published_at IS NOT NULL, 0), NEW.status);
END;

DROP TRIGGER feedback_log_update;
CREATE TRIGGER feedback_log_update AFTER UPDATE ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', NEW.id, NEW.site_id, 'update', COALESCE(OLD.published_at IS NOT NULL, 0) OR COALESCE(NEW.published_at IS NOT NULL, 0), COALESCE(OLD.published_at IS NOT NULL, 0), COALESCE(NEW.published_at IS NOT NULL, 0), CASE WHEN OLD.status IS NOT NEW.status THEN NEW.status END);
END;

DROP TRIGGER feedback_log_delete;
CREATE TRIGGER feedback_log_delete AFTER DELETE ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.published_at IS NOT NULL, 0), COALESCE(OLD.published_at IS NOT NULL, 0), 0, NULL);
END;

DROP TRIGGER feedback_topics_log_insert;
CREATE TRIGGER feedback_topics_log_insert AFTER INSERT ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.active, 0), 0, COALESCE(NEW.active, 0), NULL);
END;

DROP TRIGGER feedback_topics_log_update;
CREATE TRIGGER feedback_topics_log_update AFTER UPDATE ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', NEW.id, NEW.site_id, 'update', COALESCE(OLD.active, 0) OR COALESCE(NEW.active, 0), COALESCE(OLD.active, 0), COALESCE(NEW.active, 0), NULL);
END;

DROP TRIGGER feedback_topics_log_delete;
CREATE TRIGGER feedback_topics_log_delete AFTER DELETE ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public, status) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.active, 0), COALESCE(OLD.active, 0), 0, NULL);
END;


-- Webhooks: each site's admins register endpoints; a background worker on every node turns new
-- change log entries into deliveries (fan-out, from the position in `webhooks_fanned_until`) and
-- sends them, in order per endpoint, under a lease on the endpoint's row (src/webhooks).
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
