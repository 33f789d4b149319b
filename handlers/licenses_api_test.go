package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/factory"
	"github.com/seatplan/seatplan/store/licensing"
	"github.com/seatplan/seatplan/store/storetest"
	"github.com/seatplan/seatplan/web"
)

// queryCounter is a pgx tracer counting the queries the server sends,
// except the batched write of refresh times, which runs on its own clock.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !strings.Contains(d.SQL, "SET last_refresh_at") {
		q.n.Add(1)
	}
	return ctx
}
func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countingSigner counts signings and can hold the signing of one license.
type countingSigner struct {
	*licensing.Keyring
	signed atomic.Int64
	delay  time.Duration

	mu       sync.Mutex
	holdID   string        // license id whose signing waits for release
	started  chan struct{} // closed when that signing starts
	released chan struct{}
}

func (s *countingSigner) Sign(c licensing.Claims) (string, error) {
	s.signed.Add(1)
	s.mu.Lock()
	hold := c.LicenseID == s.holdID
	s.mu.Unlock()
	if hold {
		close(s.started)
		<-s.released
	}
	time.Sleep(s.delay)
	return s.Keyring.Sign(c)
}

// holdSigningOf makes the next signing of licenseID wait until release is called.
func (s *countingSigner) holdSigningOf(licenseID string) (started <-chan struct{}, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdID, s.started, s.released = licenseID, make(chan struct{}), make(chan struct{})
	return s.started, sync.OnceFunc(func() { close(s.released) })
}

type licenseAPI struct {
	srv     *httptest.Server
	store   *store.Store
	pool    *pgxpool.Pool
	queries *queryCounter
	signer  *countingSigner
	cache   *handlers.LicenseCache
	plan    store.Plan
}

// setupLicenseAPI serves the whole application over a fresh database with
// a plan of 10 seats; listen runs the cache so it hears changes.
func setupLicenseAPI(t *testing.T, listen bool) *licenseAPI {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	a := &licenseAPI{queries: &queryCounter{}}
	cfg.ConnConfig.Tracer = a.queries
	if a.pool, err = pgxpool.NewWithConfig(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.pool.Close)
	a.store = store.New(a.pool)
	keyring, err := licensing.NewKeyring(licensing.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	a.signer = &countingSigner{Keyring: keyring}
	a.cache = handlers.NewLicenseCache(a.store, a.signer)
	if listen {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); a.cache.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		storetest.WaitFor(t, "the cache listens", a.cache.Listening)
	}
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	rand.Read(hashKey)
	rand.Read(blockKey)
	a.srv = httptest.NewServer(web.NewServer(web.Deps{
		Store: a.store, Logger: slog.New(slog.DiscardHandler), TokenTTL: time.Hour,
		Sessions: web.NewSessions(hashKey, blockKey, false), Keyring: keyring, Licenses: a.cache,
	}))
	t.Cleanup(a.srv.Close)
	if a.plan, err = a.store.CreatePlan(t.Context(), store.NewPlan{Name: "Campus", Seats: 10}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	return a
}

// assign gives a free seat to email, as a bulk assignment does, and
// returns the license's activation key.
func (a *licenseAPI) assign(t *testing.T, email string) string {
	t.Helper()
	return factory.AssignedLicense(t, a.store, a.plan.ID, email).ActivationKey
}

type activationAnswer struct {
	ActivationID string           `json:"activation_id"`
	Secret       string           `json:"secret"`
	License      licensing.Claims `json:"license"`
	JWS          string           `json:"jws"`
}

func (a *licenseAPI) do(t *testing.T, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// activate activates instance; header may carry the current secret
// (Authorization) to renew an activation.
func (a *licenseAPI) activate(t *testing.T, key, instance string, header ...string) (activationAnswer, *http.Response) {
	t.Helper()
	resp, raw := a.do(t, "POST", "/api/v1/activations", `{"license_key":"`+key+`","instance_id":"`+instance+`"}`, header...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("activate: %d %s", resp.StatusCode, raw)
	}
	var ans activationAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		t.Fatal(err)
	}
	return ans, resp
}

func (a *licenseAPI) refresh(t *testing.T, act activationAnswer, header ...string) (*http.Response, []byte) {
	t.Helper()
	return a.do(t, "GET", "/api/v1/activations/"+act.ActivationID+"/license", "", append([]string{"Authorization", "Bearer " + act.Secret}, header...)...)
}

// waitForNotModified waits until the cache has heard every change made so
// far, then until the server answers 304 to etag: the first refresh after
// an activation re-reads, since the activation's own change notification
// makes what the cache knew stale.
func (a *licenseAPI) waitForNotModified(t *testing.T, act activationAnswer, etag string) {
	t.Helper()
	a.heardEverything(t)
	storetest.WaitFor(t, "a refresh answers 304", func() bool {
		resp, _ := a.refresh(t, act, "If-None-Match", etag)
		return resp.StatusCode == http.StatusNotModified
	})
}

// heardEverything sends a notification of its own and waits until the
// cache hears it: PostgreSQL delivers notifications in commit order, so by
// then the cache has heard every change committed before.
func (a *licenseAPI) heardEverything(t *testing.T) {
	t.Helper()
	fence := "fence-" + store.NewID()
	if _, err := a.pool.Exec(t.Context(), `SELECT pg_notify($1, $2)`, store.LicenseChangedChannel, fence); err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, "the cache hears the fence", func() bool { return handlers.HeardChangeOf(a.cache, fence) })
}

