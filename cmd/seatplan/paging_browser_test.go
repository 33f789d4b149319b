package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestBrowser_ListsPageBackAndForthWithTotals(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv)
	api := newAPIClient(t, s, "Setup", "admin")
	const plansMade = 64
	for i := range plansMade {
		status, p, err := api.do("POST", "/api/v1/plans", "application/json", fmt.Sprintf(`{"name":"Paging %02d","seats":%d}`, i, 100+i))
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create plan: %d %v %v", status, p, err)
		}
	}
	planID := api.createPlan(t, 9000) // more seats than any demo plan
	var list []string
	for i := range 120 {
		list = append(list, fmt.Sprintf("learner%03d@paging.example", i))
	}
	statusURL, err := api.assignUntilAccepted(planID, strings.Join(list, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if j, err := api.waitJob(statusURL, time.Minute); err != nil || j["status"] != "succeeded" {
		t.Fatalf("assignment: %v %v", j, err)
	}

	b := newBrowser(t)
	if err := signInInBrowser(b, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	summary := func() string {
		return evalString(b, `document.querySelector('[data-testid="page-summary"]').textContent`)
	}
	click := func(id string) {
		t.Helper()
		before := summary()
		if err := chromedp.Do(b, chromedp.Click(testid(id))); err != nil {
			t.Fatal(err)
		}
		storetest.WaitWithin(t, 15*time.Second, "the page after "+id, func() bool { s := summary(); return s != "" && s != before })
	}

	// The licenses of a plan: 120, in pages of 50, forward to the end and back.
	if err := chromedp.Do(b, chromedp.WaitVisible(testid("dashboard-card")), chromedp.Navigate(s.URL+"/plans/"+planID),
		chromedp.WaitVisible(testid("licenses-table"))); err != nil {
		t.Fatal(err)
	}
	if got := summary(); got != "1–50 of 120" {
		t.Fatalf("first page reads %q", got)
	}
	if !evalBool(b, `document.querySelector('[data-testid="prev-page-disabled"]') !== null`) {
		t.Error("the first page offers a way back")
	}
	firstEmail := evalString(b, `document.querySelector('[data-testid="license-row"] td:nth-child(2)').textContent`)
	click("next-page")
	if got := summary(); got != "51–100 of 120" {
		t.Errorf("second page reads %q", got)
	}
	click("next-page")
	if got := summary(); got != "101–120 of 120" {
		t.Errorf("last page reads %q", got)
	}
	if n := evalString(b, `String(document.querySelectorAll('[data-testid="license-row"]').length)`); n != "20" {
		t.Errorf("the last page shows %s rows, want 20", n)
	}
	if !evalBool(b, `document.querySelector('[data-testid="next-page-disabled"]') !== null`) {
		t.Error("the last page offers a next page")
	}
	click("prev-page")
	if got := summary(); got != "51–100 of 120" {
		t.Errorf("back one page reads %q", got)
	}
	click("prev-page")
	if got := summary(); got != "1–50 of 120" {
		t.Errorf("back at the start reads %q", got)
	}
	if got := evalString(b, `document.querySelector('[data-testid="license-row"] td:nth-child(2)').textContent`); got != firstEmail {
		t.Errorf("back at the start the first row is %q, was %q", got, firstEmail)
	}

	// The licenses sorted by their Email header, Z to A, paged both ways.
	firstLicense := func() string {
		return evalString(b, `document.querySelector('[data-testid="license-row"] td:nth-child(2)').textContent`)
	}
	sortedBy := func(label, dir string) chromedp.CSS {
		return chromedp.CSS(`th[aria-sort="` + dir + `"]:has([data-testid="sort-` + label + `"])`)
	}
	if err := chromedp.Do(b, chromedp.Click(testid("sort-Email")), chromedp.WaitVisible(sortedBy("Email", "ascending")),
		chromedp.Click(testid("sort-Email")), chromedp.WaitVisible(sortedBy("Email", "descending"))); err != nil {
		t.Fatal(err)
	}
	if got := firstLicense(); got != "learner119@paging.example" {
		t.Errorf("Z to A: the first license is %q", got)
	}
	click("next-page")
	if got := firstLicense(); got != "learner069@paging.example" || summary() != "51–100 of 120" {
		t.Errorf("Z to A, second page: %q, first license %q", summary(), got)
	}
	click("prev-page")
	if got := firstLicense(); got != "learner119@paging.example" || summary() != "1–50 of 120" {
		t.Errorf("Z to A, back on the first page: %q, first license %q", summary(), got)
	}
	if err := chromedp.Do(b, chromedp.Click(testid("sort-Assigned")), chromedp.WaitVisible(sortedBy("Assigned", "ascending"))); err != nil {
		t.Fatal(err)
	}
	if got := firstLicense(); got != firstEmail {
		t.Errorf("in assignment order again, the first license is %q, was %q", got, firstEmail)
	}

	// The plans list: counted, and sortable by seats both ways.
	if err := chromedp.Do(b, chromedp.Navigate(s.URL+"/plans"), chromedp.WaitVisible(testid("plans-table"))); err != nil {
		t.Fatal(err)
	}
	var total int
	if _, err := fmt.Sscanf(strings.SplitN(summary(), " of ", 2)[1], "%d", &total); err != nil || total < plansMade+1 {
		t.Fatalf("the plans list reads %q", summary())
	}
	// Name is sorted ascending by default, so wait on the Seats header itself.
	seatsSorted := func(dir string) chromedp.CSS {
		return chromedp.CSS(`th[aria-sort="` + dir + `"]:has([data-testid="sort-Seats"])`)
	}
	if err := chromedp.Do(b, chromedp.Click(testid("sort-Seats")), chromedp.WaitVisible(seatsSorted("ascending")),
		chromedp.Click(testid("sort-Seats")), chromedp.WaitVisible(seatsSorted("descending"))); err != nil {
		t.Fatal(err)
	}
	firstSeats := func() string {
		return evalString(b, `document.querySelector('[data-testid="plan-row"] td:nth-child(2)').textContent`)
	}
	if got := firstSeats(); got != "9,000" {
		t.Errorf("most seats first: the first plan has %q seats", got)
	}
	click("next-page")
	if got := summary(); !strings.HasPrefix(got, "51–") {
		t.Errorf("second page of plans reads %q", got)
	}
	if !evalBool(b, `document.querySelector('th[aria-sort="descending"]') !== null`) {
		t.Error("the order was lost on the next page")
	}
	click("prev-page")
	if got := firstSeats(); got != "9,000" || !strings.HasPrefix(summary(), "1–50 of ") {
		t.Errorf("back on the first page: %q, first plan's seats %q", summary(), got)
	}
}
