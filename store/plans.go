package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// LicenseStatus is where a license (a seat) is in its life.
type LicenseStatus string

const (
	LicenseUnassigned LicenseStatus = "unassigned"
	LicenseAssigned   LicenseStatus = "assigned"
	LicenseActivated  LicenseStatus = "activated"
	LicenseRevoked    LicenseStatus = "revoked"
)

// LicenseCounts says how a plan's licenses are used.
type LicenseCounts struct {
	Unassigned int `json:"unassigned"`
	Assigned   int `json:"assigned"`
	Activated  int `json:"activated"`
	Revoked    int `json:"revoked"`
}

// InUse is the number of live licenses: the seats taken.
func (c LicenseCounts) InUse() int { return c.Assigned + c.Activated }

// Plan is a subscription plan: a number of seats for a period.
type Plan struct {
	ID             string
	Name           string
	Seats          int
	StartsAt       time.Time
	ExpiresAt      time.Time
	TermsChangedAt time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Counts         LicenseCounts
	// key is the plan's internal integer key, which its license rows
	// reference; the ULID is its public id.
	key int64
}

// NewPlan is the input of CreatePlan; nil dates default to now and a year later.
type NewPlan struct {
	Name      string
	Seats     int
	StartsAt  *time.Time
	ExpiresAt *time.Time
}

// PlanUpdate changes the fields that are set.
type PlanUpdate struct {
	Name      *string
	Seats     *int
	StartsAt  *time.Time
	ExpiresAt *time.Time
}

// MaxSeats bounds one plan, so a typo cannot create a billion rows.
const MaxSeats = 1_000_000

// planColumns reads a plan with its license counts, which are kept on its
// row (and the activated count beside it) by the database with every
// license change: one row read, whatever the plan's size. Free seats have
// no rows: they are the seats not in use. planFrom is the FROM clause they need.
const planColumns = `p.id, p.key, p.name, p.seats, p.starts_at, p.expires_at, p.terms_changed_at, p.created_at, p.updated_at,
	p.seats - p.in_use, p.in_use - a.activated, a.activated, p.revoked`

const planFrom = ` FROM plans p JOIN plan_activated a ON a.plan_id = p.id`

func scanPlan(row pgx.Row) (Plan, error) {
	var p Plan
	c := &p.Counts
	err := row.Scan(&p.ID, &p.key, &p.Name, &p.Seats, &p.StartsAt, &p.ExpiresAt, &p.TermsChangedAt, &p.CreatedAt, &p.UpdatedAt,
		&c.Unassigned, &c.Assigned, &c.Activated, &c.Revoked)
	return p, err
}

func validatePlan(name string, seats int, starts, expires time.Time) error {
	problems := map[string]string{}
	if strings.TrimSpace(name) == "" {
		problems["name"] = "A plan needs a name."
	} else if err := tooLong("plan name", name, MaxNameLength); err != nil {
		problems["name"] = err.Error()
	}
	if seats < 0 || seats > MaxSeats {
		problems["seats"] = fmt.Sprintf("Seats must be between 0 and %d.", MaxSeats)
	}
	if !expires.After(starts) {
		problems["expires_at"] = "The plan must expire after it starts."
	}
	if len(problems) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Reason: ReasonInvalidPlan, Message: joinProblems(problems, "name", "seats", "expires_at"),
		Detail: FieldProblems(problems)}
}

// seatsInUse refuses to lower a plan's seats below the licenses it has out.
func seatsInUse(inUse, seats int) error {
	return &Error{Code: EInvalid, Reason: ReasonSeatsInUse,
		Message: fmt.Sprintf("%d seats are in use; revoke licenses before lowering the plan to %d seats.", inUse, seats),
		Detail:  SeatsInUse(inUse)}
}

// CreatePlan adds a plan with all its seats unassigned: one row, however
// many seats, since a license row is made only when a seat is assigned.
func (s *Store) CreatePlan(ctx context.Context, np NewPlan, by Actor) (Plan, error) {
	starts := s.Now().UTC().Truncate(time.Second)
	if np.StartsAt != nil {
		starts = *np.StartsAt
	}
	expires := starts.AddDate(1, 0, 0)
	if np.ExpiresAt != nil {
		expires = *np.ExpiresAt
	}
	name := strings.TrimSpace(np.Name)
	if err := validatePlan(name, np.Seats, starts, expires); err != nil {
		return Plan{}, err
	}
	id := NewID()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO plans (id, name, seats, starts_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			id, name, np.Seats, starts, expires); err != nil {
			return fmt.Errorf("insert plan: %w", err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "plan.create", SubjectType: "plan", SubjectID: id,
			Summary: fmt.Sprintf("Created plan %s with %d seats", name, np.Seats)})
	})
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, id)
}

