package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
)

// blockVersion reads a block's current version over the API.
func (b *bundle) blockVersion(t *testing.T, path string) string {
	t.Helper()
	resp, raw := b.send(t, "GET", path, "")
	var blk struct {
		VersionID string `json:"version_id"`
	}
	if err := json.Unmarshal(raw, &blk); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	if resp.Header.Get("ETag") != `"`+blk.VersionID+`"` {
		t.Fatalf("GET %s: ETag %s for version %s", path, resp.Header.Get("ETag"), blk.VersionID)
	}
	return blk.VersionID
}

// setupBlockAPI is an author client on a course with one chapter.
func setupBlockAPI(t *testing.T) (*bundle, string, string) {
	t.Helper()
	b := setup(t, setupOpts{Role: store.RoleAuthor, Jobs: true})
	status, course := b.call(t, "POST", "/api/v1/courses", "application/json", strings.NewReader(`{"key":"course-v1:RFC+9110","title":"Conditional requests"}`))
	if status != http.StatusCreated {
		t.Fatalf("create course: %d %v", status, course)
	}
	base := "/api/v1/courses/" + url.PathEscape(course["key"].(string))
	status, chapter := b.call(t, "POST", base+"/blocks", "application/json",
		strings.NewReader(fmt.Sprintf(`{"parent_id":%q,"type":"chapter","display_name":"Week 1"}`, course["root_block_id"])))
	if status != http.StatusCreated {
		t.Fatalf("create chapter: %d %v", status, chapter)
	}
	return b, base, base + "/blocks/" + chapter["id"].(string)
}

func TestBlockAPI_WritesHonourIfMatchAndIfNoneMatchAsRFC9110Says(t *testing.T) {
	t.Parallel()
	b, _, block := setupBlockAPI(t)
	tests := []struct {
		name   string
		header string
		value  func(current string) string
		want   int
	}{
		{"IfMatchCurrent", "If-Match", func(v string) string { return `"` + v + `"` }, http.StatusOK},
		{"IfMatchListNamingCurrent", "If-Match", func(v string) string { return `"stale", "` + v + `"` }, http.StatusOK},
		{"IfMatchStar", "If-Match", func(string) string { return "*" }, http.StatusOK},
		{"IfMatchEmptyTag", "If-Match", func(string) string { return `""` }, http.StatusPreconditionFailed},
		{"IfMatchWeakCurrent", "If-Match", func(v string) string { return `W/"` + v + `"` }, http.StatusPreconditionFailed},
		{"IfMatchStale", "If-Match", func(string) string { return `"01STALEVERSION"` }, http.StatusPreconditionFailed},
		{"IfMatchUnquoted", "If-Match", func(v string) string { return v }, http.StatusPreconditionFailed},
		{"IfNoneMatchStar", "If-None-Match", func(string) string { return "*" }, http.StatusPreconditionFailed},
		{"IfNoneMatchCurrent", "If-None-Match", func(v string) string { return `W/"` + v + `"` }, http.StatusPreconditionFailed},
		{"IfNoneMatchStale", "If-None-Match", func(string) string { return `"01STALEVERSION"` }, http.StatusOK},
	}
	for i, tt := range tests {
		// Sequential: each case starts from the version the previous one left.
		before := b.blockVersion(t, block)
		value := tt.value(before)
		resp, raw := b.send(t, "PATCH", block, fmt.Sprintf(`{"display_name":"Week %d"}`, i), tt.header, value)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: PATCH with %s: %s answered %d %s, want %d", tt.name, tt.header, value, resp.StatusCode, raw, tt.want)
			continue
		}
		after := b.blockVersion(t, block)
		if tt.want == http.StatusOK && after == before {
			t.Errorf("%s: accepted but the version stayed %s", tt.name, before)
		}
		if tt.want != http.StatusPreconditionFailed {
			continue
		}
		if after != before {
			t.Errorf("%s: refused, yet the block moved from %s to %s", tt.name, before, after)
		}
		var body struct {
			Error, Message   string
			CurrentVersionID string `json:"current_version_id"`
		}
		json.Unmarshal(raw, &body)
		if body.Error != "version_mismatch" || body.CurrentVersionID != before || body.Message == "" || strings.Contains(body.Message, "STALE") {
			t.Errorf("%s: refusal %s, want version_mismatch naming the current version and not echoing the header", tt.name, raw)
		}
	}

	current := b.blockVersion(t, block)
	if resp, raw := b.send(t, "PUT", block+"/children", `{"children":[]}`, "If-None-Match", "*"); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT children with If-None-Match: * on an existing block: %d %s, want 412", resp.StatusCode, raw)
	}
	if resp, raw := b.send(t, "DELETE", block, "", "If-Match", `W/"`+current+`"`); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("DELETE with a weak If-Match: %d %s, want 412", resp.StatusCode, raw)
	}
	if b.blockVersion(t, block) != current {
		t.Error("a refused write changed the block")
	}
	if resp, raw := b.send(t, "DELETE", block, "", "If-Match", `"other", "`+current+`"`); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE with an If-Match list naming the block: %d %s, want 204", resp.StatusCode, raw)
	}
}

