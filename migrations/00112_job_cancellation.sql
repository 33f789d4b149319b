-- +goose Up
-- A request to cancel a job, and who made it. A queued job is failed at once;
-- a running one may be on another process, so the request is kept here and
-- the attempt reads it where it already writes its progress, then rolls its
-- work back and fails, changing nothing.
ALTER TABLE jobs
    ADD COLUMN cancel_requested_at timestamptz,
    ADD COLUMN cancelled_by_kind   text,
    ADD COLUMN cancelled_by_id     text,
    ADD COLUMN cancelled_by_name   text,
    ADD CONSTRAINT jobs_cancel_named CHECK ((cancel_requested_at IS NULL) = (cancelled_by_name IS NULL));

-- +goose Down
ALTER TABLE jobs
    DROP CONSTRAINT jobs_cancel_named,
    DROP COLUMN cancelled_by_name,
    DROP COLUMN cancelled_by_id,
    DROP COLUMN cancelled_by_kind,
    DROP COLUMN cancel_requested_at;