func (a *licenseAPI) jwks(t *testing.T) licensing.JWKS {
	t.Helper()
	resp, raw := a.do(t, "GET", "/api/v1/license-signing-key", "")
	var keys licensing.JWKS
	if err := json.Unmarshal(raw, &keys); resp.StatusCode != http.StatusOK || err != nil || len(keys.Keys) == 0 {
		t.Fatalf("JWKS: %d %s", resp.StatusCode, raw)
	}
	return keys
}

func errorCode(t *testing.T, raw []byte) string {
	t.Helper()
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.Message == "" {
		t.Errorf("error body %s lacks a message", raw)
	}
	return body.Error
}

func TestActivationAPI_ActivateRefreshAndRevalidate(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, true)
	act, created := a.activate(t, a.assign(t, "ada@example.edu"), "lms-1")
	keys := a.jwks(t)
	claims, err := licensing.Verify(act.JWS, keys)
	if err != nil {
		t.Fatalf("the activation's JWS does not verify against the published JWKS: %v", err)
	}
	if claims.Status != "activated" || claims.Seats != 10 || claims.PlanID != a.plan.ID || claims.InstanceID != "lms-1" ||
		claims.Email != "ada@example.edu" || claims.ChangedAt.IsZero() || claims.IssuedAt.IsZero() || act.Secret == "" {
		t.Errorf("activation claims: %+v", claims)
	}
	if act.License != claims {
		t.Errorf("the license member %+v differs from the signed claims %+v", act.License, claims)
	}

	resp, raw := a.refresh(t, act)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(etag, `"`) || etag != created.Header.Get("ETag") {
		t.Fatalf("refresh: %d ETag %q (activation gave %q) %s", resp.StatusCode, etag, created.Header.Get("ETag"), raw)
	}
	var doc struct {
		License licensing.Claims `json:"license"`
		JWS     string           `json:"jws"`
	}
	json.Unmarshal(raw, &doc)
	if c, err := licensing.Verify(doc.JWS, keys); err != nil || c.ChangedAt != claims.ChangedAt {
		t.Errorf("refreshed JWS: %+v %v", c, err)
	}

	resp, raw = a.refresh(t, act, "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(raw) != 0 || resp.Header.Get("ETag") != etag {
		t.Errorf("revalidation: %d ETag %q body %q, want 304 with the ETag and no body", resp.StatusCode, resp.Header.Get("ETag"), raw)
	}
	for _, garbage := range []string{`garbage`, `"unterminated`, `W/"other"`, `"a" "b"`} {
		if resp, _ := a.refresh(t, act, "If-None-Match", garbage); resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %q: %d ETag %q, want 200 with the same ETag", garbage, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	if signed := a.signer.signed.Load(); signed != 1 {
		t.Errorf("%d signings for one version of one license, want 1", signed)
	}
}

