package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestBrowser_RevokeAListUploadPreviewConfirmAndWatchTheProgress(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	api := newAPIClient(t, s, "Setup", "admin")
	planID := api.createPlan(t, 40)
	var licensed, leavers strings.Builder
	for i := range 30 {
		fmt.Fprintf(&licensed, "learner%02d@revoke.example\n", i)
	}
	statusURL, err := api.assignUntilAccepted(planID, licensed.String())
	if err != nil {
		t.Fatal(err)
	}
	if j, err := api.waitJob(statusURL, time.Minute); err != nil || j["status"] != "succeeded" {
		t.Fatalf("assignment: %v %v", j, err)
	}
	leavers.WriteString("name,email\r\n")
	for i := range 20 {
		fmt.Fprintf(&leavers, "Learner %d,learner%02d@revoke.example\r\n", i, i)
	}
	leavers.WriteString("Stranger,stranger@revoke.example\r\n")
	file := filepath.Join(t.TempDir(), "leavers.csv")
	if err := os.WriteFile(file, []byte(leavers.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	inUse := func() int {
		_, _, p := api.call("GET", "/api/v1/plans/"+planID, nil)
		c := p["counts"].(map[string]any)
		return int(c["assigned"].(float64) + c["activated"].(float64))
	}

	b := newBrowser(t)
	d := watchDialogs(t, b)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/plans/"+planID+"#revoke-section"),
		chromedp.WaitVisible(testid("revoke-list-form")),
		chromedp.SetUploadFiles(testid("revoke-list-file"), []string{file}),
		chromedp.Click(testid("revoke-list-preview")),
		chromedp.WaitVisible(testid("revoke-preview")),
	); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"revoke-preview-live": "20", "revoke-preview-not-licensed": "1"} {
		if got, err := chromedp.Run(b, chromedp.Text(testid(id))); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %s", id, got, err, want)
		}
	}

	// Dismissing the confirmation changes nothing.
	d.answerNext(false)
	if err := chromedp.Do(b, chromedp.Click(testid("confirm-revocation"))); err != nil {
		t.Fatal(err)
	}
	if m := d.waitMessage(t, 1); m != "Revoke 20 licenses? Their seats become free." {
		t.Errorf("the confirmation reads %q", m)
	}
	if n := inUse(); n != 30 {
		t.Fatalf("dismissed, %d licenses are in use, want 30", n)
	}
	d.answerNext(true)
	if err := chromedp.Do(b, chromedp.Click(testid("confirm-revocation"))); err != nil {
		t.Fatal(err)
	}
	d.waitMessage(t, 2)

	// The page reloads at the job's URL when it is done, with the new counts.
	storetest.WaitWithin(t, time.Minute, "the page shows the finished revocation", func() bool {
		return evalBool(b, `document.readyState === "complete" && location.search.includes("job=") &&
			document.querySelector('[data-testid="job-progress"][data-status="succeeded"]') !== null`)
	})
	for id, want := range map[string]string{"job-revoked": "20", "job-used": "10", "plan-used": "10"} {
		if got, err := chromedp.Run(b, chromedp.Text(testid(id))); err != nil || !strings.HasPrefix(got, want) {
			t.Errorf("%s = %q (%v), want %s", id, got, err, want)
		}
	}
	if v, err := chromedp.Run(b, chromedp.AttributeValue(testid("job-progress-bar"), "value")); err != nil || v.Value != "100" {
		t.Errorf("progress bar value %+v (%v), want 100", v, err)
	}
	if n := inUse(); n != 10 {
		t.Errorf("%d licenses in use after the job, want 10", n)
	}
}
