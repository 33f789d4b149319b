-- +goose Up
-- Admins deactivate a person instead of deleting them: their name stays on
-- the changes they made, and they can no longer sign in.
ALTER TABLE people ADD COLUMN deactivated_at timestamptz;

-- The guard against removing the last admin locks every active admin's row;
-- this keeps finding them cheap.
CREATE INDEX people_active_admins_idx ON people (id) WHERE role = 'admin' AND deactivated_at IS NULL;

-- +goose Down
DROP INDEX people_active_admins_idx;
ALTER TABLE people DROP COLUMN deactivated_at;
