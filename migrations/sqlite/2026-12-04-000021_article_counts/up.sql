-- How many articles each category has published (not deleted), kept by triggers, so that a list's
-- total needs no count of the category's index entries (10,000 per page read at 100,000
-- articles). Scheduled articles are among them until due: a reader subtracts those still in the
-- future (a handful, found through articles_category).
CREATE TABLE article_counts (
    category_id INTEGER PRIMARY KEY NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    published BIGINT NOT NULL DEFAULT 0
);

INSERT INTO article_counts (category_id, published)
SELECT category_id, count(*) FROM articles
WHERE status = 'published' AND deleted_at IS NULL
GROUP BY category_id;

CREATE TRIGGER articles_count_insert AFTER INSERT ON articles
WHEN NEW.status = 'published' AND NEW.deleted_at IS NULL
BEGIN
    INSERT INTO article_counts (category_id, published) VALUES (NEW.category_id, 1)
    ON CONFLICT (category_id) DO UPDATE SET published = published + 1;
END;

CREATE TRIGGER articles_count_delete AFTER DELETE ON articles
WHEN OLD.status = 'published' AND OLD.deleted_at IS NULL
BEGIN
    UPDATE article_counts SET published = published - 1 WHERE category_id = OLD.category_id;
END;

-- Only when a row enters or leaves the count, or moves to another category.
CREATE TRIGGER articles_count_update AFTER UPDATE ON articles
WHEN (OLD.status = 'published' AND OLD.deleted_at IS NULL) IS NOT (NEW.status = 'published' AND NEW.deleted_at IS NULL)
    OR (OLD.category_id IS NOT NEW.category_id AND NEW.status = 'published' AND NEW.deleted_at IS NULL)
BEGIN
    UPDATE article_counts SET published = published - 1
    WHERE category_id = OLD.category_id AND OLD.status = 'published' AND OLD.deleted_at IS NULL;
    INSERT INTO article_counts (category_id, published)
    SELECT NEW.category_id, 1 WHERE NEW.status = 'published' AND NEW.deleted_at IS NULL
    ON CONFLICT (category_id) DO UPDATE SET published = published + 1;
END;
