-- Security hardening (issue 13), PostgreSQL dialect. Keep in step with ../sqlite/0004_security.sql:
-- same tables, same columns, same meaning. Times are Unix milliseconds written by the store.

-- Login throttling (OWASP ASVS 4 V2.2.1), one row per key: a (client, account) pair or a
-- client. A login takes a turn before its password is checked, counted as a failure in the
-- same statement that decides whether it may go ahead (so parallel attempts cannot all pass);
-- a successful login gives the turn back. `blocked_until` is the progressive delay.
CREATE TABLE login_throttle (
    key           TEXT    NOT NULL PRIMARY KEY,
    failures      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    -- 1 when the last statement on this row refused its attempt.
    refused       BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX login_throttle_by_last ON login_throttle (last_at);

-- Failed logins by email alone let anyone lock any account: replaced by login_throttle.
DROP TABLE login_failures;

-- Security events (ASVS V7.1.3, V7.2.1): sign-ins and their failures, accounts created,
-- password resets, clinician links granted and revoked, API tokens created. Never a password or
-- a token (V7.1.1).
CREATE TABLE security_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              BIGINT NOT NULL,
    event           TEXT    NOT NULL,
    actor_user_id   BIGINT REFERENCES users (id),
    subject_user_id BIGINT REFERENCES users (id),
    email           TEXT    NOT NULL,
    client          TEXT    NOT NULL,
    detail          TEXT    NOT NULL
);

CREATE INDEX security_log_by_subject ON security_log (subject_user_id, id);

-- API tokens expire (ASVS V3.3.2). Tokens made before this migration never expired: they end here.
DELETE FROM api_tokens;
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;

-- One-time password reset links an admin hands to the account's owner (ASVS V2.3.1, V2.5.6):
-- only the SHA-256 of the token is kept; using it sets a password the admin never sees.
CREATE TABLE password_resets (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL
);

CREATE INDEX password_resets_by_user ON password_resets (user_id);
