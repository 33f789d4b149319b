-- +goose Up
-- A list uploaded or pasted for a preview, kept as it came: confirming the
-- preview reads these bytes again, so what is assigned or enrolled is what the
-- preview showed (not a list sent back through the page), and a column picked
-- after the preview reads the same upload. Only its uploader may use it, and
-- an assignment's list only for its plan. Housekeeping prunes it once expired.
CREATE TABLE staged_lists (
    id           text PRIMARY KEY,                 -- ULID
    purpose      text NOT NULL CHECK (purpose IN ('assignment', 'enrollment')),
    plan_id      text REFERENCES plans (id) ON DELETE CASCADE,
    owner_kind   text NOT NULL CHECK (owner_kind IN ('person', 'client')),
    owner_id     text NOT NULL,
    file_name    text NOT NULL DEFAULT '',         -- '' for pasted text
    content_type text NOT NULL DEFAULT '',
    -- lz4: a 16 MB upload is stored in the request that previews it.
    body         bytea COMPRESSION lz4 NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CHECK ((purpose = 'assignment') = (plan_id IS NOT NULL))
);
CREATE INDEX staged_lists_expires_idx ON staged_lists (expires_at);

-- +goose Down
DROP TABLE staged_lists;
