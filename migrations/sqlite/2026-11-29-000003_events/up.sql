-- The leadership's work calendar (lịch công tác), with a trail of changes.

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    site_id         BIGINT NOT NULL REFERENCES sites (id),
    -- The iCalendar UID: stable for the life of the event.
    uid             TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    all_day         BOOLEAN NOT NULL,
    -- Instants in UTC; for an all-day event, the local midnights that bound its days.
    starts_at       TIMESTAMP NOT NULL,
    ends_at         TIMESTAMP NOT NULL,
    time_zone       TEXT NOT NULL,
    location        TEXT NOT NULL DEFAULT '',
    chair           TEXT NOT NULL DEFAULT '',
    participants    TEXT NOT NULL DEFAULT '',
    preparing_unit  TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'changed', 'cancelled')),
    article_id      BIGINT REFERENCES articles (id) ON DELETE SET NULL,
    sequence        INTEGER NOT NULL DEFAULT 0,
    search_text     TEXT NOT NULL,
    created_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    deleted_at      TIMESTAMP,
    CHECK (ends_at >= starts_at)
);
CREATE INDEX events_time ON events (starts_at, id);
CREATE INDEX events_site_time ON events (site_id, starts_at);

-- What each update changed: field -> [before, after], as JSON text.
CREATE TABLE event_revisions (
    id          INTEGER PRIMARY KEY,
    event_id    BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    sequence    INTEGER NOT NULL,
    action      TEXT NOT NULL,
    changes     TEXT NOT NULL,
    changed_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    changed_at  TIMESTAMP NOT NULL
);
CREATE INDEX event_revisions_event ON event_revisions (event_id, sequence);
