-- +goose Up
-- An accepted course import, waiting for or done by its job. Like an
-- assignment it keeps the course lease the request acquired, so the job (on
-- any process, on any attempt) resumes that lease instead of competing for it.
CREATE TABLE course_imports (
    job_id      text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    course_key  text NOT NULL REFERENCES courses (key),
    lock_name   text NOT NULL,
    lease_id    text NOT NULL,
    holder_kind text NOT NULL,
    holder_id   text NOT NULL,
    holder_name text NOT NULL,
    purpose     text NOT NULL,
    tree        jsonb NOT NULL CHECK (jsonb_typeof(tree) = 'object') -- the validated block tree, root = the course block
);

-- +goose Down
DROP TABLE course_imports;
