DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;
DROP TABLE article_slugs;
DROP TABLE article_tags;
DROP TABLE articles;
DROP TABLE categories;
