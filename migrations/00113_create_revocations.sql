-- +goose Up
-- A list accepted for revocation, waiting for or done by its job, with the
-- plan lease its request took (the job resumes it, as an assignment's does).
-- The addresses, valid, lower-cased and de-duplicated, are one array: the
-- job revokes them in batches, and empties it once it has finished.
CREATE TABLE revocations (
    job_id      text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    plan_id     text NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    lock_name   text NOT NULL,
    lease_id    text NOT NULL,
    holder_kind text NOT NULL,
    holder_id   text NOT NULL,
    holder_name text NOT NULL,
    purpose     text NOT NULL,
    addresses   integer NOT NULL CHECK (addresses >= 0),
    duplicates  integer NOT NULL CHECK (duplicates >= 0),
    emails      text[] COMPRESSION lz4 NOT NULL
);

-- +goose Down
DROP TABLE revocations;
