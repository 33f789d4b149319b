-- +goose Up
-- A course's number of learners, kept on its row in the same statement as
-- every enrollment or unenrollment (a trigger, so no path can forget it):
-- the courses list and a course's learners page read one row per course
-- instead of counting every enrollment on each view.
ALTER TABLE courses ADD COLUMN enrolled integer NOT NULL DEFAULT 0 CHECK (enrolled >= 0);
UPDATE courses c SET enrolled = e.n FROM (SELECT course_key, count(*) AS n FROM enrollments GROUP BY course_key) e
WHERE e.course_key = c.key;

-- +goose StatementBegin
CREATE FUNCTION enrollments_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT course_key, 1 AS n FROM new_rows'
                             ELSE 'SELECT course_key, -1 AS n FROM old_rows' END;
BEGIN
    EXECUTE format($q$
        UPDATE courses c SET enrolled = c.enrolled + d.n
        FROM (SELECT course_key, sum(n) AS n FROM (%s) m GROUP BY course_key) d
        WHERE c.key = d.course_key$q$, moved);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER enrollments_keep_counts_insert AFTER INSERT ON enrollments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enrollments_keep_counts();
CREATE TRIGGER enrollments_keep_counts_delete AFTER DELETE ON enrollments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enrollments_keep_counts();

-- +goose Down
DROP TRIGGER enrollments_keep_counts_delete ON enrollments;
DROP TRIGGER enrollments_keep_counts_insert ON enrollments;
DROP FUNCTION enrollments_keep_counts();
ALTER TABLE courses DROP COLUMN enrolled;
