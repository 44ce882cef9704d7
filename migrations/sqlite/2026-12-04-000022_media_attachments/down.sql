DROP TRIGGER media_touch_delete;
DROP TRIGGER media_touch_update;
ALTER TABLE events DROP COLUMN attachment_media_ids;
ALTER TABLE articles DROP COLUMN gallery_media_ids;
