package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store/storetest"
)

// newRaceStore is newTestStore with a pool wide enough for workers racing
// at once: an assignment holds one connection for its transaction and takes
// another to publish progress, so racers must not run the pool dry.
func newRaceStore(t *testing.T, workers int) *Store {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = int32(2*workers + 2)
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return New(pool)
}

// waitForLockWait waits until some backend of the test's database is waiting
// for a row lock, so a test knows its statement is queued behind another
// transaction instead of guessing with a sleep.
func waitForLockWait(t *testing.T, s *Store) {
	t.Helper()
	storetest.WaitWithin(t, 20*time.Second, "a statement waiting for a lock", func() bool {
		var waiting bool
		if err := s.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting
	})
}

// holdPlanRow begins a transaction holding the plan's row lock, as an
// accepting or assigning one does; the test commits it, or it rolls back
// at the end.
func holdPlanRow(t *testing.T, s *Store, planID string) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(ctx) })
	if _, err := tx.Exec(ctx, `SELECT 1 FROM plans WHERE id = $1 FOR UPDATE`, planID); err != nil {
		t.Fatal(err)
	}
	return tx
}

// The data-loss bug: lowering seats that waited behind an assignment in
// progress used the counts of before the wait, and left more live licenses
// than seats. The counts read under the row lock are those the assignment
// committed.
func TestUpdatePlan_LoweringSeatsAfterWaitingForAnAssignmentSeesItsLicenses(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 160)
	// An assignment of 150 in progress, holding the plan's row lock (but no
	// lease, so the seat change gets past the lease check and waits).
	tx := holdPlanRow(t, s, p.ID)
	if _, err := tx.Exec(ctx, `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT key, 'assigned', 'u' || i || '@example.com', decode(md5(i::text), 'hex') FROM plans, generate_series(1, 150) i WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		seats := 100
		_, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Seats: &seats}, testActor("support"))
		result <- err
	}()
	waitForLockWait(t, s)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err := <-result
	if e, ok := errors.AsType[*Error](err); !ok || e.Reason != ReasonSeatsInUse || e.Detail != SeatsInUse(150) {
		t.Fatalf("lowering to 100 seats under 150 licenses: %v, want seats_in_use 150", err)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Seats != 160 || got.Counts.Assigned != 150 || got.Counts.Unassigned != 10 {
		t.Errorf("after the refusal: seats %d, counts %+v", got.Seats, got.Counts)
	}
}

// Bulk work accepted while a seat change or a revocation waited for the
// plan's row counts on the plan as it found it; the waiting change is then
// refused as if it had come after the acceptance (409), not applied under
// the job.
func TestSeatChanges_AfterWaitingForAnAcceptanceAreRefused(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(s *Store, planID string) error{
		"lowering seats": func(s *Store, planID string) error {
			seats := 5
			_, err := s.UpdatePlan(context.Background(), planID, PlanUpdate{Seats: &seats}, testActor("support"))
			return err
		},
		"revoking": func(s *Store, planID string) error {
			_, err := s.RevokeLicenses(context.Background(), planID, []string{"a@example.com"}, testActor("support"))
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newTestStore(t)
			ctx := context.Background()
			p := newPlan(t, s, 30)
			assign(t, s, p.ID, mustList(t, "a@example.com"))
			// The accepting transaction: the plan's row locked, the lease not
			// yet taken, so the change gets past its first lease check and waits.
			tx := holdPlanRow(t, s, p.ID)
			result := make(chan error, 1)
			go func() { result <- change(s, p.ID) }()
			waitForLockWait(t, s)
			if _, err := s.AcquireLock(ctx, PlanLockName(p.ID), testActor("uploader"), "assign 25 licenses", time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-result; !isLocked(err) {
				t.Fatalf("after an acceptance took the lease: %v, want the lease's refusal", err)
			}
			if got := checkSeatInvariants(t, s, p.ID); got.Seats != 30 || got.Counts.Assigned != 1 {
				t.Errorf("after the refusal: seats %d, counts %+v", got.Seats, got.Counts)
			}
		})
	}
}

// Whatever the code above it does, the database refuses a plan with more
// live licenses than seats, however they would get there.
func TestSeatInvariant_TheDatabaseRefusesWhatWouldBreakIt(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	assign(t, s, p.ID, mustList(t, "a@example.com\nb@example.com\nc@example.com"))
	if _, err := s.RevokeLicenses(ctx, p.ID, []string{"c@example.com"}, SystemActor); err != nil {
		t.Fatal(err)
	}
	for name, sql := range map[string]string{
		"seats below in use": `UPDATE plans SET seats = 1 WHERE id = $1`,
		"live licenses beyond the seats": `INSERT INTO licenses (plan_key, status, email, activation_key)
			SELECT key, 'assigned', 'x' || i || '@example.com', decode(md5(i::text), 'hex') FROM plans, generate_series(1, 2) i WHERE id = $1`,
		"a revoked license made live again beyond the seats": `WITH more AS (INSERT INTO licenses (plan_key, status, email, activation_key)
				SELECT key, 'assigned', 'y@example.com', decode(md5('y'), 'hex') FROM plans WHERE id = $1)
			UPDATE licenses SET status = 'assigned' WHERE status = 'revoked' AND plan_key = (SELECT key FROM plans WHERE id = $1)`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.pool.Exec(ctx, sql, p.ID)
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "23514" {
				t.Errorf("got %v, want a check violation", err)
			}
		})
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Seats != 3 || got.Counts != (LicenseCounts{Unassigned: 1, Assigned: 2, Revoked: 1}) {
		t.Errorf("after the refusals: seats %d, counts %+v", got.Seats, got.Counts)
	}
}

// seatWorkKinds is how many kinds of work randomSeatWork does.
const seatWorkKinds = 5

// randomSeatWork does one random piece of work on a plan that moves its
// seats or licenses: an assignment, a revocation, a seat change, an
// activation, or a rogue writer's seat change from a stale read. It returns
// which kind it did and the error it got, if that is not a refusal racing
// work may get.
func randomSeatWork(ctx context.Context, t *testing.T, s *Store, planID string, rng *rand.Rand, worker int) (int, error) {
	address := func() string { return fmt.Sprintf("user%03d@example.com", rng.IntN(120)) }
	var err error
	op := rng.IntN(seatWorkKinds)
	switch op {
	case 0:
		var list []string
		for range 1 + rng.IntN(15) {
			list = append(list, address())
		}
		_, err = s.AssignNow(ctx, planID, mustList(t, strings.Join(list, "\n")), testActor("admin"))
	case 1:
		_, err = s.RevokeLicenses(ctx, planID, []string{address(), address()}, testActor("support"))
	case 2:
		seats := rng.IntN(60)
		_, err = s.UpdatePlan(ctx, planID, PlanUpdate{Seats: &seats}, testActor("support"))
	case 3:
		var key string
		if err = s.pool.QueryRow(ctx, `SELECT upper(encode(activation_key, 'hex')) FROM licenses
			WHERE plan_key = (SELECT key FROM plans WHERE id = $1) AND status = 'assigned'
			ORDER BY random() LIMIT 1`, planID).Scan(&key); err == nil {
			_, err = s.Activate(ctx, key, fmt.Sprintf("instance-%d", worker), "")
		} else if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
	case 4:
		err = lowerSeatsFromAStaleRead(ctx, s, planID, rng.IntN(10))
	}
	if err != nil && expectedRefusal(err) {
		return op, errRaceRefused
	}
	return op, err
}

// errRaceRefused stands for a refusal that racing work may get.
var errRaceRefused = errors.New("refused")

// Seat changes, assignments, revocations and activations race in rounds;
// after every round the plan has no more live licenses than seats and its
// kept counts equal a fresh count.
// A rogue writer that lowers seats from a stale read, without the plan's
// lease or row lock, races too: the database must refuse it whenever it
// would break the invariant.
func TestSeatInvariant_HoldsUnderRacingSeatChangesAssignmentsAndRevocations(t *testing.T) {
	t.Parallel()
	const rounds, workers = 8, 10
	s := newRaceStore(t, workers)
	ctx := context.Background()
	p := newPlan(t, s, 40)
	var unexpected sync.Map
	var succeeded [seatWorkKinds]atomic.Int64
	for round := range rounds {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for range 4 {
					switch op, err := randomSeatWork(ctx, t, s, p.ID, rng, w); err {
					case nil:
						succeeded[op].Add(1)
					case errRaceRefused:
					default:
						unexpected.Store(err.Error(), true)
					}
				}
			})
		}
		wg.Wait()
		got := checkSeatInvariants(t, s, p.ID)
		if live := got.Counts.InUse(); live > got.Seats {
			t.Fatalf("round %d: %d live licenses on %d seats", round, live, got.Seats)
		}
	}
	unexpected.Range(func(k, _ any) bool { t.Errorf("unexpected error: %s", k); return true })
	for op := range succeeded {
		if succeeded[op].Load() == 0 {
			t.Errorf("work of kind %d never succeeded: the race tested nothing", op)
		}
	}
}

// After random work on several plans at once, every page's counts (the
// plans list, one plan, the dashboard's seats in use) equal a fresh count.
func TestKeptCounts_EqualAFreshCountAfterRandomConcurrentWork(t *testing.T) {
	t.Parallel()
	const workers = 9
	s := newRaceStore(t, workers)
	ctx := context.Background()
	plans := []Plan{newPlan(t, s, 30), newPlan(t, s, 45), newPlan(t, s, 10)}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(99, uint64(w)))
			for range 8 {
				if _, err := randomSeatWork(ctx, t, s, plans[rng.IntN(len(plans))].ID, rng, w); err != nil && err != errRaceRefused {
					t.Errorf("work: %v", err)
				}
			}
		})
	}
	wg.Wait()
	page, err := s.ListPlans(ctx, PlanFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, p := range page.Plans {
		counted := countLicenses(t, s, p.ID)
		if p.Counts != counted {
			t.Errorf("plans list: plan %s counts %+v, counted %+v", p.ID, p.Counts, counted)
		}
		if one, _ := s.Plan(ctx, p.ID); one.Counts != counted {
			t.Errorf("plan %s: counts %+v, counted %+v", p.ID, one.Counts, counted)
		}
		live += counted.InUse()
	}
	if o, err := s.ReadOverview(ctx); err != nil || o.SeatsUsed != live {
		t.Errorf("dashboard: %d seats in use (%v), counted %d", o.SeatsUsed, err, live)
	}
}

// lowerSeatsFromAStaleRead lowers the plan's seats by cut the wrong way: it
// reads the seats in use without any lock, then writes.
func lowerSeatsFromAStaleRead(ctx context.Context, s *Store, planID string, cut int) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var seats, inUse int
		if err := tx.QueryRow(ctx, `SELECT seats, in_use FROM plans WHERE id = $1`, planID).Scan(&seats, &inUse); err != nil {
			return err
		}
		cut = min(cut, seats-inUse)
		_, err := tx.Exec(ctx, `UPDATE plans SET seats = seats - $2 WHERE id = $1`, planID, cut)
		return err
	})
}

// expectedRefusal reports whether err is one of the answers racing work may
// get: the plan is busy, the seats are short or in use, every listed address
// is licensed already, an activation limit or revocation, or (for the rogue
// writer) the database refused the write.
func expectedRefusal(err error) bool {
	if _, nothingNew := errors.AsType[*NothingToAssignError](err); isLocked(err) || nothingNew {
		return true
	}
	if e, ok := errors.AsType[*Error](err); ok {
		switch e.Reason {
		case ReasonSeatsInUse, ReasonNotEnoughSeats, ReasonActivationLimit, ReasonLicenseRevoked:
			return true
		}
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "23514"
}

// An activation moves a seat between two in-use states, so it leaves the
// plan's row alone: it completes while bulk work holds that row, and the
// activated count (kept beside the plan) moves with it.
func TestActivate_DoesNotWaitForTheRowLockOfBulkWorkOnThePlan(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := context.Background()
	tx, err := f.store.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM plans WHERE id = $1 FOR UPDATE`, f.plan.ID); err != nil {
		t.Fatal(err)
	}
	quick, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := f.store.Activate(quick, f.key, "lms-1", ""); err != nil {
		t.Fatalf("activating while the plan's row is locked: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := checkSeatInvariants(t, f.store, f.plan.ID); got.Counts.Activated != 1 || got.Counts.Assigned != 0 {
		t.Errorf("counts after the activation: %+v", got.Counts)
	}
}
