package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
)

func TestEnrollments_OnlyAdminsAndSupportMayEnroll(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	api := b.oauthClient(b.apiClient(t, "lms", store.RoleAuthor))
	resp, err := api.Post(b.srv.URL+"/api/v1/enrollments", "text/csv", strings.NewReader("a@example.com,cs101\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("author client: %d, want 403", resp.StatusCode)
	}

	b.person(t, "arthur@example.com", store.RoleAuthor)
	b.person(t, "sam@example.com", store.RoleSupport)
	author, support := b.browser(t), b.browser(t)
	b.signIn(t, author, "arthur@example.com", "correct horse battery")
	b.signIn(t, support, "sam@example.com", "correct horse battery")
	if resp := get(t, author, b.srv.URL+"/enrollments"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("author on /enrollments: %d, want 403", resp.StatusCode)
	}
	if nav := doc(t, get(t, support, b.srv.URL+"/enrollments")).Find("nav a[aria-current]").Text(); nav != "Enrollments" {
		t.Errorf("support's current navigation entry %q, want Enrollments", nav)
	}
}
