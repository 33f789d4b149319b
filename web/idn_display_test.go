package web

import (
	"context"
	"testing"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/store/factory"
)

// Addresses are kept with their domain in ASCII (punycode), so one address
// written both ways counts once; a person reads the domain as it is written.
func TestPages_ShowInternationalizedDomainsInUnicode(t *testing.T) {
	t.Parallel()
	b := setupAPI(t, store.RoleAdmin, defaultLimits)
	_, c := b.signedInAdmin(t)
	ctx := context.Background()
	const stored, shown = "anna@xn--bcher-kva.de", "anna@bücher.de"

	plan := factory.Plan(t, b.store, nil)
	factory.AssignedLicense(t, b.store, plan.ID, stored)
	page := doc(t, get(t, c, b.srv.URL+"/plans/"+plan.ID))
	row := page.Find(`[data-testid="license-row"]`)
	if got := row.Find("td").Eq(1).Text(); got != shown {
		t.Errorf("the licenses table shows %q, want %q", got, shown)
	}
	// What the page sends back is the stored form: revoking it finds the license.
	if v, _ := row.Find(`input[name="email"]`).Attr("value"); v != stored {
		t.Errorf("the row selects %q, want %q", v, stored)
	}

	if _, err := b.store.CreateCourse(ctx, "c1", "Course", store.SystemActor, store.SourceUI); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Enroll(ctx, []emaillist.Pair{{Email: stored, Course: "c1"}}, nil, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	learners := doc(t, get(t, c, b.srv.URL+"/enrollments/courses/c1"))
	if got := learners.Find(`tbody td.mono`).First().Text(); got != shown {
		t.Errorf("the learners table shows %q, want %q", got, shown)
	}
}
