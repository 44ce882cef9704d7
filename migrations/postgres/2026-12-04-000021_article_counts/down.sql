DROP TRIGGER articles_count ON articles;
DROP FUNCTION muni_count_articles();
DROP TABLE article_counts;
