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
