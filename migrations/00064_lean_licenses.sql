-- +goose Up
-- A lean license table: a license row is made when a seat is assigned,
-- not beforehand. A plan's free seats are seats - in_use, kept on its row,
-- so creating a plan of 1,000,000 seats writes one row, and an assignment
-- inserts its licenses instead of updating pre-made free ones. Every index
-- of the table is paid for by every assigned row, so the table keeps only
-- the indexes its queries need, each on small integer keys:
--
-- * plans keep their ULID as the public id and gain an integer key, which
--   license rows reference (8 bytes, not a 26-character text per row),
--   checked by the counters' trigger rather than a per-row foreign key;
-- * status is an enum, not smallint: 4 bytes instead of 2 per row, for SQL
--   that names the statuses it means and a type that refuses any other
--   value. There is no 'unassigned': a free seat has no row;
-- * the activation key is its 16 random bytes, not 32 hex characters; the
--   store shows it as upper-case hex;
-- * email is collated "C": its one index then serves equality, a prefix
--   search and an order by address alike, whatever the database's locale.
CREATE TYPE license_status AS ENUM ('assigned', 'activated', 'revoked');
ALTER TABLE plans ADD COLUMN key bigint GENERATED ALWAYS AS IDENTITY UNIQUE;

-- The triggers on the old columns go first; they are rewritten below.
DROP TRIGGER licenses_keep_counts_insert ON licenses;
DROP TRIGGER licenses_keep_counts_update ON licenses;
DROP TRIGGER licenses_keep_counts_delete ON licenses;
DROP TRIGGER licenses_notify_changed ON licenses;
DROP TRIGGER licenses_touch_changed_at ON licenses;
-- Free seats have no rows now, so there are no free rows to match them.
DROP TRIGGER plans_free_seats_unassigned ON plans;
DROP FUNCTION plans_check_free_seats();

-- Every key this server gave out is 32 hex digits; anything else would
-- be lost in the move, so it stops the migration instead.
-- +goose StatementBegin
DO $$
DECLARE
    odd bigint;
BEGIN
    SELECT count(*) INTO odd FROM licenses WHERE status <> 'unassigned' AND activation_key !~ '^[0-9A-Fa-f]{32}$';
    IF odd > 0 THEN
        RAISE EXCEPTION '% licenses have an activation key that is not 32 hex digits; fix them before migrating', odd;
    END IF;
END $$;
-- +goose StatementEnd

-- Existing data: live and revoked licenses keep their ids (activations
-- reference them); free rows go.
DROP INDEX licenses_live_email_key;
DROP INDEX licenses_plan_status_idx;
DELETE FROM licenses WHERE status = 'unassigned';
ALTER TABLE licenses ADD COLUMN plan_key bigint;
UPDATE licenses l SET plan_key = p.key, assigned_at = coalesce(l.assigned_at, l.changed_at) FROM plans p WHERE p.id = l.plan_id;
ALTER TABLE licenses
    DROP CONSTRAINT licenses_check,
    DROP CONSTRAINT licenses_check1,
    DROP CONSTRAINT licenses_status_check,
    DROP CONSTRAINT licenses_activation_key_key,
    DROP COLUMN plan_id,
    ALTER COLUMN plan_key SET NOT NULL,
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN status TYPE license_status USING status::license_status,
    ALTER COLUMN email TYPE text COLLATE "C",
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN activation_key TYPE bytea USING decode(activation_key, 'hex'),
    ALTER COLUMN activation_key SET NOT NULL,
    ADD CONSTRAINT licenses_activation_key_length CHECK (octet_length(activation_key) = 16),
    ALTER COLUMN assigned_at SET NOT NULL,
    ALTER COLUMN assigned_at SET DEFAULT now();
-- Activate finds a license by its key; two licenses never share one.
ALTER TABLE licenses ADD CONSTRAINT licenses_activation_key_key UNIQUE (activation_key);
-- Invariant: two live licenses for one email in one plan are impossible.
-- Also serves: the assignment's probe for a licensed address, revoking by
-- address, the preview's count of licensed addresses, the live licenses'
-- email search and order by email (ListLicenses, CountLicenses), and the
-- licensees a linked course enrolls.
CREATE UNIQUE INDEX licenses_live_email_key ON licenses (plan_key, email) WHERE status IN ('assigned', 'activated');
-- A plan's licenses of one status in id (assignment) order: the license
-- list in assignment order, either way, and the export. Also the index
-- plans_drop_licenses deletes a plan's licenses through.
CREATE INDEX licenses_plan_status_idx ON licenses (plan_key, status, id);
-- The revoked licenses' email search and order by email. Assignment never
-- writes to it: no assigned row matches its predicate.
CREATE INDEX licenses_revoked_email_idx ON licenses (plan_key, email, id) WHERE status = 'revoked';

