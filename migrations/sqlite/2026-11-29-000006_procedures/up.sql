-- Administrative procedures, mirrored from the national database: the whole record as JSON, and
-- the columns that filters, facets and search use.

CREATE TABLE procedures (
    id               INTEGER PRIMARY KEY,
    site_id          BIGINT NOT NULL REFERENCES sites (id),
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    field_id         BIGINT REFERENCES fields (id),
    agency           TEXT NOT NULL DEFAULT '',
    level            TEXT NOT NULL CHECK (level IN ('full', 'partial', 'none')),
    validity         TEXT NOT NULL CHECK (validity IN ('in_force', 'expired', 'replaced')),
    replaced_by      TEXT,
    processing_days  INTEGER,
    -- The whole record (steps, methods, dossier, cases, legal basis, ...) as JSON text.
    record           TEXT NOT NULL,
    -- A hash of the record, to tell an unchanged re-import from a changed one.
    record_hash      TEXT NOT NULL,
    search_text      TEXT NOT NULL,
    source           TEXT,
    imported_at      TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    deleted_at       TIMESTAMP,
    UNIQUE (site_id, code)
);
CREATE INDEX procedures_field ON procedures (field_id, validity);
CREATE INDEX procedures_level ON procedures (level, validity);
