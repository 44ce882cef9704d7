ALTER TABLE articles DROP COLUMN revised_at;
DROP TABLE revisions;
