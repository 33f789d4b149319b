package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// License is one seat of a plan.
type License struct {
	ID            int64
	PlanID        string
	Status        LicenseStatus
	Email         string // "" while unassigned
	ActivationKey string // "" while unassigned
	AssignedAt    *time.Time
	RevokedAt     *time.Time
	ChangedAt     time.Time
}

// LicenseFilter pages through a plan's licenses in id order.
type LicenseFilter struct {
	Status LicenseStatus // "" for every status
	// ExcludeUnassigned leaves out free seats when no status is chosen: a
	// person reading the list looks for who holds what.
	ExcludeUnassigned bool
	Q                 string // email prefix, case-insensitive
	After             string // cursor: NextCursor of the previous page
	Before            string // cursor: PrevCursor of the next page (paging back); set at most one
	Limit             int
}

// LicensePage is one page of licenses.
type LicensePage struct {
	Licenses []License
	// NextCursor continues the list; "" at the end. PrevCursor goes back a
	// page; "" on the first.
	NextCursor, PrevCursor string
}

const licenseColumns = `id, plan_id, status, coalesce(email, ''), coalesce(activation_key, ''), assigned_at, revoked_at, changed_at`

func scanLicense(row pgx.Row) (License, error) {
	var l License
	err := row.Scan(&l.ID, &l.PlanID, &l.Status, &l.Email, &l.ActivationKey, &l.AssignedAt, &l.RevokedAt, &l.ChangedAt)
	return l, err
}

// ParseLicenseStatus accepts the four statuses, and "" for all of them.
func ParseLicenseStatus(s string) (LicenseStatus, error) {
	switch st := LicenseStatus(s); st {
	case "", LicenseUnassigned, LicenseAssigned, LicenseActivated, LicenseRevoked:
		return st, nil
	}
	return "", Errorf(EBadRequest, "Unknown license status %q: use unassigned, assigned, activated or revoked.", s)
}

// statuses are the statuses the filter lists, status being its parsed one.
func (f LicenseFilter) statuses(status LicenseStatus) []LicenseStatus {
	if status != "" {
		return []LicenseStatus{status}
	}
	all := []LicenseStatus{LicenseAssigned, LicenseActivated, LicenseRevoked}
	if !f.ExcludeUnassigned {
		all = append(all, LicenseUnassigned)
	}
	return all
}

