-- +goose Up
-- Courses are named by a key such as "course-v1:Demo+CS101+2026".
CREATE TABLE courses (
    key        text PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9:+._-]{0,199}$'),
    title      text NOT NULL CHECK (btrim(title) <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Authors, people or API clients, edit only the courses they are staff of.
CREATE TABLE course_staff (
    course_key text NOT NULL REFERENCES courses (key) ON DELETE CASCADE,
    person_id  text REFERENCES people (id) ON DELETE CASCADE,
    client_id  text REFERENCES api_clients (id) ON DELETE CASCADE,
    CHECK ((person_id IS NULL) <> (client_id IS NULL))
);
CREATE UNIQUE INDEX course_staff_person_key ON course_staff (person_id, course_key) WHERE person_id IS NOT NULL;
CREATE UNIQUE INDEX course_staff_client_key ON course_staff (client_id, course_key) WHERE client_id IS NOT NULL;

-- +goose Down
DROP TABLE course_staff;
DROP TABLE courses;
