package audit_test

import (
	"testing"
	"time"

	"github.com/seatplan/seatplan/views/audit"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

func pageView() audit.AuditView {
	at := time.Date(2025, 3, 4, 10, 15, 0, 0, time.UTC)
	return audit.AuditView{
		Base:    layout.Base{Title: "Audit log", User: &layout.User{Name: "Sam", Role: "support"}},
		Action:  "plan.update",
		Actions: []string{"lock.release", "plan.update"},
		Rows: []audit.Row{
			{At: at, Actor: "Sam", Action: "plan.update", Subject: "plan:1", Summary: "Seats 10 → 20"},
			{At: at.Add(-time.Hour), Actor: "Ada", Action: "plan.update", Subject: "plan:2", Summary: "Renamed"},
		},
		Pager: layout.Pager{NextURL: "/audit?action=plan.update&before=7"},
	}
}

func TestAuditPage_FilterFormUpdatesResultsWithHtmx(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, audit.AuditPage(pageView()))
	viewtest.AssertCSPSafe(t, doc)

	form := viewtest.ByTestID(doc, "audit-filters")
	want := map[string]string{
		"method":      "get",
		"action":      "/audit",
		"hx-get":      "/audit",
		"hx-target":   "#audit-results",
		"hx-push-url": "true",
		"hx-trigger":  "submit, input changed delay:300ms",
	}
	for attr, value := range want {
		if got := form.AttrOr(attr, ""); got != value {
			t.Errorf("form %s = %q, want %q", attr, got, value)
		}
	}
	if form.Find(`input[name="q"]`).Length() != 1 {
		t.Error("no search box named q")
	}
	selected := form.Find(`select[name="action"] option[selected]`)
	if selected.Length() != 1 || selected.AttrOr("value", "") != "plan.update" {
		t.Errorf("selected action = %q, want plan.update", selected.AttrOr("value", ""))
	}
	// The fragment the form targets is on the page.
	if doc.Find("#audit-results").Length() != 1 {
		t.Error("no #audit-results on the page")
	}
}

func TestAuditResults_ListsRowsWithTimes(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, audit.AuditResults(pageView()))

	if root := doc.Find("body > *"); root.Length() != 1 || root.AttrOr("id", "") != "audit-results" {
		t.Fatalf("fragment root is not one #audit-results element")
	}
	rows := viewtest.ByTestID(doc, "audit-row")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 2", rows.Length())
	}
	first := rows.First().Find("time")
	if got := first.AttrOr("datetime", ""); got != "2025-03-04T10:15:00Z" {
		t.Errorf("datetime = %q", got)
	}
	if got := first.Text(); got != "2025-03-04 10:15 UTC" {
		t.Errorf("time text = %q", got)
	}
	if got := viewtest.ByTestID(doc, "next-page").AttrOr("href", ""); got != "/audit?action=plan.update&before=7" {
		t.Errorf("next page = %q", got)
	}
	if viewtest.ByTestID(doc, "prev-page").Length() != 0 {
		t.Error("first page links to a newer page")
	}
}

func TestAuditResults_EmptyState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, q, action, want string
	}{
		{name: "NoActivity", want: "No activity yet"},
		{name: "NoMatchForSearch", q: "nobody", want: "No matching activity"},
		{name: "NoMatchForAction", action: "plan.update", want: "No matching activity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := viewtest.Render(t, audit.AuditResults(audit.AuditView{Q: tt.q, Action: tt.action}))
			if viewtest.ByTestID(doc, "audit-table").Length() != 0 {
				t.Error("empty results render a table")
			}
			if got := viewtest.ByTestID(doc, "empty-state").Find(".empty-state-title").Text(); got != tt.want {
				t.Errorf("empty state = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuditPage_EscapesUserText(t *testing.T) {
	t.Parallel()
	v := pageView()
	v.Q = `"><script>alert(1)</script>`
	v.Rows[0].Summary = hostile
	v.Rows[0].Actor = hostile
	v.Actions = append(v.Actions, hostile)
	doc := viewtest.Render(t, audit.AuditPage(v))

	viewtest.AssertCSPSafe(t, doc)
	if got := doc.Find(`input[name="q"]`).AttrOr("value", ""); got != v.Q {
		t.Errorf("search box value = %q, want %q", got, v.Q)
	}
	if got := viewtest.ByTestID(doc, "audit-row").First().Find("td").Last().Text(); got != hostile {
		t.Errorf("summary = %q, want it shown literally", got)
	}
}
