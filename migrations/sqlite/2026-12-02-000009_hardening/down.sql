DROP TABLE settings;
DROP TABLE login_throttles;
CREATE TABLE login_throttles (
    email           TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP
);
