package dashboard_test

import (
	"testing"
	"time"

	"github.com/seatplan/seatplan/views/audit"
	"github.com/seatplan/seatplan/views/dashboard"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

func dashboardView() dashboard.DashboardView {
	return dashboard.DashboardView{
		Base:     layout.Base{Title: "Dashboard", User: &layout.User{Name: "Ada", Role: "admin"}},
		Greeting: "Welcome back, Ada",
		Cards: []dashboard.Card{
			{Label: "People", Value: "12", Hint: "can sign in"},
			{Label: "Held locks", Value: "1", Href: "/locks"},
		},
		Recent: []audit.Row{
			{At: time.Date(2025, 3, 4, 10, 15, 0, 0, time.UTC), Actor: "Ada", Action: "plan.update", Subject: "plan:1", Summary: "Seats 10 → 20"},
		},
	}
}

func TestDashboardPage_Cards(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, dashboard.DashboardPage(dashboardView()))
	viewtest.AssertCSPSafe(t, doc)

	if got := viewtest.ByTestID(doc, "greeting").Text(); got != "Welcome back, Ada" {
		t.Errorf("greeting = %q", got)
	}
	cards := viewtest.ByTestID(doc, "dashboard-card")
	if cards.Length() != 2 {
		t.Fatalf("%d cards, want 2", cards.Length())
	}
	if got := cards.First().Find(`[data-testid="card-value"]`).Text(); got != "12" {
		t.Errorf("first card value = %q", got)
	}
	if cards.First().Is("a") {
		t.Error("a card without Href is a link")
	}
	if !cards.Last().Is("a") || cards.Last().AttrOr("href", "") != "/locks" {
		t.Errorf("card with Href is not a link to /locks")
	}
}

func TestDashboardPage_RecentActivity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		recent    []audit.Row
		wantItems int
	}{
		{name: "WithActivity", recent: dashboardView().Recent, wantItems: 1},
		{name: "NoActivity", recent: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := dashboardView()
			v.Recent = tt.recent
			doc := viewtest.Render(t, dashboard.DashboardPage(v))

			if got := viewtest.ByTestID(doc, "recent-activity-item").Length(); got != tt.wantItems {
				t.Errorf("%d activity items, want %d", got, tt.wantItems)
			}
			hasList := viewtest.ByTestID(doc, "recent-activity").Length() == 1
			hasEmpty := viewtest.ByTestID(doc, "empty-state").Length() == 1
			if hasList != (tt.wantItems > 0) || hasEmpty != (tt.wantItems == 0) {
				t.Errorf("list shown = %v, empty state shown = %v", hasList, hasEmpty)
			}
		})
	}
}

func TestDashboardPage_EscapesUserText(t *testing.T) {
	t.Parallel()
	v := dashboardView()
	v.Greeting = "Welcome back, " + hostile
	v.Recent[0].Summary = hostile
	v.Cards[0].Label = hostile
	doc := viewtest.Render(t, dashboard.DashboardPage(v))

	viewtest.AssertCSPSafe(t, doc)
	if got := viewtest.ByTestID(doc, "greeting").Text(); got != v.Greeting {
		t.Errorf("greeting = %q, want it shown literally", got)
	}
}
