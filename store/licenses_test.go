package store

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestLicenses_TwoLiveLicensesForOneAddressInAPlanAreImpossible(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 2)
	assign(t, s, p.ID, mustList(t, "a@example.com"))
	// Around the store, as a bug in any write path would: the database alone refuses.
	_, err := s.pool.Exec(ctx, `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT key, 'assigned', 'a@example.com', decode(md5('second'), 'hex') FROM plans WHERE id = $1`, p.ID)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "23505" || pgErr.ConstraintName != "licenses_live_email_key" {
		t.Fatalf("a second live license for a@example.com: %v, want a unique violation of licenses_live_email_key", err)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 1 {
		t.Errorf("assigned %d, want 1", got.Counts.Assigned)
	}
}

// A license belongs to a plan that exists, kept by the counters' trigger
// instead of a per-row foreign key: a license of no plan is refused, and a
// deleted plan takes its licenses (and their activations) with it.
func TestLicenses_BelongToAPlanThatExists(t *testing.T) {
	t.Parallel()
	f := setupActivation(t)
	ctx := context.Background()
	s := f.store
	if _, err := s.Activate(ctx, f.key, "lms-1", ""); err != nil {
		t.Fatal(err)
	}
	for name, sql := range map[string]string{
		"a license of no plan": `INSERT INTO licenses (plan_key, status, email, activation_key)
			VALUES ((SELECT max(key) + 1 FROM plans), 'assigned', 'x@example.com', decode(md5('x'), 'hex'))`,
		"a license moved to no plan": `UPDATE licenses SET plan_key = (SELECT max(key) + 1 FROM plans)`,
	} {
		_, err := s.pool.Exec(ctx, sql)
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "23503" {
			t.Errorf("%s: %v, want a foreign key violation", name, err)
		}
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM plans WHERE id = $1`, f.plan.ID); err != nil {
		t.Fatal(err)
	}
	var licenses, activations int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM licenses), (SELECT count(*) FROM activations)`).Scan(&licenses, &activations); err != nil {
		t.Fatal(err)
	}
	if licenses != 0 || activations != 0 {
		t.Errorf("%d licenses and %d activations outlived their plan", licenses, activations)
	}
}
