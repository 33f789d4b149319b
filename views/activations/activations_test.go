package activations_test

import (
	"testing"
	"time"

	"github.com/seatplan/seatplan/views/activations"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

func TestInstances_ListsEachInstanceWithItsLastCheckIn(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	checkIn := at.Add(26 * time.Hour)
	doc := viewtest.Render(t, activations.Instances(activations.InstancesView{
		Rows: []activations.Row{
			{InstanceID: "lms-1", Email: "ada@example.edu", Status: "activated", ActivatedAt: at, LastRefreshAt: &checkIn},
			{InstanceID: hostile, Email: "bob@example.edu", Status: "revoked", ActivatedAt: at},
			{InstanceID: "lms-3", Email: "cy@example.edu", Status: "activated", ActivatedAt: at, Revoked: true},
		},
		NextURL: "/plans/p1/instances?before=01ABC",
	}))
	viewtest.AssertCSPSafe(t, doc)
	rows := viewtest.ByTestID(doc, "instance-row")
	if rows.Length() != 3 {
		t.Fatalf("%d rows, want 3", rows.Length())
	}
	first := rows.Eq(0)
	if got := viewtest.ByTestID(doc, "instance-id").First().Text(); got != "lms-1" {
		t.Errorf("first instance %q", got)
	}
	if got := first.Find(`[data-testid="instance-last-check-in"] time`).AttrOr("datetime", ""); got != checkIn.Format(time.RFC3339) {
		t.Errorf("last check-in %q, want %s", got, checkIn.Format(time.RFC3339))
	}
	if got := rows.Eq(1).Find(`[data-testid="instance-last-check-in"]`).Text(); got != "not since activating" {
		t.Errorf("never refreshed shows %q", got)
	}
	if doc.Find("script").Length() != 0 || rows.Eq(1).Find(`[data-testid="instance-id"]`).Text() != hostile {
		t.Error("an instance id was not escaped")
	}
	if got := rows.Eq(2).Find(`[data-testid="instance-status"]`).Text(); got != "activation revoked" {
		t.Errorf("revoked activation shows %q", got)
	}
	next := viewtest.ByTestID(doc, "next-page")
	if next.AttrOr("hx-get", "") != "/plans/p1/instances?before=01ABC" || next.AttrOr("hx-target", "") != "#plan-instances" {
		t.Errorf("pager: hx-get %q hx-target %q", next.AttrOr("hx-get", ""), next.AttrOr("hx-target", ""))
	}
}

func TestInstances_EmptyPlanSaysHowInstancesAppear(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, activations.InstancesPage(activations.InstancesPageView{
		Base: layout.Base{Title: "Instances"}, PlanName: "Campus", PlanURL: "/plans/p1",
	}))
	viewtest.AssertCSPSafe(t, doc)
	if viewtest.ByTestID(doc, "empty-state").Length() != 1 || viewtest.ByTestID(doc, "instance-row").Length() != 0 {
		t.Error("no empty state for a plan without instances")
	}
	if doc.Find("#plan-instances").Length() != 1 {
		t.Error("the full page lacks the #plan-instances fragment")
	}
}
