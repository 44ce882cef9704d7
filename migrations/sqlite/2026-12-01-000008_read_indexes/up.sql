-- Indexes that let the public reads answer from an index alone.

-- What a search reads of each full-text match, by id: whether the article is visible, its date and
-- its folded title (title matches come first). Without it every match is a lookup in the article's
-- own row, where the first three sit behind the body (often in overflow pages).
CREATE INDEX articles_search_keys ON articles (id, deleted_at, status, published_at, search_title);

-- A window of the calendar (a week, a feed's range): events overlapping it are told apart by the
-- index, without reading each earlier event's row. It orders by start as the index it replaces
-- did, which SQLite preferred for the order and then read every past event's row.
CREATE INDEX events_window ON events (starts_at, ends_at, deleted_at, status);
DROP INDEX events_time;

-- The calendar from a day on, to its end (the iCalendar feed): the events that end after it.
CREATE INDEX events_ends ON events (ends_at, starts_at, deleted_at, status);
