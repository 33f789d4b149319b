-- +goose Up
-- Which attempt may run a job, under which lease, and on which process, so a
-- job whose process died reads as interrupted (its lease expired without
-- being released), is handed at once to a live process as a new attempt,
-- and a stale queue entry of an earlier attempt does nothing.
ALTER TABLE jobs
    ADD COLUMN lock_name      text,       -- the lease the running attempt works under
    ADD COLUMN lease_id       text,
    ADD COLUMN attempt        integer NOT NULL DEFAULT 0 CHECK (attempt >= 0), -- only the queue entry of this attempt may run the job
    ADD COLUMN worker         text,       -- the process running (or that last ran) the job
    ADD COLUMN interruptions  integer NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    ADD COLUMN interrupted_at timestamptz, -- the last attempt stopped without finishing; a retry is due
    ADD COLUMN interruption   text,       -- why, in words a person reads
    ADD CONSTRAINT jobs_lease_named CHECK ((lock_name IS NULL) = (lease_id IS NULL)),
    ADD CONSTRAINT jobs_interruption_explained CHECK ((interrupted_at IS NULL) = (interruption IS NULL));

-- Jobs accepted before this migration already name their lease.
UPDATE jobs j SET lock_name = a.lock_name, lease_id = a.lease_id FROM assignments a WHERE a.job_id = j.id;
UPDATE jobs j SET lock_name = c.lock_name, lease_id = c.lease_id FROM course_imports c WHERE c.job_id = j.id;

-- Every process looks for running jobs whose lease expired, often.
CREATE INDEX jobs_running_idx ON jobs (started_at) WHERE status = 'running';

-- +goose Down
DROP INDEX jobs_running_idx;
ALTER TABLE jobs
    DROP CONSTRAINT jobs_interruption_explained,
    DROP CONSTRAINT jobs_lease_named,
    DROP COLUMN interruption,
    DROP COLUMN interrupted_at,
    DROP COLUMN interruptions,
    DROP COLUMN worker,
    DROP COLUMN attempt,
    DROP COLUMN lease_id,
    DROP COLUMN lock_name;
