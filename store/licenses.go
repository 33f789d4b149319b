package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// License is one seat of a plan, held or once held: a license row is made
// when its seat is assigned, so free seats have none.
type License struct {
	ID            int64
	PlanID        string
	Status        LicenseStatus
	Email         string
	ActivationKey string // upper-case hex, as admins and instances see it
	AssignedAt    *time.Time
	RevokedAt     *time.Time
	ChangedAt     time.Time
}

// LicenseFilter pages through a plan's licenses in one of the LicenseSorts.
type LicenseFilter struct {
	// Status is "" for every status. LicenseUnassigned finds nothing: free
	// seats have no rows (the plan's counts say how many there are).
	Status LicenseStatus
	Q      string      // email prefix, case-insensitive
	Sort   LicenseSort // "" is LicenseSortAssigned
	Desc   bool
	After  string // cursor: NextCursor of the previous page
	Before string // cursor: PrevCursor of the next page (paging back); set at most one
	Limit  int
}

// LicenseSort is an order licenses can be listed in; ties go by id.
type LicenseSort string

const (
	// LicenseSortAssigned lists licenses in the order they were assigned:
	// by id, since a license row is made when its seat is assigned.
	LicenseSortAssigned LicenseSort = "assigned"
	LicenseSortEmail    LicenseSort = "email"
)

// ParseLicenseSort accepts the two orders, and "" for the assignment order.
func ParseLicenseSort(s string) (LicenseSort, error) {
	switch st := LicenseSort(s); st {
	case "":
		return LicenseSortAssigned, nil
	case LicenseSortAssigned, LicenseSortEmail:
		return st, nil
	}
	return "", Errorf(EBadRequest, "Licenses cannot be sorted by %q: use assigned or email.", s)
}

// LicensePage is one page of licenses.
type LicensePage struct {
	Licenses []License
	// NextCursor continues the list; "" at the end. PrevCursor goes back a
	// page; "" on the first.
	NextCursor, PrevCursor string
}

const licenseColumns = `id, status::text, email, activation_key, assigned_at, revoked_at, changed_at`

