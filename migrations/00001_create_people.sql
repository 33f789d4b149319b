-- +goose Up
CREATE TABLE people (
    id            text PRIMARY KEY,                 -- ULID
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'author', 'support')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Invariant: one person per email address, whatever its case.
CREATE UNIQUE INDEX people_email_key ON people (lower(email));

-- Browser sessions live here so that logout and password change end them for
-- real; the cookie carries only a random token whose hash is the key.
CREATE TABLE web_sessions (
    token_hash   bytea PRIMARY KEY,
    person_id    text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_person_idx ON web_sessions (person_id);

-- Failed logins, counted per email address to rate-limit guessing across
-- every server process.
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    remote_ip  text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_at_idx ON login_failures (lower(email), at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE web_sessions;
DROP TABLE people;
