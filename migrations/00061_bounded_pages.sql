-- +goose Up
-- Indexes that let every list page cost what it shows.

-- The plans list pages by (name, id).
CREATE INDEX plans_name_idx ON plans (name, id);

-- A plan's instances, newest first, without reading every activation of
-- every plan (or every license of the plan) to find a page of them. The
-- plan is the license's and never changes; a trigger fills it in, so
-- whoever records an activation need not. No foreign key: the license's
-- already removes the row with its plan, and a second check would take a
-- share lock on the plan's row, making an activation wait behind bulk work
-- that holds that row.
ALTER TABLE activations ADD COLUMN plan_id text;
UPDATE activations a SET plan_id = l.plan_id FROM licenses l WHERE l.id = a.license_id;
ALTER TABLE activations ALTER COLUMN plan_id SET NOT NULL;
CREATE INDEX activations_plan_idx ON activations (plan_id, id);
-- +goose StatementBegin
CREATE FUNCTION activations_set_plan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT plan_id INTO NEW.plan_id FROM licenses WHERE id = NEW.license_id;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER activations_set_plan BEFORE INSERT ON activations FOR EACH ROW EXECUTE FUNCTION activations_set_plan();

-- +goose Down
DROP TRIGGER activations_set_plan ON activations;
DROP FUNCTION activations_set_plan();
ALTER TABLE activations DROP COLUMN plan_id;
DROP INDEX plans_name_idx;
