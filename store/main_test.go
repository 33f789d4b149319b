package store

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/seatplan/seatplan/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// newTestStore returns a Store over a fresh database of its own.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := New(storetest.NewPool(t))
	s.PasswordCost = bcrypt.MinCost
	return s
}

// newClockedStore is newTestStore on a clock the test moves: its leases
// and job liveness expire when the test says, not when real time passes.
func newClockedStore(t testing.TB) (*Store, *storetest.Clock) {
	t.Helper()
	s, clock := newTestStore(t), storetest.NewClock()
	s.Now = clock.Now
	return s, clock
}
