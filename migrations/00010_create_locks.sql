-- +goose Up
-- Named leases that make bulk work on one plan or course linearizable.
-- Invariant: at most one live holder per name — the primary key makes a lock
-- a single row, and acquisition is one INSERT … ON CONFLICT DO UPDATE … WHERE
-- (expired or released), so two acquirers can never both succeed.
CREATE TABLE locks (
    name         text PRIMARY KEY,
    lease_id     text NOT NULL,                    -- ULID of this acquisition
    token        bigint NOT NULL,                  -- fencing token: +1 on every acquisition
    holder_kind  text NOT NULL,
    holder_id    text NOT NULL,
    holder_name  text NOT NULL,
    purpose      text NOT NULL,
    acquired_at  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    released_at  timestamptz
);

-- +goose Down
DROP TABLE locks;
