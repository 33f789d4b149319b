package web

import (
	"context"
	"net/url"
	"testing"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/store/factory"
)

// Addresses are kept with their domain in ASCII (punycode), so one address
// written both ways counts once; a person reads the domain as it is written.
func TestPages_ShowInternationalizedDomainsInUnicode(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	c := b.signedInAdmin(t)
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

	// A whole address typed as a person reads it finds the license too; so
	// does its stored form.
	for _, q := range []string{shown, "Anna@Bücher.de", stored} {
		found := doc(t, get(t, c, b.srv.URL+"/plans/"+plan.ID+"?q="+url.QueryEscape(q)))
		if n := found.Find(`[data-testid="license-row"]`).Length(); n != 1 {
			t.Errorf("searching licenses for %q finds %d rows, want 1", q, n)
		}
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
	found := doc(t, get(t, c, b.srv.URL+"/enrollments/courses/c1?q="+url.QueryEscape(shown)))
	if got := found.Find(`tbody td.mono`).First().Text(); got != shown {
		t.Errorf("searching learners for %q shows %q", shown, got)
	}
}
