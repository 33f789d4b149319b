package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store/storetest"
)

func throttledStore(t *testing.T) (*Store, *storetest.Clock) {
	t.Helper()
	s, clock := newClockedStore(t)
	s.Throttle = SignInThrottle{AccountAttempts: 5, AddressAttempts: 20, Backoff: time.Second, MaxBackoff: time.Minute, PasswordChecks: 2}
	createPerson(t, s, "victim@example.com", RoleAdmin)
	return s, clock
}

// attack sends n wrong passwords for email from addr at once and counts the
// ones that were evaluated (a wrong-password answer) and refused.
func attack(t *testing.T, s *Store, email, addr string, n int) (evaluated, refused int64) {
	t.Helper()
	var wg sync.WaitGroup
	var ev, rf atomic.Int64
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := s.Authenticate(context.Background(), email, fmt.Sprint("guess ", i), addr)
			switch ErrorCode(err) {
			case EUnauthorized:
				ev.Add(1)
			case ERateLimited:
				rf.Add(1)
			default:
				t.Errorf("guess %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return ev.Load(), rf.Load()
}

func TestSignInThrottle_ParallelGuessesAreEvaluatedAtMostTheFreeAttempts(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	evaluated, refused := attack(t, s, "victim@example.com", "203.0.113.7", 60)
	if evaluated > int64(s.Throttle.AccountAttempts) || evaluated == 0 {
		t.Errorf("%d of 60 parallel guesses were evaluated, want 1 to %d", evaluated, s.Throttle.AccountAttempts)
	}
	if evaluated+refused != 60 {
		t.Errorf("evaluated %d + refused %d ≠ 60", evaluated, refused)
	}
	// Other spellings of the address are the same account.
	if _, err := s.Authenticate(context.Background(), " VICTIM@Example.com", "guess", "203.0.113.7"); ErrorCode(err) != ERateLimited {
		t.Errorf("another spelling of the account: %v, want rate limited", err)
	}
}

func TestSignInThrottle_TheOwnerSignsInFromACleanAddressDuringAnAttack(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	attack(t, s, "victim@example.com", "203.0.113.7", 30)
	if _, err := s.Authenticate(context.Background(), "victim@example.com", "correct horse battery", "203.0.113.7"); ErrorCode(err) != ERateLimited {
		t.Fatalf("the attacker's address with the right password: %v, want rate limited", err)
	}
	if p, err := s.Authenticate(context.Background(), "victim@example.com", "correct horse battery", "198.51.100.20"); err != nil || p.Email != "victim@example.com" {
		t.Fatalf("the owner from a clean address: %v", err)
	}
}

func TestSignInThrottle_BacksOffInsteadOfLocking(t *testing.T) {
	t.Parallel()
	s, clock := throttledStore(t)
	ctx := context.Background()
	for i := range s.Throttle.AccountAttempts {
		if _, err := s.Authenticate(ctx, "victim@example.com", "wrong", "203.0.113.7"); ErrorCode(err) != EUnauthorized {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var waits []time.Duration
	for range 3 {
		_, err := s.Authenticate(ctx, "victim@example.com", "wrong", "203.0.113.7")
		e, ok := err.(*Error)
		if !ok || e.Code != ERateLimited || e.RetryAfter <= 0 {
			t.Fatalf("within the back-off: %v, want rate limited with a wait", err)
		}
		waits = append(waits, e.RetryAfter)
		clock.Advance(e.RetryAfter)
		if _, err := s.Authenticate(ctx, "victim@example.com", "wrong", "203.0.113.7"); ErrorCode(err) != EUnauthorized {
			t.Fatalf("after waiting %s: %v, want evaluated", e.RetryAfter, err)
		}
	}
	if !(waits[0] < waits[1] && waits[1] < waits[2]) {
		t.Errorf("waits %v should grow", waits)
	}
	_, err := s.Authenticate(ctx, "victim@example.com", "correct horse battery", "203.0.113.7")
	clock.Advance(err.(*Error).RetryAfter)
	if _, err := s.Authenticate(ctx, "victim@example.com", "correct horse battery", "203.0.113.7"); err != nil {
		t.Fatalf("the right password after the wait: %v", err)
	}
	// A success forgets the account's attempts.
	if _, err := s.Authenticate(ctx, "victim@example.com", "wrong", "203.0.113.7"); ErrorCode(err) != EUnauthorized {
		t.Errorf("after a success: %v, want evaluated at once", err)
	}
}

func TestSignInThrottle_OneAddressCannotSprayManyAccounts(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	ctx := context.Background()
	evaluated := 0
	for i := range 40 {
		_, err := s.Authenticate(ctx, fmt.Sprintf("user%d@example.com", i), "Winter2026!", "203.0.113.9")
		if ErrorCode(err) == EUnauthorized {
			evaluated++
		}
	}
	if evaluated != s.Throttle.AddressAttempts {
		t.Errorf("one address had %d guesses over 40 accounts evaluated, want %d", evaluated, s.Throttle.AddressAttempts)
	}
}

func TestSignInThrottle_KeepsNoEmailOrAddressInTheClear(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	attack(t, s, "victim@example.com", "203.0.113.7", 3)
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM sign_in_attempts
		WHERE position('victim'::bytea IN key) > 0 OR position('203.0.113.7'::bytea IN key) > 0`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows hold the email or address (%v)", n, err)
	}
}

func TestChangePassword_CurrentPasswordGuessesAreThrottled(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	ctx := context.Background()
	p := createPerson(t, s, "ada@example.com", RoleAdmin)
	var invalid, limited atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			switch err := s.ChangePassword(ctx, p.ID, fmt.Sprint("guess ", i), "a brand new password", "203.0.113.7"); ErrorCode(err) {
			case EInvalid:
				invalid.Add(1)
			case ERateLimited:
				limited.Add(1)
			default:
				t.Errorf("guess %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if invalid.Load() > int64(s.Throttle.AccountAttempts) {
		t.Errorf("%d current-password guesses evaluated, want at most %d", invalid.Load(), s.Throttle.AccountAttempts)
	}
}

func TestSignInThrottle_PasswordChecksBeyondTheGateWaitTheirTurn(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	s.throttleKey("", "") // makes the gate
	for range cap(s.passwordGate) {
		s.passwordGate <- struct{}{} // every slot busy with someone else's check
	}
	_, err := s.Authenticate(context.Background(), "victim@example.com", "correct horse battery", "198.51.100.1")
	if e, ok := err.(*Error); !ok || e.Code != ERateLimited || e.Reason != ReasonBusy || e.RetryAfter <= 0 {
		t.Fatalf("with the gate full: %v, want a busy refusal with a wait", err)
	}
	<-s.passwordGate
	if _, err := s.Authenticate(context.Background(), "victim@example.com", "correct horse battery", "198.51.100.1"); err != nil {
		t.Errorf("with a slot free: %v", err)
	}
}

func TestSignInThrottle_SignInsToOnesOwnAccountDoNotWashAnAddressClean(t *testing.T) {
	t.Parallel()
	s, _ := throttledStore(t)
	ctx := context.Background()
	createPerson(t, s, "mallory@example.com", RoleAuthor)
	evaluated := 0
	for i := range 20 {
		if _, err := s.Authenticate(ctx, "victim@example.com", fmt.Sprint("guess ", i), "203.0.113.66"); ErrorCode(err) == EUnauthorized {
			evaluated++
		}
		if _, err := s.Authenticate(ctx, "mallory@example.com", "correct horse battery", "203.0.113.66"); err != nil && ErrorCode(err) != ERateLimited {
			t.Fatalf("own sign-in: %v", err)
		}
	}
	if evaluated > s.Throttle.AccountAttempts {
		t.Errorf("%d guesses at the victim evaluated between sign-ins to the attacker's own account, want at most %d", evaluated, s.Throttle.AccountAttempts)
	}
}
