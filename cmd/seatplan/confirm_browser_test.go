package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// dialogs answers every JavaScript dialog the page opens with the answer
// set for the next one, and keeps the messages it saw.
type dialogs struct {
	mu       sync.Mutex
	accept   bool
	messages []string
}

func watchDialogs(t *testing.T, ctx context.Context) *dialogs {
	d := &dialogs{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			d.mu.Lock()
			d.messages = append(d.messages, e.Message)
			accept := d.accept
			d.mu.Unlock()
			// The listener runs on chromedp's event loop: answer from elsewhere.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// answerNext sets how the next dialog is answered.
func (d *dialogs) answerNext(accept bool) {
	d.mu.Lock()
	d.accept = accept
	d.mu.Unlock()
}

// waitMessage waits for the n-th dialog (1-based) and returns its message.
func (d *dialogs) waitMessage(t *testing.T, n int) string {
	t.Helper()
	var m string
	storetest.WaitWithin(t, 15*time.Second, fmt.Sprintf("confirmation dialog #%d", n), func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		if len(d.messages) < n {
			return false
		}
		m = d.messages[n-1]
		return true
	})
	return m
}

func TestBrowser_DestructiveActionsAskFirstAndCancelChangesNothing(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	st := store.New(openPool(t, getenv("DATABASE_URL")))
	ctx := context.Background()
	api := newAPIClient(t, s, "Setup", "admin")
	planID := api.createPlan(t, 5)
	statusURL, err := api.assignUntilAccepted(planID, "ann@confirm.example\nbob@confirm.example\ncyd@confirm.example")
	if err != nil {
		t.Fatal(err)
	}
	if j, err := api.waitJob(statusURL, time.Minute); err != nil || j["status"] != "succeeded" {
		t.Fatalf("assignment: %v %v", j, err)
	}
	revoked := func() int {
		status, _, p := api.call("GET", "/api/v1/plans/"+planID, nil)
		if status != http.StatusOK {
			t.Fatalf("read plan: %d", status)
		}
		return int(p["counts"].(map[string]any)["revoked"].(float64))
	}

	b := newBrowser(t)
	d := watchDialogs(t, b)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("dashboard-card")), chromedp.Navigate(s.URL+"/plans/"+planID),
		chromedp.WaitVisible(testid("licenses-table"))); err != nil {
		t.Fatal(err)
	}

	// Revoke on one row: Cancel keeps the license, OK revokes that one.
	firstRevoke := chromedp.CSS(`[data-testid="license-row"]:first-child [data-testid="revoke-one"]`)
	d.answerNext(false)
	if err := chromedp.Do(b, chromedp.Click(firstRevoke)); err != nil {
		t.Fatal(err)
	}
	if m := d.waitMessage(t, 1); !strings.Contains(m, "ann@confirm.example") {
		t.Errorf("the row's confirmation reads %q; want it to name the license", m)
	}
	if n := revoked(); n != 0 {
		t.Fatalf("Cancel still revoked %d licenses", n)
	}
	d.answerNext(true)
	if err := chromedp.Do(b, chromedp.Click(firstRevoke)); err != nil {
		t.Fatal(err)
	}
	d.waitMessage(t, 2)
	storetest.WaitWithin(t, 15*time.Second, "OK revokes the row's license", func() bool { return revoked() == 1 })

	// Revoke selected: the same, for the ticked rows.
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("flash")), chromedp.WaitVisible(testid("licenses-table"))); err != nil {
		t.Fatal(err)
	}
	d.answerNext(false)
	if err := chromedp.Do(b,
		chromedp.Click(chromedp.CSS(`input[name="email"][value="bob@confirm.example"]`)),
		chromedp.Click(testid("revoke-selected")),
	); err != nil {
		t.Fatal(err)
	}
	if m := d.waitMessage(t, 3); !strings.Contains(m, "Revoke the selected") {
		t.Errorf("the bulk confirmation reads %q", m)
	}
	if n := revoked(); n != 1 {
		t.Fatalf("Cancel on Revoke selected left %d revoked, want 1", n)
	}
	d.answerNext(true)
	if err := chromedp.Do(b, chromedp.Click(testid("revoke-selected"))); err != nil {
		t.Fatal(err)
	}
	d.waitMessage(t, 4)
	storetest.WaitWithin(t, 15*time.Second, "OK revokes the ticked license", func() bool { return revoked() == 2 })
	storetest.WaitWithin(t, 15*time.Second, "the plan page reloads without the revoked license", func() bool {
		gone, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.readyState === "complete" && document.querySelector('[data-testid="licenses-table"]') !== null && document.querySelector('input[value="bob@confirm.example"]') === null`))
		return err == nil && gone
	})

	// Release on the locks page.
	holder := store.Actor{Kind: store.ActorClient, ID: "crashed", Name: "Crashed importer"}
	lock, err := st.AcquireLock(ctx, store.PlanLockName(planID), holder, "assign 9 licenses", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	held := func() bool {
		_, ok, err := st.HeldLock(ctx, lock.Name)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if err := chromedp.Do(b, chromedp.Navigate(s.URL+"/locks"), chromedp.WaitVisible(testid("release-lock"))); err != nil {
		t.Fatal(err)
	}
	// The table polls every 5 s; a click whose press and release span a
	// poll still counts: press, wait for the next poll's answer, release.
	d.answerNext(false)
	if !evalBool(b, `window.polls = 0; document.body.addEventListener("htmx:afterRequest", () => window.polls++); true`) {
		t.Fatal("cannot count the table's polls")
	}
	clickAcross(t, b, testid("release-lock"), "the table polls while the button is held", func() bool { return evalBool(b, `window.polls > 0`) })
	if m := d.waitMessage(t, 5); !strings.Contains(m, "Release") {
		t.Errorf("the release confirmation reads %q", m)
	}
	if !held() {
		t.Fatal("Cancel released the lock")
	}
	d.answerNext(true)
	if err := chromedp.Do(b, chromedp.Click(testid("release-lock"))); err != nil {
		t.Fatal(err)
	}
	d.waitMessage(t, 6)
	storetest.WaitWithin(t, 15*time.Second, "OK releases the lock", func() bool { return !held() })
}
