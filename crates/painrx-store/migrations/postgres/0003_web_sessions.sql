-- Browser sessions of the web app, PostgreSQL dialect. Keep in step with
-- ../sqlite/0003_web_sessions.sql. The cookie carries a random token; only its hex SHA-256 is
-- stored. Sessions live in the database (not in a server's memory), so several stateless
-- servers can share them. `expires_at` is Unix milliseconds.

CREATE TABLE web_sessions (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL
);

CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
