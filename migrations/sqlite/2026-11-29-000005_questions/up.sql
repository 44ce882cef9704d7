-- Fields (lĩnh vực) shared by procedures and questions, and citizens' questions with their answers.

CREATE TABLE fields (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE questions (
    id                 INTEGER PRIMARY KEY,
    site_id            BIGINT NOT NULL REFERENCES sites (id),
    tracking_code      TEXT NOT NULL UNIQUE,
    secret_hash        TEXT NOT NULL,
    secret_sealed      TEXT,
    field_id           BIGINT NOT NULL REFERENCES fields (id),
    procedure_code     TEXT,
    -- The public wording, which staff may correct, and the wording as asked.
    title              TEXT NOT NULL,
    question           TEXT NOT NULL,
    original_title     TEXT NOT NULL,
    original_question  TEXT NOT NULL,
    -- The asker's personal data, encrypted; erased on request.
    asker_name         TEXT,
    asker_phone        TEXT,
    asker_email        TEXT,
    contact_index      TEXT,
    consent_version    TEXT NOT NULL,
    consent_at         TIMESTAMP NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'published', 'rejected')),
    rejection_reason   TEXT,
    answer             TEXT,
    answering_unit     TEXT,
    answered_at        TIMESTAMP,
    published_at       TIMESTAMP,
    featured           BOOLEAN NOT NULL DEFAULT 0,
    view_count         BIGINT NOT NULL DEFAULT 0,
    slug               TEXT UNIQUE,
    search_text        TEXT NOT NULL,
    idempotency_key    TEXT UNIQUE,
    fingerprint        TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX questions_status ON questions (site_id, status, created_at);
CREATE INDEX questions_published ON questions (status, published_at);
CREATE INDEX questions_fingerprint ON questions (fingerprint, created_at);
