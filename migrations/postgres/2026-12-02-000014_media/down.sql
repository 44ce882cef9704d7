ALTER TABLE articles DROP COLUMN cover_media_id;
DROP TABLE media_uses;
DROP TABLE media;
