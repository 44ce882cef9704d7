DROP INDEX events_ends;
CREATE INDEX articles_search ON articles
    USING GIN (to_tsvector('simple', search_title || ' ' || search_body));
DROP INDEX articles_search_vector;
ALTER TABLE articles DROP COLUMN search_vector;
