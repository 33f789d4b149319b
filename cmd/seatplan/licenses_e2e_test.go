package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/cmd/seatplan/instance"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/factory"
	"github.com/seatplan/seatplan/store/licensing"
	"github.com/seatplan/seatplan/store/storetest"
)

// licenseFixture is a database with a plan of 10 seats and one license
// assigned, reached through a store of the test's own: in effect a third
// process next to the servers.
type licenseFixture struct {
	dbURL string
	store *store.Store
	plan  store.Plan
	key   string
}

func setupLicenseFixture(t *testing.T, dbURL string) *licenseFixture {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f := &licenseFixture{dbURL: dbURL, store: store.New(pool)}
	f.plan = factory.Plan(t, f.store, nil)
	f.key = factory.AssignedLicense(t, f.store, f.plan.ID, "ada@example.edu").ActivationKey
	return f
}

// changeSeats changes the plan's terms the way support would, through the
// store operation PATCH /api/v1/plans/{id} calls.
func (f *licenseFixture) changeSeats(t *testing.T, seats int) {
	t.Helper()
	if _, err := f.store.UpdatePlan(t.Context(), f.plan.ID, store.PlanUpdate{Seats: &seats}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
}

type licenseAnswer struct {
	status int
	etag   string
	jws    string
}

func getLicense(t *testing.T, base, activationID, secret, ifNoneMatch string) licenseAnswer {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/activations/"+activationID+"/license", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		JWS string `json:"jws"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("license answer %s: %v", raw, err)
		}
	}
	return licenseAnswer{status: resp.StatusCode, etag: resp.Header.Get("ETag"), jws: body.JWS}
}

func fetchJWKS(t *testing.T, base string) licensing.JWKS {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/license-signing-key")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var keys licensing.JWKS
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		t.Fatal(err)
	}
	return keys
}

// waitForStatus polls until the server answers want to a revalidation with etag.
func waitForStatus(t *testing.T, base, activationID, secret, etag string, want int) licenseAnswer {
	t.Helper()
	var got licenseAnswer
	storetest.WaitFor(t, fmt.Sprintf("%s answers %d to a revalidation", base, want), func() bool {
		got = getLicense(t, base, activationID, secret, etag)
		return got.status == want
	})
	return got
}

func TestLicenses_TwoServeProcessesServeATermsChangeWithinASecond(t *testing.T) {
	t.Parallel()
	f := setupLicenseFixture(t, storetest.NewDatabase(t))
	// Every process of one deployment signs with the same key.
	environ := []string{"DATABASE_URL=" + f.dbURL, "SEATPLAN_SIGNING_KEY=" + licensing.EncodePrivateKey(licensing.GenerateKey())}
	a := startServeProcess(t, environ)
	b := startServeProcess(t, environ)

	act, _, err := activateOver(t, a.URL, f.key)
	if err != nil {
		t.Fatal(err)
	}
	first := getLicense(t, a.URL, act.ActivationID, act.Secret, "")
	if first.status != http.StatusOK {
		t.Fatalf("first fetch from A: %d", first.status)
	}
	// Both caches warm: each answers 304 to the current ETag.
	for _, p := range []*serveProcess{a, b} {
		waitForStatus(t, p.URL, act.ActivationID, act.Secret, first.etag, http.StatusNotModified)
	}

	f.changeSeats(t, 25)
	changed := time.Now()
	var wg sync.WaitGroup
	for name, p := range map[string]*serveProcess{"A": a, "B": b} {
		wg.Go(func() {
			got := waitForStatus(t, p.URL, act.ActivationID, act.Secret, first.etag, http.StatusOK)
			took := time.Since(changed)
			t.Logf("process %s served the new terms %s after the change", name, took)
			if took > time.Second {
				t.Errorf("process %s served the new terms after %s, want within 1 s", name, took)
			}
			claims, err := licensing.Verify(got.jws, fetchJWKS(t, p.URL))
			if err != nil || claims.Seats != 25 || got.etag == first.etag {
				t.Errorf("process %s after the change: %+v ETag %s, %v; want 25 seats and a new ETag", name, claims, got.etag, err)
			}
		})
	}
	wg.Wait()
	// And the new version is again answered 304 by both.
	next := getLicense(t, b.URL, act.ActivationID, act.Secret, "")
	for _, p := range []*serveProcess{a, b} {
		waitForStatus(t, p.URL, act.ActivationID, act.Secret, next.etag, http.StatusNotModified)
	}
}

type activationJSON struct {
	ActivationID string `json:"activation_id"`
	Secret       string `json:"secret"`
	JWS          string `json:"jws"`
}

func activateOver(t *testing.T, base, key string) (activationJSON, int, error) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/activations", "application/json",
		strings.NewReader(`{"license_key":"`+key+`","instance_id":"lms-1"}`))
	if err != nil {
		return activationJSON{}, 0, err
	}
	defer resp.Body.Close()
	var act activationJSON
	if err := json.NewDecoder(resp.Body).Decode(&act); err != nil {
		return act, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("activate: %d", resp.StatusCode)
	}
	return act, resp.StatusCode, nil
}

