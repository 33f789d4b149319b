-- +goose Up
-- One row per operation on a course: one page action, one API request, one
-- import job, one undo. Every block version belongs to exactly one, so the
-- change log lists whole actions and an action can be undone as a whole.
CREATE TABLE course_operations (
    op_id       text PRIMARY KEY,
    course_key  text NOT NULL REFERENCES courses (key),
    -- Commit order within a course: every operation writes its row while it
    -- holds the course row lock, so identity values (and clock_timestamp()
    -- in "at") are handed out in the order the operations commit. Unique:
    -- the list's keyset cursor names exactly one operation.
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    source      text NOT NULL CHECK (source IN ('ui', 'api', 'import', 'undo')),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('person', 'client', 'system')),
    actor_id    text NOT NULL,
    actor_name  text NOT NULL,
    at          timestamptz NOT NULL,
    summary     text NOT NULL,
    changes     integer NOT NULL,              -- versions written
    blocks      integer NOT NULL,              -- distinct blocks they belong to
    block_ids   text[] NOT NULL,               -- the first of those blocks, at most 100
    reverts_op  text,                          -- the operation this one undid
    reverts_to  timestamptz,                   -- the instant a course restore went back to
    UNIQUE (op_id, course_key),
    -- An undo undoes an operation of its own course.
    FOREIGN KEY (reverts_op, course_key) REFERENCES course_operations (op_id, course_key),
    CHECK (blocks >= 1 AND changes >= blocks),
    CHECK (cardinality(block_ids) BETWEEN 1 AND least(blocks, 100)),
    CHECK (reverts_op IS NULL OR reverts_to IS NULL),
    CHECK ((reverts_op IS NULL AND reverts_to IS NULL) OR source = 'undo')
);

-- The operations that existed before this table, one per op_id of the
-- versions, in the order of their first version; the summary is the one
-- their audit line gave the action.
INSERT INTO course_operations (op_id, course_key, source, actor_kind, actor_id, actor_name, at, summary, changes, blocks, block_ids)
SELECT g.op_id, g.course_key, g.source, g.actor_kind, g.actor_id, g.actor_name, g.at, coalesce(a.summary, g.summary),
       g.changes, g.blocks, g.block_ids[1:100]
FROM (
    SELECT op_id, min(course_key) AS course_key, min(source) AS source, min(actor_kind) AS actor_kind, min(actor_id) AS actor_id,
           min(actor_name) AS actor_name, min(created_at) AS at, (array_agg(summary ORDER BY version_id))[1] AS summary,
           count(*) AS changes, count(DISTINCT block_id) AS blocks, array_agg(DISTINCT block_id) AS block_ids,
           min(version_id) AS first_version
    FROM block_versions GROUP BY op_id
) g
LEFT JOIN (
    SELECT DISTINCT ON (detail->>'op_id') detail->>'op_id' AS op_id, summary
    FROM audit_log WHERE detail ? 'op_id' ORDER BY detail->>'op_id', id
) a ON a.op_id = g.op_id
ORDER BY g.first_version;

-- Invariant: a version belongs to a recorded operation of its own course.
ALTER TABLE block_versions ADD CONSTRAINT block_versions_op_fkey
    FOREIGN KEY (op_id, course_key) REFERENCES course_operations (op_id, course_key);

-- The operations list, newest first (seq < cursor), plain and per filter:
-- each filter has an index led by its column and ending in seq, so page
-- 1,000 is the same index range scan as page 1.
CREATE INDEX course_operations_course_idx ON course_operations (course_key, seq DESC);
CREATE INDEX course_operations_actor_idx ON course_operations (course_key, actor_name, seq DESC);
CREATE INDEX course_operations_source_idx ON course_operations (course_key, source, seq DESC);
-- "Undone by …" on each listed operation: one probe per row.
CREATE INDEX course_operations_reverts_idx ON course_operations (reverts_op) WHERE reverts_op IS NOT NULL;

-- An operation's versions: what a revert writes back, the per-block diffs
-- of one row of the list, and the counts check below.
CREATE INDEX block_versions_op_idx ON block_versions (op_id, block_id);
-- The course at an instant: for each block, its newest version at or
-- before that instant is the first entry of this index at or below it.
CREATE INDEX block_versions_block_at_idx ON block_versions (block_id, created_at DESC);

-- +goose StatementBegin
CREATE FUNCTION course_operations_counts_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The kept counts are the operation's versions and their distinct
    -- blocks, and the listed blocks are among them.
    IF (SELECT count(*) <> NEW.changes OR count(DISTINCT block_id) <> NEW.blocks
            OR NOT (NEW.block_ids <@ array_agg(block_id))
        FROM block_versions WHERE op_id = NEW.op_id) THEN
        RAISE EXCEPTION 'operation % does not count its versions', NEW.op_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER course_operations_counts_match AFTER INSERT ON course_operations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION course_operations_counts_match();

-- +goose StatementBegin
CREATE FUNCTION course_operations_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'course operations are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
-- Invariant: like its versions, an operation once recorded never changes.
CREATE TRIGGER course_operations_immutable BEFORE UPDATE OR DELETE ON course_operations
    FOR EACH ROW EXECUTE FUNCTION course_operations_immutable();
CREATE TRIGGER course_operations_no_truncate BEFORE TRUNCATE ON course_operations
    FOR EACH STATEMENT EXECUTE FUNCTION course_operations_immutable();

-- +goose Down
DROP INDEX block_versions_block_at_idx;
DROP INDEX block_versions_op_idx;
ALTER TABLE block_versions DROP CONSTRAINT block_versions_op_fkey;
DROP TABLE course_operations;
DROP FUNCTION course_operations_immutable();
DROP FUNCTION course_operations_counts_match();
