package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
)

// as is the same server through another API client with role.
func (b *apiBundle) as(t *testing.T, name string, role store.Role) *apiBundle {
	t.Helper()
	ctx := context.Background()
	creds, err := b.store.CreateClient(ctx, name, role, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := b.store.IssueToken(ctx, creds.ClientID, creds.ClientSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &apiBundle{srv: b.srv, store: b.store, token: tok.Token, sessions: b.sessions}
}

func TestJobStatus_OnlyThoseWhoMaySeeTheSubjectReadAJob(t *testing.T) {
	t.Parallel()
	admin := setupAPI(t, store.RoleAdmin, defaultLimits)
	support, outsider := admin.as(t, "helpdesk", store.RoleSupport), admin.as(t, "other lms", store.RoleAuthor)
	author := admin.as(t, "course sync", store.RoleAuthor)

	id := admin.createPlan(t, 5)
	_, accepted := admin.call(t, "POST", "/api/v1/plans/"+id+"/assignments", "text/plain", strings.NewReader("a@example.com\n"))
	planJob := accepted["status_url"].(string)
	admin.waitJob(t, planJob)

	if status, _ := author.call(t, "POST", "/api/v1/courses", "application/json", strings.NewReader(`{"key":"c1","title":"Course"}`)); status != http.StatusCreated {
		t.Fatalf("create course: %d", status)
	}
	status, imported := author.call(t, "POST", "/api/v1/courses/c1/import", "application/json",
		strings.NewReader(`{"type":"course","display_name":"Course","children":[]}`))
	if status != http.StatusAccepted {
		t.Fatalf("import: %d %v", status, imported)
	}
	courseJob := imported["status_url"].(string)

	for _, c := range []struct {
		who    string
		client *apiBundle
		url    string
		want   int
	}{
		{"admin, plan job", admin, planJob, http.StatusOK},
		{"support, plan job", support, planJob, http.StatusOK},
		{"author, plan job", author, planJob, http.StatusNotFound},
		{"the author who imported, course job", author, courseJob, http.StatusOK},
		{"support, course job", support, courseJob, http.StatusOK},
		{"an author not on the course's staff, course job", outsider, courseJob, http.StatusNotFound},
	} {
		if status, body := c.client.call(t, "GET", c.url, "", nil); status != c.want {
			t.Errorf("%s: %d %v, want %d", c.who, status, body, c.want)
		}
	}
}