func TestActivationAPI_BadInputGetsTheRightStatus(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, false)
	key := a.assign(t, "ada@example.edu")
	act, _ := a.activate(t, key, "lms-1")
	revoked := a.assign(t, "bob@example.edu")
	if _, err := a.pool.Exec(t.Context(), `UPDATE licenses SET status = 'revoked', revoked_at = now() WHERE activation_key = decode($1, 'hex')`, revoked); err != nil {
		t.Fatal(err)
	}
	licensePath := "/api/v1/activations/" + act.ActivationID + "/license"
	tests := []struct {
		name, method, path, body string
		header                   []string
		status                   int
		code                     string
	}{
		{"UnknownKey", "POST", "/api/v1/activations", `{"license_key":"nope","instance_id":"lms-1"}`, nil, 404, "unknown_license_key"},
		{"UnknownWellFormedKey", "POST", "/api/v1/activations", `{"license_key":"00000000000000000000000000000000","instance_id":"lms-1"}`, nil, 404, "unknown_license_key"},
		{"MalformedKey", "POST", "/api/v1/activations", `{"license_key":"has spaces","instance_id":"lms-1"}`, nil, 422, "invalid_activation"},
		{"MissingInstance", "POST", "/api/v1/activations", `{"license_key":"` + key + `"}`, nil, 422, "invalid_activation"},
		{"RevokedLicense", "POST", "/api/v1/activations", `{"license_key":"` + revoked + `","instance_id":"lms-1"}`, nil, 403, "license_revoked"},
		{"NotJSON", "POST", "/api/v1/activations", `license_key=x`, nil, 400, "bad_request"},
		{"Oversized", "POST", "/api/v1/activations", `{"license_key":"` + strings.Repeat("k", 8<<10) + `","instance_id":"lms-1"}`, nil, 413, "too_large"},
		{"NoBearer", "GET", licensePath, "", nil, 401, "invalid_activation_secret"},
		{"WrongSecret", "GET", licensePath, "", []string{"Authorization", "Bearer " + act.Secret + "x"}, 401, "invalid_activation_secret"},
		{"UnknownActivation", "GET", "/api/v1/activations/" + store.NewID() + "/license", "", []string{"Authorization", "Bearer " + act.Secret}, 404, "unknown_activation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := a.do(t, tt.method, tt.path, tt.body, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, raw, tt.status)
			}
			if code := errorCode(t, raw); code != tt.code {
				t.Errorf("error %q, want %q", code, tt.code)
			}
		})
	}
	// The expired plan: move its dates into the past.
	past := time.Now().AddDate(-1, 0, 0)
	if _, err := a.store.UpdatePlan(t.Context(), a.plan.ID, store.PlanUpdate{StartsAt: &past, ExpiresAt: new(past.Add(time.Hour))}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	resp, raw := a.do(t, "POST", "/api/v1/activations", `{"license_key":"`+a.assign(t, "cy@example.edu")+`","instance_id":"lms-1"}`)
	if resp.StatusCode != http.StatusConflict || errorCode(t, raw) != "license_expired" {
		t.Errorf("expired plan: %d %s, want 409 license_expired", resp.StatusCode, raw)
	}
}

func TestActivationLicense_NotModifiedFromAWarmCacheAsksNothingOfTheDatabase(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, true)
	act, created := a.activate(t, a.assign(t, "ada@example.edu"), "lms-1")
	etag := created.Header.Get("ETag")
	a.waitForNotModified(t, act, etag)
	before := a.queries.n.Load()
	for range 50 {
		if resp, _ := a.refresh(t, act, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
			t.Fatalf("refresh: %d, want 304", resp.StatusCode)
		}
	}
	if n := a.queries.n.Load() - before; n != 0 {
		t.Errorf("50 revalidations from a warm cache sent %d queries, want 0", n)
	}
	if signed := a.signer.signed.Load(); signed != 1 {
		t.Errorf("%d signings, want 1", signed)
	}
}

func TestActivationLicense_ChangesReachTheCache(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, true)
	key := a.assign(t, "ada@example.edu")
	act, created := a.activate(t, key, "lms-1")
	etag := created.Header.Get("ETag")
	a.waitForNotModified(t, act, etag)

	seats := 20
	if _, err := a.store.UpdatePlan(t.Context(), a.plan.ID, store.PlanUpdate{Seats: &seats}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		JWS string `json:"jws"`
	}
	storetest.WaitFor(t, "the new terms are served", func() bool {
		resp, raw := a.refresh(t, act, "If-None-Match", etag)
		json.Unmarshal(raw, &doc)
		return resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != etag
	})
	if c, err := licensing.Verify(doc.JWS, a.jwks(t)); err != nil || c.Seats != 20 {
		t.Errorf("after the change: %+v %v, want 20 seats", c, err)
	}

	// Renewing the activation replaces the secret: the cached hash of the
	// old one must stop working.
	again, _ := a.activate(t, key, "lms-1", "Authorization", "Bearer "+act.Secret)
	storetest.WaitFor(t, "the replaced secret is refused", func() bool {
		resp, _ := a.refresh(t, act)
		return resp.StatusCode == http.StatusUnauthorized
	})
	if resp, _ := a.refresh(t, again); resp.StatusCode != http.StatusOK {
		t.Errorf("the new secret: %d", resp.StatusCode)
	}
}

