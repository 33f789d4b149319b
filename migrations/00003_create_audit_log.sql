-- +goose Up
-- Append-only record of every change a person or API client makes.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_kind   text NOT NULL CHECK (actor_kind IN ('person', 'client', 'system')),
    actor_id     text NOT NULL DEFAULT '',
    actor_name   text NOT NULL DEFAULT '',
    action       text NOT NULL,                    -- e.g. 'plan.create', 'lock.release'
    subject_type text NOT NULL DEFAULT '',
    subject_id   text NOT NULL DEFAULT '',
    summary      text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'
);
-- Keyset pagination walks id downwards; filters narrow by action and actor.
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, id DESC);

-- +goose Down
DROP TABLE audit_log;
