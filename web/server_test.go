package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
)

func TestPages_AnonymousIsSentToSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	resp := get(t, b.browser(t), b.srv.URL+"/audit?q=x")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Faudit%3Fq%3Dx" {
		t.Errorf("got %d to %q, want 303 to the login page with next", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLogin_SignsInAndLogoutRevokesTheSessionOnTheServer(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "ada@example.com", store.RoleAdmin)
	c := b.browser(t)

	resp := b.signIn(t, c, "ada@example.com", "correct horse battery")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/audit" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	page := get(t, c, b.srv.URL+"/")
	if page.StatusCode != http.StatusOK || page.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("dashboard: %d, Cache-Control %q", page.StatusCode, page.Header.Get("Cache-Control"))
	}
	if n := doc(t, page).Find(`[data-testid="dashboard-card"]`).Length(); n == 0 {
		t.Error("dashboard shows no cards")
	}

	// Keep a copy of the cookie, log out, and replay it: the server must refuse it.
	u, _ := url.Parse(b.srv.URL)
	stolen := c.Jar.Cookies(u)
	req, _ := http.NewRequest("POST", b.srv.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	out, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if out.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", out.StatusCode)
	}
	replay := b.browser(t)
	replay.Jar.SetCookies(u, stolen)
	if resp := get(t, replay, b.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a logged-out session cookie still opens the dashboard: %d", resp.StatusCode)
	}
}

func TestLogin_WrongPasswordAndUnknownEmailLookTheSame(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "ada@example.com", store.RoleAdmin)
	wrong := b.signIn(t, b.browser(t), "ada@example.com", "nope nope nope")
	unknown := b.signIn(t, b.browser(t), "eve@example.com", "nope nope nope")
	if wrong.StatusCode != http.StatusUnauthorized || unknown.StatusCode != http.StatusUnauthorized {
		t.Fatalf("statuses %d and %d, want 401", wrong.StatusCode, unknown.StatusCode)
	}
	a := doc(t, wrong).Find(`[data-testid="login-error"]`).Text()
	u := doc(t, unknown).Find(`[data-testid="login-error"]`).Text()
	if a == "" || a != u {
		t.Errorf("messages differ or are empty: %q vs %q", a, u)
	}
}

func TestLogin_RateLimitedAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "ada@example.com", store.RoleAdmin)
	var last int
	for range 6 {
		last = b.signIn(t, b.browser(t), "ada@example.com", "guessing again").StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("sixth failure: %d, want 429", last)
	}
}

func TestPages_RolesAreEnforced(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "arthur@example.com", store.RoleAuthor)
	c := b.browser(t)
	b.signIn(t, c, "arthur@example.com", "correct horse battery")
	if resp := get(t, c, b.srv.URL+"/audit"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("author on /audit: %d, want 403", resp.StatusCode)
	}
	nav := doc(t, get(t, c, b.srv.URL+"/")).Find("nav a").Text()
	if strings.Contains(nav, "Audit") {
		t.Errorf("author's navigation offers the audit log: %q", nav)
	}
}

func TestCrossOriginProtection_RefusesCrossSitePosts(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "ada@example.com", store.RoleAdmin)
	req, _ := http.NewRequest("POST", b.srv.URL+"/login", strings.NewReader("email=ada%40example.com&password=correct+horse+battery"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
}

func TestSecurityHeaders_OnEveryAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for _, path := range []string{"/login", "/nope", "/api/v1/me"} {
		resp := get(t, b.browser(t), b.srv.URL+path)
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

// syncBuffer is a log destination that handlers may write concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(b.buf.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func TestLogRequests_AnErrorLogCarriesTheRequestIDOfItsAccessLine(t *testing.T) {
	t.Parallel()
	b, logs := loggedServer(t)
	b.store.Pool().Close() // every query now fails: a 500 that logs why
	req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer some-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	byMsg := map[string]map[string]any{}
	for _, l := range logs.lines() {
		byMsg[l["msg"].(string)] = l
	}
	failure, access := byMsg["request failed"], byMsg["request"]
	if failure == nil || access == nil {
		t.Fatalf("logs lack the failure or the access line: %v", logs.lines())
	}
	if id, _ := access["request_id"].(string); id == "" || failure["request_id"] != id {
		t.Errorf("request ids: failure %v, access line %v", failure["request_id"], access["request_id"])
	}
}

func TestNotFound_PageForBrowsersJSONForTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	page := get(t, b.browser(t), b.srv.URL+"/no/such/page")
	if page.StatusCode != http.StatusNotFound || doc(t, page).Find(`[data-testid="error-page"]`).Length() != 1 {
		t.Errorf("unknown page: %d or no styled error page", page.StatusCode)
	}
	api := get(t, b.browser(t), b.srv.URL+"/api/v1/nothing")
	var body struct{ Error, Message string }
	json.NewDecoder(api.Body).Decode(&body)
	if api.StatusCode != http.StatusNotFound || api.Header.Get("Content-Type") != "application/json" || body.Error != "not_found" || body.Message == "" {
		t.Errorf("unknown API route: %d %q %+v", api.StatusCode, api.Header.Get("Content-Type"), body)
	}
}

