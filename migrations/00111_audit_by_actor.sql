-- +goose Up
-- A person's own recent activity (their dashboard) reads the log by actor,
-- newest first, however long the log has grown.
CREATE INDEX audit_log_actor_idx ON audit_log (actor_kind, actor_id, id DESC);

-- +goose Down
DROP INDEX audit_log_actor_idx;