-- Free seats are seats - in_use: no counter of their own.
ALTER TABLE plans
    DROP CONSTRAINT plans_counts_not_negative,
    DROP COLUMN unassigned,
    ADD CONSTRAINT plans_counts_not_negative CHECK (in_use >= 0 AND revoked >= 0);

-- The counts, kept as before (one update per plan and statement) from the
-- new columns. An assignment's INSERT moves in_use, so CHECK
-- (in_use <= seats) refuses any statement, whoever sends it, that would
-- license more addresses than the plan has seats.
--
-- The same trigger keeps the reference to the plan. A foreign key checks
-- (and locks) the plan once per inserted row: 70 ms per 10,000, half again
-- the cost of the insert itself, as the staged list's key was (00050).
-- Every license that is inserted, or moved to another plan, moves a count
-- of that plan, whose row the update above then locks until the
-- transaction ends, as the key's lock would: a plan that it finds no row
-- for does not exist, and the statement fails as a foreign key would.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION licenses_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT plan_key, status, 1 AS n FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT plan_key, status, -1 AS n FROM old_rows'
        ELSE 'SELECT plan_key, status, 1 AS n FROM new_rows UNION ALL SELECT plan_key, status, -1 FROM old_rows' END;
    missing bigint;
BEGIN
    EXECUTE format($q$
        WITH d AS (
            SELECT plan_key,
                   coalesce(sum(n) FILTER (WHERE status IN ('assigned', 'activated')), 0) AS in_use,
                   coalesce(sum(n) FILTER (WHERE status = 'activated'), 0) AS activated,
                   coalesce(sum(n) FILTER (WHERE status = 'revoked'), 0) AS revoked
            FROM (%s) m GROUP BY plan_key
        ), plan_rows AS (
            UPDATE plans p SET in_use = p.in_use + d.in_use, revoked = p.revoked + d.revoked
            FROM d WHERE p.key = d.plan_key AND (d.in_use, d.revoked) <> (0, 0)
            RETURNING p.key
        ), activated_rows AS (
            UPDATE plan_activated a SET activated = a.activated + d.activated
            FROM d JOIN plans p ON p.key = d.plan_key WHERE a.plan_id = p.id AND d.activated <> 0
        )
        SELECT (SELECT count(*) FROM d WHERE (d.in_use, d.revoked) <> (0, 0)) - (SELECT count(*) FROM plan_rows)$q$, moved)
    INTO missing;
    -- A plan's own deletion deletes its licenses after its row is gone.
    IF missing > 0 AND TG_OP <> 'DELETE' THEN
        RAISE EXCEPTION 'licenses of % plans that do not exist', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'licenses_plan_key_fkey';
    END IF;
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

-- A deleted plan takes its licenses with it, one statement per deletion
-- (what ON DELETE CASCADE did row by row).
-- +goose StatementBegin
CREATE FUNCTION plans_drop_licenses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM licenses l USING gone WHERE l.plan_key = gone.key;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER plans_drop_licenses AFTER DELETE ON plans
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION plans_drop_licenses();

