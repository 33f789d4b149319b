package handlers

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
)

// fakeLicenseSource counts reads; duringRead runs inside a read, to play a
// change committed while the read is under way.
type fakeLicenseSource struct {
	mu         sync.Mutex
	reads      int
	duringRead func()
}

func (f *fakeLicenseSource) ActivationLicenseByID(_ context.Context, id string) (store.ActivationLicense, error) {
	f.mu.Lock()
	f.reads++
	during := f.duringRead
	f.duringRead = nil
	f.mu.Unlock()
	if during != nil {
		during()
	}
	return store.ActivationLicense{ActivationID: id, PlanID: "plan-1", LicenseID: 1, ChangedAt: time.Unix(100, 0)}, nil
}

func (f *fakeLicenseSource) RecordActivationRefreshes(context.Context, map[string]time.Time) error {
	return nil
}

func (f *fakeLicenseSource) WatchLicenseChanges(context.Context, store.LicenseChangeListener) {}

func (f *fakeLicenseSource) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func TestLicenseCache_ForgetsExactlyWhatAChangeMadeStale(t *testing.T) {
	t.Parallel()
	keyring, err := licensing.NewKeyring(licensing.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeLicenseSource{}
	c := NewLicenseCache(src, keyring)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	l := cacheListener{c}
	l.Listening()

	activationID := store.NewID() // ids the cache reads have the form the server makes
	reads := func(want int, what string) {
		t.Helper()
		if _, err := c.entry(t.Context(), activationID); err != nil {
			t.Fatal(err)
		}
		if got := src.readCount(); got != want {
			t.Errorf("%s: %d reads, want %d", what, got, want)
		}
	}
	reads(1, "first refresh")
	reads(1, "again while listening")
	now = now.Add(5 * time.Minute)
	reads(1, "five minutes later while listening")

	l.PlanChanged("plan-2")
	reads(1, "after a change to another plan")
	l.PlanChanged("plan-1")
	reads(2, "after a change to its plan")

	// A change heard while a read is under way makes that read stale too:
	// the read may have seen the rows from before the change.
	src.duringRead = func() { l.PlanChanged("plan-1") }
	l.PlanChanged("plan-1")
	reads(3, "after a change")
	reads(4, "after a change heard during the previous read")
	reads(4, "once settled")

	l.Deaf(nil)
	reads(4, "just after the listener failed")
	now = now.Add(2 * time.Second)
	reads(5, "a second after the listener failed")
	reads(5, "within the next second")
	l.Listening()
	reads(6, "after reconnecting, which may have missed changes")
	now = now.Add(maxTrust + time.Second)
	reads(7, "after maxTrust even while listening")
}
