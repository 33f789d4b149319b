-- +goose Up
-- An accepted assignment's list moves from a row per address into one
-- array on the assignment, as a revocation keeps its list. Written in the
-- accepting transaction, read once by the job, emptied when it finishes.
-- A row per address cost most of accepting a list (100,000 heap rows and
-- their (job_id, position) index entries: about 0.4 s of a 100,000-address
-- assignment) and again deleting it; one compressed array is written and
-- dropped as one value.
ALTER TABLE assignments ADD COLUMN emails text[] COMPRESSION lz4 NOT NULL DEFAULT '{}';
UPDATE assignments a SET emails = l.emails
FROM (SELECT job_id, array_agg(email ORDER BY position) AS emails FROM assignment_emails GROUP BY job_id) l
WHERE l.job_id = a.job_id;
ALTER TABLE assignments ALTER COLUMN emails DROP DEFAULT;
DROP TRIGGER assignments_drop_lists ON assignments;
DROP FUNCTION assignments_drop_lists();
DROP TABLE assignment_emails;

-- +goose Down
CREATE TABLE assignment_emails (
    job_id   text NOT NULL,
    position integer NOT NULL,
    email    text NOT NULL CHECK (email = lower(email)),
    PRIMARY KEY (job_id, position)
);
INSERT INTO assignment_emails (job_id, position, email)
SELECT a.job_id, e.position, e.email FROM assignments a, unnest(a.emails) WITH ORDINALITY e (email, position);
-- +goose StatementBegin
CREATE FUNCTION assignments_drop_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM assignment_emails e USING gone WHERE e.job_id = gone.job_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER assignments_drop_lists AFTER DELETE ON assignments
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_drop_lists();
ALTER TABLE assignments DROP COLUMN emails;
