DROP INDEX events_ends;
CREATE INDEX events_time ON events (starts_at, id);
DROP INDEX events_window;
DROP INDEX articles_search_keys;
