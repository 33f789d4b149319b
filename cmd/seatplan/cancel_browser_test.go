package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestBrowser_CancelARunningJobAsksFirstThenNothingIsAssigned(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	db := openPool(t, getenv("DATABASE_URL"))
	ctx := context.Background()
	api := newAPIClient(t, s, "Setup", "admin")
	planID := api.createPlan(t, 5)
	list := []string{"ann@stop.example", "bob@stop.example"}

	// Another transaction keeps licenses from being written (reading them
	// still works, so the list is accepted): the job runs and waits in its
	// first batch until the test lets go.
	hold, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `LOCK TABLE licenses IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	statusURL, err := api.assignUntilAccepted(planID, strings.Join(list, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	jobID := statusURL[strings.LastIndex(statusURL, "/")+1:]
	job := func() map[string]any {
		_, j, err := api.do("GET", statusURL, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	storetest.WaitWithin(t, 30*time.Second, "the job runs", func() bool { return job()["status"] == "running" })

	b := newBrowser(t)
	d := watchDialogs(t, b)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/plans/"+planID+"?job="+jobID+"#assignment"),
		chromedp.WaitVisible(testid("blocked-banner")), chromedp.WaitVisible(testid("cancel-job"))); err != nil {
		t.Fatal(err)
	}

	// Dismissing the confirmation changes nothing.
	d.answerNext(false)
	if err := chromedp.Do(b, chromedp.Click(testid("cancel-job"))); err != nil {
		t.Fatal(err)
	}
	if m := d.waitMessage(t, 1); !strings.Contains(m, "Cancel this job?") {
		t.Errorf("the confirmation reads %q", m)
	}
	if j := job(); j["status"] != "running" || j["cancelled"] != false {
		t.Fatalf("dismissed, the job reads %v", j)
	}

	// The bar is redrawn twice a second. A click whose press and release
	// fall on either side of a redraw still counts: press, wait for the
	// next redraw, release.
	d.answerNext(true)
	if !evalBool(b, `(window.barBeforePress = document.getElementById("job-status")) !== null`) {
		t.Fatal("no job status to redraw")
	}
	clickAcross(t, b, testid("cancel-job"), "the bar is redrawn while the button is held", func() bool {
		return evalBool(b, `document.getElementById("job-status") !== window.barBeforePress`)
	})
	d.waitMessage(t, 2)
	storetest.WaitWithin(t, 15*time.Second, "the cancel is recorded", func() bool { return job()["cancelled"] == true })
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("job-cancelling"))); err != nil {
		t.Fatal(err)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	// The job stops at its next step; the page reloads at the job's URL,
	// saying who cancelled it, with the plan free again.
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("job-cancelled"))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(b, chromedp.Text(testid("job-cancelled")))
	if err != nil || !strings.HasPrefix(text, "Cancelled by ") || !strings.HasSuffix(text, ", nothing was assigned.") {
		t.Errorf("the page says %q (%v)", text, err)
	}
	storetest.WaitWithin(t, 15*time.Second, "the lock banner goes away", func() bool {
		return evalBool(b, `document.readyState === "complete" && document.querySelector('[data-testid="blocked-banner"]') === null`)
	})
	if live := countLive(t, db, planID, list); live != 0 {
		t.Errorf("the cancelled job licensed %d addresses", live)
	}
}
