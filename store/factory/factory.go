// Package factory makes the records tests start from through the store's own
// operations, so a test's data is what the product would have made. Each
// factory takes *Opts whose nil or zero fields get a sensible default.
package factory

import (
	"context"
	"testing"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
)

// PlanOpts shapes a plan; zero fields take a default.
type PlanOpts struct {
	Name  string // default "Campus"
	Seats *int   // default 10
}

// Plan creates a plan.
func Plan(t testing.TB, st *store.Store, opts *PlanOpts) store.Plan {
	t.Helper()
	if opts == nil {
		opts = &PlanOpts{}
	}
	np := store.NewPlan{Name: "Campus", Seats: 10}
	if opts.Name != "" {
		np.Name = opts.Name
	}
	if opts.Seats != nil {
		np.Seats = *opts.Seats
	}
	p, err := st.CreatePlan(context.Background(), np, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// AssignedLicense assigns a seat of the plan to email, as a bulk
// assignment does, and returns the license.
func AssignedLicense(t testing.TB, st *store.Store, planID, email string) store.License {
	t.Helper()
	ctx := context.Background()
	list, err := emaillist.CheckEmails([]string{email}, emaillist.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AssignNow(ctx, planID, list, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	page, err := st.ListLicenses(ctx, planID, store.LicenseFilter{Status: store.LicenseAssigned, Q: email})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range page.Licenses {
		if l.Email == email {
			return l
		}
	}
	t.Fatalf("no license of plan %s was assigned to %s", planID, email)
	return store.License{}
}
