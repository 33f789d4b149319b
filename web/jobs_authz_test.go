package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
)

func TestJobStatus_OnlyThoseWhoMaySeeTheSubjectReadAJob(t *testing.T) {
	t.Parallel()
	admin := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
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
		client *bundle
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
