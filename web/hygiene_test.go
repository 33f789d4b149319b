package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
)

func TestBadBytes_AreA400NamingTheFieldAndChangeNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
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
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	long := strings.Repeat("é", store.MaxNameLength+1)
	if status, body := b.call(t, "POST", "/api/v1/plans", "application/json", strings.NewReader(`{"name":"`+long+`","seats":1}`)); status != http.StatusUnprocessableEntity {
		t.Errorf("long plan name: %d %v, want 422", status, body)
	}
	if status, body := b.call(t, "POST", "/api/v1/courses", "application/json", strings.NewReader(`{"key":"c1","title":"`+long+`"}`)); status != http.StatusUnprocessableEntity {
		t.Errorf("long course title: %d %v, want 422", status, body)
	}
	resp := b.signIn(t, b.browser(t), strings.Repeat("a", 10_000)+"@example.com", "whatever")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a 10,000-character email on the login form: %d, want 400", resp.StatusCode)
	}
}

func TestFlash_LongPlanNamesNeverOverflowTheCookie(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	for i := range 5 {
		name := strings.Repeat("名", store.MaxNameLength-1) + string(rune('a'+i))
		form := url.Values{"name": {name}, "seats": {"1"}}.Encode()
		resp := post(t, c, b.srv.URL+"/plans", formType, []byte(form))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create plan %d: %d, want 303", i, resp.StatusCode)
		}
	}
	page, err := b.store.ListPlans(t.Context(), store.PlanFilter{})
	if err != nil || len(page.Plans) != 5 {
		t.Fatalf("%d plans (%v), want 5: every create answered once", len(page.Plans), err)
	}
	flashes := doc(t, get(t, c, b.srv.URL+"/plans")).Find(`[data-testid="flash"]`)
	if flashes.Length() == 0 || flashes.Length() > maxFlashes {
		t.Errorf("%d flashes shown, want 1 to %d", flashes.Length(), maxFlashes)
	}
}

func TestCrossOriginProtection_APIRefusalsAreJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/plans", strings.NewReader(`{"name":"x","seats":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusForbidden ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || body["error"] != "cross_origin" || body["message"] == "" {
		t.Errorf("cross-site API POST: %d %s %v (%v), want 403 JSON cross_origin", resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
	}
}

func TestSecurityHeaders_HSTSOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		maxAge time.Duration
		want   string
	}{{0, ""}, {365 * 24 * time.Hour, "max-age=31536000; includeSubDomains"}} {
		b := setup(t, setupOpts{SecureCookies: true, Deps: func(_ *store.Store, d *Deps) { d.HSTSMaxAge = tt.maxAge }})
		resp, err := http.Get(b.srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
			t.Errorf("max age %s: Strict-Transport-Security %q, want %q", tt.maxAge, got, tt.want)
		}
	}
}

func TestHistoryAPI_AGarbageCursorIsA400(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	if status, _ := b.call(t, "POST", "/api/v1/courses", "application/json", strings.NewReader(`{"key":"c1","title":"Course"}`)); status != http.StatusCreated {
		t.Fatalf("create course: %d", status)
	}
	if status, body := b.call(t, "GET", "/api/v1/courses/c1/history?cursor=garbage", "", nil); status != http.StatusBadRequest || body["error"] != "bad_request" {
		t.Errorf("garbage cursor: %d %v, want 400", status, body)
	}
	if status, body := b.call(t, "GET", "/api/v1/courses/c1/history?cursor="+store.NewID(), "", nil); status != http.StatusOK {
		t.Errorf("a well-formed cursor: %d %v, want 200", status, body)
	}
}
