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
)

// waitForLockWait waits until some backend of the test's database is waiting
// for a row lock, so a test knows its statement is queued behind another
// transaction instead of guessing with a sleep.
func waitForLockWait(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var waiting bool
		if err := s.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
	t.Fatal("no statement started waiting for a lock within 20 s")
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM plans WHERE id = $1 FOR UPDATE`, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE licenses SET status = 'assigned', email = 'u' || id || '@example.com', activation_key = 'k' || id
		WHERE id IN (SELECT id FROM licenses WHERE plan_id = $1 AND status = 'unassigned' ORDER BY id LIMIT 150)`, p.ID); err != nil {
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
	err = <-result
	if e, ok := errors.AsType[*Error](err); !ok || e.Reason != ReasonSeatsInUse || e.Detail != SeatsInUse(150) {
		t.Fatalf("lowering to 100 seats under 150 licenses: %v, want seats_in_use 150", err)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Seats != 160 || got.Counts.Assigned != 150 || got.Counts.Unassigned != 10 {
		t.Errorf("after the refusal: seats %d, counts %+v", got.Seats, got.Counts)
	}
}

// Whatever the code above it does, the database refuses a plan with more
// live licenses than seats, and unassigned rows that are not exactly the
// free seats.
func TestSeatInvariant_TheDatabaseRefusesWhatWouldBreakIt(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	assign(t, s, p.ID, mustList(t, "a@example.com\nb@example.com"))
	for name, sql := range map[string]string{
		"seats below in use": `WITH d AS (DELETE FROM licenses WHERE plan_id = $1 AND status = 'unassigned')
			UPDATE plans SET seats = 1 WHERE id = $1`,
		"fewer seats, free rows kept":     `UPDATE plans SET seats = 2 WHERE id = $1`,
		"more seats without free rows":    `UPDATE plans SET seats = 5 WHERE id = $1`,
		"a free row beyond the seats":     `INSERT INTO licenses (plan_id) VALUES ($1)`,
		"a revocation freeing no seat":    `UPDATE licenses SET status = 'revoked', revoked_at = now() WHERE plan_id = $1 AND email = 'a@example.com'`,
		"a live license beyond the seats": `INSERT INTO licenses (plan_id, status, email, activation_key) VALUES ($1, 'assigned', 'x@example.com', 'kx')`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.pool.Exec(ctx, sql, p.ID)
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "23514" {
				t.Errorf("got %v, want a check violation", err)
			}
		})
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Seats != 3 || got.Counts != (LicenseCounts{Unassigned: 1, Assigned: 2}) {
		t.Errorf("after the refusals: seats %d, counts %+v", got.Seats, got.Counts)
	}
}

// Seat changes, assignments, revocations and activations race in rounds;
// after every round the plan has no more live licenses than seats, its free
// rows are exactly its free seats, and its kept counts equal a fresh count.
// A rogue writer that lowers seats from a stale read, without the plan's
// lease or row lock, races too: the database must refuse it whenever it
// would break the invariant.
func TestSeatInvariant_HoldsUnderRacingSeatChangesAssignmentsAndRevocations(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 40)
	address := func(i int) string { return fmt.Sprintf("user%03d@example.com", i) }
	const rounds, workers, people = 8, 10, 120
	var unexpected sync.Map
	var succeeded [5]atomic.Int64
	for round := range rounds {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for range 4 {
					var err error
					op := rng.IntN(len(succeeded))
					switch op {
					case 0: // an assignment of a few addresses
						var list []string
						for range 1 + rng.IntN(15) {
							list = append(list, address(rng.IntN(people)))
						}
						_, err = s.AssignNow(ctx, p.ID, mustList(t, strings.Join(list, "\n")), testActor("admin"))
					case 1: // a revocation
						_, err = s.RevokeLicenses(ctx, p.ID, []string{address(rng.IntN(people)), address(rng.IntN(people))}, testActor("support"))
					case 2: // a seat change
						seats := rng.IntN(60)
						_, err = s.UpdatePlan(ctx, p.ID, PlanUpdate{Seats: &seats}, testActor("support"))
					case 3: // an activation of some assigned license
						var key string
						if err = s.pool.QueryRow(ctx, `SELECT activation_key FROM licenses WHERE plan_id = $1 AND status = 'assigned'
							ORDER BY random() LIMIT 1`, p.ID).Scan(&key); err == nil {
							_, err = s.Activate(ctx, key, fmt.Sprintf("instance-%d", w), "")
						} else if errors.Is(err, pgx.ErrNoRows) {
							err = nil
						}
					case 4: // the rogue writer
						err = lowerSeatsFromAStaleRead(ctx, s, p.ID, rng.IntN(10))
					}
					if err == nil {
						succeeded[op].Add(1)
					} else if !expectedRefusal(err) {
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

// lowerSeatsFromAStaleRead lowers the plan's seats by cut the wrong way: it
// reads the seats in use without any lock, then writes.
func lowerSeatsFromAStaleRead(ctx context.Context, s *Store, planID string, cut int) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var seats, inUse int
		if err := tx.QueryRow(ctx, `SELECT seats, in_use FROM plans WHERE id = $1`, planID).Scan(&seats, &inUse); err != nil {
			return err
		}
		cut = min(cut, seats-inUse)
		if _, err := tx.Exec(ctx, `UPDATE plans SET seats = seats - $2 WHERE id = $1`, planID, cut); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM licenses WHERE id IN (
			SELECT id FROM licenses WHERE plan_id = $1 AND status = 'unassigned' ORDER BY id DESC LIMIT $2)`, planID, cut)
		return err
	})
}

// expectedRefusal reports whether err is one of the answers racing work may
// get: the plan is busy, the seats are short or in use, or (for the rogue
// writer) the database refused the write.
func expectedRefusal(err error) bool {
	if isLocked(err) {
		return true
	}
	if e, ok := errors.AsType[*Error](err); ok {
		// Two workers may pick one assigned license: the second instance
		// is over the plan's one instance per license.
		return e.Reason == ReasonSeatsInUse || e.Reason == ReasonNotEnoughSeats || e.Reason == ReasonActivationLimit
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "23514"
}