func scanLicense(row pgx.Row, planID string) (License, error) {
	l := License{PlanID: planID}
	var key []byte
	err := row.Scan(&l.ID, &l.Status, &l.Email, &key, &l.AssignedAt, &l.RevokedAt, &l.ChangedAt)
	l.ActivationKey = activationKeyText(key)
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

// licenseStatuses are the statuses of rows a status filter finds.
func licenseStatuses(status LicenseStatus) []string {
	switch status {
	case "":
		return []string{string(LicenseAssigned), string(LicenseActivated), string(LicenseRevoked)}
	case LicenseUnassigned:
		return nil
	}
	return []string{string(status)}
}

// byEmail are the conditions of the index scans an email search or order
// reads for a status filter, $1 being the plan's key: the live licenses from
// licenses_live_email_key (narrowed to one live status when the filter
// names it), the revoked ones from licenses_revoked_email_idx. A status the
// filter leaves out costs no scan at all.
func byEmail(status LicenseStatus) []string {
	const live, revoked = `plan_key = $1 AND status IN ('assigned', 'activated')`, `plan_key = $1 AND status = 'revoked'`
	switch status {
	case "":
		return []string{live, revoked}
	case LicenseAssigned, LicenseActivated:
		return []string{live + ` AND status = '` + string(status) + `'`}
	case LicenseRevoked:
		return []string{revoked}
	}
	return nil
}

// licenseCursor is a page boundary: the sort key of the row a page ends
// on. It names its order ("email", "-assigned", …), so a cursor is only
// ever read in the order that made it.
type licenseCursor struct {
	ID    int64
	Email string // only in the email order
}

func licenseOrder(sort LicenseSort, desc bool) string {
	if desc {
		return "-" + string(sort)
	}
	return string(sort)
}

func (c licenseCursor) encode(order string) string {
	s := order + "." + strconv.FormatInt(c.ID, 10)
	if strings.HasSuffix(order, string(LicenseSortEmail)) {
		s += "." + base64.RawURLEncoding.EncodeToString([]byte(c.Email))
	}
	return s
}

// parseLicenseCursor reads a cursor made by encode in the same order.
func parseLicenseCursor(order, s string) (licenseCursor, error) {
	bad := Errorf(EBadRequest, "The cursor %q is not one this server gave out for this order; start from the first page.", s)
	rest, ok := strings.CutPrefix(s, order+".")
	if !ok {
		return licenseCursor{}, bad
	}
	byEmail := strings.HasSuffix(order, string(LicenseSortEmail))
	id, email, hasEmail := strings.Cut(rest, ".")
	if hasEmail != byEmail {
		return licenseCursor{}, bad
	}
	var c licenseCursor
	var err error
	if c.ID, err = strconv.ParseInt(id, 10, 64); err != nil || c.ID < 0 || strconv.FormatInt(c.ID, 10) != id {
		return licenseCursor{}, bad
	}
	if byEmail {
		raw, err := base64.RawURLEncoding.DecodeString(email)
		if err != nil || !utf8.Valid(raw) {
			return licenseCursor{}, bad
		}
		c.Email = string(raw)
	}
	return c, nil
}

// maxLicensePage bounds a page of licenses: wider than pageLimit, since the
// API may ask for 500 at a time.
const maxLicensePage = 500

// ListLicenses pages through a plan's licenses by keyset in the filter's
// order, either way, filtered by status and email prefix. A page costs what
// it shows, however many licenses the plan has:
//
//   - in assignment order, each status is read from licenses_plan_status_idx
//     in id order, at most one page of each, and the pages merged; the
//     status of each scan is a parameter of the lateral subquery, so the
//     planner cannot guess that one status fills the plan and walk the
//     primary key instead;
//   - by email, the live licenses are read from licenses_live_email_key and
//     the revoked ones from licenses_revoked_email_idx (byEmail), a page of
//     each, and merged;
//   - an email search in assignment order reads the matching addresses from
//     the same two indexes and keeps a page of each.
func (s *Store) ListLicenses(ctx context.Context, planID string, f LicenseFilter) (LicensePage, error) {
	key, err := planKey(ctx, s.pool, planID)
	if err != nil {
		return LicensePage{}, err
	}
	limit := f.Limit
	if limit <= 0 || limit > maxLicensePage {
		limit = 50
	}
	status, err := ParseLicenseStatus(string(f.Status))
	if err != nil {
		return LicensePage{}, err
	}
	sort, err := ParseLicenseSort(string(f.Sort))
	if err != nil {
		return LicensePage{}, err
	}
	order := licenseOrder(sort, f.Desc)
	back := f.Before != ""
	raw := f.After
	if back {
		raw = f.Before
	}
	var at licenseCursor
	if raw != "" {
		if at, err = parseLicenseCursor(order, raw); err != nil {
			return LicensePage{}, err
		}
	}
	statuses := licenseStatuses(status)
	if len(statuses) == 0 {
		return LicensePage{}, nil
	}
	// Paging back reads the rows before the cursor in the opposite order,
	// then turns them round.
	cmp, dir := ">", "ASC"
	if f.Desc != back {
		cmp, dir = "<", "DESC"
	}
	prefix := escapeLike(strings.ToLower(strings.TrimSpace(f.Q)))
	// $1 the plan, $2 the limit; arg adds the others.
	args := []any{key, limit + 1}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	like, after := "", ""
	if prefix != "" {
		like = ` AND email LIKE ` + arg(prefix) + ` || '%'`
	}
	// scans merges a page of each index scan byEmail names, in order.
	scans := func(order string) string {
		var parts []string
		for _, cond := range byEmail(status) {
			parts = append(parts, `(SELECT `+licenseColumns+` FROM licenses WHERE `+cond+like+after+` ORDER BY `+order+` LIMIT $2)`)
		}
		return `SELECT * FROM (` + strings.Join(parts, ` UNION ALL `) + `) l ORDER BY ` + order + ` LIMIT $2`
	}
	var sql string
	switch {
	case sort == LicenseSortEmail:
		if raw != "" {
			after = ` AND (email, id) ` + cmp + ` (` + arg(at.Email) + `, ` + arg(at.ID) + `)`
		}
		sql = scans(`email ` + dir + `, id ` + dir)
	case prefix != "":
		// Each scan reads every address matching the prefix (few beside
		// the plan) and keeps a page of them in id order.
		if raw != "" {
			after = ` AND id ` + cmp + ` ` + arg(at.ID)
		}
		sql = scans(`id ` + dir)
	default:
		if raw != "" {
			after = ` AND id ` + cmp + ` ` + arg(at.ID)
		}
		sql = `SELECT l.* FROM unnest(` + arg(statuses) + `::text[]::license_status[]) s (status) CROSS JOIN LATERAL (
				SELECT ` + licenseColumns + ` FROM licenses WHERE plan_key = $1 AND status = s.status` + after + `
				ORDER BY id ` + dir + ` LIMIT $2) l
			ORDER BY l.id ` + dir + ` LIMIT $2`
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return LicensePage{}, fmt.Errorf("list licenses of plan %s: %w", planID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (License, error) { return scanLicense(r, planID) })
	if err != nil {
		return LicensePage{}, fmt.Errorf("list licenses of plan %s: %w", planID, err)
	}
	var page LicensePage
	var more string
	cursor := func(l License) string {
		c := licenseCursor{ID: l.ID}
		if sort == LicenseSortEmail {
			c.Email = l.Email
		}
		return c.encode(order)
	}
	page.Licenses, more = trimPage(list, limit, cursor)
	n := len(page.Licenses)
	if back {
		slices.Reverse(page.Licenses)
		if n > 0 {
			page.NextCursor = cursor(page.Licenses[n-1])
			if more != "" {
				page.PrevCursor = cursor(page.Licenses[0])
			}
		}
		return page, nil
	}
	page.NextCursor = more
	if f.After != "" && n > 0 {
		page.PrevCursor = cursor(page.Licenses[0])
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
			return 0, nil // free seats have no rows to list
		case LicenseAssigned:
			return c.Assigned, nil
		case LicenseActivated:
			return c.Activated, nil
		case LicenseRevoked:
			return c.Revoked, nil
		}
		return c.InUse() + c.Revoked, nil
	}
	key, err := planKey(ctx, s.pool, planID)
	if err != nil {
		return 0, err
	}
	// The matching addresses from the scans ListLicenses reads them with.
	var counts []string
	for _, cond := range byEmail(status) {
		counts = append(counts, `(SELECT count(*) FROM licenses WHERE `+cond+` AND email LIKE $2 || '%')`)
	}
	if len(counts) == 0 {
		return 0, nil
	}
	var n int
	err = s.pool.QueryRow(ctx, `SELECT `+strings.Join(counts, ` + `), key, q).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count licenses of plan %s: %w", planID, err)
	}
	return n, nil
}

