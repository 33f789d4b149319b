-- +goose Up
-- An activation binds one license to one client instance. The instance
-- proves itself with a random 256-bit secret, stored as a SHA-256 hash like
-- API client secrets.
CREATE TABLE activations (
    id              text PRIMARY KEY,                  -- ULID
    license_id      bigint NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    instance_id     text NOT NULL CHECK (instance_id <> '' AND length(instance_id) <= 200),
    secret_hash     bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Written in batches by the server processes (at most every few
    -- seconds), not on every refresh: the cheap refresh path does no query.
    last_refresh_at timestamptz,
    revoked_at      timestamptz
);
-- Invariant: one live activation per (license, instance); activating again
-- from the same instance finds this row instead of adding one.
CREATE UNIQUE INDEX activations_live_key ON activations (license_id, instance_id) WHERE revoked_at IS NULL;
-- The plan page lists a plan's instances through its licenses.
CREATE INDEX activations_license_idx ON activations (license_id, id);

-- Invariant: a license's changed_at moves on every change of its status or
-- email, whichever code path makes it, so its signed document changes too.
-- greatest(...) keeps it strictly increasing even if the clock steps back.
-- +goose StatementBegin
CREATE FUNCTION licenses_touch_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := greatest(clock_timestamp(), OLD.changed_at + interval '1 microsecond');
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER licenses_touch_changed_at BEFORE UPDATE ON licenses FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION licenses_touch_changed_at();

-- Change notification: every server process LISTENs on license_changed and
-- drops what it cached for the plan named in the payload. One notification
-- per plan and statement (not per row), so a bulk assignment of 100,000
-- licenses sends one message, not 100,000. Any update of a license counts:
-- comparing old and new rows would cost a join over every bulk update, and
-- a needless invalidation costs only one indexed read per cached activation.
-- +goose StatementBegin
CREATE FUNCTION licenses_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('license_changed', c.plan_id)
    FROM (SELECT DISTINCT plan_id FROM new_rows) c;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER licenses_notify_changed AFTER UPDATE ON licenses
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licenses_notify_changed();

-- The plan's name is in the signed document but is not a term (it does not
-- move terms_changed_at), so a rename moves changed_at of the plan's
-- activated licenses instead: the document changes, and its ETag with it.
-- +goose StatementBegin
CREATE FUNCTION plans_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name IS DISTINCT FROM NEW.name THEN
        UPDATE licenses SET changed_at = greatest(clock_timestamp(), changed_at + interval '1 microsecond')
        WHERE id IN (SELECT license_id FROM activations) AND plan_id = NEW.id;
    END IF;
    PERFORM pg_notify('license_changed', NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER plans_notify_changed AFTER UPDATE ON plans FOR EACH ROW
    WHEN (OLD.terms_changed_at IS DISTINCT FROM NEW.terms_changed_at OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION plans_notify_changed();

-- A new secret (re-activation) or a revoked activation must reach every
-- process's cache of secret hashes.
-- +goose StatementBegin
CREATE FUNCTION activations_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('license_changed', l.plan_id) FROM licenses l WHERE l.id = NEW.license_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER activations_notify_changed AFTER UPDATE ON activations FOR EACH ROW
    WHEN (OLD.secret_hash IS DISTINCT FROM NEW.secret_hash OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
    EXECUTE FUNCTION activations_notify_changed();

-- +goose Down
DROP TRIGGER activations_notify_changed ON activations;
DROP FUNCTION activations_notify_changed();
DROP TRIGGER plans_notify_changed ON plans;
DROP FUNCTION plans_notify_changed();
DROP TRIGGER licenses_notify_changed ON licenses;
DROP FUNCTION licenses_notify_changed();
DROP TRIGGER licenses_touch_changed_at ON licenses;
DROP FUNCTION licenses_touch_changed_at();
DROP TABLE activations;
