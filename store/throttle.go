package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/seatplan/seatplan/store/emaillist"
)

// SignInThrottle bounds how many passwords are checked, per account and per
// client address, and how many at once.
//
// An account allows AccountAttempts checks within the window without delay;
// each one beyond waits Backoff, doubled every time, up to MaxBackoff. A client
// address allows AddressAttempts before its own back-off starts (more, since
// an office shares one address). There is no hard lock: the owner of an
// account under attack signs in from an address that has no failed attempts,
// whatever the account's back-off, and otherwise waits at most MaxBackoff.
type SignInThrottle struct {
	// Key keys the hashes that name accounts and addresses in the database,
	// so the counters hold no email or IP address. Every process sharing a
	// database must use the same key; empty picks a random one, for tests
	// and single processes.
	Key             []byte
	AccountAttempts int
	AddressAttempts int
	Backoff         time.Duration
	MaxBackoff      time.Duration
	// PasswordChecks bounds concurrent password hash comparisons for
	// attempts not yet authenticated, so a flood of guesses cannot take the
	// CPU from everything else (the license refresh path above all).
	PasswordChecks int
}

// DefaultSignInThrottle is the throttle a Store starts with. Half the CPUs
// may check passwords at once, so the other half always serve the rest.
func DefaultSignInThrottle() SignInThrottle {
	return SignInThrottle{AccountAttempts: 5, AddressAttempts: 20, Backoff: time.Second, MaxBackoff: time.Minute,
		PasswordChecks: max(1, runtime.GOMAXPROCS(0)/2)}
}

// throttleWindow is how long a key's attempts count: after this long without
// an attempt, its counter starts over and housekeeping prunes its row.
const throttleWindow = 15 * time.Minute

// passwordGateWait is how long an attempt waits for a free password check
// before it is told to come back.
const passwordGateWait = 3 * time.Second

