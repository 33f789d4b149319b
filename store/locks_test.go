package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func testActor(name string) Actor {
	return Actor{Kind: ActorPerson, ID: "id-" + name, Name: name, Role: RoleAdmin}
}

func TestAcquireLock_ExactlyOneWinnerPerRound(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	const contenders, rounds = 16, 10
	var lastToken int64
	for round := range rounds {
		var wg sync.WaitGroup
		won := make(chan Lock, contenders)
		refused := make(chan *ErrLocked, contenders)
		start := make(chan struct{})
		for i := range contenders {
			wg.Go(func() {
				<-start
				l, err := s.AcquireLock(ctx, "plan:race", testActor("c"+string(rune('a'+i))), "race", time.Minute)
				if locked, ok := errors.AsType[*ErrLocked](err); ok {
					refused <- locked
					return
				}
				if err != nil {
					t.Errorf("round %d: acquire: %v", round, err)
					return
				}
				won <- l
			})
		}
		close(start)
		wg.Wait()
		close(won)
		close(refused)
		if len(won) != 1 || len(refused) != contenders-1 {
			t.Fatalf("round %d: %d winners and %d refusals, want 1 and %d", round, len(won), len(refused), contenders-1)
		}
		winner := <-won
		for r := range refused {
			if r.Lock.LeaseID != winner.LeaseID {
				t.Errorf("round %d: refusal names lease %s, winner is %s", round, r.Lock.LeaseID, winner.LeaseID)
			}
		}
		if winner.Token <= lastToken {
			t.Errorf("round %d: token %d did not grow past %d", round, winner.Token, lastToken)
		}
		lastToken = winner.Token
		if err := s.ReleaseLock(ctx, winner); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAcquireLock_SecondRequestIsRefusedNamingTheHolder(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	first, err := s.AcquireLock(ctx, "plan:p1", testActor("alice@example.com"), "assign licenses", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AcquireLock(ctx, "plan:p1", testActor("bob@example.com"), "assign licenses", time.Minute)
	locked, ok := errors.AsType[*ErrLocked](err)
	if !ok {
		t.Fatalf("second acquire: got %v, want *ErrLocked", err)
	}
	if locked.Lock.Holder != "alice@example.com" || locked.Lock.LeaseID != first.LeaseID {
		t.Errorf("refusal names %q (lease %s), want alice's lease %s", locked.Lock.Holder, locked.Lock.LeaseID, first.LeaseID)
	}
	if n := locked.ExpiresInSeconds(); n < 1 || n > 61 {
		t.Errorf("expires in %d s, want about 60", n)
	}
	if ErrorCode(err) != EConflict {
		t.Errorf("code %q, want conflict", ErrorCode(err))
	}
	// Other names are independent.
	if _, err := s.AcquireLock(ctx, "plan:p2", testActor("bob@example.com"), "assign licenses", time.Minute); err != nil {
		t.Errorf("a different plan's lock: %v", err)
	}
}

func TestAcquireLock_ExpiredLeaseIsTakenOverWithAHigherToken(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	stale, err := s.AcquireLock(ctx, "plan:p", testActor("crashed"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute - time.Second)
	if _, err := s.AcquireLock(ctx, "plan:p", testActor("early"), "assign", time.Minute); !errors.As(err, new(*ErrLocked)) {
		t.Fatalf("takeover a second before the lease ends: %v, want *ErrLocked", err)
	}
	clock.Advance(time.Second) // the lease has just run out
	fresh, err := s.AcquireLock(ctx, "plan:p", testActor("next"), "assign", time.Minute)
	if err != nil {
		t.Fatalf("takeover of an expired lease: %v", err)
	}
	if fresh.Token <= stale.Token {
		t.Errorf("takeover token %d, want more than %d", fresh.Token, stale.Token)
	}
	if _, err := s.ExtendLock(ctx, stale, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("heartbeat of the stale lease: %v, want ErrLeaseLost", err)
	}
}

func TestUnderLease_StaleHolderCannotWrite(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE fenced_writes (holder text)`); err != nil {
		t.Fatal(err)
	}
	write := func(l Lock, holder string) error {
		return s.underLease(ctx, l, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO fenced_writes VALUES ($1)`, holder)
			return err
		})
	}
	stale, err := s.AcquireLock(ctx, "plan:p", testActor("stale"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(stale, "stale-before-expiry"); err != nil {
		t.Fatalf("write while the lease is live: %v", err)
	}
	clock.Advance(time.Minute)
	if err := write(stale, "stale-after-expiry"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("write after expiry: %v, want ErrLeaseLost", err)
	}
	fresh, err := s.AcquireLock(ctx, "plan:p", testActor("fresh"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(stale, "stale-after-takeover"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("write after takeover: %v, want ErrLeaseLost", err)
	}
	if err := write(fresh, "fresh"); err != nil {
		t.Errorf("write by the new holder: %v", err)
	}
	rows, _ := s.pool.Query(ctx, `SELECT holder FROM fenced_writes ORDER BY holder`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fresh", "stale-before-expiry"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("rows %v, want %v", got, want)
	}
}

func TestUnderLease_TakeoverWaitsForTheFencedTransaction(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	holder, err := s.AcquireLock(ctx, "plan:p", testActor("holder"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.underLease(ctx, holder, func(tx pgx.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	select {
	case <-inside:
	case err := <-done:
		t.Fatalf("the fenced transaction ended (%v) before running its work: the lease was lost before the fence check", err)
	}
	clock.Advance(time.Minute) // the lease expires while the fenced transaction is open
	type taken struct {
		l   Lock
		err error
	}
	took := make(chan taken, 1)
	go func() {
		l, err := s.AcquireLock(ctx, "plan:p", testActor("taker"), "assign", time.Minute)
		took <- taken{l, err}
	}()
	waitForLockWait(t, s) // only the takeover can be waiting: the holder waits on release
	select {
	case got := <-took:
		t.Fatalf("takeover finished (%v) while the fenced transaction still held the lease row", got.err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("fenced transaction: %v", err)
	}
	if got := <-took; got.err != nil || got.l.Token <= holder.Token {
		t.Errorf("takeover after the fenced commit: token %d (%v), want more than %d", got.l.Token, got.err, holder.Token)
	}
}

func TestResumeLock_RetryReacquiresItsOwnLeaseAndFencesTheEarlierAttempt(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	first, err := s.AcquireLock(ctx, "plan:p", testActor("job"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := s.ResumeLock(ctx, first, time.Minute)
	if err != nil {
		t.Fatalf("resume own live lease: %v", err)
	}
	if retry.LeaseID != first.LeaseID || retry.Token <= first.Token {
		t.Errorf("resume gave lease %s token %d, want lease %s with token above %d", retry.LeaseID, retry.Token, first.LeaseID, first.Token)
	}
	if err := s.underLease(ctx, first, func(pgx.Tx) error { return nil }); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("the earlier attempt could still write: %v", err)
	}
	if _, err := s.AcquireLock(ctx, "plan:p", testActor("other"), "assign", time.Minute); !errors.As(err, new(*ErrLocked)) {
		t.Errorf("another holder got the resumed lock: %v", err)
	}
}

func TestReleaseLock_FreesTheNameAfterFailedWork(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	l, err := s.AcquireLock(ctx, "plan:p", testActor("job"), "assign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	workErr := s.underLease(ctx, l, func(tx pgx.Tx) error { return errors.New("the job failed") })
	if workErr == nil {
		t.Fatal("expected the work to fail")
	}
	if err := s.ReleaseLock(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, held, _ := s.HeldLock(ctx, "plan:p"); held {
		t.Error("lock still held after release")
	}
	if _, err := s.AcquireLock(ctx, "plan:p", testActor("next"), "assign", time.Minute); err != nil {
		t.Errorf("acquire after release: %v", err)
	}
}

func TestForceReleaseLock_IsAudited(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	l, err := s.AcquireLock(ctx, "plan:p", testActor("crashed@example.com"), "assign", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	support := Actor{Kind: ActorPerson, ID: "sup", Name: "support@example.com", Role: RoleSupport}
	if err := s.ForceReleaseLock(ctx, "plan:p", support); err != nil {
		t.Fatal(err)
	}
	if err := s.ForceReleaseLock(ctx, "plan:p", support); ErrorCode(err) != ENotFound {
		t.Errorf("second release: %v, want not found", err)
	}
	if _, err := s.ExtendLock(ctx, l, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("holder's heartbeat after a forced release: %v, want ErrLeaseLost", err)
	}
	page, err := s.ListAudit(ctx, AuditFilter{Action: "lock.release"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Entries[0].Actor.Name != "support@example.com" {
		t.Errorf("audit entries %+v, want one by support", page.Entries)
	}
}

func BenchmarkLockAcquireRelease(b *testing.B) {
	s := newTestStore(b)
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		l, err := s.AcquireLock(ctx, "plan:bench", testActor("bench"), "bench", time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.ReleaseLock(ctx, l); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

func TestLockSubject_UndoesTheLockNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string][2]string{
		PlanLockName("01HPLAN"):                     {"plan", "01HPLAN"},
		CourseLockName("course-v1:Demo+CS101+2026"): {"course", "course-v1:Demo+CS101+2026"},
	} {
		kind, id, ok := LockSubject(name)
		if !ok || kind != want[0] || id != want[1] {
			t.Errorf("LockSubject(%q) = %q, %q, %v; want %q, %q", name, kind, id, ok, want[0], want[1])
		}
	}
	for _, name := range []string{"", "plan:", "migrations", "nightly:report"} {
		if _, _, ok := LockSubject(name); ok {
			t.Errorf("LockSubject(%q) claims a subject", name)
		}
	}
}