func TestAPI_RequiresABearerToken(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	resp := get(t, b.browser(t), b.srv.URL+"/api/v1/me", "Authorization", "Bearer made-up")
	var body struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusUnauthorized || body.Error != "invalid_token" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("bad token: %d %+v %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestOAuthToken_ClientCredentialsByBasicAndForm(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	creds := b.apiClient(t, "sync", store.RoleAuthor)
	post := func(form url.Values, basic bool) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", b.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth(url.QueryEscape(creds.ClientID), url.QueryEscape(creds.ClientSecret))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		raw, _ := io.ReadAll(resp.Body)
		json.Unmarshal(raw, &body)
		return resp, body
	}
	resp, body := post(url.Values{"grant_type": {"client_credentials"}}, true)
	if tok, _ := body["access_token"].(string); resp.StatusCode != 200 || body["token_type"] != "Bearer" || tok == "" || body["expires_in"] != float64(3600) {
		t.Errorf("basic auth: %d %v", resp.StatusCode, body)
	}
	resp, _ = post(url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}}, false)
	if resp.StatusCode != 200 {
		t.Errorf("form auth: %d", resp.StatusCode)
	}
	resp, body = post(url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {"wrong"}}, false)
	if resp.StatusCode != 401 || body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", resp.StatusCode, body)
	}
	resp, body = post(url.Values{"grant_type": {"password"}}, true)
	if resp.StatusCode != 400 || body["error"] != "unsupported_grant_type" {
		t.Errorf("wrong grant: %d %v", resp.StatusCode, body)
	}
}

func TestFlash_ShownOnceOnTheNextPage(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "sam@example.com", store.RoleSupport)
	c := b.browser(t)
	b.signIn(t, c, "sam@example.com", "correct horse battery")
	if _, err := b.store.AcquireLock(context.Background(), "plan:x", store.SystemActor, "demo", time.Minute); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", b.srv.URL+"/locks/plan:x/release", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("release: %d", resp.StatusCode)
	}
	first := doc(t, get(t, c, b.srv.URL+"/locks")).Find(`[data-testid="flash"]`).Text()
	if !strings.Contains(first, "Released: Lock on a plan.") {
		t.Errorf("flash after release: %q", first)
	}
	if again := doc(t, get(t, c, b.srv.URL+"/locks")).Find(`[data-testid="flash"]`).Length(); again != 0 {
		t.Error("the flash was shown twice")
	}
}

func TestChangePassword_EndsOtherSessionsKeepsThisOne(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "ada@example.com", store.RoleAdmin)
	laptop, phone := b.browser(t), b.browser(t)
	b.signIn(t, laptop, "ada@example.com", "correct horse battery")
	b.signIn(t, phone, "ada@example.com", "correct horse battery")

	form := url.Values{"current_password": {"correct horse battery"}, "new_password": {"an even better one"}}
	req, _ := http.NewRequest("POST", b.srv.URL+"/account/password", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := laptop.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", resp.StatusCode)
	}
	if resp := get(t, laptop, b.srv.URL+"/account"); resp.StatusCode != http.StatusOK {
		t.Errorf("the browser that changed the password was signed out: %d", resp.StatusCode)
	}
	if resp := get(t, phone, b.srv.URL+"/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another session survived the password change: %d", resp.StatusCode)
	}
}

func TestAuditPage_HtmxGetsOnlyTheFilteredResults(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.person(t, "sam@example.com", store.RoleSupport)
	b.person(t, "zoe@example.com", store.RoleAuthor)
	c := b.browser(t)
	b.signIn(t, c, "sam@example.com", "correct horse battery")

	full := doc(t, get(t, c, b.srv.URL+"/audit"))
	if full.Find("html").Length() != 1 || full.Find(`[data-testid="audit-row"]`).Length() < 3 {
		t.Fatalf("full page: %d rows", full.Find(`[data-testid="audit-row"]`).Length())
	}
	resp := get(t, c, b.srv.URL+"/audit?q=zoe", "HX-Request", "true")
	frag := doc(t, resp)
	if frag.Find("html > head > title").Length() != 0 || frag.Find("nav").Length() != 0 {
		t.Error("an htmx request got the whole page")
	}
	rows := frag.Find(`[data-testid="audit-row"]`)
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "zoe@example.com") {
		t.Errorf("search for zoe: %d rows: %q", rows.Length(), rows.Text())
	}
	if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
		t.Error("fragment answers must vary on HX-Request")
	}
}

func TestSessionCookie_SecureOnlyOutsideDevelopment(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		b := setup(t, setupOpts{SecureCookies: secure})
		b.person(t, "ada@example.com", store.RoleAdmin)
		cookie := b.signIn(t, b.browser(t), "ada@example.com", "correct horse battery").Header.Get("Set-Cookie")
		if got := strings.Contains(cookie, "; Secure"); got != secure {
			t.Errorf("secure=%v: cookie %q", secure, cookie)
		}
	}
}
