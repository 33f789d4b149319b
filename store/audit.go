package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	ID          int64
	At          time.Time
	Actor       Actor
	Action      string // dotted verb, e.g. "plan.create"
	SubjectType string
	SubjectID   string
	Summary     string // one human sentence
	Detail      any    // JSON-encodable facts behind the summary
}

// writeAudit records e inside the caller's transaction, so a change and its
// audit line commit or roll back together.
func writeAudit(ctx context.Context, q querier, e AuditEntry) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("encode audit detail: %w", err)
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, subject_type, subject_id, summary, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.Actor.Kind, e.Actor.ID, e.Actor.Name, e.Action, e.SubjectType, e.SubjectID, e.Summary, detail)
	if err != nil {
		return fmt.Errorf("write audit entry %s: %w", e.Action, err)
	}
	return nil
}

// Audit records an event that changes nothing else (a sign-in, a download).
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return writeAudit(ctx, s.pool, e)
}

// AuditFilter narrows the audit log. Before is a keyset cursor: entries with
// a smaller id than Before (0: from the newest).
type AuditFilter struct {
	Q      string // matches summary, actor or subject, case-insensitively
	Action string
	// By, when set, keeps only what that person or client did.
	By     *Actor
	Before int64
	Limit  int
}

// AuditPage is one page of entries, newest first.
type AuditPage struct {
	Entries []AuditEntry
	// NextBefore is the cursor of the following (older) page; 0 at the end.
	NextBefore int64
}

// ListAudit pages through the audit log by id, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) (AuditPage, error) {
	limit := pageLimit(f.Limit)
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Before > 0 {
		where = append(where, "id < "+arg(f.Before))
	}
	if f.Action != "" {
		where = append(where, "action = "+arg(f.Action))
	}
	if f.By != nil {
		where = append(where, "actor_kind = "+arg(f.By.Kind)+" AND actor_id = "+arg(f.By.ID))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		p := arg("%" + escapeLike(q) + "%")
		where = append(where, fmt.Sprintf("(summary ILIKE %[1]s OR actor_name ILIKE %[1]s OR subject_id ILIKE %[1]s)", p))
	}
	sql := `SELECT id, at, actor_kind, actor_id, actor_name, action, subject_type, subject_id, summary, detail FROM audit_log`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY id DESC LIMIT " + arg(limit+1)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		var detail map[string]any
		err := r.Scan(&e.ID, &e.At, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.Action, &e.SubjectType, &e.SubjectID, &e.Summary, &detail)
		e.Detail = detail
		return e, err
	})
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	var page AuditPage
	page.Entries, page.NextBefore = trimPage(entries, limit, func(e AuditEntry) int64 { return e.ID })
	return page, nil
}

// AuditActions lists the actions that occur in the log, for the filter menu.
// It skips from one action to the next in audit_log_action_idx, one probe
// per action, instead of reading every entry of the log.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `WITH RECURSIVE a (action) AS (
			SELECT min(action) FROM audit_log
			UNION ALL
			SELECT (SELECT min(action) FROM audit_log WHERE action > a.action) FROM a WHERE a.action IS NOT NULL)
		SELECT action FROM a WHERE action IS NOT NULL ORDER BY action`)
	if err != nil {
		return nil, fmt.Errorf("list audit actions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// escapeLike makes user text match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