func TestActivationLicense_WithoutListeningRereadsAfterASecond(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, false)
	act, created := a.activate(t, a.assign(t, "ada@example.edu"), "lms-1")
	etag := created.Header.Get("ETag")
	if resp, _ := a.refresh(t, act, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
	if _, err := a.pool.Exec(t.Context(), `UPDATE licenses SET email = 'ada.l@example.edu' WHERE activation_key IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, "the change is served without notifications", func() bool {
		resp, _ := a.refresh(t, act, "If-None-Match", etag)
		return resp.StatusCode == http.StatusOK
	})
}

func TestActivationLicense_ConcurrentRefreshesOfOneLicenseSignOnce(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, true)
	a.signer.delay = 20 * time.Millisecond // so the refreshes overlap the signing
	// Activated through the store: nothing is cached or signed yet.
	stored, err := a.store.Activate(t.Context(), a.assign(t, "ada@example.edu"), "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	act := activationAnswer{ActivationID: stored.ID, Secret: stored.Secret}
	const n = 100
	var wg sync.WaitGroup
	etags := make([]string, n)
	for i := range n {
		wg.Go(func() {
			resp, raw := a.refresh(t, act)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("refresh: %d %s", resp.StatusCode, raw)
			}
			etags[i] = resp.Header.Get("ETag")
		})
	}
	wg.Wait()
	if signed := a.signer.signed.Load(); signed != 1 {
		t.Errorf("%d concurrent refreshes made %d signings, want 1", n, signed)
	}
	for _, e := range etags {
		if e != etags[0] {
			t.Fatalf("ETags differ: %q and %q", e, etags[0])
		}
	}
}

func TestActivationLicense_SlowSigningOfOneLicenseDoesNotDelayAnother(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, true)
	slow, err := a.store.Activate(t.Context(), a.assign(t, "ada@example.edu"), "lms-1", "")
	if err != nil {
		t.Fatal(err)
	}
	fast, err := a.store.Activate(t.Context(), a.assign(t, "bob@example.edu"), "lms-2", "")
	if err != nil {
		t.Fatal(err)
	}
	started, release := a.signer.holdSigningOf(slow.License.LicenseKey())
	defer release()
	slowDone := make(chan int, 1)
	go func() {
		resp, _ := a.refresh(t, activationAnswer{ActivationID: slow.ID, Secret: slow.Secret})
		slowDone <- resp.StatusCode
	}()
	<-started
	resp, raw := a.refresh(t, activationAnswer{ActivationID: fast.ID, Secret: fast.Secret})
	if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte("bob@example.edu")) {
		t.Errorf("the other license while one signing is held: %d %s", resp.StatusCode, raw)
	}
	select {
	case code := <-slowDone:
		t.Fatalf("the held signing answered %d before it was released", code)
	default:
	}
	release()
	if code := <-slowDone; code != http.StatusOK {
		t.Errorf("the slow license: %d", code)
	}
}

func TestLicenseSigningKey_PublishesTheCurrentKeyForCaching(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, false)
	resp, _ := a.do(t, "GET", "/api/v1/license-signing-key", "")
	keys := a.jwks(t)
	if k := keys.Keys[0]; k.KeyType != "OKP" || k.Curve != "Ed25519" || k.X == "" || k.KeyID == "" {
		t.Errorf("JWKS key: %+v", k)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
		t.Errorf("Cache-Control %q, want a max-age", cc)
	}
}

// signedIn returns a browser-like client signed in as a new person with role.
func (a *licenseAPI) signedIn(t *testing.T, email string, role store.Role) *http.Client {
	t.Helper()
	if _, err := a.store.CreatePerson(t.Context(), store.NewPerson{Email: email, Role: role, Password: "correct horse battery"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", a.srv.URL+"/login", strings.NewReader(url.Values{"email": {email}, "password": {"correct horse battery"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c
}

func TestPlanInstances_StaffSeeWhenEachInstanceLastCheckedIn(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, false)
	act, _ := a.activate(t, a.assign(t, "ada@example.edu"), "lms-<1>")
	checkIn := time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)
	if err := a.store.RecordActivationRefreshes(t.Context(), map[string]time.Time{act.ActivationID: checkIn}); err != nil {
		t.Fatal(err)
	}
	admin := a.signedIn(t, "admin@example.com", store.RoleAdmin)
	req, _ := http.NewRequest("GET", a.srv.URL+"/plans/"+a.plan.ID+"/instances", nil)
	req.Header.Set("HX-Request", "true")
	resp, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || doc.Find("nav").Length() != 0 {
		t.Fatalf("fragment: %d, with page navigation: %v", resp.StatusCode, doc.Find("nav").Length() != 0)
	}
	row := doc.Find(`[data-testid="instance-row"]`)
	if row.Length() != 1 || row.Find(`[data-testid="instance-id"]`).Text() != "lms-<1>" ||
		row.Find("time").Last().AttrOr("datetime", "") != checkIn.Format(time.RFC3339) {
		t.Errorf("instance rows: %d, %q", row.Length(), row.Text())
	}

	author := a.signedIn(t, "author@example.com", store.RoleAuthor)
	resp, err = author.Get(a.srv.URL + "/plans/" + a.plan.ID + "/instances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an author got %d, want 403", resp.StatusCode)
	}
	resp, err = admin.Get(a.srv.URL + "/plans/" + store.NewID() + "/instances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown plan got %d, want 404", resp.StatusCode)
	}
}

func TestActivate_BeyondTheLimitIs409AndAnAdminFreesAnInstanceOnThePlanPage(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, false)
	key := a.assign(t, "ada@example.edu")
	first, _ := a.activate(t, key, "lms-1")

	resp, raw := a.do(t, "POST", "/api/v1/activations", `{"license_key":"`+key+`","instance_id":"lms-2"}`)
	var refusal struct {
		Error        string
		InstancesURL string `json:"instances_url"`
	}
	json.Unmarshal(raw, &refusal)
	instancesURL := "/plans/" + a.plan.ID + "/instances"
	if resp.StatusCode != http.StatusConflict || refusal.Error != "activation_limit" || refusal.InstancesURL != instancesURL {
		t.Fatalf("second instance: %d %s, want 409 activation_limit naming %s", resp.StatusCode, raw, instancesURL)
	}
	resp, raw = a.do(t, "POST", "/api/v1/activations", `{"license_key":"`+key+`","instance_id":"lms-1"}`)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(raw), "instance_already_activated") {
		t.Fatalf("taking over lms-1 without its secret: %d %s, want 409", resp.StatusCode, raw)
	}

	admin := a.signedIn(t, "admin@example.com", store.RoleAdmin)
	page, err := admin.Get(a.srv.URL + instancesURL)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(page.Body)
	page.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	action, ok := doc.Find(`[data-testid="deactivate-instance"]`).Closest("form").Attr("action")
	if !ok {
		t.Fatal("the instances page offers no Deactivate button")
	}
	resp, err = admin.PostForm(a.srv.URL+action, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", resp.StatusCode)
	}
	storetest.WaitFor(t, "the deactivated secret is refused", func() bool {
		resp, _ := a.refresh(t, first)
		return resp.StatusCode == http.StatusUnauthorized
	})
	a.activate(t, key, "lms-2")

	support := a.signedIn(t, "sam@example.com", store.RoleSupport)
	resp, err = support.PostForm(a.srv.URL+instancesURL+"/limit", url.Values{"instances_per_license": {"5"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("support changing the limit: %d, want 403", resp.StatusCode)
	}
}

func TestActivationLicense_UnknownIDsDoNotCostAReadEach(t *testing.T) {
	t.Parallel()
	a := setupLicenseAPI(t, false)
	made, unknown := "not-an-id-"+strings.Repeat("x", 20), store.NewID()
	before := a.queries.n.Load()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			id := made
			if i%2 == 1 {
				id = unknown
			}
			req, _ := http.NewRequest("GET", a.srv.URL+"/api/v1/activations/"+id+"/license", nil)
			req.Header.Set("Authorization", "Bearer guess")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown activation: %d, want 404", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	// A made-up id is refused by its form; a well-formed unknown one is
	// read once (a few times at most, by refreshes that raced the first).
	if n := a.queries.n.Load() - before; n > 5 {
		t.Errorf("200 refreshes of unknown activations sent %d queries, want at most a few", n)
	}
}
