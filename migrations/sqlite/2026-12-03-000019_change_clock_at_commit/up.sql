-- SQLite commits one writer at a time: its change clock advances with every entry, as before
-- (the PostgreSQL migration of this name moves the tick to commit).
SELECT 1;
