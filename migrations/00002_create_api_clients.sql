-- +goose Up
-- OAuth 2.0 clients (client credentials grant). Secrets and tokens are random
-- 256-bit values, so a SHA-256 hash is a sufficient way to store them.
CREATE TABLE api_clients (
    id          text PRIMARY KEY,                  -- the client_id
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'author', 'support')),
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

CREATE TABLE api_tokens (
    token_hash bytea PRIMARY KEY,
    client_id  text NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX api_tokens_expires_idx ON api_tokens (expires_at);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE api_clients;