// lockPlan takes the plan's row lock for the rest of the transaction. Every
// operation that changes seats or licenses takes it first, so seat
// arithmetic (free seats vs. needed) never races. A lock that had to wait
// reads the row as the holder committed it, so the counts returned are
// current, not those of a snapshot taken before the wait.
func lockPlan(ctx context.Context, tx pgx.Tx, id string) (Plan, error) {
	p, err := scanPlan(tx.QueryRow(ctx, `SELECT `+planColumns+planFrom+` WHERE p.id = $1 FOR UPDATE OF p`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Plan{}, Errorf(ENotFound, "There is no plan %q.", id)
	}
	if err != nil {
		return Plan{}, fmt.Errorf("lock plan %s: %w", id, err)
	}
	return p, nil
}

// lockPlanRow is lockPlan for callers that need only the plan's name.
func lockPlanRow(ctx context.Context, tx pgx.Tx, id string) (name string, err error) {
	err = tx.QueryRow(ctx, `SELECT name FROM plans WHERE id = $1 FOR UPDATE`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", Errorf(ENotFound, "There is no plan %q.", id)
	}
	if err != nil {
		return "", fmt.Errorf("lock plan %s: %w", id, err)
	}
	return name, nil
}

// planKey resolves a plan's id to its internal key, failing with ENotFound
// when there is no such plan.
func planKey(ctx context.Context, q querier, id string) (int64, error) {
	var key int64
	err := q.QueryRow(ctx, `SELECT key FROM plans WHERE id = $1`, id).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, Errorf(ENotFound, "There is no plan %q.", id)
	}
	if err != nil {
		return 0, fmt.Errorf("find plan %s: %w", id, err)
	}
	return key, nil
}

// UpdatePlan changes a plan. A change of seats or dates moves
// terms_changed_at, which changes every signed license of the plan. Seats
// cannot change while bulk work holds the plan's lock (it is refused at
// once, not queued behind that work), nor drop below the seats in use.
func (s *Store) UpdatePlan(ctx context.Context, id string, u PlanUpdate, by Actor) (Plan, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if u.Seats != nil {
			// Before the row lock, which the bulk work holds until it ends:
			// refused at once rather than after the job.
			if err := s.refuseIfLocked(ctx, tx, PlanLockName(id)); err != nil {
				return err
			}
		}
		old, err := lockPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Seats != nil {
			// And again under it: while this waited for the row, a request
			// may have accepted bulk work, whose job counts on the seats it
			// found free.
			if err := s.refuseIfLocked(ctx, tx, PlanLockName(id)); err != nil {
				return err
			}
		}
		next := old
		if u.Name != nil {
			next.Name = strings.TrimSpace(*u.Name)
		}
		if u.Seats != nil {
			next.Seats = *u.Seats
		}
		if u.StartsAt != nil {
			next.StartsAt = *u.StartsAt
		}
		if u.ExpiresAt != nil {
			next.ExpiresAt = *u.ExpiresAt
		}
		if err := validatePlan(next.Name, next.Seats, next.StartsAt, next.ExpiresAt); err != nil {
			return err
		}
		// The counts are current (lockPlan); the CHECK plans_in_use_within_seats
		// would refuse the update anyway, but without naming the number.
		// Free seats are seats - in_use: changing seats is all a resize does.
		if inUse := old.Counts.InUse(); next.Seats < inUse {
			return seatsInUse(inUse, next.Seats)
		}
		termsChanged := next.Seats != old.Seats || !next.StartsAt.Equal(old.StartsAt) || !next.ExpiresAt.Equal(old.ExpiresAt)
		if _, err := tx.Exec(ctx, `UPDATE plans SET name = $2, seats = $3, starts_at = $4, expires_at = $5, updated_at = now(),
			terms_changed_at = CASE WHEN $6 THEN clock_timestamp() ELSE terms_changed_at END WHERE id = $1`,
			id, next.Name, next.Seats, next.StartsAt, next.ExpiresAt, termsChanged); err != nil {
			return fmt.Errorf("update plan: %w", err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "plan.update", SubjectType: "plan", SubjectID: id,
			Summary: planChangeSummary(old, next),
			Detail: map[string]any{"before": map[string]any{"name": old.Name, "seats": old.Seats, "starts_at": old.StartsAt, "expires_at": old.ExpiresAt},
				"after": map[string]any{"name": next.Name, "seats": next.Seats, "starts_at": next.StartsAt, "expires_at": next.ExpiresAt}}})
	})
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, id)
}

