package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Lock is one acquisition of a named lease. Token is its fencing token:
// writes done under the lease check it in their own transaction.
type Lock struct {
	Name       string
	LeaseID    string
	Token      int64
	HolderKind ActorKind
	HolderID   string
	Holder     string
	Purpose    string
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// PlanLockName and CourseLockName name the locks that serialise bulk work.
func PlanLockName(planID string) string      { return lockKindPlan + ":" + planID }
func CourseLockName(courseKey string) string { return lockKindCourse + ":" + courseKey }

// The kinds of lock are named as jobs name their subjects.
const (
	lockKindPlan   = "plan"
	lockKindCourse = "course"
)

// LockSubject undoes PlanLockName and CourseLockName: what the lock guards
// ("plan" or "course", as jobs name their subjects) and its id. ok is false
// for locks of any other kind.
func LockSubject(name string) (subjectType, subjectID string, ok bool) {
	for _, kind := range []string{lockKindPlan, lockKindCourse} {
		if id, found := strings.CutPrefix(name, kind+":"); found && id != "" {
			return kind, id, true
		}
	}
	return "", "", false
}

// LockKind is the part of a lock's name that says what it guards ("plan",
// "course"), without the id: what metrics may be labelled with.
func LockKind(name string) string {
	kind, _, _ := strings.Cut(name, ":")
	return kind
}

// LockObserver hears how leases fare, by lock kind: a lease taken, a
// request refused because work holds the lock, and a holder that found its
// lease gone (a heartbeat or a fenced write came too late).
type LockObserver interface {
	LockGranted(kind string)
	LockRefused(kind string)
	LeaseLost(kind string)
}

type unobserved struct{}

func (unobserved) LockGranted(string) {}
func (unobserved) LockRefused(string) {}
func (unobserved) LeaseLost(string)   {}

// ErrLeaseLost means the lease expired or was taken over: the holder must stop
// writing. Its writes are refused by the fence whether or not it notices.
var ErrLeaseLost = &Error{Code: EConflict, Reason: ReasonLeaseLost, Message: "The lock was lost (it expired or was released); the work stopped without writing."}

const lockColumns = `name, lease_id, token, holder_kind, holder_id, holder_name, purpose, acquired_at, expires_at`

func scanLock(row pgx.Row) (Lock, error) {
	var l Lock
	err := row.Scan(&l.Name, &l.LeaseID, &l.Token, &l.HolderKind, &l.HolderID, &l.Holder, &l.Purpose, &l.AcquiredAt, &l.ExpiresAt)
	return l, err
}

// AcquireLock takes the named lock for ttl, or fails at once with *ErrLocked
// naming the current holder. It never waits.
func (s *Store) AcquireLock(ctx context.Context, name string, holder Actor, purpose string, ttl time.Duration) (Lock, error) {
	leaseID := NewID()

	// Work under a live lease holds its row FOR SHARE (checkFence) until it
	// commits, and ON CONFLICT DO UPDATE waits for that row lock. Waiting
	// behind live work would queue the request (and hold a connection), so
	// the first try gives up quickly and reports the holder. Only when the
	// lease turns out to be expired (its last fenced transaction is still
	// committing) does the next try wait for that commit.
	patience := "50ms"
	// A concurrent release between a failed takeover and the read of the
	// holder is possible too; a retry covers each case.
	for range 3 {
		l, err := tryAcquire(ctx, s.pool, name, leaseID, holder, purpose, s.Now(), ttl, patience)
		if err == nil {
			s.Locks.LockGranted(LockKind(name))
			return l, nil
		}
		pgErr, busy := errors.AsType[*pgconn.PgError](err)
		busy = busy && pgErr.Code == "55P03" // lock_not_available
		if !busy && !errors.Is(err, pgx.ErrNoRows) {
			return Lock{}, fmt.Errorf("acquire lock %s: %w", name, err)
		}
		held, ok, err := s.HeldLock(ctx, name)
		if err != nil {
			return Lock{}, err
		}
		if ok {
			s.Locks.LockRefused(LockKind(name))
			return Lock{}, &ErrLocked{Lock: held, Now: s.Now()}
		}
		if busy {
			patience = "0" // an expired lease still committing: wait for it
		}
	}
	return Lock{}, fmt.Errorf("acquire lock %s: contended three times in a row", name)
}

// ErrLeaseSuperseded refuses a retried attempt whose lock newer work took
// while it was interrupted: the plan or course moved on, so it must not run.
var ErrLeaseSuperseded = &Error{Code: EConflict, Reason: ReasonLeaseSuperseded,
	Message: "Newer work took the lock while this job was interrupted, so the job did not run again; nothing was changed."}

// ResumeLock re-acquires lease l for a retried attempt of the same work,
// with a new token so any earlier attempt still running is fenced off. It
// succeeds only while the lock still names l — held, expired, or released
// by l's own work. Once another lease has taken the name, even if it has
// released it since, the retry fails with ErrLeaseSuperseded. It waits for
// a fenced transaction of an earlier attempt to commit or roll back.
func (s *Store) ResumeLock(ctx context.Context, l Lock, ttl time.Duration) (Lock, error) {
	var out Lock
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.resumeLock(ctx, tx, l, ttl)
		return err
	})
	return out, err
}

