-- Library items that content uses beyond covers and inline images, in their order: an article's
-- gallery (images) and an event's attachments (documents or images), as JSON arrays of media ids.
-- media_uses records each use too (role `gallery` / `attachment`), so an item in use is kept.
ALTER TABLE articles ADD COLUMN gallery_media_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE events ADD COLUMN attachment_media_ids TEXT NOT NULL DEFAULT '[]';

-- Cached answers show library items (covers, galleries, attachments, forms, inline images): an
-- item processed, described, replaced or deleted advances the content version (see
-- content_version), so no kept answer names a file that changed.
CREATE TRIGGER media_touch AFTER UPDATE OR DELETE OR TRUNCATE ON media FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
