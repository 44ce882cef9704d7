-- How many articles each category has published (not deleted), kept by a trigger, so that a
-- list's total needs no count of the category's index entries (10,000 per page read at 100,000
-- articles). Scheduled articles are among them until due: a reader subtracts those still in the
-- future (a handful, found through articles_category).
CREATE TABLE article_counts (
    category_id BIGINT PRIMARY KEY REFERENCES categories (id) ON DELETE CASCADE,
    published BIGINT NOT NULL DEFAULT 0
);

INSERT INTO article_counts (category_id, published)
SELECT category_id, count(*) FROM articles
WHERE status = 'published' AND deleted_at IS NULL
GROUP BY category_id;

-- Runs only when a row enters or leaves the count (an edit of the title touches nothing, so
-- editors of one category do not wait on its count's row).
CREATE FUNCTION muni_count_articles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' AND OLD.deleted_at IS NULL THEN
        IF TG_OP = 'UPDATE' AND NEW.status = 'published' AND NEW.deleted_at IS NULL
            AND NEW.category_id = OLD.category_id THEN
            RETURN NULL;
        END IF;
        UPDATE article_counts SET published = published - 1 WHERE category_id = OLD.category_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' AND NEW.deleted_at IS NULL THEN
        INSERT INTO article_counts (category_id, published) VALUES (NEW.category_id, 1)
        ON CONFLICT (category_id) DO UPDATE SET published = article_counts.published + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_count AFTER INSERT OR UPDATE OR DELETE ON articles
FOR EACH ROW EXECUTE FUNCTION muni_count_articles();
