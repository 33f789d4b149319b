package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store/storetest"
)

func TestCancelJob_ThroughOneServerStopsTheJobRunningOnAnother(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	environ := []string{"DATABASE_URL=" + dbURL}
	servers := []*serveProcess{startServeProcess(t, environ), startServeProcess(t, environ)}
	apis := newAPIClients(t, dbURL, "bulk loader", "admin", servers[0].URL, servers[1].URL)
	db := openPool(t, dbURL)
	ctx := context.Background()
	planID := apis[0].createPlan(t, 5)
	list := []string{"ann@cancel.example", "bob@cancel.example"}

	// Another transaction keeps licenses from being written (reading them
	// still works, so the list is accepted): the job starts, on whichever
	// server takes it, and waits there in its first batch.
	hold, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `LOCK TABLE licenses IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	statusURL, err := apis[0].assignUntilAccepted(planID, strings.Join(list, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	var worker string
	storetest.WaitWithin(t, 30*time.Second, "the job runs on a server", func() bool {
		_, j, err := apis[0].do("GET", statusURL, "", "")
		worker, _ = j["worker"].(string)
		return err == nil && j["status"] == "running"
	})
	other := 1
	switch pidOf(worker) {
	case servers[0].cmd.Process.Pid:
	case servers[1].cmd.Process.Pid:
		other = 0
	default:
		t.Fatalf("the job runs on %q, neither server", worker)
	}

	status, j, err := apis[other].do("POST", statusURL+"/cancel", "", "")
	if err != nil || status != http.StatusOK || j["status"] != "running" || j["cancelled"] != true {
		t.Fatalf("cancel through the other server: %d %v %v", status, j, err)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	final, err := apis[other].waitJob(statusURL, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if final["status"] != "failed" || final["cancelled"] != true || final["error"] != "Cancelled by bulk loader, nothing was assigned." {
		t.Fatalf("the cancelled job reads %v", final)
	}
	if live := countLive(t, db, planID, list); live != 0 {
		t.Errorf("the cancelled job licensed %d addresses", live)
	}
	// The plan's lock went with the job: either server takes new work at once.
	status, accepted, err := apis[other].do("POST", "/api/v1/plans/"+planID+"/assignments", "text/plain", "cyd@cancel.example")
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("assign after the cancel: %d %v %v", status, accepted, err)
	}
	if j, err := apis[other].waitJob(accepted["status_url"].(string), time.Minute); err != nil || j["status"] != "succeeded" {
		t.Fatalf("the next job: %v %v", j, err)
	}
}
