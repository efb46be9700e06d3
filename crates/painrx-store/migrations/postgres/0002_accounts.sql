-- painrx accounts and access control, PostgreSQL dialect. Keep in step with
-- ../sqlite/0002_accounts.sql: same tables, same columns, same meaning.
-- Emails are stored folded to lower case by the store (unique, so unique case-insensitively);
-- `at` columns are Unix times in milliseconds, written by the store, so both dialects compare
-- them the same way.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL CHECK (role IN ('patient', 'clinician', 'admin')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Bearer tokens, stored only as the hex SHA-256 of the token.
CREATE TABLE api_tokens (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- A patient lets a clinician read and write their diary.
CREATE TABLE links (
    patient_user_id   BIGINT NOT NULL REFERENCES users (id),
    clinician_user_id BIGINT NOT NULL REFERENCES users (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (patient_user_id, clinician_user_id)
);

-- Every diary read or write, by whom.
CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_user_id BIGINT NOT NULL REFERENCES users (id),
    action        TEXT   NOT NULL,
    patient       TEXT   NOT NULL,
    entry_id      BIGINT,
    detail        TEXT   NOT NULL
);

CREATE INDEX audit_log_by_patient ON audit_log (patient, id);

-- Failed logins, for rate limiting (by email, whether or not an account exists).
CREATE TABLE login_failures (
    email TEXT   NOT NULL,
    at    BIGINT NOT NULL
);

CREATE INDEX login_failures_by_email ON login_failures (email, at);
