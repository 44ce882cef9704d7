-- Login throttling keyed by fixed-size hashes (an account, an account from one address, an
-- address an account signed in from before), so that no input can grow a key; rows expire.
DROP TABLE login_throttles;
CREATE TABLE login_throttles (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP
);
CREATE INDEX login_throttles_age ON login_throttles (last_failure_at);

-- Facts the server keeps about itself, such as the check of the personal-data key.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
