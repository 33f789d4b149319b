-- +goose Up
-- How many instances may hold a live activation of one license of the plan
-- at once. Activation checks it under the license's row lock, which every
-- activation of the license takes first, so concurrent activations cannot
-- exceed it.
ALTER TABLE plans ADD COLUMN instances_per_license integer NOT NULL DEFAULT 1
    CHECK (instances_per_license BETWEEN 1 AND 1000);

-- +goose Down
ALTER TABLE plans DROP COLUMN instances_per_license;