-- The notification still names the plan by its ULID: that is what the
-- server processes cache by. A new license has no activation, so nothing
-- cached changes when one is inserted.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION licenses_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('license_changed', p.id)
    FROM plans p WHERE p.key IN (SELECT plan_key FROM new_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER licenses_notify_changed AFTER UPDATE ON licenses
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licenses_notify_changed();

CREATE TRIGGER licenses_touch_changed_at BEFORE UPDATE ON licenses FOR EACH ROW
    WHEN ((OLD.status IS DISTINCT FROM NEW.status OR OLD.email IS DISTINCT FROM NEW.email)
          AND NEW.changed_at <= OLD.changed_at)
    EXECUTE FUNCTION licenses_touch_changed_at();

-- A rename moves changed_at of the plan's activated licenses, found
-- through activations_plan_idx.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION plans_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name IS DISTINCT FROM NEW.name THEN
        UPDATE licenses SET changed_at = greatest(clock_timestamp(), changed_at + interval '1 microsecond')
        WHERE id IN (SELECT license_id FROM activations WHERE plan_id = NEW.id);
    END IF;
    PERFORM pg_notify('license_changed', NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- An activation names its plan's ULID itself.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION activations_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('license_changed', NEW.plan_id);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION activations_set_plan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.id INTO NEW.plan_id FROM licenses l JOIN plans p ON p.key = l.plan_key WHERE l.id = NEW.license_id;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER plans_drop_licenses ON plans;
DROP FUNCTION plans_drop_licenses();
DROP TRIGGER licenses_touch_changed_at ON licenses;
DROP TRIGGER licenses_notify_changed ON licenses;
DROP TRIGGER licenses_keep_counts_delete ON licenses;
DROP TRIGGER licenses_keep_counts_update ON licenses;
DROP TRIGGER licenses_keep_counts_insert ON licenses;

ALTER TABLE plans ADD COLUMN unassigned integer NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN plan_id text;
UPDATE licenses l SET plan_id = p.id FROM plans p WHERE p.key = l.plan_key;
ALTER TABLE licenses
    DROP CONSTRAINT licenses_activation_key_key,
    DROP CONSTRAINT licenses_activation_key_length,
    DROP COLUMN plan_key,
    ALTER COLUMN plan_id SET NOT NULL,
    ADD CONSTRAINT licenses_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES plans (id) ON DELETE CASCADE,
    ALTER COLUMN status TYPE text USING status::text,
    ALTER COLUMN status SET DEFAULT 'unassigned',
    ADD CONSTRAINT licenses_status_check CHECK (status IN ('unassigned', 'assigned', 'activated', 'revoked')),
    ALTER COLUMN email TYPE text COLLATE "default",
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN activation_key TYPE text USING upper(encode(activation_key, 'hex')),
    ALTER COLUMN activation_key DROP NOT NULL,
    ADD CONSTRAINT licenses_activation_key_key UNIQUE (activation_key),
    ALTER COLUMN assigned_at DROP NOT NULL,
    ALTER COLUMN assigned_at DROP DEFAULT,
    ADD CONSTRAINT licenses_check CHECK ((status = 'unassigned') = (email IS NULL)),
    ADD CONSTRAINT licenses_check1 CHECK ((status = 'unassigned') = (activation_key IS NULL));
INSERT INTO licenses (plan_id) SELECT p.id FROM plans p, generate_series(1, p.seats - p.in_use);
UPDATE plans SET unassigned = seats - in_use;
CREATE UNIQUE INDEX licenses_live_email_key ON licenses (plan_id, email text_pattern_ops) WHERE status IN ('assigned', 'activated');
CREATE INDEX licenses_plan_status_idx ON licenses (plan_id, status, id);
ALTER TABLE plans
    DROP CONSTRAINT plans_counts_not_negative,
    ADD CONSTRAINT plans_counts_not_negative CHECK (unassigned >= 0 AND in_use >= 0 AND revoked >= 0);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION licenses_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION licenses_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('license_changed', c.plan_id)
    FROM (SELECT DISTINCT plan_id FROM new_rows) c;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER licenses_notify_changed AFTER UPDATE ON licenses
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licenses_notify_changed();
CREATE TRIGGER licenses_touch_changed_at BEFORE UPDATE ON licenses FOR EACH ROW
    WHEN ((OLD.status IS DISTINCT FROM NEW.status OR OLD.email IS DISTINCT FROM NEW.email)
          AND NEW.changed_at <= OLD.changed_at)
    EXECUTE FUNCTION licenses_touch_changed_at();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION plans_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name IS DISTINCT FROM NEW.name THEN
        UPDATE licenses SET changed_at = greatest(clock_timestamp(), changed_at + interval '1 microsecond')
        WHERE id IN (SELECT license_id FROM activations) AND plan_id = NEW.id;
    END IF;
    PERFORM pg_notify('license_changed', NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION activations_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('license_changed', l.plan_id) FROM licenses l WHERE l.id = NEW.license_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION activations_set_plan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT plan_id INTO NEW.plan_id FROM licenses WHERE id = NEW.license_id;
    RETURN NEW;
END $$;
-- +goose StatementEnd
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

ALTER TABLE plans DROP COLUMN key;
DROP TYPE license_status;
