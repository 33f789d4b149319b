package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// activationFixture is a plan with one license assigned to ada@example.edu.
type activationFixture struct {
	store     *Store
	plan      Plan
	key       string
	licenseID int64
}

func setupActivation(t *testing.T) *activationFixture {
	t.Helper()
	s := newTestStore(t)
	p, err := s.CreatePlan(t.Context(), NewPlan{Name: "Campus", Seats: 3}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	f := &activationFixture{store: s, plan: p}
	f.key, f.licenseID = assignLicense(t, s, p.ID, "ada@example.edu")
	return f
}

// assignLicense stands in for the assignment feature: it licenses email
// in the plan with a fresh activation key.
func assignLicense(t *testing.T, s *Store, planID, email string) (key string, id int64) {
	t.Helper()
	raw := newActivationKeys(1)
	if err := s.pool.QueryRow(t.Context(), `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT key, 'assigned', $2, $3 FROM plans WHERE id = $1 RETURNING id`,
		planID, email, raw).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return activationKeyText(raw), id
}

// revokeByID revokes a license as a direct SQL writer would; its seat is
// free again by the kept counts alone.
func revokeByID(t *testing.T, s *Store, id int64) {
	t.Helper()
	if _, err := s.pool.Exec(t.Context(), `UPDATE licenses SET status = 'revoked', revoked_at = now() WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

func wantErrorReason(t *testing.T, err error, code Code, reason Reason) {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Code != code || e.Reason != reason {
		t.Fatalf("got error %v, want %s/%d", err, code, reason)
	}
}

func TestActivate_SameInstanceAgainKeepsTheActivationAndReplacesTheSecret(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()

	first, err := f.store.Activate(ctx, f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if first.Renewed || first.License.Status != LicenseActivated || first.License.Email != "ada@example.edu" ||
		first.License.PlanID != f.plan.ID || first.License.Seats != 3 || first.License.InstanceID != "lms-1" {
		t.Fatalf("first activation: %+v", first)
	}
	again, err := f.store.Activate(ctx, f.key, "lms-1", first.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || !again.Renewed || again.Secret == first.Secret {
		t.Errorf("second activation: id %s renewed %v, want id %s renewed with a new secret", again.ID, again.Renewed, first.ID)
	}
	stored, err := f.store.ActivationLicenseByID(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.SecretMatches(first.Secret) || !stored.SecretMatches(again.Secret) {
		t.Error("after activating again the old secret should fail and the new one work")
	}
	if err := f.store.SetInstancesPerLicense(ctx, f.plan.ID, 2, SystemActor); err != nil {
		t.Fatal(err)
	}
	other, err := f.store.Activate(ctx, f.key, "lms-2", "")
	if err != nil || other.ID == first.ID || other.Renewed {
		t.Errorf("another instance: %+v, %v; want a second activation", other, err)
	}
	var rows, audits int
	f.store.pool.QueryRow(ctx, `SELECT count(*) FROM activations`).Scan(&rows)
	f.store.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'activation.%' AND subject_id = $1`, first.License.LicenseKey()).Scan(&audits)
	if rows != 2 || audits != 3 {
		t.Errorf("%d activations and %d audit entries, want 2 and 3", rows, audits)
	}
}

func TestActivate_RefusesRevokedExpiredUnknownAndMalformed(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()

	_, err := f.store.Activate(ctx, "no-such-key", "lms-1", "")
	wantErrorReason(t, err, ENotFound, ReasonUnknownLicenseKey)
	_, err = f.store.Activate(ctx, "bad key with spaces", "lms-1", "")
	wantErrorReason(t, err, EInvalid, ReasonInvalidActivation)
	_, err = f.store.Activate(ctx, f.key, "", "")
	wantErrorReason(t, err, EInvalid, ReasonInvalidActivation)

	expired := New(f.store.pool)
	expired.Now = func() time.Time { return f.plan.ExpiresAt.Add(time.Second) }
	_, err = expired.Activate(ctx, f.key, "lms-1", "")
	wantErrorReason(t, err, EConflict, ReasonLicenseExpired)

	revokeByID(t, f.store, f.licenseID)
	_, err = f.store.Activate(ctx, f.key, "lms-1", "")
	wantErrorReason(t, err, EForbidden, ReasonLicenseRevoked)

	var rows int
	f.store.pool.QueryRow(ctx, `SELECT count(*) FROM activations`).Scan(&rows)
	if rows != 0 {
		t.Errorf("%d activations after refusals, want 0", rows)
	}
}

func TestActivationLicenseByID_UnknownIDWrongAndRevokedSecrets(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	a, err := f.store.Activate(t.Context(), f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.ActivationLicenseByID(t.Context(), NewID())
	wantErrorReason(t, err, ENotFound, ReasonUnknownActivation)
	got, err := f.store.ActivationLicenseByID(t.Context(), a.ID)
	if err != nil || got.SecretMatches(a.Secret+"x") || got.SecretMatches("") || !got.SecretMatches(a.Secret) {
		t.Fatalf("secret checks on %+v: %v", got, err)
	}
	if _, err := f.store.pool.Exec(t.Context(), `UPDATE activations SET revoked_at = now()`); err != nil {
		t.Fatal(err)
	}
	if got, err := f.store.ActivationLicenseByID(t.Context(), a.ID); err != nil || !got.Revoked || got.SecretMatches(a.Secret) {
		t.Errorf("a revoked activation's secret still works: %+v %v", got, err)
	}
}

func TestLicenseChangedAt_MovesWithEveryLicenseChangeAndPlanTerms(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()
	a, err := f.store.Activate(ctx, f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	last := a.License.ChangedAt
	mustMove := func(what string) {
		t.Helper()
		got, err := f.store.ActivationLicenseByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ChangedAt.After(last) {
			t.Errorf("after %s changed_at is %s, want after %s", what, got.ChangedAt, last)
		}
		last = got.ChangedAt
	}
	// A code path that does not know about changed_at still moves it.
	if _, err := f.store.pool.Exec(ctx, `UPDATE licenses SET email = 'ada.l@example.edu' WHERE id = $1`, f.licenseID); err != nil {
		t.Fatal(err)
	}
	mustMove("an email change")
	// Nor can a statement that sets changed_at itself move it backwards.
	if _, err := f.store.pool.Exec(ctx, `UPDATE licenses SET email = 'ada@example.edu', changed_at = '2000-01-01' WHERE id = $1`, f.licenseID); err != nil {
		t.Fatal(err)
	}
	mustMove("an email change that set changed_at into the past")
	seats := 5
	if _, err := f.store.UpdatePlan(ctx, f.plan.ID, PlanUpdate{Seats: &seats}, SystemActor); err != nil {
		t.Fatal(err)
	}
	mustMove("a change of seats")
	name := "Campus 2026"
	if _, err := f.store.UpdatePlan(ctx, f.plan.ID, PlanUpdate{Name: &name}, SystemActor); err != nil {
		t.Fatal(err)
	}
	mustMove("a rename of the plan")
	revokeByID(t, f.store, f.licenseID)
	mustMove("a revocation")

	// An unrelated save changes nothing.
	if _, err := f.store.UpdatePlan(ctx, f.plan.ID, PlanUpdate{}, SystemActor); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.ActivationLicenseByID(ctx, a.ID); !got.ChangedAt.Equal(last) {
		t.Errorf("a save without changes moved changed_at from %s to %s", last, got.ChangedAt)
	}
}

// recordingListener collects what WatchLicenseChanges reports.
type recordingListener struct {
	listening chan struct{}
	changed   chan string
}

func (l *recordingListener) Listening()            { l.listening <- struct{}{} }
func (l *recordingListener) PlanChanged(id string) { l.changed <- id }
func (l *recordingListener) Deaf(error)            {}

// watch runs WatchLicenseChanges until the test ends and waits until it listens.
func watch(t *testing.T, s *Store) *recordingListener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &recordingListener{listening: make(chan struct{}, 4), changed: make(chan string, 16)}
	done := make(chan struct{})
	go func() { defer close(done); s.WatchLicenseChanges(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done })
	<-l.listening
	return l
}

func TestWatchLicenseChanges_TriggersNotifyEveryChangeThatAltersADocument(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()
	l := watch(t, f.store)

	expectNotification := func(what string) {
		t.Helper()
		select {
		case id := <-l.changed:
			if id != f.plan.ID {
				t.Errorf("%s notified plan %q, want %q", what, id, f.plan.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s sent no notification", what)
		}
		// Drain duplicates of the same change.
		for len(l.changed) > 0 {
			<-l.changed
		}
	}
	a, err := f.store.Activate(ctx, f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	expectNotification("an activation")
	if _, err := f.store.Activate(ctx, f.key, "lms-1", a.Secret); err != nil {
		t.Fatal(err)
	}
	expectNotification("a renewed secret")
	expires := f.plan.ExpiresAt.AddDate(1, 0, 0)
	if _, err := f.store.UpdatePlan(ctx, f.plan.ID, PlanUpdate{ExpiresAt: &expires}, SystemActor); err != nil {
		t.Fatal(err)
	}
	expectNotification("a new expiry")
	if _, err := f.store.pool.Exec(ctx, `UPDATE activations SET revoked_at = now() WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	expectNotification("a revoked activation")
}

func TestWatchLicenseChanges_ReconnectsAndSaysItMayHaveMissedChanges(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()
	l := watch(t, f.store)

	if _, err := f.store.pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.listening:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not reconnect")
	}
	seats := 4
	if _, err := f.store.UpdatePlan(ctx, f.plan.ID, PlanUpdate{Seats: &seats}, SystemActor); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after reconnecting")
	}
}

func TestRecordActivationRefreshes_KeepsTheLatestTimeAndListsInstances(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()
	a, err := f.store.Activate(ctx, f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := f.store.RecordActivationRefreshes(ctx, map[string]time.Time{a.ID: at, NewID(): at}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RecordActivationRefreshes(ctx, map[string]time.Time{a.ID: at.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	page, err := f.store.PlanInstances(ctx, f.plan.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Instances) != 1 || page.NextBefore != "" {
		t.Fatalf("instances: %+v", page)
	}
	got := page.Instances[0]
	if got.InstanceID != "lms-1" || got.Email != "ada@example.edu" || got.LastRefreshAt == nil || !got.LastRefreshAt.Equal(at) {
		t.Errorf("instance: %+v, want lms-1 last refreshed at %s", got, at)
	}
	if _, err := f.store.PlanInstances(ctx, NewID(), "", 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("instances of an unknown plan: %v", err)
	}
}

// Keys of one batch come in strictly ascending order (so none twice), which
// lets a bulk assignment append them to the index; each begins with when it
// was made.
func TestNewActivationKeys_AscendTimePrefixedAndUnique(t *testing.T) {
	before := time.Now().UnixMilli()
	raw := newActivationKeys(10_000)
	after := time.Now().UnixMilli()
	if len(raw) != 10_000*activationKeySize {
		t.Fatalf("%d bytes for 10,000 keys", len(raw))
	}
	for i := 0; i < len(raw); i += activationKeySize {
		key := raw[i : i+activationKeySize]
		var stamp [8]byte
		copy(stamp[8-activationKeyTimeSize:], key)
		if ms := int64(binary.BigEndian.Uint64(stamp[:])); ms < before || ms > after {
			t.Fatalf("key %x says %d ms, made between %d and %d", key, ms, before, after)
		}
		if i > 0 && bytes.Compare(raw[i-activationKeySize:i], key) >= 0 {
			t.Fatalf("key %d (%x) does not come after the one before", i/activationKeySize, key)
		}
	}
}
