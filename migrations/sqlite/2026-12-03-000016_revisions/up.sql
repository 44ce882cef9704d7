-- Revisions: the whole content of a site, category, article, event, procedure, question or
-- feedback topic as each save left it, who saved it (user and role at the time), when, and why
-- (`X-Change-Reason`, an import, a restore). Written in the transaction of the save (see
-- src/revisions), never changed afterwards; a restore writes a new revision. No foreign keys:
-- the history outlives the user, and a deleted resource's last revisions stay readable.
CREATE TABLE revisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    resource      TEXT NOT NULL,
    resource_id   BIGINT NOT NULL,
    site_id       BIGINT,
    at            TIMESTAMP NOT NULL,
    actor_id      BIGINT,
    actor_role    TEXT,
    reason        TEXT,
    restored_from BIGINT,
    request_id    TEXT,
    content       TEXT NOT NULL
);
CREATE INDEX revisions_of_resource ON revisions (resource, resource_id, id);

-- Published content says when it last changed after publication ("cập nhật lúc ...").
ALTER TABLE articles ADD COLUMN revised_at TIMESTAMP;