func planChangeSummary(old, next Plan) string {
	var changes []string
	if old.Name != next.Name {
		changes = append(changes, fmt.Sprintf("name %q → %q", old.Name, next.Name))
	}
	if old.Seats != next.Seats {
		changes = append(changes, fmt.Sprintf("seats %d → %d", old.Seats, next.Seats))
	}
	if !old.StartsAt.Equal(next.StartsAt) {
		changes = append(changes, "start "+old.StartsAt.Format(time.DateOnly)+" → "+next.StartsAt.Format(time.DateOnly))
	}
	if !old.ExpiresAt.Equal(next.ExpiresAt) {
		changes = append(changes, "expiry "+old.ExpiresAt.Format(time.DateOnly)+" → "+next.ExpiresAt.Format(time.DateOnly))
	}
	if len(changes) == 0 {
		return "Saved plan " + next.Name + " without changes"
	}
	return "Changed plan " + next.Name + ": " + strings.Join(changes, ", ")
}

// Plan returns one plan with its license counts.
func (s *Store) Plan(ctx context.Context, id string) (Plan, error) {
	p, err := scanPlan(s.pool.QueryRow(ctx, `SELECT `+planColumns+planFrom+` WHERE p.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Plan{}, Errorf(ENotFound, "There is no plan %q.", id)
	}
	if err != nil {
		return Plan{}, fmt.Errorf("read plan %s: %w", id, err)
	}
	return p, nil
}

// PlanFilter pages through plans in one of the PlanSorts. After is the id of
// the last plan of the previous page, Before the id of the first plan of the
// next one (paging back); set at most one.
type PlanFilter struct {
	Q             string
	After, Before string
	Sort          PlanSort // "" sorts by name
	Desc          bool
	Limit         int
}

// PlanSort is a column plans can be listed by; ties go by id.
type PlanSort string

const (
	PlanSortName    PlanSort = "name"
	PlanSortSeats   PlanSort = "seats"
	PlanSortExpires PlanSort = "expires"
)

// planSortColumns are the plans columns behind each PlanSort.
var planSortColumns = map[PlanSort]string{PlanSortName: "name", PlanSortSeats: "seats", PlanSortExpires: "expires_at"}

// ParsePlanSort accepts the sortable columns, and "" for the name.
func ParsePlanSort(s string) (PlanSort, error) {
	if s == "" {
		return PlanSortName, nil
	}
	if _, ok := planSortColumns[PlanSort(s)]; ok {
		return PlanSort(s), nil
	}
	return "", Errorf(EBadRequest, "Plans cannot be sorted by %q: use name, seats or expires.", s)
}

// PlanPage is one page of plans.
type PlanPage struct {
	Plans []Plan
	// NextAfter continues the list; "" at the end. PrevBefore goes back a
	// page; "" on the first.
	NextAfter, PrevBefore string
}

// ListPlans pages through plans by (sort column, id) both ways (keyset),
// with an optional name search.
func (s *Store) ListPlans(ctx context.Context, f PlanFilter) (PlanPage, error) {
	limit := pageLimit(f.Limit)
	sort, err := ParsePlanSort(string(f.Sort))
	if err != nil {
		return PlanPage{}, err
	}
	col := planSortColumns[sort]
	// Paging back reads the rows before the cursor in the opposite order,
	// then turns them round.
	back := f.Before != ""
	cursor, cmp, dir := f.After, ">", "ASC"
	if back {
		cursor = f.Before
	}
	if f.Desc != back {
		cmp, dir = "<", "DESC"
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT `+planColumns+planFrom+`
		WHERE ($1 = '' OR p.name ILIKE '%%' || $1 || '%%')
		  AND ($2 = '' OR (p.%[1]s, p.id) %[2]s (SELECT c.%[1]s, c.id FROM plans c WHERE c.id = $2))
		ORDER BY p.%[1]s %[3]s, p.id %[3]s LIMIT $3`, col, cmp, dir),
		escapeLike(strings.TrimSpace(f.Q)), cursor, limit+1)
	if err != nil {
		return PlanPage{}, fmt.Errorf("list plans: %w", err)
	}
	plans, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Plan, error) { return scanPlan(r) })
	if err != nil {
		return PlanPage{}, fmt.Errorf("list plans: %w", err)
	}
	var page PlanPage
	var more string
	page.Plans, more = trimPage(plans, limit, func(p Plan) string { return p.ID })
	if back {
		slices.Reverse(page.Plans)
		if n := len(page.Plans); n > 0 {
			page.NextAfter = page.Plans[n-1].ID
			if more != "" {
				page.PrevBefore = page.Plans[0].ID
			}
		}
		return page, nil
	}
	page.NextAfter = more
	if f.After != "" && len(page.Plans) > 0 {
		page.PrevBefore = page.Plans[0].ID
	}
	return page, nil
}

// CountPlans counts the plans a name search finds, for the list's total.
func (s *Store) CountPlans(ctx context.Context, q string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM plans p WHERE ($1 = '' OR p.name ILIKE '%' || $1 || '%')`,
		escapeLike(strings.TrimSpace(q))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count plans: %w", err)
	}
	return n, nil
}
