-- +goose Up
CREATE TABLE plans (
    id               text PRIMARY KEY,             -- ULID
    name             text NOT NULL CHECK (btrim(name) <> ''),
    seats            integer NOT NULL CHECK (seats >= 0),
    starts_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    -- Moves whenever seats or dates change: signed licenses carry it, so a
    -- change of terms changes every license of the plan.
    terms_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > starts_at)
);

-- One row per seat. Revoking keeps the row (history) and adds a fresh
-- unassigned one, so unassigned + assigned + activated = seats at all times.
CREATE TABLE licenses (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id        text NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    status         text NOT NULL DEFAULT 'unassigned'
                   CHECK (status IN ('unassigned', 'assigned', 'activated', 'revoked')),
    email          text CHECK (email = lower(email)),
    activation_key text UNIQUE,
    assigned_at    timestamptz,
    activated_at   timestamptz,
    revoked_at     timestamptz,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'unassigned') = (email IS NULL)),
    CHECK ((status = 'unassigned') = (activation_key IS NULL))
);
-- Invariant: two live (assigned or activated) licenses for one email in one
-- plan are impossible.
CREATE UNIQUE INDEX licenses_live_email_key ON licenses (plan_id, email) WHERE status IN ('assigned', 'activated');
-- Free seats are found, and license lists paged, by plan and status.
CREATE INDEX licenses_plan_status_idx ON licenses (plan_id, status, id);
-- Search by email prefix within a plan.
CREATE INDEX licenses_plan_email_idx ON licenses (plan_id, email text_pattern_ops);

-- +goose Down
DROP TABLE licenses;
DROP TABLE plans;
