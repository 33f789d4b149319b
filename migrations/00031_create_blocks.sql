-- +goose Up
-- Which block type may hold which: course → chapter → sequential → vertical →
-- leaf (html, problem, video). Blocks reference this table, so a misplaced
-- type is refused by a foreign key whatever path wrote it.
CREATE TABLE block_type_rules (
    parent_type text NOT NULL,
    child_type  text NOT NULL,
    PRIMARY KEY (parent_type, child_type)
);
INSERT INTO block_type_rules VALUES
    ('course', 'chapter'), ('chapter', 'sequential'), ('sequential', 'vertical'),
    ('vertical', 'html'), ('vertical', 'problem'), ('vertical', 'video');

-- The blocks of every course, live and deleted. Deleting keeps the row (with
-- deleted_in = the operation that deleted it), so a restore brings back the
-- exact subtree; the version log keeps every state it ever had.
CREATE TABLE blocks (
    id           text PRIMARY KEY,                 -- ULID
    course_key   text NOT NULL REFERENCES courses (key),
    type         text NOT NULL CHECK (type IN ('course', 'chapter', 'sequential', 'vertical', 'html', 'problem', 'video')),
    display_name text NOT NULL CHECK (btrim(display_name) <> '' AND length(display_name) <= 200),
    fields       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object'),
    parent_id    text,
    parent_type  text,
    -- The ordered children. Invariant (checked at commit by
    -- blocks_children_match): a live block's children are exactly its live
    -- child rows, each once.
    children     text[] NOT NULL DEFAULT '{}',
    -- The current version: the API's ETag. Every state a block is in is a
    -- recorded version (deferred: the version row is written in the same
    -- transaction, after the change).
    version_id   text NOT NULL,
    deleted_in   text,                             -- op_id of the delete that removed it; NULL while live
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, course_key, type),
    -- A block's parent is in the same course and of a type that may hold it.
    FOREIGN KEY (parent_id, course_key, parent_type) REFERENCES blocks (id, course_key, type),
    FOREIGN KEY (parent_type, type) REFERENCES block_type_rules (parent_type, child_type),
    -- Only the course block is a root.
    CHECK ((type = 'course') = (parent_id IS NULL)),
    CHECK ((parent_id IS NULL) = (parent_type IS NULL)),
    CHECK (type <> 'course' OR deleted_in IS NULL)
);
-- One root block per course.
CREATE UNIQUE INDEX blocks_one_root ON blocks (course_key) WHERE type = 'course';
CREATE INDEX blocks_parent_idx ON blocks (parent_id);
CREATE INDEX blocks_course_idx ON blocks (course_key);

-- A block's state as versions record it: enough to show and to restore it.
CREATE FUNCTION block_state(b blocks) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('type', b.type, 'display_name', b.display_name, 'fields', b.fields,
                              'parent_id', b.parent_id, 'children', to_jsonb(b.children))
$$;

-- +goose StatementBegin
CREATE FUNCTION blocks_children_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The changed block and its parent: each live one's children array holds
    -- exactly its live child rows, each once, and nothing else.
    IF EXISTS (
        SELECT 1 FROM blocks p
        WHERE p.id IN (NEW.id, NEW.parent_id) AND p.deleted_in IS NULL
          AND (cardinality(p.children) <> (SELECT count(*) FROM blocks c WHERE c.parent_id = p.id AND c.deleted_in IS NULL)
            OR cardinality(p.children) <> (SELECT count(*) FROM blocks c WHERE c.parent_id = p.id AND c.deleted_in IS NULL AND c.id = ANY (p.children)))
    ) OR (
        -- A live block hangs under a live parent.
        NEW.deleted_in IS NULL AND EXISTS (SELECT 1 FROM blocks p WHERE p.id = NEW.parent_id AND p.deleted_in IS NOT NULL)
    ) THEN
        RAISE EXCEPTION 'children of block % or its parent do not match its child blocks', NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER blocks_children_match AFTER INSERT OR UPDATE ON blocks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION blocks_children_match();

-- Every change to a block: who, through what, when, and the state before and
-- after (NULL before a create, NULL after a delete). Immutable: see below.
CREATE TABLE block_versions (
    version_id  text PRIMARY KEY,                  -- ULID: sorts by time, the history's keyset cursor
    op_id       text NOT NULL,                     -- groups the versions one operation wrote
    course_key  text NOT NULL REFERENCES courses (key),
    block_id    text NOT NULL REFERENCES blocks (id),
    change      text NOT NULL CHECK (change IN ('create', 'update', 'move', 'delete', 'restore')),
    source      text NOT NULL CHECK (source IN ('ui', 'api', 'import', 'undo')),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('person', 'client', 'system')),
    actor_id    text NOT NULL,
    actor_name  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    summary     text NOT NULL,
    before      jsonb,
    after       jsonb,
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);
-- Newest-first keyset pages (version_id < cursor), plain and per filter:
-- each filter has an index led by its column, so page 1,000 costs what page 1 does.
CREATE INDEX block_versions_course_idx ON block_versions (course_key, version_id DESC);
CREATE INDEX block_versions_block_idx ON block_versions (block_id, version_id DESC);
CREATE INDEX block_versions_actor_idx ON block_versions (course_key, actor_name, version_id DESC);
CREATE INDEX block_versions_source_idx ON block_versions (course_key, source, version_id DESC);

ALTER TABLE blocks ADD FOREIGN KEY (version_id) REFERENCES block_versions (version_id) DEFERRABLE INITIALLY DEFERRED;

-- +goose StatementBegin
CREATE FUNCTION block_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'block versions are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
-- Invariant: a version, once written, never changes or disappears.
CREATE TRIGGER block_versions_immutable BEFORE UPDATE OR DELETE ON block_versions
    FOR EACH ROW EXECUTE FUNCTION block_versions_immutable();
CREATE TRIGGER block_versions_no_truncate BEFORE TRUNCATE ON block_versions
    FOR EACH STATEMENT EXECUTE FUNCTION block_versions_immutable();

-- +goose Down
DROP TABLE block_versions CASCADE;
DROP TABLE blocks CASCADE;
DROP FUNCTION block_versions_immutable();
DROP FUNCTION blocks_children_match();
DROP TABLE block_type_rules;
