package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestCancelJobAPI_StopsARunningJobWhichThenChangesNothing(t *testing.T) {
	t.Parallel()
	admin := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	support, author := admin.as(t, "helpdesk", store.RoleSupport), admin.as(t, "course sync", store.RoleAuthor)
	ctx := context.Background()
	id := admin.createPlan(t, 3)

	// Another transaction keeps licenses from being written (reading them
	// still works, so the list is accepted): the job runs and waits in its
	// first batch, and is cancelled meanwhile.
	hold, err := admin.store.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `LOCK TABLE licenses IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	status, accepted := admin.call(t, "POST", "/api/v1/plans/"+id+"/assignments", "text/plain", strings.NewReader("a@example.com\nb@example.com\n"))
	if status != http.StatusAccepted {
		t.Fatalf("assign: %d %v", status, accepted)
	}
	statusURL := accepted["status_url"].(string)
	storetest.WaitFor(t, "the job runs", func() bool {
		_, j := admin.call(t, "GET", statusURL, "", nil)
		return j["status"] == "running"
	})

	for _, c := range []struct {
		who    string
		client *bundle
		want   int
	}{
		{"support, who may see it", support, http.StatusForbidden},
		{"an author, who may not", author, http.StatusNotFound},
	} {
		if status, body := c.client.call(t, "POST", statusURL+"/cancel", "", nil); status != c.want {
			t.Errorf("%s cancels: %d %v, want %d", c.who, status, body, c.want)
		}
	}
	status, j := admin.call(t, "POST", statusURL+"/cancel", "", nil)
	if status != http.StatusOK || j["status"] != "running" || j["cancelled"] != true || j["cancelled_by"] != "api test" {
		t.Fatalf("cancel: %d %v; want it running, cancelled", status, j)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	j = admin.waitJob(t, statusURL)
	if j["status"] != "failed" || j["cancelled"] != true || j["error"] != "Cancelled by api test, nothing was assigned." {
		t.Fatalf("cancelled job: %v", j)
	}
	if admin.assigned(t, id) != 0 {
		t.Error("the cancelled job assigned licenses")
	}
	// Twice is harmless; the plan takes new work at once.
	if status, j := admin.call(t, "POST", statusURL+"/cancel", "", nil); status != http.StatusOK || j["status"] != "failed" {
		t.Errorf("cancel again: %d %v", status, j)
	}
	status, accepted = admin.call(t, "POST", "/api/v1/plans/"+id+"/assignments", "text/plain", strings.NewReader("c@example.com\n"))
	if status != http.StatusAccepted {
		t.Fatalf("assign after the cancel: %d %v", status, accepted)
	}
	done := accepted["status_url"].(string)
	if j := admin.waitJob(t, done); j["status"] != "succeeded" {
		t.Fatalf("the next job: %v", j)
	}
	if status, body := admin.call(t, "POST", done+"/cancel", "", nil); status != http.StatusConflict || body["error"] != "job_finished" {
		t.Errorf("cancel a succeeded job: %d %v, want 409 job_finished", status, body)
	}
}
