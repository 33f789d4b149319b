-- +goose Up
-- An accepted license assignment, waiting for or done by its job. It keeps
-- the plan lease the request acquired, so the job (on any process, on any
-- attempt) resumes that lease instead of competing for a new one.
CREATE TABLE assignments (
    job_id       text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    plan_id      text NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    lock_name    text NOT NULL,
    lease_id     text NOT NULL,
    holder_kind  text NOT NULL,
    holder_id    text NOT NULL,
    holder_name  text NOT NULL,
    purpose      text NOT NULL,
    addresses    integer NOT NULL CHECK (addresses >= 0),
    duplicates   integer NOT NULL CHECK (duplicates >= 0)
);

-- The accepted list, written with COPY in the accepting transaction, read
-- by the job (and any retry of it), deleted when the job succeeds. The
-- addresses are already valid, lower-cased and de-duplicated by the parser;
-- no second index re-checks that here (it would slow every COPY), because
-- the partial unique index licenses_live_email_key already makes a
-- duplicate fail the whole assignment rather than license an address twice.
CREATE TABLE assignment_emails (
    job_id   text NOT NULL REFERENCES assignments (job_id) ON DELETE CASCADE,
    position integer NOT NULL,
    email    text NOT NULL CHECK (email = lower(email)),
    PRIMARY KEY (job_id, position)
);

-- +goose Down
DROP TABLE assignment_emails;
DROP TABLE assignments;
