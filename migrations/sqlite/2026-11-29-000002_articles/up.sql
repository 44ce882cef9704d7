-- Categories (a tree per site) and articles, with tags, slug history and full-text search.

CREATE TABLE categories (
    id           INTEGER PRIMARY KEY,
    site_id      BIGINT NOT NULL REFERENCES sites (id),
    parent_id    BIGINT REFERENCES categories (id),
    name         TEXT NOT NULL,
    slug         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (site_id, slug)
);
CREATE INDEX categories_parent_id ON categories (parent_id);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    site_id       BIGINT NOT NULL REFERENCES sites (id),
    category_id   BIGINT NOT NULL REFERENCES categories (id),
    title         TEXT NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    summary       TEXT NOT NULL,
    -- Whether the summary was derived from the body (and is derived again when the body changes).
    summary_auto  BOOLEAN NOT NULL,
    body          TEXT NOT NULL,
    cover_url     TEXT,
    cover_alt     TEXT,
    author        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    published_at  TIMESTAMP,
    word_count    INTEGER NOT NULL,
    -- Folded (lowercase, no diacritics) text for search: the title, and the rest (summary, body text, tags).
    search_title  TEXT NOT NULL,
    search_body   TEXT NOT NULL,
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    deleted_at    TIMESTAMP,
    -- When the public view of the article last changed: max(updated_at, published_at), so that a
    -- scheduled article shows up in the changes feed when it becomes visible.
    changed_at    TIMESTAMP NOT NULL
);
-- What the public lists read: published, not deleted, newest first (covering for counts).
CREATE INDEX articles_public ON articles (status, published_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX articles_category ON articles (category_id, status, published_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX articles_site ON articles (site_id, status, published_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX articles_changed ON articles (changed_at, id);

CREATE TABLE article_tags (
    article_id  BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (article_id, slug)
);
CREATE INDEX article_tags_slug ON article_tags (slug, article_id);

-- Slugs an article had before: they answer 301 to the current one.
CREATE TABLE article_slugs (
    slug        TEXT PRIMARY KEY,
    article_id  BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);
CREATE INDEX article_slugs_article_id ON article_slugs (article_id);

CREATE VIRTUAL TABLE articles_fts USING fts5(
    search_title, search_body, content = 'articles', content_rowid = 'id', tokenize = 'unicode61'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF search_title, search_body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
    INSERT INTO articles_fts (rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
END;
