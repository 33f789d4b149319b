-- +goose Up
-- Two enrollments that touch the same courses both move those courses'
-- counts at the end of their statement. The update took the course rows in
-- whatever order its join produced, so two such statements could each hold
-- one course and wait for the other's: a deadlock, and one of them failed.
-- The counted courses are now locked in key order first, as the enrollment
-- rows themselves are inserted, so concurrent enrollments queue instead.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enrollments_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT course_key, 1 AS n FROM new_rows'
                             ELSE 'SELECT course_key, -1 AS n FROM old_rows' END;
BEGIN
    EXECUTE format($q$
        SELECT count(*) FROM (SELECT 1 FROM courses c
            WHERE c.key IN (SELECT course_key FROM (%s) m)
            ORDER BY c.key FOR NO KEY UPDATE) locked$q$, moved);
    EXECUTE format($q$
        UPDATE courses c SET enrolled = c.enrolled + d.n
        FROM (SELECT course_key, sum(n) AS n FROM (%s) m GROUP BY course_key) d
        WHERE c.key = d.course_key$q$, moved);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enrollments_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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
