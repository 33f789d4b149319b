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
