package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// countingObserver counts lock events by "event kind".
type countingObserver struct {
	mu     sync.Mutex
	counts map[string]int
}

func (o *countingObserver) add(event, kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[event+" "+kind]++
}

func (o *countingObserver) LockGranted(kind string) { o.add("granted", kind) }
func (o *countingObserver) LockRefused(kind string) { o.add("refused", kind) }
func (o *countingObserver) LeaseLost(kind string)   { o.add("lost", kind) }

func TestLockObserver_HearsGrantsRefusalsAndLostLeasesByKindNeverByName(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	obs := &countingObserver{counts: map[string]int{}}
	s.Locks = obs
	ctx := context.Background()
	first, err := s.AcquireLock(ctx, PlanLockName("p1"), testActor("a"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLock(ctx, PlanLockName("p1"), testActor("b"), "assign", time.Minute); err == nil {
		t.Fatal("a second holder got the lock")
	}
	course, err := s.AcquireLock(ctx, CourseLockName("c1"), testActor("a"), "import", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A heartbeat that races its own work's release is not a lost lease.
	if err := s.ReleaseLock(ctx, course); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExtendLock(ctx, course, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("heartbeat of a released lease: %v", err)
	}
	// The heartbeat of an expired lease, then a fenced write under it.
	clock.Advance(time.Minute)
	if _, err := s.ExtendLock(ctx, first, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("heartbeat of an expired lease: %v", err)
	}
	err = s.underLease(ctx, first, func(pgx.Tx) error { return nil })
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("fenced write under an expired lease: %v", err)
	}
	want := map[string]int{"granted plan": 1, "refused plan": 1, "granted course": 1, "lost plan": 2}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.counts) != len(want) {
		t.Errorf("events %v, want %v", obs.counts, want)
	}
	for k, n := range want {
		if obs.counts[k] != n {
			t.Errorf("%s: %d, want %d (all: %v)", k, obs.counts[k], n, obs.counts)
		}
	}
}
