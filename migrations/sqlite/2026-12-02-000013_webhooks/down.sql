DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DELETE FROM settings WHERE name = 'webhooks_fanned_until';
DROP TRIGGER sites_log_insert;
CREATE TRIGGER sites_log_insert AFTER INSERT ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', NEW.id, NEW.id, 'insert', TRUE);
END;
DROP TRIGGER sites_log_update;
CREATE TRIGGER sites_log_update AFTER UPDATE ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', NEW.id, NEW.id, 'update', TRUE OR TRUE);
END;
DROP TRIGGER sites_log_delete;
CREATE TRIGGER sites_log_delete AFTER DELETE ON sites BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'site', OLD.id, OLD.id, 'delete', TRUE);
END;
DROP TRIGGER categories_log_insert;
CREATE TRIGGER categories_log_insert AFTER INSERT ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', NEW.id, NEW.site_id, 'insert', TRUE);
END;
DROP TRIGGER categories_log_update;
CREATE TRIGGER categories_log_update AFTER UPDATE ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', NEW.id, NEW.site_id, 'update', TRUE OR TRUE);
END;
DROP TRIGGER categories_log_delete;
CREATE TRIGGER categories_log_delete AFTER DELETE ON categories BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'category', OLD.id, OLD.site_id, 'delete', TRUE);
END;
DROP TRIGGER articles_log_insert;
CREATE TRIGGER articles_log_insert AFTER INSERT ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0));
END;
DROP TRIGGER articles_log_update;
CREATE TRIGGER articles_log_update AFTER UPDATE ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL AND OLD.published_at <= NEW.updated_at, 0) OR COALESCE(NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at <= NEW.updated_at, 0));
END;
DROP TRIGGER articles_log_delete;
CREATE TRIGGER articles_log_delete AFTER DELETE ON articles BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'article', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status = 'published' AND OLD.deleted_at IS NULL, 0));
END;
DROP TRIGGER events_log_insert;
CREATE TRIGGER events_log_insert AFTER INSERT ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0));
END;
DROP TRIGGER events_log_update;
CREATE TRIGGER events_log_update AFTER UPDATE ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0) OR COALESCE(NEW.status <> 'draft' AND NEW.deleted_at IS NULL, 0));
END;
DROP TRIGGER events_log_delete;
CREATE TRIGGER events_log_delete AFTER DELETE ON events BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'event', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status <> 'draft' AND OLD.deleted_at IS NULL, 0));
END;
DROP TRIGGER procedures_log_insert;
CREATE TRIGGER procedures_log_insert AFTER INSERT ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.deleted_at IS NULL, 0));
END;
DROP TRIGGER procedures_log_update;
CREATE TRIGGER procedures_log_update AFTER UPDATE ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', NEW.id, NEW.site_id, 'update', COALESCE(OLD.deleted_at IS NULL, 0) OR COALESCE(NEW.deleted_at IS NULL, 0));
END;
DROP TRIGGER procedures_log_delete;
CREATE TRIGGER procedures_log_delete AFTER DELETE ON procedures BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'procedure', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.deleted_at IS NULL, 0));
END;
DROP TRIGGER questions_log_insert;
CREATE TRIGGER questions_log_insert AFTER INSERT ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.status = 'published', 0));
END;
DROP TRIGGER questions_log_update;
CREATE TRIGGER questions_log_update AFTER UPDATE OF site_id, tracking_code, secret_hash, secret_sealed, field_id, procedure_code, title, question, original_title, original_question, asker_name, asker_phone, asker_email, contact_index, consent_version, consent_at, status, rejection_reason, answer, answering_unit, answered_at, published_at, featured, slug, search_text, idempotency_key, fingerprint, created_at, updated_at ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', NEW.id, NEW.site_id, 'update', COALESCE(OLD.status = 'published', 0) OR COALESCE(NEW.status = 'published', 0));
END;
DROP TRIGGER questions_log_delete;
CREATE TRIGGER questions_log_delete AFTER DELETE ON questions BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'question', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.status = 'published', 0));
END;
DROP TRIGGER feedback_log_insert;
CREATE TRIGGER feedback_log_insert AFTER INSERT ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.published_at IS NOT NULL, 0));
END;
DROP TRIGGER feedback_log_update;
CREATE TRIGGER feedback_log_update AFTER UPDATE ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', NEW.id, NEW.site_id, 'update', COALESCE(OLD.published_at IS NOT NULL, 0) OR COALESCE(NEW.published_at IS NOT NULL, 0));
END;
DROP TRIGGER feedback_log_delete;
CREATE TRIGGER feedback_log_delete AFTER DELETE ON feedback BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'feedback', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.published_at IS NOT NULL, 0));
END;
DROP TRIGGER feedback_topics_log_insert;
CREATE TRIGGER feedback_topics_log_insert AFTER INSERT ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', NEW.id, NEW.site_id, 'insert', COALESCE(NEW.active, 0));
END;
DROP TRIGGER feedback_topics_log_update;
CREATE TRIGGER feedback_topics_log_update AFTER UPDATE ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', NEW.id, NEW.site_id, 'update', COALESCE(OLD.active, 0) OR COALESCE(NEW.active, 0));
END;
DROP TRIGGER feedback_topics_log_delete;
CREATE TRIGGER feedback_topics_log_delete AFTER DELETE ON feedback_topics BEGIN
    UPDATE change_clock SET tick = tick + 1 WHERE id = 1;
    INSERT INTO changes (tick, resource, resource_id, site_id, action, public) VALUES ((SELECT tick FROM change_clock WHERE id = 1), 'topic', OLD.id, OLD.site_id, 'delete', COALESCE(OLD.active, 0));
END;
ALTER TABLE changes DROP COLUMN status;
ALTER TABLE changes DROP COLUMN is_public;
ALTER TABLE changes DROP COLUMN was_public;
