-- +goose Up
-- One index on a plan's addresses instead of two: every bulk assignment
-- updates each index of every row it takes, and the index of all addresses
-- (for the email search) duplicated the live-email invariant's. The
-- invariant's index takes the pattern operator class, whose equality is
-- text equality, so it still makes a second live license for an address
-- impossible and serves the assignment's probes, and now also serves a
-- prefix search of the live licenses. A search among revoked licenses reads
-- the plan's revoked rows (licenses_plan_status_idx).
DROP INDEX licenses_plan_email_idx;
DROP INDEX licenses_live_email_key;
CREATE UNIQUE INDEX licenses_live_email_key ON licenses (plan_id, email text_pattern_ops) WHERE status IN ('assigned', 'activated');

-- +goose Down
DROP INDEX licenses_live_email_key;
CREATE UNIQUE INDEX licenses_live_email_key ON licenses (plan_id, email) WHERE status IN ('assigned', 'activated');
CREATE INDEX licenses_plan_email_idx ON licenses (plan_id, email text_pattern_ops);