// ListLicenses pages through a plan's licenses by id (keyset), filtered by
// status and email prefix. A page costs what it shows, however many licenses
// the plan has: each status is read from licenses_plan_status_idx in id order,
// at most one page of each, and the pages merged. One scan of the plan in id
// order would step over every free seat to find the few held ones (or the
// other way round); the status of each scan is a parameter of the lateral
// subquery, so the planner cannot guess that one status fills the plan and
// walk the primary key instead. An email search reads the matching live
// addresses from licenses_live_email_key.
func (s *Store) ListLicenses(ctx context.Context, planID string, f LicenseFilter) (LicensePage, error) {
	if err := planExists(ctx, s.pool, planID); err != nil {
		return LicensePage{}, err
	}
	status, err := ParseLicenseStatus(string(f.Status))
	if err != nil {
		return LicensePage{}, err
	}
	back := f.Before != ""
	cursor := f.After
	if back {
		cursor = f.Before
	}
	var at int64
	if cursor != "" {
		if at, err = strconv.ParseInt(cursor, 10, 64); err != nil || at < 0 {
			return LicensePage{}, Errorf(EBadRequest, "The cursor %q is not one this server gave out; start from the first page.", cursor)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 { // wider than pageLimit: the API may ask for 500 at a time
		limit = 50
	}
	statuses := f.statuses(status)
	// Paging back reads the rows before the cursor newest-id first, then
	// turns them round.
	cmp, dir := ">", "ASC"
	if back {
		cmp, dir = "<", "DESC"
	}
	args := []any{planID, at, limit + 1}
	var sql string
	if q := escapeLike(strings.ToLower(strings.TrimSpace(f.Q))); q != "" {
		// Live licenses from licenses_live_email_key by prefix, revoked ones
		// from the plan's revoked rows; free seats have no address.
		sql = `SELECT * FROM (
				(SELECT ` + licenseColumns + ` FROM licenses WHERE plan_id = $1 AND status IN ('assigned', 'activated')
				   AND status = ANY($4) AND email LIKE $5 || '%' AND id ` + cmp + ` $2)
				UNION ALL
				(SELECT ` + licenseColumns + ` FROM licenses WHERE plan_id = $1 AND status = 'revoked'
				   AND 'revoked' = ANY($4) AND email LIKE $5 || '%' AND id ` + cmp + ` $2 ORDER BY id ` + dir + ` LIMIT $3)) l
			ORDER BY id ` + dir + ` LIMIT $3`
		args = append(args, statuses, q)
	} else {
		sql = `SELECT l.* FROM unnest($4::text[]) s (status) CROSS JOIN LATERAL (
				SELECT ` + licenseColumns + ` FROM licenses WHERE plan_id = $1 AND status = s.status AND id ` + cmp + ` $2
				ORDER BY id ` + dir + ` LIMIT $3) l
			ORDER BY l.id ` + dir + ` LIMIT $3`
		args = append(args, statuses)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return LicensePage{}, fmt.Errorf("list licenses of plan %s: %w", planID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (License, error) { return scanLicense(r) })
	if err != nil {
		return LicensePage{}, fmt.Errorf("list licenses of plan %s: %w", planID, err)
	}
	var page LicensePage
	var more string
	key := func(l License) string { return strconv.FormatInt(l.ID, 10) }
	page.Licenses, more = trimPage(list, limit, key)
	n := len(page.Licenses)
	if back {
		slices.Reverse(page.Licenses)
		if n > 0 {
			page.NextCursor = key(page.Licenses[n-1])
			if more != "" {
				page.PrevCursor = key(page.Licenses[0])
			}
		}
		return page, nil
	}
	page.NextCursor = more
	if f.After != "" && n > 0 {
		page.PrevCursor = key(page.Licenses[0])
	}
	return page, nil
}

// CountLicenses counts the licenses a filter finds, for the list's total:
// from the plan's kept counts when only the status filters, by counting the
// matching addresses otherwise.
func (s *Store) CountLicenses(ctx context.Context, planID string, f LicenseFilter) (int, error) {
	status, err := ParseLicenseStatus(string(f.Status))
	if err != nil {
		return 0, err
	}
	q := escapeLike(strings.ToLower(strings.TrimSpace(f.Q)))
	if q == "" {
		p, err := s.Plan(ctx, planID)
		if err != nil {
			return 0, err
		}
		c := p.Counts
		switch status {
		case LicenseUnassigned:
			return c.Unassigned, nil
		case LicenseAssigned:
			return c.Assigned, nil
		case LicenseActivated:
			return c.Activated, nil
		case LicenseRevoked:
			return c.Revoked, nil
		}
		n := c.InUse() + c.Revoked
		if !f.ExcludeUnassigned {
			n += c.Unassigned
		}
		return n, nil
	}
	// The matching live addresses from licenses_live_email_key, revoked ones
	// from the plan's revoked rows, as ListLicenses finds them.
	var n int
	err = s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM licenses WHERE plan_id = $1 AND status IN ('assigned', 'activated') AND status = ANY($2) AND email LIKE $3 || '%')
		+ (SELECT count(*) FROM licenses WHERE plan_id = $1 AND status = 'revoked' AND 'revoked' = ANY($2) AND email LIKE $3 || '%')`,
		planID, f.statuses(status), q).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count licenses of plan %s: %w", planID, err)
	}
	return n, nil
}

// EachLicense streams every license of a plan in id order to fn (the CSV
// export), without holding the list in memory.
func (s *Store) EachLicense(ctx context.Context, planID string, fn func(License) error) error {
	if err := planExists(ctx, s.pool, planID); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+licenseColumns+` FROM licenses WHERE plan_id = $1 ORDER BY id`, planID)
	if err != nil {
		return fmt.Errorf("export licenses of plan %s: %w", planID, err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLicense(rows)
		if err != nil {
			return fmt.Errorf("export licenses of plan %s: %w", planID, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RevokeLicenses revokes the live licenses of the given addresses in a plan
// and returns how many it revoked; addresses without one are ignored, so a
// repeated revocation is harmless. It is refused while bulk work holds the
// plan's lock.
func (s *Store) RevokeLicenses(ctx context.Context, planID string, emails []string, by Actor) (int, error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(strings.TrimSpace(e))
	}
	var revoked int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The lease first: bulk work holds the plan's row until it ends,
		// and a revocation is refused at once rather than queued behind it.
		if err := s.refuseIfLocked(ctx, tx, PlanLockName(planID)); err != nil {
			return err
		}
		planName, err := lockPlanRow(ctx, tx, planID)
		if err != nil {
			return err
		}
		if revoked, err = revokeLive(ctx, tx, planID, lower); err != nil {
			return err
		}
		if revoked == 0 {
			return nil
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "license.revoke", SubjectType: "plan", SubjectID: planID,
			Summary: fmt.Sprintf("Revoked %d licenses of plan %s", revoked, planName),
			Detail:  map[string]any{"emails": lower, "revoked": revoked}})
	})
	return revoked, err
}

// revokeLive revokes the live licenses of the given lower-cased addresses in
// a plan and returns how many it revoked, in the caller's transaction, which
// holds the plan's row (lockPlanRow).
func revokeLive(ctx context.Context, tx pgx.Tx, planID string, emails []string) (int, error) {
	// Invariant: unassigned + assigned + activated = seats. The revoked
	// row stays as history and a fresh unassigned row takes its seat, in
	// one statement.
	tag, err := tx.Exec(ctx, `WITH revoked AS (
			UPDATE licenses SET status = 'revoked', revoked_at = now(), changed_at = now()
			WHERE plan_id = $1 AND status IN ('assigned', 'activated') AND email = ANY($2)
			RETURNING id)
		INSERT INTO licenses (plan_id) SELECT $1 FROM revoked`, planID, emails)
	if err != nil {
		return 0, fmt.Errorf("revoke licenses of plan %s: %w", planID, err)
	}
	return int(tag.RowsAffected()), nil
}
