package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
)

func TestBadBytes_AreA400NamingTheFieldAndChangeNothing(t *testing.T) {
	t.Parallel()
	b := setupAPI(t, store.RoleAdmin, defaultLimits)
	id := b.createPlan(t, 1)
	tests := []struct {
		name, method, path, body, field string
	}{
		{name: "NULInAPlanName", method: "POST", path: "/api/v1/plans", body: `{"name":"a\u0000b","seats":1}`, field: "name"},
		{name: "InvalidUTF8InAPlanName", method: "PATCH", path: "/api/v1/plans/" + id, body: "{\"name\":\"caf\xe9\"}", field: "name"},
		{name: "NULInACourseTitle", method: "POST", path: "/api/v1/courses", body: `{"key":"c1","title":"x\u0000"}`, field: "title"},
		{name: "NULInAPathValue", method: "GET", path: "/api/v1/plans/%00", field: "id"},
		{name: "InvalidUTF8InAPathValue", method: "GET", path: "/api/v1/plans/%FF/licenses", field: "id"},
		{name: "InvalidUTF8InAQuery", method: "GET", path: "/api/v1/plans/" + id + "/licenses?q=%FF", field: "q"},
		{name: "NULInAQuery", method: "GET", path: "/api/v1/plans?q=a%00", field: "q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := ""
			if tt.body != "" {
				ct = "application/json"
			}
			status, body := b.call(t, tt.method, tt.path, ct, strings.NewReader(tt.body))
			if status != http.StatusBadRequest || body["error"] != "invalid_text" || body["field"] != tt.field {
				t.Errorf("got %d %v, want 400 invalid_text naming %q", status, body, tt.field)
			}
		})
	}
	if _, p := b.call(t, "GET", "/api/v1/plans/"+id, "", nil); p["name"] != "Acme" {
		t.Errorf("a refused patch changed the plan: %v", p)
	}
}

func TestLengthLimits_AreCheckedBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	b := setupAPI(t, store.RoleAdmin, defaultLimits)
	long := strings.Repeat("é", store.MaxNameLength+1)
	if status, body := b.call(t, "POST", "/api/v1/plans", "application/json", strings.NewReader(`{"name":"`+long+`","seats":1}`)); status != http.StatusUnprocessableEntity {
		t.Errorf("long plan name: %d %v, want 422", status, body)
	}
	if status, body := b.call(t, "POST", "/api/v1/courses", "application/json", strings.NewReader(`{"key":"c1","title":"`+long+`"}`)); status != http.StatusUnprocessableEntity {
		t.Errorf("long course title: %d %v, want 422", status, body)
	}
	tb := &testBundle{srv: b.srv, store: b.store}
	resp := tb.signIn(t, tb.browser(t), strings.Repeat("a", 10_000)+"@example.com", "whatever")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a 10,000-character email on the login form: %d, want 400", resp.StatusCode)
	}
}

func TestFlash_LongPlanNamesNeverOverflowTheCookie(t *testing.T) {
	t.Parallel()
	b := setupAPI(t, store.RoleAdmin, defaultLimits)
	tb, c := b.signedInAdmin(t)
	for i := range 5 {
		name := strings.Repeat("名", store.MaxNameLength-1) + string(rune('a'+i))
		form := url.Values{"name": {name}, "seats": {"1"}}.Encode()
		resp := post(t, c, tb.srv.URL+"/plans", formType, []byte(form))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create plan %d: %d, want 303", i, resp.StatusCode)
		}
	}
	page, err := b.store.ListPlans(t.Context(), store.PlanFilter{})
	if err != nil || len(page.Plans) != 5 {
		t.Fatalf("%d plans (%v), want 5: every create answered once", len(page.Plans), err)
	}
	flashes := doc(t, get(t, c, tb.srv.URL+"/plans")).Find(`[data-testid="flash"]`)
	if flashes.Length() == 0 || flashes.Length() > maxFlashes {
		t.Errorf("%d flashes shown, want 1 to %d", flashes.Length(), maxFlashes)
	}
}
