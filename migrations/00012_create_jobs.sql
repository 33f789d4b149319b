-- +goose Up
-- The public face of background work: a stable id to poll, progress and the
-- result. River's own table drives execution; this one is what people see.
CREATE TABLE jobs (
    id              text PRIMARY KEY,              -- ULID, the API's job_id
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    subject_type    text NOT NULL,
    subject_id      text NOT NULL,
    done            bigint NOT NULL DEFAULT 0 CHECK (done >= 0),
    total           bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
    result          jsonb,
    error           text,
    created_by_kind text NOT NULL,
    created_by_id   text NOT NULL,
    created_by_name text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX jobs_subject_idx ON jobs (subject_type, subject_id, created_at DESC);

-- +goose Down
DROP TABLE jobs;
