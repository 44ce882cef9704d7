DROP TRIGGER media_touch ON media;
ALTER TABLE events DROP COLUMN attachment_media_ids;
ALTER TABLE articles DROP COLUMN gallery_media_ids;
