-- +goose Up
-- Which attempt may run a job, on which process, and until when that
-- process vouches for it. The attempt heartbeats alive_until while it runs
-- (the plan's lease cannot show this: its expiry cannot move while the
-- job's fenced transaction holds the lease row), so a job whose process
-- died reads as interrupted once alive_until passes and is handed to a live
-- process as a new attempt; queue entries of earlier attempts do nothing.
ALTER TABLE jobs
    ADD COLUMN attempt        integer NOT NULL DEFAULT 0 CHECK (attempt >= 0), -- only the queue entry of this attempt may run the job
    ADD COLUMN worker         text,        -- the process running (or that last ran) the job
    ADD COLUMN alive_until    timestamptz, -- while running: the worker's last heartbeat plus the lease TTL
    ADD COLUMN interruptions  integer NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    ADD COLUMN interrupted_at timestamptz, -- the last attempt stopped without finishing; a retry is due
    ADD COLUMN interruption   text,        -- why, in words a person reads
    ADD CONSTRAINT jobs_interruption_explained CHECK ((interrupted_at IS NULL) = (interruption IS NULL));

-- Every process looks for running jobs nobody vouches for, every second.
CREATE INDEX jobs_running_alive_idx ON jobs (alive_until) WHERE status = 'running';

-- +goose Down
DROP INDEX jobs_running_alive_idx;
ALTER TABLE jobs
    DROP CONSTRAINT jobs_interruption_explained,
    DROP COLUMN interruption,
    DROP COLUMN interrupted_at,
    DROP COLUMN interruptions,
    DROP COLUMN alive_until,
    DROP COLUMN worker,
    DROP COLUMN attempt;
