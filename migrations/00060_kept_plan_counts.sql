-- +goose Up
-- The seat invariant, kept by the database: a plan's license counts are
-- kept on its row in the same statement as every license change (a trigger,
-- so no code path can forget them), and CHECKs refuse any change, however
-- requests interleave, that would put more live licenses on a plan than it
-- has seats. A seat check that reads the counters under the plan's row lock
-- reads their latest committed values, never a snapshot taken before it
-- waited for the lock. Reading the counts costs one row, not a scan of the
-- plan's licenses.
ALTER TABLE plans
    ADD COLUMN unassigned integer NOT NULL DEFAULT 0,
    ADD COLUMN in_use     integer NOT NULL DEFAULT 0, -- assigned + activated
    ADD COLUMN revoked    integer NOT NULL DEFAULT 0;

-- Activations move a seat from assigned to activated: both in use, so the
-- plan's row is not touched and an activation never waits behind a bulk
-- assignment holding it. That count lives in a row of its own.
CREATE TABLE plan_activated (
    plan_id   text PRIMARY KEY REFERENCES plans (id) ON DELETE CASCADE,
    activated integer NOT NULL DEFAULT 0 CHECK (activated >= 0)
);

-- Existing data: licenses that a stale seat check let exceed a plan's
-- seats stay (nobody loses a license); the plan's seats grow to hold them,
-- and free seats are trimmed or added so unassigned rows are exactly the
-- free seats.
UPDATE plans p SET unassigned = c.unassigned, in_use = c.in_use, revoked = c.revoked,
    seats = greatest(p.seats, c.in_use),
    terms_changed_at = CASE WHEN c.in_use > p.seats THEN clock_timestamp() ELSE p.terms_changed_at END
FROM (SELECT plan_id,
             count(*) FILTER (WHERE status = 'unassigned') AS unassigned,
             count(*) FILTER (WHERE status IN ('assigned', 'activated')) AS in_use,
             count(*) FILTER (WHERE status = 'revoked') AS revoked
      FROM licenses GROUP BY plan_id) c
WHERE c.plan_id = p.id;
DELETE FROM licenses l USING (
    SELECT f.id, row_number() OVER (PARTITION BY f.plan_id ORDER BY f.id DESC) AS nth, p.unassigned - (p.seats - p.in_use) AS excess
    FROM licenses f JOIN plans p ON p.id = f.plan_id WHERE f.status = 'unassigned') x
WHERE l.id = x.id AND x.nth <= x.excess;
INSERT INTO licenses (plan_id) SELECT p.id FROM plans p, generate_series(1, p.seats - p.in_use - p.unassigned);
UPDATE plans SET unassigned = seats - in_use;
INSERT INTO plan_activated (plan_id, activated)
SELECT p.id, count(l.id) FROM plans p LEFT JOIN licenses l ON l.plan_id = p.id AND l.status = 'activated' GROUP BY p.id;

ALTER TABLE plans
    ADD CONSTRAINT plans_in_use_within_seats CHECK (in_use <= seats),
    ADD CONSTRAINT plans_counts_not_negative CHECK (unassigned >= 0 AND in_use >= 0 AND revoked >= 0);

-- Every plan has its activated counter from the start.
-- +goose StatementBegin
CREATE FUNCTION plans_add_activated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO plan_activated (plan_id) SELECT id FROM new_plans;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER plans_add_activated AFTER INSERT ON plans
    REFERENCING NEW TABLE AS new_plans
    FOR EACH STATEMENT EXECUTE FUNCTION plans_add_activated();

-- One counter update per plan and statement, from the statement's changed
-- rows: a bulk assignment of 10,000 licenses updates the plan once. Rows
-- whose status did not move (a changed_at touch) cancel out and write
-- nothing. PostgreSQL gives a statement-level trigger the transition
-- tables of one event only, so the three events share this function.
-- +goose StatementBegin
CREATE FUNCTION licenses_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT plan_id, status, 1 AS n FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT plan_id, status, -1 AS n FROM old_rows'
        ELSE 'SELECT plan_id, status, 1 AS n FROM new_rows UNION ALL SELECT plan_id, status, -1 FROM old_rows' END;
BEGIN
    EXECUTE format($q$
        WITH d AS (
            SELECT plan_id,
                   coalesce(sum(n) FILTER (WHERE status = 'unassigned'), 0) AS unassigned,
                   coalesce(sum(n) FILTER (WHERE status IN ('assigned', 'activated')), 0) AS in_use,
                   coalesce(sum(n) FILTER (WHERE status = 'activated'), 0) AS activated,
                   coalesce(sum(n) FILTER (WHERE status = 'revoked'), 0) AS revoked
            FROM (%s) m GROUP BY plan_id
        ), plan_rows AS (
            UPDATE plans p SET unassigned = p.unassigned + d.unassigned, in_use = p.in_use + d.in_use, revoked = p.revoked + d.revoked
            FROM d WHERE p.id = d.plan_id AND (d.unassigned, d.in_use, d.revoked) <> (0, 0, 0)
        )
        UPDATE plan_activated a SET activated = a.activated + d.activated
        FROM d WHERE a.plan_id = d.plan_id AND d.activated <> 0$q$, moved);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER licenses_keep_counts_insert AFTER INSERT ON licenses
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licenses_keep_counts();
CREATE TRIGGER licenses_keep_counts_update AFTER UPDATE ON licenses
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licenses_keep_counts();
CREATE TRIGGER licenses_keep_counts_delete AFTER DELETE ON licenses
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licenses_keep_counts();

-- Unassigned rows are exactly the free seats. Within a transaction the two
-- move one after the other (seats first, then the rows that fill or free
-- them), so this is checked when the transaction commits.
-- +goose StatementBegin
CREATE FUNCTION plans_check_free_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p plans%ROWTYPE;
BEGIN
    SELECT * INTO p FROM plans WHERE id = NEW.id;
    IF FOUND AND p.unassigned <> p.seats - p.in_use THEN
        RAISE EXCEPTION 'plan % has % unassigned licenses for % free seats', p.id, p.unassigned, p.seats - p.in_use
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plans_free_seats_unassigned';
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER plans_free_seats_unassigned AFTER INSERT OR UPDATE OF seats, unassigned, in_use ON plans
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION plans_check_free_seats();

-- +goose Down
DROP TRIGGER plans_free_seats_unassigned ON plans;
DROP FUNCTION plans_check_free_seats();
DROP TRIGGER licenses_keep_counts_delete ON licenses;
DROP TRIGGER licenses_keep_counts_update ON licenses;
DROP TRIGGER licenses_keep_counts_insert ON licenses;
DROP FUNCTION licenses_keep_counts();
DROP TRIGGER plans_add_activated ON plans;
DROP FUNCTION plans_add_activated();
DROP TABLE plan_activated;
ALTER TABLE plans DROP COLUMN unassigned, DROP COLUMN in_use, DROP COLUMN revoked;