func TestBlockAPI_GetAnswers304ForItsTag(t *testing.T) {
	t.Parallel()
	b, _, block := setupBlockAPI(t)
	v := b.blockVersion(t, block)
	for _, inm := range []string{`"` + v + `"`, `W/"` + v + `"`, `"other", "` + v + `"`, "*"} {
		resp, raw := b.send(t, "GET", block, "", "If-None-Match", inm)
		if resp.StatusCode != http.StatusNotModified || len(raw) != 0 || resp.Header.Get("ETag") != `"`+v+`"` {
			t.Errorf("GET with If-None-Match: %s: %d %q ETag %s, want 304 with the tag", inm, resp.StatusCode, raw, resp.Header.Get("ETag"))
		}
	}
	if resp, _ := b.send(t, "GET", block, "", "If-None-Match", `"stale"`); resp.StatusCode != http.StatusOK {
		t.Errorf("GET with a stale If-None-Match: %d, want 200", resp.StatusCode)
	}
}

func TestRoutes_KnownPathWithAnotherMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	resp, raw := b.send(t, "PUT", "/api/v1/plans", `{}`)
	var body struct{ Error, Message string }
	json.Unmarshal(raw, &body)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD, POST" ||
		body.Error != "method_not_allowed" || body.Message == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("PUT /api/v1/plans: %d Allow %q %s", resp.StatusCode, resp.Header.Get("Allow"), raw)
	}
	if resp, raw := b.send(t, "DELETE", "/oauth/token", ""); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("DELETE /oauth/token: %d Allow %q %s", resp.StatusCode, resp.Header.Get("Allow"), raw)
	}

	req, _ := http.NewRequest("DELETE", b.srv.URL+"/login", nil)
	req.Header.Set("Accept", "text/html")
	page, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	if page.StatusCode != http.StatusMethodNotAllowed || page.Header.Get("Allow") != "GET, HEAD, POST" ||
		doc(t, page).Find(`[data-testid="error-page"]`).Length() != 1 {
		t.Errorf("DELETE /login: %d Allow %q, want 405 on the styled error page", page.StatusCode, page.Header.Get("Allow"))
	}
	for _, path := range []string{"/api/v1/nothing", "/api/v1/plans/x/nothing"} {
		if resp, raw := b.send(t, "PUT", path, ""); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Allow") != "" {
			t.Errorf("PUT %s: %d %s, want 404", path, resp.StatusCode, raw)
		}
	}
}

func TestAuthorization_SchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		resp, raw := b.send(t, "GET", "/api/v1/me", "", "Authorization", scheme+" "+b.token)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Authorization: %s <token>: %d %s", scheme, resp.StatusCode, raw)
		}
	}
	for _, header := range []string{"Basic " + b.token, "Bearer", "Bearer ", "Bearer" + b.token} {
		if resp, _ := b.send(t, "GET", "/api/v1/me", "", "Authorization", header); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization: %.12q…: %d, want 401", header, resp.StatusCode)
		}
	}
}

