-- The media library: photos and documents a site's staff upload. The bytes are content-addressed
-- objects in the media store (src/media/store.rs); a row names the uploaded object (`sha256`) and,
-- once processed, its variants (JSON: name, address, width, height, media type, size).
CREATE TABLE media (
    id          BIGSERIAL PRIMARY KEY,
    site_id     BIGINT NOT NULL REFERENCES sites (id),
    sha256      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('image', 'document')),
    media_type  TEXT NOT NULL,
    filename    TEXT NOT NULL,
    size        BIGINT NOT NULL,
    width       INTEGER,
    height      INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    failure     TEXT,
    variants    TEXT NOT NULL DEFAULT '[]',
    placeholder TEXT,
    title       TEXT,
    alt         TEXT,
    caption     TEXT,
    credit      TEXT,
    taken_at    TIMESTAMP,
    uploaded_by BIGINT REFERENCES users (id),
    -- The processing worker that holds it, until when.
    lease_until TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (site_id, sha256)
);
CREATE INDEX media_by_site ON media (site_id, id);
CREATE INDEX media_by_address ON media (sha256);
CREATE INDEX media_to_process ON media (id) WHERE status = 'processing';

-- What uses each item, kept by the writes that use it: a delete is refused while any row names it.
CREATE TABLE media_uses (
    media_id    BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    resource    TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (media_id, resource, resource_id, role)
);
CREATE INDEX media_uses_by_resource ON media_uses (resource, resource_id);

-- An article's cover from the library (a forced delete of the item clears it).
ALTER TABLE articles ADD COLUMN cover_media_id BIGINT REFERENCES media (id) ON DELETE SET NULL;
