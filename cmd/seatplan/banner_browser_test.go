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

// evalBool reads one fact from the page; a failed evaluation reads as false,
// so a condition polled across a page load simply waits.
func evalBool(ctx context.Context, js string) bool {
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	return err == nil && ok
}

func evalString(ctx context.Context, js string) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return ""
	}
	return s
}

func TestBrowser_BlockedBannerFollowsTheLockAndGoesAwayWhenItFrees(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	pool := openPool(t, getenv("DATABASE_URL"))
	st := store.New(pool)
	ctx := context.Background()
	api := newAPIClient(t, s, "Setup", "admin")
	planID := api.createPlan(t, 50)

	// Another process holds the plan's lock and runs a job under it.
	holder := store.Actor{Kind: store.ActorClient, ID: "importer", Name: "Nightly importer"}
	lock, err := st.AcquireLock(ctx, store.PlanLockName(planID), holder, "assign 1000 licenses", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	jobID := store.NewID()
	if _, err := pool.Exec(ctx, `INSERT INTO jobs (id, kind, status, subject_type, subject_id, done, total,
			created_by_kind, created_by_id, created_by_name, started_at, alive_until)
		VALUES ($1, $2, 'running', 'plan', $3, 400, 1000, 'client', $4, $5, now(), now() + interval '10 minutes')`,
		jobID, store.JobAssignLicenses, planID, holder.ID, holder.Name); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("dashboard-card")), chromedp.Navigate(s.URL+"/plans/"+planID),
		chromedp.WaitVisible(testid("blocked-banner"))); err != nil {
		t.Fatal(err)
	}
	const previewDisabled = `document.querySelector('[data-testid="preview-button"]').disabled`
	if got := evalString(b, `document.querySelector('[data-testid="lock-holder"]').textContent`); got != holder.Name {
		t.Errorf("the banner names %q as the holder, want %q", got, holder.Name)
	}
	if got := evalString(b, `document.querySelector('[data-testid="lock-job-done"]').textContent`); !strings.Contains(got, "400 of 1,000") {
		t.Errorf("the banner shows the job at %q, want 400 of 1,000", got)
	}
	storetest.WaitWithin(t, 10*time.Second, "the upload form's Preview is disabled while the lock is held", func() bool { return evalBool(b, previewDisabled) })

	// The banner follows the job as it moves on.
	if err := st.ReportProgress(ctx, jobID, 700, 1000); err != nil {
		t.Fatal(err)
	}
	storetest.WaitWithin(t, 15*time.Second, "the banner shows the job's new progress", func() bool {
		return strings.Contains(evalString(b, `(document.querySelector('[data-testid="lock-job-done"]') || {}).textContent || ""`), "700 of 1,000")
	})

	// The job ends and releases the lock: the banner goes away by itself and
	// the form works again, with what was typed still there.
	if err := chromedp.Do(b, chromedp.SendKeys(testid("upload-text"), "new@banner.example")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE jobs SET status = 'succeeded', done = total, finished_at = now(), result = '{}' WHERE id = $1`, jobID); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseLock(ctx, lock); err != nil {
		t.Fatal(err)
	}
	storetest.WaitWithin(t, 15*time.Second, "the banner goes away once the lock is free", func() bool {
		return evalBool(b, `document.querySelector('[data-testid="blocked-banner"]') === null && document.querySelector('[data-testid="lock-freed"]') !== null`)
	})
	storetest.WaitWithin(t, 5*time.Second, "Preview works again", func() bool { return evalBool(b, "!"+previewDisabled) })
	if got := evalString(b, `document.querySelector('[data-testid="upload-text"]').value`); got != "new@banner.example" {
		t.Errorf("the pasted list reads %q after the banner went", got)
	}
	if err := chromedp.Do(b, chromedp.Click(testid("preview-button")), chromedp.WaitVisible(testid("preview"))); err != nil {
		t.Fatalf("preview after the lock freed: %v", err)
	}

	// A lock taken while the page is open shows when a submit meets it, and
	// "Try again" asks at once rather than at the next poll.
	lock, err = st.AcquireLock(ctx, store.PlanLockName(planID), holder, "assign 5 licenses", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.Click(testid("confirm-assignment")), chromedp.WaitVisible(testid("blocked-banner")),
		chromedp.WaitVisible(testid("lock-retry"))); err != nil {
		t.Fatal(err)
	}
	if evalBool(b, `document.querySelector('[data-testid="preview"]') === null`) {
		t.Error("the refused Confirm replaced the preview")
	}
	if err := st.ReleaseLock(ctx, lock); err != nil {
		t.Fatal(err)
	}
	// The page polls the lock too, so that the banner goes is not enough:
	// the click itself must ask.
	if !evalBool(b, `(document.addEventListener("htmx:beforeRequest", e => {
			if (e.detail.elt.dataset.testid === "lock-retry") window.retryAsked = true }), true)`) {
		t.Fatal("could not watch the page's requests")
	}
	if err := chromedp.Do(b, chromedp.Click(testid("lock-retry")), chromedp.WaitVisible(testid("lock-freed"))); err != nil {
		t.Fatal(err)
	}
	if !evalBool(b, `window.retryAsked === true`) {
		t.Error("Try again sent no request; the banner went only at the next poll")
	}
	storetest.WaitWithin(t, 5*time.Second, "Confirm works again", func() bool {
		return evalBool(b, `!document.querySelector('[data-testid="confirm-assignment"]').disabled`)
	})
}
