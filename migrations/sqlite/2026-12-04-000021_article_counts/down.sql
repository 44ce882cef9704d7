DROP TRIGGER articles_count_update;
DROP TRIGGER articles_count_delete;
DROP TRIGGER articles_count_insert;
DROP TABLE article_counts;
