package plans_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/plans"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

func planView() plans.PlanView {
	at := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	return plans.PlanView{
		Base: layout.Base{Title: hostile, User: &layout.User{Name: "Ada", Role: "admin"}},
		ID:   "P1", Name: hostile, Seats: 4, StartsAt: at, ExpiresAt: at.AddDate(1, 0, 0), TermsAt: at,
		Usage: []plans.Segment{{Status: "unassigned", Label: "unassigned", Count: 2, Width: 50},
			{Status: "assigned", Label: "assigned", Count: 2, Offset: 50, Width: 50}},
		Licenses: plans.LicensesView{PlanID: "P1", Pager: layout.Pager{NextURL: "/plans/P1?after=9"}, Rows: []plans.LicenseRow{
			{Email: hostile + "@example.com", Status: "assigned", ActivationKey: "ABC", AssignedAt: &at},
			{Status: "unassigned"},
		}, CanRevoke: true},
		Assignment: plans.AssignmentView{PlanID: "P1"}, CanAssign: true,
	}
}

func TestPlanPage_EscapesUserTextAndOnlyLiveLicensesAreRevocable(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, plans.PlanPage(planView()))
	viewtest.AssertCSPSafe(t, doc)
	if doc.Find("script:contains('alert')").Length() != 0 {
		t.Error("user text rendered as a script")
	}
	if n := viewtest.ByTestID(doc, "revoke-one").Length(); n != 1 {
		t.Errorf("%d revoke buttons, want 1 (the unassigned row has none)", n)
	}
	if n := doc.Find("svg rect").Length(); n != 2 {
		t.Errorf("%d bar segments, want 2", n)
	}
	if viewtest.ByTestID(doc, "next-page").Length() != 1 || viewtest.ByTestID(doc, "upload-form").Length() != 1 {
		t.Error("missing the next-page link or the upload form")
	}
}

func TestPreviewPanel_InvalidLinesOnlyAssignBySkippingThem(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, plans.PreviewPanel(plans.Preview{PlanID: "P1", ID: "L1", New: 2, Needed: 2, Available: 5, Acceptable: true,
		Problems: []plans.Problem{{Line: 7, Value: hostile, Reason: "missing @"}}, ProblemCount: 1}))
	viewtest.AssertCSPSafe(t, doc)
	if viewtest.ByTestID(doc, "confirm-assignment").Length() != 0 {
		t.Error("a list with invalid lines offers a plain Confirm")
	}
	skip := viewtest.ByTestID(doc, "confirm-skip-invalid")
	if v, _ := skip.Attr("value"); skip.Length() != 1 || v != "true" || !strings.Contains(skip.Text(), "skip the 1 invalid") {
		t.Errorf("skip choice: %q", skip.Text())
	}
	if id, _ := skip.Closest("form").Find(`input[name="preview"]`).Attr("value"); id != "L1" {
		t.Errorf("the confirm names preview %q, want L1", id)
	}
	if got := viewtest.ByTestID(doc, "preview-problem").Find("td").First().Text(); got != "7" {
		t.Errorf("problem line %q", got)
	}
}

func TestProgress_PollsUntilFinished(t *testing.T) {
	t.Parallel()
	running := viewtest.Render(t, plans.Progress(plans.JobView{PlanID: "P1", ID: "J1", Status: "running", Done: 3, Total: 4}))
	viewtest.AssertCSPSafe(t, running)
	bar := running.Find("progress")
	if v, _ := bar.Attr("value"); v != "75" {
		t.Errorf("progress value %q, want 75", v)
	}
	if trigger, _ := viewtest.ByTestID(running, "job-status").Attr("hx-trigger"); trigger != "every 500ms" {
		t.Errorf("running job polls with %q", trigger)
	}
	done := viewtest.Render(t, plans.Progress(plans.JobView{PlanID: "P1", ID: "J1", Status: "succeeded", Done: 4, Total: 4, Finished: true, Assigned: 4, Used: 4}))
	if _, polls := viewtest.ByTestID(done, "job-progress").Attr("hx-get"); polls {
		t.Error("a finished job still polls")
	}
	if viewtest.ByTestID(done, "job-result").Length() != 1 {
		t.Error("no result on a finished job")
	}
}

func TestProgress_SaysWhenAJobWasInterruptedOrFailed(t *testing.T) {
	t.Parallel()
	interrupted := viewtest.Render(t, plans.Progress(plans.JobView{PlanID: "P1", ID: "J1", Status: "queued", Total: 4,
		Interrupted: true, Interruption: "The server running it stopped."}))
	if got := viewtest.ByTestID(interrupted, "job-state").Text(); got != "Interrupted — retrying" {
		t.Errorf("interrupted job says %q", got)
	}
	if _, polls := viewtest.ByTestID(interrupted, "job-status").Attr("hx-get"); !polls {
		t.Error("an interrupted job stops polling, so the page would never show the retry")
	}
	failed := viewtest.Render(t, plans.Progress(plans.JobView{PlanID: "P1", ID: "J1", Status: "failed", Total: 4,
		Finished: true, Failed: true, Error: "Newer work took the lock."}))
	if got := viewtest.ByTestID(failed, "job-state").Text(); got != "Failed — nothing was changed" {
		t.Errorf("failed job says %q", got)
	}
	if !strings.Contains(viewtest.ByTestID(failed, "job-error").Text(), "Newer work took the lock.") {
		t.Error("the failure does not say why")
	}
}

func TestPlanPage_WithoutTheRightsShowsNoAssignOrRevoke(t *testing.T) {
	t.Parallel()
	v := planView()
	v.CanAssign, v.Licenses.CanRevoke = false, false
	doc := viewtest.Render(t, plans.PlanPage(v))
	for _, id := range []string{"revoke-one", "revoke-selected", "upload-form"} {
		if viewtest.ByTestID(doc, id).Length() != 0 {
			t.Errorf("support is offered %s, which only admins may use", id)
		}
	}
	if viewtest.ByTestID(doc, "edit-plan").Length() != 1 {
		t.Error("support should still edit the plan's terms")
	}
}
