DROP TABLE article_slugs;
DROP TABLE article_tags;
DROP TABLE articles;
DROP TABLE categories;
