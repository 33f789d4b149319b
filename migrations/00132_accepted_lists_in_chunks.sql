-- +goose Up
-- An accepted list (of an assignment or a revocation) is kept in chunks:
-- one row per chunk of up to 10,000 addresses, each one array, in list
-- order. The job reads one chunk per statement, so a server holds one
-- chunk of a 1,000,000-address list in memory, not all of it; and storing
-- and dropping a list writes a row per chunk, not per address (a row per
-- address, with its (job_id, position) index entry, was about 0.4 s of a
-- 100,000-address assignment). Written in the accepting transaction,
-- deleted when the job finishes, and with the job if it is deleted.
CREATE TABLE job_lists (
    job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    chunk  integer NOT NULL CHECK (chunk >= 0),
    emails text[] COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (job_id, chunk)
);

INSERT INTO job_lists (job_id, chunk, emails)
SELECT job_id, (position - 1) / 10000, array_agg(email ORDER BY position)
FROM assignment_emails GROUP BY 1, 2;
DROP TRIGGER assignments_drop_lists ON assignments;
DROP FUNCTION assignments_drop_lists();
DROP TABLE assignment_emails;

INSERT INTO job_lists (job_id, chunk, emails)
SELECT r.job_id, (e.position - 1) / 10000, array_agg(e.email ORDER BY e.position)
FROM revocations r, unnest(r.emails) WITH ORDINALITY e (email, position) GROUP BY 1, 2;
ALTER TABLE revocations DROP COLUMN emails;

-- +goose Down
ALTER TABLE revocations ADD COLUMN emails text[] COMPRESSION lz4 NOT NULL DEFAULT '{}';
UPDATE revocations r SET emails = l.emails
FROM (SELECT l.job_id, array_agg(e.email ORDER BY l.chunk, e.position) AS emails
      FROM job_lists l, unnest(l.emails) WITH ORDINALITY e (email, position) GROUP BY 1) l
WHERE l.job_id = r.job_id;
ALTER TABLE revocations ALTER COLUMN emails DROP DEFAULT;

CREATE TABLE assignment_emails (
    job_id   text NOT NULL,
    position integer NOT NULL,
    email    text NOT NULL CHECK (email = lower(email)),
    PRIMARY KEY (job_id, position)
);
INSERT INTO assignment_emails (job_id, position, email)
SELECT l.job_id, row_number() OVER (PARTITION BY l.job_id ORDER BY l.chunk, e.position), e.email
FROM assignments a JOIN job_lists l ON l.job_id = a.job_id, unnest(l.emails) WITH ORDINALITY e (email, position);
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
DROP TABLE job_lists;