// statusRecorder remembers the status of every answer an instance gets.
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
}

func (s *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/license") {
		s.mu.Lock()
		s.statuses = append(s.statuses, resp.StatusCode)
		s.mu.Unlock()
	}
	return resp, err
}

func (s *statusRecorder) last() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.statuses) == 0 {
		return 0
	}
	return s.statuses[len(s.statuses)-1]
}

func TestInstanceClient_AgainstTheRealServer(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv, "-demo=false")
	f := setupLicenseFixture(t, getenv("DATABASE_URL"))
	ctx := t.Context()

	id, secret, lic, err := instance.Activate(ctx, s.URL, f.key, "lms-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if lic.Seats != 10 || lic.Status != "activated" {
		t.Fatalf("activated license: %+v", lic.Claims)
	}
	rec := &statusRecorder{}
	clock := storetest.NewClock()
	c, err := instance.Open(instance.Config{ServerURL: s.URL, ActivationID: id, Secret: secret,
		StatePath: filepath.Join(t.TempDir(), "license.json"), HTTPClient: &http.Client{Transport: rec}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MaybeRefresh(ctx); err != nil || rec.last() != http.StatusOK {
		t.Fatalf("first refresh: %v, status %d", err, rec.last())
	}
	// A day later the copy is revalidated; the server has the same version.
	clock.Advance(25 * time.Hour)
	storetest.WaitFor(t, "a daily refresh is answered 304", func() bool {
		if err := c.MaybeRefresh(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(25 * time.Hour)
		return rec.last() == http.StatusNotModified
	})

	f.changeSeats(t, 30)
	storetest.WaitFor(t, "the instance holds the new terms", func() bool {
		clock.Advance(25 * time.Hour)
		if err := c.MaybeRefresh(ctx); err != nil {
			t.Fatal(err)
		}
		got, ok := c.License()
		return ok && got.Seats == 30
	})
	// Refresh times are written in batches, a few seconds apart.
	storetest.WaitFor(t, "the plan's instance shows a check-in", func() bool {
		page, err := f.store.PlanInstances(ctx, f.plan.ID, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Instances) == 1 && page.Instances[0].LastRefreshAt != nil
	})
}

func TestInstanceCommand_ActivatesOnceThenRefreshesFromItsState(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv, "-demo=false")
	f := setupLicenseFixture(t, getenv("DATABASE_URL"))
	state := filepath.Join(t.TempDir(), "license.json")

	out, err := runCommand(t, getenv, "", "instance", "--server", s.URL, "--license-key", f.key, "--state", state, "--instance-id", "lms-1")
	if err != nil {
		t.Fatal(err)
	}
	var claims licensing.Claims
	if err := json.Unmarshal([]byte(out), &claims); err != nil || claims.Seats != 10 || claims.InstanceID != "lms-1" {
		t.Fatalf("printed %q: %v", out, err)
	}
	if info, err := os.Stat(state + ".activation"); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("activation file: %v %v, want mode 0600", info, err)
	}
	// Without the key, the saved activation and license are used.
	again, err := runCommand(t, getenv, "", "instance", "--server", s.URL, "--state", state)
	if err != nil || again != out {
		t.Fatalf("second run printed %q, %v; want the saved license %q", again, err, out)
	}
	f.changeSeats(t, 12)
	storetest.WaitFor(t, "the command prints the new terms", func() bool {
		os.Remove(state) // forget the license (not the activation), so the command fetches it now
		out, err := runCommand(t, getenv, "", "instance", "--server", s.URL, "--state", state)
		if err != nil {
			t.Fatal(err)
		}
		return json.Unmarshal([]byte(out), &claims) == nil && claims.Seats == 12
	})
	var activations int
	pool := f.store.Pool()
	pool.QueryRow(context.Background(), `SELECT count(*) FROM activations`).Scan(&activations)
	if activations != 1 {
		t.Errorf("%d activations, want 1", activations)
	}
}

func TestPlanInstances_AdminSeesEachInstanceCheckIn(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	s := startServer(t, getenv) // with the demo people
	f := setupLicenseFixture(t, getenv("DATABASE_URL"))
	act, _, err := activateOver(t, s.URL, f.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.RecordActivationRefreshes(t.Context(), map[string]time.Time{act.ActivationID: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	if err := signInInBrowser(ctx, s.URL, "admin@example.com", store.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testid("dashboard-card"))); err != nil {
		t.Fatalf("no dashboard after signing in: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/plans/"+f.plan.ID+"/instances"), chromedp.WaitVisible(testid("instance-row"))); err != nil {
		t.Fatalf("no instance row: %v", err)
	}
	instanceID, err := chromedp.Run(ctx, chromedp.Text(testid("instance-id")))
	if err != nil || instanceID != "lms-1" {
		t.Errorf("instance %q, %v", instanceID, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "plan-instances.png", png)
}