func TestOAuthToken_ErrorsFollowRFC6749(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	creds := b.apiClient(t, "sync", store.RoleAuthor)
	basic := func(req *http.Request) { req.SetBasicAuth(creds.ClientID, creds.ClientSecret) }
	tests := []struct {
		name        string
		contentType string
		body        string
		auth        func(*http.Request)
		status      int
		code        string
	}{
		{"NoGrantType", "application/x-www-form-urlencoded", "", basic, 400, "invalid_request"},
		{"EmptyGrantType", "application/x-www-form-urlencoded", "grant_type=", basic, 400, "invalid_request"},
		{"RepeatedGrantType", "application/x-www-form-urlencoded", "grant_type=client_credentials&grant_type=client_credentials", basic, 400, "invalid_request"},
		{"RepeatedClientID", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=a&client_id=b&client_secret=c", nil, 400, "invalid_request"},
		{"TwoAuthMethods", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_secret=" + creds.ClientSecret, basic, 400, "invalid_request"},
		{"NotAForm", "application/json", `{"grant_type":"client_credentials"}`, basic, 400, "invalid_request"},
		{"OtherGrant", "application/x-www-form-urlencoded", "grant_type=password&username=a&password=b", basic, 400, "unsupported_grant_type"},
		{"NoClientAuth", "application/x-www-form-urlencoded", "grant_type=client_credentials", nil, 401, "invalid_client"},
		{"WrongSecret", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=" + creds.ClientID + "&client_secret=wrong", nil, 401, "invalid_client"},
		{"UnknownClientByBasic", "application/x-www-form-urlencoded", "grant_type=client_credentials", func(r *http.Request) { r.SetBasicAuth("nobody", "x") }, 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("POST", b.srv.URL+"/oauth/token", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			if tt.auth != nil {
				tt.auth(req)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.status || body["error"] != tt.code {
				t.Errorf("%d %v, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if d, _ := body["error_description"].(string); d == "" {
				t.Errorf("no error_description: %v", body)
			}
			if challenge := resp.Header.Get("WWW-Authenticate"); (tt.status == 401) != strings.HasPrefix(challenge, "Basic") {
				t.Errorf("WWW-Authenticate %q on a %d", challenge, resp.StatusCode)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestLicenseSigningKey_IsAJWKSetWithAnETag(t *testing.T) {
	t.Parallel()
	keyring, err := licensing.NewKeyring(licensing.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, setupOpts{Deps: func(_ *store.Store, d *Deps) { d.Keyring = keyring }})
	srv := b.srv

	resp, err := http.Get(srv.URL + "/api/v1/license-signing-key")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid string }
	}
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	tag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/jwk-set+json" ||
		len(set.Keys) != 1 || set.Keys[0].Crv != "Ed25519" || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("JWKS: %d %q ETag %q %+v", resp.StatusCode, resp.Header.Get("Content-Type"), tag, set)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/license-signing-key", nil)
	req.Header.Set("If-None-Match", tag)
	again, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(again.Body)
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified || len(raw) != 0 || again.Header.Get("ETag") != tag {
		t.Errorf("JWKS with If-None-Match: %d %q ETag %q, want 304", again.StatusCode, raw, again.Header.Get("ETag"))
	}
}

func TestCompression_PagesJSONAndStaticAssetsAreGzipped(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	for i := range 20 {
		b.createPlan(t, i+1)
	}
	fetch := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", b.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the client leaves the body encoded
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	gunzip := func(raw []byte) []byte {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("not gzip: %v", err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	page, raw := fetch("/login")
	if page.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(page.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("login page: Content-Encoding %q Vary %q", page.Header.Get("Content-Encoding"), page.Header.Get("Vary"))
	}
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(gunzip(raw)))
	if err != nil {
		t.Fatal(err)
	}
	css, ok := d.Find(`link[rel="stylesheet"]`).Attr("href")
	if !ok {
		t.Fatal("the login page links no stylesheet")
	}
	if asset, raw := fetch(css); asset.StatusCode != http.StatusOK || asset.Header.Get("Content-Encoding") != "gzip" || len(gunzip(raw)) <= len(raw) {
		t.Errorf("stylesheet %s: %d Content-Encoding %q", css, asset.StatusCode, asset.Header.Get("Content-Encoding"))
	}
	api, raw := fetch("/api/v1/plans", "Authorization", "Bearer "+b.token)
	var list struct{ Items []any }
	if api.Header.Get("Content-Encoding") != "gzip" || json.Unmarshal(gunzip(raw), &list) != nil || len(list.Items) != 20 {
		t.Errorf("plans API: Content-Encoding %q, %d plans", api.Header.Get("Content-Encoding"), len(list.Items))
	}
	plain, raw := fetch("/api/v1/plans", "Authorization", "Bearer "+b.token, "Accept-Encoding", "identity")
	if plain.Header.Get("Content-Encoding") != "" || json.Unmarshal(raw, &list) != nil {
		t.Errorf("plans API without gzip: Content-Encoding %q", plain.Header.Get("Content-Encoding"))
	}
}
