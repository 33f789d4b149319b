package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/seatplan/seatplan/store"
)

func TestEnrollments_OnlyAdminsAndSupportMayEnroll(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds, err := b.store.CreateClient(context.Background(), "lms", store.RoleAuthor, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	api := (&clientcredentials.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, TokenURL: b.srv.URL + "/oauth/token"}).Client(context.Background())
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
