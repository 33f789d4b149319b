package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
)

func TestJobStatus_AJobWhoseProcessDiedSaysInterruptedOnThePageAndTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true, Clock: true})
	ctx := context.Background()
	planID := b.createPlan(t, 5)
	list, err := emaillist.CheckEmails([]string{"a@example.com", "b@example.com"}, emaillist.Limits{MaxEntries: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Accepted but never handed to the queue, then started, and its
	// heartbeat left to run out, as if its process died.
	job, err := b.store.AssignLicenses(ctx, planID, list, store.SystemActor, time.Minute, func(context.Context, pgx.Tx, string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.store.AssignmentOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, started, err := b.store.StartAttempt(ctx, job.ID, store.Attempt{Lease: a.Lease, Worker: "gone:1:1"}, time.Minute); err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	if status, j := b.call(t, "GET", "/api/v1/jobs/"+job.ID, "", nil); status != http.StatusOK || j["status"] != "running" || j["interrupted"] != false {
		t.Errorf("API status of a job its process vouches for: %d %v", status, j)
	}
	b.clock.Advance(time.Minute + time.Second)

	status, j := b.call(t, "GET", "/api/v1/jobs/"+job.ID, "", nil)
	if status != http.StatusOK || j["status"] != "queued" || j["state"] != "interrupted" || j["interrupted"] != true ||
		j["status_text"] != "Interrupted — retrying" || j["worker"] != "gone:1:1" || j["interruption"] == "" {
		t.Errorf("API job status: %d %v", status, j)
	}

	c := b.signedInAdmin(t)
	resp := get(t, c, b.srv.URL+"/plans/"+planID+"/jobs/"+job.ID, "HX-Request", "true")
	d := doc(t, resp)
	if got := strings.TrimSpace(d.Find(`[data-testid="job-state"]`).Text()); resp.StatusCode != http.StatusOK || got != "Interrupted — retrying" {
		t.Errorf("progress fragment: %d says %q", resp.StatusCode, got)
	}
	if _, polls := d.Find(`[data-testid="job-status"]`).Attr("hx-get"); !polls {
		t.Error("the progress fragment of an interrupted job stops polling")
	}

	// A failed job says it changed nothing, on both.
	if err := b.store.FailAssignmentJob(ctx, job.ID, "Newer work took the lock."); err != nil {
		t.Fatal(err)
	}
	_, j = b.call(t, "GET", "/api/v1/jobs/"+job.ID, "", nil)
	if raw, _ := json.Marshal(j); j["status"] != "failed" || j["status_text"] != "Failed — nothing was changed" || j["interrupted"] != false {
		t.Errorf("failed job: %s", raw)
	}
	resp = get(t, c, b.srv.URL+"/plans/"+planID+"/jobs/"+job.ID, "HX-Request", "true")
	if got := strings.TrimSpace(doc(t, resp).Find(`[data-testid="job-state"]`).Text()); got != "Failed — nothing was changed" {
		t.Errorf("progress fragment of the failed job says %q", got)
	}
}
