package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func liveActivations(t *testing.T, s *Store, licenseID int64) (n int) {
	t.Helper()
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM activations WHERE license_id = $1 AND revoked_at IS NULL`, licenseID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestActivate_ConcurrentActivationsOfOneKeyStopAtThePlansLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprintf("Limit%d", limit), func(t *testing.T) {
			t.Parallel()
			f := setupActivation(t)
			if err := f.store.SetInstancesPerLicense(t.Context(), f.plan.ID, limit, SystemActor); err != nil {
				t.Fatal(err)
			}
			const n = 50
			var ok, limited atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					_, err := f.store.Activate(context.Background(), f.key, fmt.Sprint("instance-", i), "")
					e, isErr := errors.AsType[*Error](err)
					switch {
					case err == nil:
						ok.Add(1)
					case isErr && e.Reason == ReasonActivationLimit:
						limited.Add(1)
					default:
						t.Errorf("activation %d: %v", i, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if ok.Load() != int64(limit) || limited.Load() != n-int64(limit) {
				t.Errorf("%d activated, %d refused; want %d and %d", ok.Load(), limited.Load(), limit, n-limit)
			}
			if got := liveActivations(t, f.store, f.licenseID); got != limit {
				t.Errorf("%d live activations, want %d", got, limit)
			}
		})
	}
}

func TestActivate_BeyondTheLimitNamesHowToFreeAnInstance(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()
	first, err := f.store.Activate(ctx, f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.Activate(ctx, f.key, "lms-2", "")
	wantErrorReason(t, err, EConflict, ReasonActivationLimit)
	if e := err.(*Error); e.Detail != (InstancesOfPlan{PlanID: f.plan.ID, Limit: 1}) {
		t.Errorf("refusal detail %v, want the plan and the limit", e.Detail)
	}

	admin := Actor{Kind: ActorPerson, ID: "p1", Name: "ada@example.com", Role: RoleAdmin}
	if err := f.store.DeactivateInstance(ctx, f.plan.ID, first.ID, admin); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeactivateInstance(ctx, f.plan.ID, first.ID, admin); ErrorCode(err) != ENotFound {
		t.Errorf("deactivating twice: %v, want not found", err)
	}
	stored, err := f.store.ActivationLicenseByID(ctx, first.ID)
	if err != nil || stored.SecretMatches(first.Secret) {
		t.Errorf("a deactivated instance's secret should stop working (%v)", err)
	}
	if _, err := f.store.Activate(ctx, f.key, "lms-2", ""); err != nil {
		t.Errorf("after deactivating the first instance: %v", err)
	}
	var audits int
	f.store.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'activation.deactivate' AND actor_id = 'p1'`).Scan(&audits)
	if audits != 1 {
		t.Errorf("%d deactivation audit entries, want 1", audits)
	}
}

func TestActivate_RenewingAnInstanceNeedsItsCurrentSecret(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := t.Context()
	owner, err := f.store.Activate(ctx, f.key, "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.Activate(ctx, f.key, "lms-1", "")
	wantErrorReason(t, err, EConflict, ReasonInstanceAlreadyActivated)
	_, err = f.store.Activate(ctx, f.key, "lms-1", "a guess")
	wantErrorReason(t, err, EUnauthorized, ReasonWrongActivationSecret)
	stored, err := f.store.ActivationLicenseByID(ctx, owner.ID)
	if err != nil || !stored.SecretMatches(owner.Secret) {
		t.Fatalf("a refused takeover must leave the owner's secret working (%v)", err)
	}

	// Many parallel takeover attempts change nothing either.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := f.store.Activate(context.Background(), f.key, "lms-1", ""); ErrorCode(err) != EConflict {
				t.Errorf("takeover: %v", err)
			}
		})
	}
	wg.Wait()
	renewed, err := f.store.Activate(ctx, f.key, "lms-1", owner.Secret)
	if err != nil || !renewed.Renewed || renewed.ID != owner.ID {
		t.Fatalf("renewal with the current secret: %+v, %v", renewed, err)
	}
}

func TestSetInstancesPerLicense_RefusesOutOfRangeAndUnknownPlans(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	for _, n := range []int{0, -1, MaxInstancesPerLicense + 1} {
		if err := f.store.SetInstancesPerLicense(t.Context(), f.plan.ID, n, SystemActor); ErrorCode(err) != EInvalid {
			t.Errorf("%d: %v, want invalid", n, err)
		}
	}
	if err := f.store.SetInstancesPerLicense(t.Context(), "nope", 2, SystemActor); ErrorCode(err) != ENotFound {
		t.Errorf("unknown plan: %v", err)
	}
	if n, err := f.store.InstancesPerLicense(t.Context(), f.plan.ID); err != nil || n != 1 {
		t.Errorf("default: %d, %v; want 1", n, err)
	}
}
