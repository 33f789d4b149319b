package main

import (
	"context"
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

func TestBrowser_UploadPreviewConfirmAndWatchTheProgress(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	ctx := context.Background()
	plan, err := st.CreatePlan(ctx, store.NewPlan{Name: "Browser Academy", Seats: 40}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("name,email\r\n")
	for i := range 30 {
		fmt.Fprintf(&csv, "Learner %d,learner%02d@browser.example\r\n", i, i)
	}
	csv.WriteString("Again,LEARNER00@browser.example\r\n")
	file := filepath.Join(t.TempDir(), "learners.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/plans/"+plan.ID),
		chromedp.WaitVisible(testid("upload-form")),
		chromedp.SetUploadFiles(testid("upload-file"), []string{file}),
		chromedp.Click(testid("preview-button")),
		chromedp.WaitVisible(testid("preview")),
	); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"preview-new": "30", "preview-duplicates": "1", "preview-available": "40"} {
		if got, err := chromedp.Run(b, chromedp.Text(testid(id))); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %s", id, got, err, want)
		}
	}
	png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "assignment-preview.png", png)

	if err := chromedp.Do(b, chromedp.Click(testid("confirm-assignment"))); err != nil {
		t.Fatal(err)
	}
	// When the job finishes the page reloads at the job's URL, so the
	// utilization and the licenses table show what the job did.
	waitJobPage(t, b)
	if err := chromedp.Do(b,
		chromedp.WaitVisible(testid("job-result")),
		chromedp.WaitVisible(testid("licenses-table")),
	); err != nil {
		t.Fatal(err)
	}
	if rows, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="licenses-table"] tbody tr').length`)); err != nil || rows != 30 {
		t.Errorf("licenses table after the job: %d rows (%v), want the 30 new licenses", rows, err)
	}
	if v, err := chromedp.Run(b, chromedp.AttributeValue(testid("job-progress-bar"), "value")); err != nil || v.Value != "100" {
		t.Errorf("progress bar value %+v (%v), want 100", v, err)
	}
	if used, _ := chromedp.Run(b, chromedp.Text(testid("job-used"))); used != "30" {
		t.Errorf("seats in use after the job: %q, want 30", used)
	}
	png, err = chromedp.Run(b, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "assignment-progress.png", png)
}

func TestBrowser_HeldPlanShowsTheBannerAndRefusesTheSubmit(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	ctx := context.Background()
	plan, err := st.CreatePlan(ctx, store.NewPlan{Name: "Busy Plan", Seats: 10}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	// Preview while the plan is free, then another process takes the lock
	// before Confirm.
	if err := chromedp.Do(b,
		chromedp.WaitVisible(testid("dashboard-card")),
		chromedp.Navigate(s.URL+"/plans/"+plan.ID),
		chromedp.WaitVisible(testid("upload-form")),
		chromedp.SendKeys(testid("upload-text"), "ann@example.com\nbob@example.com"),
		chromedp.Click(testid("preview-button")),
		chromedp.WaitVisible(testid("confirm-assignment")),
	); err != nil {
		t.Fatal(err)
	}
	holder := store.Actor{Kind: store.ActorClient, ID: "crm", Name: "CRM nightly sync"}
	if _, err := st.AcquireLock(ctx, store.PlanLockName(plan.ID), holder, "assign 5,000 licenses", 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b,
		chromedp.Click(testid("confirm-assignment")),
		chromedp.WaitVisible(testid("lock-holder")),
	); err != nil {
		t.Fatalf("refused submit shows no banner: %v", err)
	}
	if holderText, _ := chromedp.Run(b, chromedp.Text(testid("lock-holder"))); holderText != "CRM nightly sync" {
		t.Errorf("banner names %q", holderText)
	}
	if p, _ := st.Plan(ctx, plan.ID); p.Counts.Assigned != 0 {
		t.Errorf("a refused submit assigned %d licenses", p.Counts.Assigned)
	}

	// A fresh load shows the banner too, counting down.
	if err := chromedp.Do(b,
		chromedp.Navigate(s.URL+"/plans/"+plan.ID),
		chromedp.WaitVisible(testid("blocked-banner")),
	); err != nil {
		t.Fatal(err)
	}
	first, _ := chromedp.Run(b, chromedp.Text(testid("lock-countdown")))
	if !strings.HasPrefix(first, "Lock expires in not more than") {
		t.Errorf("the countdown reads %q", first)
	}
	storetest.WaitFor(t, "the countdown moves on from "+first, func() bool {
		later, _ := chromedp.Run(b, chromedp.Text(testid("lock-countdown")))
		return later != "" && later != first
	})
	png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "blocked-banner.png", png)
}
