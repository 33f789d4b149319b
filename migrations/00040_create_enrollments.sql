-- +goose Up
-- A learner (by email) enrolled in a course.
CREATE TABLE enrollments (
    course_key       text NOT NULL REFERENCES courses (key) ON DELETE CASCADE,
    email            text NOT NULL CHECK (email = lower(email) AND btrim(email) <> ''),
    enrolled_at      timestamptz NOT NULL DEFAULT now(),
    enrolled_by_kind text NOT NULL CHECK (enrolled_by_kind IN ('person', 'client', 'system')),
    enrolled_by_id   text NOT NULL,
    enrolled_by_name text NOT NULL,
    -- Invariant: a learner is enrolled in a course at most once. Bulk
    -- enrollment relies on it (INSERT … ON CONFLICT DO NOTHING), and the
    -- per-course list pages through it by email.
    PRIMARY KEY (course_key, email)
);

-- The courses whose learners a plan's licensees are enrolled in.
CREATE TABLE plan_courses (
    plan_id    text NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    course_key text NOT NULL REFERENCES courses (key) ON DELETE CASCADE,
    linked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, course_key)
);
CREATE INDEX plan_courses_course_idx ON plan_courses (course_key);

-- The outcome of a bulk enrollment made on the pages, kept so the person who
-- uploaded the list can download the per-pair result. Pruned after 30 days.
CREATE TABLE enrollment_results (
    id         text PRIMARY KEY,                   -- ULID, also the audit entry's subject
    created_at timestamptz NOT NULL DEFAULT now(),
    actor_name text NOT NULL,
    enrolled   integer NOT NULL CHECK (enrolled >= 0),
    existing   integer NOT NULL CHECK (existing >= 0),
    problems   jsonb NOT NULL DEFAULT '[]',        -- [{index, line, email, course, reason}]
    -- CSV: index,line,email,course,result,reason. lz4 because the default
    -- pglz took about twice as long to store a 100,000-pair result (5 MB).
    outcome    text COMPRESSION lz4 NOT NULL
);
CREATE INDEX enrollment_results_created_idx ON enrollment_results (created_at);

-- +goose Down
DROP TABLE enrollment_results;
DROP TABLE plan_courses;
DROP TABLE enrollments;
