DELETE FROM settings WHERE name = 'articles_released_until';
DROP TRIGGER sites_log ON sites;
DROP FUNCTION muni_log_sites();
DROP TRIGGER categories_log ON categories;
DROP FUNCTION muni_log_categories();
DROP TRIGGER articles_log ON articles;
DROP FUNCTION muni_log_articles();
DROP TRIGGER events_log ON events;
DROP FUNCTION muni_log_events();
DROP TRIGGER procedures_log ON procedures;
DROP FUNCTION muni_log_procedures();
DROP TRIGGER questions_log ON questions;
DROP FUNCTION muni_log_questions();
DROP TRIGGER feedback_log ON feedback;
DROP FUNCTION muni_log_feedback();
DROP TRIGGER feedback_topics_log ON feedback_topics;
DROP FUNCTION muni_log_feedback_topics();
CREATE OR REPLACE FUNCTION muni_touch_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET version = version + 1, tx = txid_current()
        WHERE id = 1 AND tx IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$;
DROP FUNCTION muni_record_change(TEXT, BIGINT, BIGINT, TEXT, BOOLEAN);
DROP FUNCTION muni_change_tick();
DROP TABLE changes;
DROP TABLE change_clock;
