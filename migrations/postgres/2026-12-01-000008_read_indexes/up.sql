-- Indexes and stored values that let the public reads skip work per row.

-- The search vector, stored: a query ending in a prefix (`kheo:*`) makes the index recheck every
-- match, and rechecking an expression index parses the whole body again (about ten times the cost
-- of the search itself at a few thousand matches). Adding it rewrites the table once.
ALTER TABLE articles ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_title || ' ' || search_body)) STORED;
CREATE INDEX articles_search_vector ON articles USING GIN (search_vector);
DROP INDEX articles_search;

-- A window of the calendar (a week, a feed's range) near today: the events that end after its
-- start are few, where those that start before its end are all the calendar's past.
CREATE INDEX events_ends ON events (ends_at, starts_at);