func (s *Store) resumeLock(ctx context.Context, tx pgx.Tx, l Lock, ttl time.Duration) (Lock, error) {
	// The row first, waiting out an earlier attempt's fenced transaction,
	// and only then the clock: the new lease runs for ttl from when it is
	// actually held, however long the wait.
	var found bool
	err := tx.QueryRow(ctx, `SELECT true FROM locks WHERE name = $1 AND lease_id = $2 FOR NO KEY UPDATE`, l.Name, l.LeaseID).Scan(&found)
	if errors.Is(err, pgx.ErrNoRows) {
		return Lock{}, ErrLeaseSuperseded
	}
	if err != nil {
		return Lock{}, fmt.Errorf("resume lock %s: %w", l.Name, err)
	}
	now := s.Now()
	out, err := scanLock(tx.QueryRow(ctx, `UPDATE locks SET token = token + 1, acquired_at = $3, expires_at = $4, released_at = NULL
		WHERE name = $1 AND lease_id = $2
		RETURNING `+lockColumns, l.Name, l.LeaseID, now, now.Add(ttl)))
	if err != nil {
		return Lock{}, fmt.Errorf("resume lock %s: %w", l.Name, err)
	}
	return out, nil
}

// tryAcquire is the one statement that takes a free or expired lease,
// waiting at most patience for the lease row. A lease counts as expired
// when it ran out by now, the clock of the process taking it over.
func tryAcquire(ctx context.Context, pool *pgxpool.Pool, name, leaseID string, holder Actor, purpose string, now time.Time, ttl time.Duration, patience string) (Lock, error) {
	var l Lock
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`, patience); err != nil {
			return err
		}
		var err error
		l, err = scanLock(tx.QueryRow(ctx, `
			INSERT INTO locks (name, lease_id, token, holder_kind, holder_id, holder_name, purpose, acquired_at, expires_at)
			VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (name) DO UPDATE SET
				lease_id = EXCLUDED.lease_id, token = locks.token + 1,
				holder_kind = EXCLUDED.holder_kind, holder_id = EXCLUDED.holder_id, holder_name = EXCLUDED.holder_name,
				purpose = EXCLUDED.purpose, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at,
				released_at = NULL
			WHERE locks.released_at IS NOT NULL OR locks.expires_at <= EXCLUDED.acquired_at
			RETURNING `+lockColumns,
			name, leaseID, holder.Kind, holder.ID, holder.Name, purpose, now, now.Add(ttl)))
		return err
	})
	return l, err
}

// ExtendLock is the heartbeat of long work: it pushes the expiry out by ttl,
// or returns ErrLeaseLost when the lease is no longer this holder's. While
// a fenced transaction holds the lease row (see checkFence) the expiry
// cannot move, and ExtendLock returns l as it is instead of waiting, even
// past the expiry: no one can take the lease from under that transaction,
// and a heartbeat that waited would fire the moment the work commits and
// releases it.
func (s *Store) ExtendLock(ctx context.Context, l Lock, ttl time.Duration) (Lock, error) {
	now := s.Now()
	out, err := scanLock(s.pool.QueryRow(ctx, `
		WITH held AS (SELECT name AS held_name, expires_at > $3 AS live FROM locks
			WHERE name = $1 AND token = $2 AND released_at IS NULL
			FOR NO KEY UPDATE NOWAIT)
		UPDATE locks SET expires_at = $4
		FROM held WHERE locks.name = held.held_name AND held.live
		RETURNING `+lockColumns, l.Name, l.Token, now, now.Add(ttl)))
	if errors.Is(err, pgx.ErrNoRows) {
		s.noteLost(ctx, s.pool, l)
		return Lock{}, ErrLeaseLost
	}
	if pgErr, busy := errors.AsType[*pgconn.PgError](err); busy && pgErr.Code == "55P03" { // lock_not_available
		return l, nil
	}
	if err != nil {
		return Lock{}, fmt.Errorf("extend lock %s: %w", l.Name, err)
	}
	return out, nil
}

// ReleaseLock ends lease l. Releasing a lease that was already lost is not an error.
func (s *Store) ReleaseLock(ctx context.Context, l Lock) error {
	return s.releaseLock(ctx, s.pool, l)
}

// releaseLock inside the work's own transaction frees the name exactly when
// the work becomes visible, so a client that saw the job finish is never
// refused by the lock of that same job.
func (s *Store) releaseLock(ctx context.Context, q querier, l Lock) error {
	_, err := q.Exec(ctx, `UPDATE locks SET released_at = $3
		WHERE name = $1 AND token = $2 AND released_at IS NULL`, l.Name, l.Token, s.Now())
	if err != nil {
		return fmt.Errorf("release lock %s: %w", l.Name, err)
	}
	return nil
}

// ForceReleaseLock lets support or an admin free a lock left by crashed work; audited.
func (s *Store) ForceReleaseLock(ctx context.Context, name string, by Actor) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		l, err := scanLock(tx.QueryRow(ctx, `UPDATE locks SET released_at = $2
			WHERE name = $1 AND released_at IS NULL AND expires_at > $2
			RETURNING `+lockColumns, name, s.Now()))
		if errors.Is(err, pgx.ErrNoRows) {
			return Errorf(ENotFound, "The lock %q is not held.", name)
		}
		if err != nil {
			return fmt.Errorf("force release lock %s: %w", name, err)
		}
		return writeAudit(ctx, tx, AuditEntry{
			Actor: by, Action: "lock.release", SubjectType: "lock", SubjectID: name,
			Summary: fmt.Sprintf("Released lock %s held by %s for %s", name, l.Holder, l.Purpose),
			Detail:  map[string]any{"lease_id": l.LeaseID, "token": l.Token, "holder": l.Holder, "expires_at": l.ExpiresAt},
		})
	})
}

// HeldLock returns the live lease on name, if any.
func (s *Store) HeldLock(ctx context.Context, name string) (Lock, bool, error) {
	return s.heldLock(ctx, s.pool, name)
}

func (s *Store) heldLock(ctx context.Context, q querier, name string) (Lock, bool, error) {
	l, err := scanLock(q.QueryRow(ctx, `SELECT `+lockColumns+` FROM locks
		WHERE name = $1 AND released_at IS NULL AND expires_at > $2`, name, s.Now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return Lock{}, false, nil
	}
	if err != nil {
		return Lock{}, false, fmt.Errorf("read lock %s: %w", name, err)
	}
	return l, true, nil
}

// refuseIfLocked fails with *ErrLocked while someone holds the named lease,
// so a direct change does not slip under bulk work running on the same plan
// or course.
func (s *Store) refuseIfLocked(ctx context.Context, tx pgx.Tx, name string) error {
	l, held, err := s.heldLock(ctx, tx, name)
	if err != nil || !held {
		return err
	}
	s.Locks.LockRefused(LockKind(name))
	return &ErrLocked{Lock: l, Now: s.Now()}
}

// HeldLocks lists every live lease, soonest expiry first.
func (s *Store) HeldLocks(ctx context.Context) ([]Lock, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+lockColumns+` FROM locks
		WHERE released_at IS NULL AND expires_at > $1 ORDER BY expires_at`, s.Now())
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Lock, error) { return scanLock(r) })
}

// checkFence must run inside every transaction that writes under lease l,
// before its writes. FOR SHARE holds the lease row until commit, so no
// takeover (an UPDATE of that row) can slip between this check and the commit.
//
// Expiry is judged by the store's clock (Now), and each seatplan process
// has its own, so the holder, a process taking over and the fence may read
// slightly different times. That is safe because time only decides when a
// takeover may happen, never whether two holders may write: a takeover
// bumps the token under the row lock, and this check refuses any token but
// the current one, whatever the clocks say (a holder whose clock runs
// behind may write a moment past its expiry, but only while no one has
// taken the lease over). Skew only moves when a lease ends, by as much as
// the clocks differ, which NTP keeps to milliseconds
// against a TTL of tens of seconds. Were a taker's clock ahead of the
// holder's by more than the heartbeat's slack (two thirds of the TTL), it
// would take live work over and fence the holder off mid-job (ErrLeaseLost,
// a retried job); were it behind, a crashed holder's lock would outlast its
// TTL by the difference. Job liveness (alive_until) is judged the same way
// and fares the same.
func (s *Store) checkFence(ctx context.Context, tx pgx.Tx, l Lock) error {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT true FROM locks
		WHERE name = $1 AND token = $2 AND released_at IS NULL AND expires_at > $3
		FOR SHARE`, l.Name, l.Token, s.Now()).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		s.noteLost(ctx, tx, l)
		return ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("check lease %s: %w", l.Name, err)
	}
	return nil
}

// noteLost reports lease l found gone, unless it was released (by its own
// work, whose last heartbeat may race the release, or by support): only an
// expiry or a takeover means the work came too late.
func (s *Store) noteLost(ctx context.Context, q querier, l Lock) {
	var released bool
	err := q.QueryRow(ctx, `SELECT released_at IS NOT NULL FROM locks WHERE name = $1 AND token = $2`, l.Name, l.Token).Scan(&released)
	if err == nil && released {
		return
	}
	s.Locks.LeaseLost(LockKind(l.Name))
}

// underLease runs fn in a transaction that first checks lease l, so the
// writes in fn commit only while l is still the live lease.
func (s *Store) underLease(ctx context.Context, l Lock, fn func(tx pgx.Tx) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.checkFence(ctx, tx, l); err != nil {
			return err
		}
		return fn(tx)
	})
}
