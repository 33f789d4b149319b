// Package store holds Seatplan's domain types and the PostgreSQL operations
// that keep its invariants. Exported operations own their transaction.
package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oklog/ulid/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/seatplan/seatplan/migrations"
)

// Store is Seatplan's access to PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// Now is the clock: leases and job liveness are written and judged by
	// it too, never by the database's; tests replace it to travel in time.
	Now func() time.Time
	// PasswordCost is the bcrypt cost for new password hashes.
	PasswordCost int
	// Locks hears how plan and course leases fare (for metrics); set it
	// before use.
	Locks LockObserver

	// Throttle bounds password guessing; set it before the first sign-in.
	Throttle SignInThrottle

	dummyOnce    sync.Once
	dummy        string
	throttleOnce sync.Once
	passwordGate chan struct{}
}

// New returns a Store over pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Now: time.Now, PasswordCost: bcrypt.DefaultCost, Locks: unobserved{}, Throttle: DefaultSignInThrottle()}
}

// Pool exposes the connection pool to the job queue, which shares it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// MigrationsPending reports whether the schema lags behind this binary's
// migrations.
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	return migrations.Pending(ctx, s.pool)
}

// querier is what both a pool and a transaction offer; lower-case helpers
// take one so exported operations can compose them inside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// NewID returns a new ULID: sortable by creation time, unique across processes.
func NewID() string { return ulid.Make().String() }

// IsID reports whether s has the form of an id NewID makes: a cheap check
// that lets made-up ids be refused without a query.
func IsID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}

// newSecret returns a random 256-bit token, URL-safe.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// activationKeySize is the length of a license's activation key in bytes.
const activationKeySize = 16

// activationKeyTimeSize is the leading bytes of a key that hold the
// milliseconds since 1970 when it was made; the rest (80 bits) is random.
const activationKeyTimeSize = 6

// newActivationKeys returns n license activation keys end to end in one
// slice, in ascending order. Each begins with the time it was made, like a
// ULID, and keys are inserted in the order given: a bulk assignment then
// appends to the unique index on activation keys instead of writing into
// pages all over it. The 80 random bits that follow keep a key unguessable. Made here rather than by gen_random_uuid() in SQL, which costs
// a system call per row: 0.3 s per 100,000 on this machine.
func newActivationKeys(n int) []byte {
	raw := make([]byte, activationKeySize*n)
	rand.Read(raw) // never fails: crypto/rand crashes the program instead
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(time.Now().UnixMilli()))
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = raw[activationKeySize*i : activationKeySize*(i+1)]
		copy(keys[i], stamp[8-activationKeyTimeSize:])
	}
	slices.SortFunc(keys, bytes.Compare)
	sorted := make([]byte, 0, len(raw))
	for _, k := range keys {
		sorted = append(sorted, k...)
	}
	return sorted
}

// activationKeyText is an activation key as people and instances see it:
// 32 upper-case hex digits.
func activationKeyText(key []byte) string { return strings.ToUpper(hex.EncodeToString(key)) }

// parseActivationKey reads an activation key as activationKeyText writes it
// (in either case); ok is false for anything else, which no license has.
func parseActivationKey(s string) (key []byte, ok bool) {
	if len(s) != 2*activationKeySize {
		return nil, false
	}
	key, err := hex.DecodeString(s)
	return key, err == nil
}

// hashSecret hashes a high-entropy random secret for storage; such secrets
// need no slow password hash.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
