-- Citizens' feedback (góp ý): topics, submissions with encrypted personal data, the staff trail,
-- and the log of who read whose personal data.

CREATE TABLE feedback_topics (
    id           INTEGER PRIMARY KEY,
    site_id      BIGINT NOT NULL REFERENCES sites (id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    active       BOOLEAN NOT NULL DEFAULT 1,
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (site_id, code)
);

CREATE TABLE feedback (
    id               INTEGER PRIMARY KEY,
    site_id          BIGINT NOT NULL REFERENCES sites (id),
    tracking_code    TEXT NOT NULL UNIQUE,
    secret_hash      TEXT NOT NULL,
    -- The submitter's secret, encrypted, kept a day so that a repeated submission gets the same answer.
    secret_sealed    TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('comment', 'proposal', 'complaint', 'other')),
    topic_id         BIGINT NOT NULL REFERENCES feedback_topics (id),
    subject_type     TEXT CHECK (subject_type IN ('article', 'procedure', 'consultation')),
    subject_ref      TEXT,
    title            TEXT NOT NULL,
    content          TEXT NOT NULL,
    search_text      TEXT NOT NULL,
    -- Personal data: encrypted; erased (set to NULL) on request or after the retention period.
    submitter_type   TEXT NOT NULL CHECK (submitter_type IN ('person', 'organization')),
    submitter_name   TEXT,
    submitter_phone  TEXT,
    submitter_email  TEXT,
    submitter_address TEXT,
    -- Blind index of the normalised email (or, without one, the phone), to find one person's submissions.
    contact_index    TEXT,
    consent_version  TEXT NOT NULL,
    consent_at       TIMESTAMP NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('received', 'in_progress', 'answered', 'rejected', 'forwarded')),
    forwarded_to     TEXT,
    assignee_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    public_reply     TEXT,
    replied_at       TIMESTAMP,
    published_at     TIMESTAMP,
    idempotency_key  TEXT,
    fingerprint      TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    closed_at        TIMESTAMP,
    personal_data_erased_at TIMESTAMP
);
CREATE INDEX feedback_status ON feedback (site_id, status, created_at);
CREATE INDEX feedback_fingerprint ON feedback (fingerprint, created_at);
CREATE UNIQUE INDEX feedback_idempotency ON feedback (idempotency_key);
CREATE INDEX feedback_contact_index ON feedback (contact_index);
CREATE INDEX feedback_published ON feedback (published_at);
CREATE INDEX feedback_closed ON feedback (closed_at);

CREATE TABLE feedback_trail (
    id           INTEGER PRIMARY KEY,
    feedback_id  BIGINT NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    actor_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    note         TEXT,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX feedback_trail_feedback ON feedback_trail (feedback_id, id);

CREATE TABLE personal_data_access (
    id           INTEGER PRIMARY KEY,
    feedback_id  BIGINT NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    user_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL CHECK (action IN ('read', 'export', 'erase')),
    at           TIMESTAMP NOT NULL
);
CREATE INDEX personal_data_access_feedback ON personal_data_access (feedback_id, at);