// EachLicense streams the licenses a filter finds, in its order, to fn (the
// CSV export), without holding the list in memory: one query, whose rows
// pgx decodes as they arrive. An export reads every license it lists, so
// the database sorting them once costs less than the list's page-by-page
// merge would. The filter's cursors and limit are ignored.
func (s *Store) EachLicense(ctx context.Context, planID string, f LicenseFilter, fn func(License) error) error {
	key, err := planKey(ctx, s.pool, planID)
	if err != nil {
		return err
	}
	status, err := ParseLicenseStatus(string(f.Status))
	if err != nil {
		return err
	}
	sort, err := ParseLicenseSort(string(f.Sort))
	if err != nil {
		return err
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	order := `id ` + dir
	if sort == LicenseSortEmail {
		order = `email ` + dir + `, id ` + dir
	}
	rows, err := s.pool.Query(ctx, `SELECT `+licenseColumns+` FROM licenses
		WHERE plan_key = $1 AND status = ANY($2::text[]::license_status[]) AND email LIKE $3 || '%'
		ORDER BY `+order, key, licenseStatuses(status), escapeLike(strings.ToLower(strings.TrimSpace(f.Q))))
	if err != nil {
		return fmt.Errorf("export licenses of plan %s: %w", planID, err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLicense(rows, planID)
		if err != nil {
			return fmt.Errorf("export licenses of plan %s: %w", planID, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export licenses of plan %s: %w", planID, err)
	}
	return nil
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
		// And again under it: bulk work may have been accepted meanwhile.
		if err := s.refuseIfLocked(ctx, tx, PlanLockName(planID)); err != nil {
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
// holds the plan's row (lockPlanRow). The revoked row stays as history; its
// seat is free again because in_use, kept by trigger, drops with its status.
// Each address is one probe of licenses_live_email_key: a LATERAL with LIMIT
// is never turned into a join that reads every live license of the plan to
// match a list of 10,000. An address listed twice finds its row twice, which
// an UPDATE changes once.
func revokeLive(ctx context.Context, tx pgx.Tx, planID string, emails []string) (int, error) {
	tag, err := tx.Exec(ctx, `UPDATE licenses l SET status = 'revoked', revoked_at = now(), changed_at = now()
		FROM (SELECT live.id FROM plans p CROSS JOIN unnest($2::text[]) e (email)
			CROSS JOIN LATERAL (SELECT l.id FROM licenses l
				WHERE l.plan_key = p.key AND l.email = e.email AND l.status IN ('assigned', 'activated') LIMIT 1) live
			WHERE p.id = $1) hit
		WHERE l.id = hit.id`, planID, emails)
	if err != nil {
		return 0, fmt.Errorf("revoke licenses of plan %s: %w", planID, err)
	}
	return int(tag.RowsAffected()), nil
}
