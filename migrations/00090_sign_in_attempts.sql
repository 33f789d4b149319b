-- +goose Up
-- Sign-in attempts counted per key, where a key is a keyed hash (HMAC) of
-- either a normalized email address or a client address: the table never
-- holds an email or an IP address in the clear. One row per key lets a
-- single INSERT … ON CONFLICT DO UPDATE … WHERE decide atomically whether
-- one more password may be checked, in every server process at once.
CREATE TABLE sign_in_attempts (
    key      bytea PRIMARY KEY,
    -- Attempts claimed within the window and not refunded by a success.
    attempts integer NOT NULL CHECK (attempts >= 0),
    -- No attempt for this key is evaluated before next_at (the back-off).
    next_at  timestamptz NOT NULL,
    -- The window restarts once last_at is older than it; housekeeping
    -- prunes such rows.
    last_at  timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_last_at_idx ON sign_in_attempts (last_at);

-- The per-email failure log kept raw addresses and could be raced (its
-- count and its insert were separate statements); the counters replace it.
DROP TABLE login_failures;

-- +goose Down
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    remote_ip  text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_at_idx ON login_failures (lower(email), at);
DROP TABLE sign_in_attempts;
