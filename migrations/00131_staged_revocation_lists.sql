-- +goose Up
-- A list staged for revocation is a preview of its own: a preview shown as
-- "assign these" can never be confirmed as "revoke these", or the other way
-- round. Like an assignment's, it belongs to one plan.
ALTER TABLE staged_lists
    DROP CONSTRAINT staged_lists_purpose_check,
    DROP CONSTRAINT staged_lists_check,
    ADD CONSTRAINT staged_lists_purpose_check CHECK (purpose IN ('assignment', 'revocation', 'enrollment')),
    ADD CONSTRAINT staged_lists_check CHECK ((purpose IN ('assignment', 'revocation')) = (plan_id IS NOT NULL));

-- +goose Down
DELETE FROM staged_lists WHERE purpose = 'revocation';
ALTER TABLE staged_lists
    DROP CONSTRAINT staged_lists_purpose_check,
    DROP CONSTRAINT staged_lists_check,
    ADD CONSTRAINT staged_lists_purpose_check CHECK (purpose IN ('assignment', 'enrollment')),
    ADD CONSTRAINT staged_lists_check CHECK ((purpose = 'assignment') = (plan_id IS NOT NULL));