// throttleKey is the keyed hash naming one account or client address.
func (s *Store) throttleKey(kind, value string) []byte {
	s.throttleOnce.Do(func() {
		if len(s.Throttle.Key) == 0 {
			s.Throttle.Key = make([]byte, 32)
			rand.Read(s.Throttle.Key)
		}
		n := max(s.Throttle.PasswordChecks, 1)
		s.passwordGate = make(chan struct{}, n)
	})
	m := hmac.New(sha256.New, s.Throttle.Key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// accountKey names an account by its email as people type it: trimmed and
// compared without case (and, for valid addresses, in canonical form), so
// VICTIM@Example.com counts against victim@example.com.
func (s *Store) accountKey(email string) []byte {
	norm, reason := emaillist.ValidEmail(email)
	if reason != "" {
		norm = strings.ToLower(strings.TrimSpace(email))
	}
	return s.throttleKey("account", norm)
}

// addressKey names a client address. IPv6 clients are counted per /64, the
// block one subscriber usually holds, so rotating through it buys nothing.
func (s *Store) addressKey(addr string) []byte {
	if ip, err := netip.ParseAddr(addr); err == nil {
		ip = ip.Unmap()
		if ip.Is6() {
			p, _ := ip.Prefix(64)
			addr = p.String()
		} else {
			addr = ip.String()
		}
	}
	return s.throttleKey("address", addr)
}

// claimSQL claims one attempt for a key in one statement: the row is
// inserted, or updated only when its back-off has passed (or its window
// ended), and RETURNING reports the attempts so far. Under concurrency the
// row lock of ON CONFLICT DO UPDATE re-checks the WHERE on the latest row,
// so two attempts can never both take the last free slot. $1 key, $2 now,
// $3 window, $4 free attempts, $5 back-off, $6 longest back-off, $7 whether
// the back-off applies.
const claimSQL = `INSERT INTO sign_in_attempts AS t (key, attempts, next_at, last_at)
	VALUES ($1, 1, $2::timestamptz + CASE WHEN 1 < $4::int THEN interval '0' ELSE $5::interval END, $2::timestamptz)
	ON CONFLICT (key) DO UPDATE SET
		attempts = ` + attemptsAfter + `,
		next_at = $2::timestamptz + CASE WHEN ` + attemptsAfter + ` < $4::int THEN interval '0'
			ELSE least($5::interval * power(2, least(` + attemptsAfter + ` - $4::int, 30)), $6::interval) END,
		last_at = $2::timestamptz
	WHERE NOT $7::boolean OR t.next_at <= $2::timestamptz OR t.last_at <= $2::timestamptz - $3::interval
	RETURNING attempts`

// attemptsAfter is a row's count once this attempt is added: a window that
// ended starts over.
const attemptsAfter = `(CASE WHEN t.last_at <= $2::timestamptz - $3::interval THEN 1 ELSE t.attempts + 1 END)`

// signInClaim is one reserved evaluation of a password.
type signInClaim struct {
	account, address []byte
}

// claimSignIn decides, atomically and for every process, whether one more
// password for account may be checked from address. The address is claimed
// first; when it had no attempts in the window, the account's back-off does
// not apply (the attempt still counts), which is what lets an owner in while
// someone else guesses at their account. Both claims commit together or not
// at all. A refusal is ERateLimited with the wait in RetryAfter.
func (s *Store) claimSignIn(ctx context.Context, email, address string) (signInClaim, error) {
	c := signInClaim{account: s.accountKey(email), address: s.addressKey(address)}
	t, now := s.Throttle, s.Now()
	var refusedKey []byte
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var addrAttempts, acctAttempts int
		err := tx.QueryRow(ctx, claimSQL, c.address, now, throttleWindow, t.AddressAttempts, t.Backoff, t.MaxBackoff, true).Scan(&addrAttempts)
		if errors.Is(err, pgx.ErrNoRows) {
			refusedKey = c.address
			return errRefused
		}
		if err != nil {
			return fmt.Errorf("claim sign-in attempt for the address: %w", err)
		}
		gated := addrAttempts > 1
		err = tx.QueryRow(ctx, claimSQL, c.account, now, throttleWindow, t.AccountAttempts, t.Backoff, t.MaxBackoff, gated).Scan(&acctAttempts)
		if errors.Is(err, pgx.ErrNoRows) {
			refusedKey = c.account
			return errRefused
		}
		if err != nil {
			return fmt.Errorf("claim sign-in attempt for the account: %w", err)
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return c, s.throttled(ctx, refusedKey, now)
	}
	return c, err
}

var errRefused = errors.New("attempt refused")

// throttled is the refusal of an attempt, saying how long to wait.
func (s *Store) throttled(ctx context.Context, key []byte, now time.Time) error {
	var next time.Time
	if err := s.pool.QueryRow(ctx, `SELECT next_at FROM sign_in_attempts WHERE key = $1`, key).Scan(&next); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read sign-in back-off: %w", err)
	}
	wait := max(next.Sub(now), time.Second)
	secs := int(math.Ceil(wait.Seconds()))
	return &Error{Code: ERateLimited, Reason: ReasonTooManyAttempts, RetryAfter: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf("Too many failed sign-in attempts. Wait %d seconds and try again.", secs)}
}

// succeeded forgets the account's attempts and refunds the address's, so a
// busy office address is not slowed down by its own good sign-ins.
func (s *Store) succeeded(ctx context.Context, c signInClaim) error {
	if _, err := s.pool.Exec(ctx, `WITH a AS (DELETE FROM sign_in_attempts WHERE key = $1)
		UPDATE sign_in_attempts SET attempts = greatest(attempts - 1, 0) WHERE key = $2`, c.account, c.address); err != nil {
		return fmt.Errorf("clear sign-in attempts: %w", err)
	}
	return nil
}

// checkPassword compares a password with its hash once a slot of the
// password gate is free; a flood waits its turn instead of taking every CPU.
func (s *Store) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	s.throttleKey("", "") // makes the gate on first use
	timer := time.NewTimer(passwordGateWait)
	defer timer.Stop()
	select {
	case s.passwordGate <- struct{}{}:
	case <-timer.C:
		return false, &Error{Code: ERateLimited, Reason: ReasonBusy, RetryAfter: time.Second,
			Message: "The server is checking many sign-ins just now; try again in a second."}
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.passwordGate }()
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil, nil
}
