package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/pgserver"
	"github.com/seatplan/seatplan/store/storetest"
)

// outageCluster is a PostgreSQL server of one test's own, which the test
// stops and starts again on the same port.
type outageCluster struct {
	t       *testing.T
	dataDir string
	port    int
	mu      sync.Mutex
	current *pgserver.Cluster
}

func newOutageCluster(t *testing.T) *outageCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "seatplan-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// As root the server runs as an unprivileged user, who must enter it.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &outageCluster{t: t, dataDir: filepath.Join(dir, "data")}
	c.start()
	// Registered before the server's own cleanup, so it runs after it.
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.current != nil {
			c.current.Stop()
		}
	})
	conn, err := pgx.Connect(t.Context(), c.current.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE seatplan"); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *outageCluster) start() {
	c.t.Helper()
	cl, err := pgserver.Start(context.Background(), pgserver.Options{DataDir: c.dataDir, TCP: true, Port: c.port, Ephemeral: true})
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.current, c.port = cl, cl.Port()
	c.mu.Unlock()
}

func (c *outageCluster) stop() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.current.Stop(); err != nil {
		c.t.Fatal(err)
	}
	c.current = nil
}

// seatsOf reads the seats claim of a compact JWS, unverified.
func seatsOf(t *testing.T, jws string) int {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jws)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Seats int }
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Seats
}

func TestOutage_RefreshesAnswerFromMemoryOthersGet503AndTheProcessRecoversByItself(t *testing.T) {
	t.Parallel()
	db := newOutageCluster(t)
	dbURL := db.current.URL("seatplan")
	if _, err := runCommand(t, env(t, "DATABASE_URL", dbURL), "a long password\n", "user", "add", "--email", "sam@example.com", "--role", "support"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, env(t, "DATABASE_URL", dbURL, "SEATPLAN_LEASE_TTL", "2s"))
	api := newAPIClient(t, s, "ops", "admin")
	if status, _, body := api.call("GET", "/api/v1/plans", nil); status != http.StatusOK { // and the client holds a token
		t.Fatalf("plans before the outage: %d %v", status, body)
	}
	f := setupLicenseFixture(t, dbURL)
	act, _, err := activateOver(t, s.URL, f.key)
	if err != nil {
		t.Fatal(err)
	}
	before := getLicense(t, s.URL, act.ActivationID, act.Secret, "")
	if before.status != http.StatusOK || seatsOf(t, before.jws) != 10 {
		t.Fatalf("refresh before the outage: %+v", before)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(url.Values{"email": {"sam@example.com"}, "password": {"a long password"}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, err := browser.Do(login); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", resp, err)
	}

	// Instances keep revalidating throughout.
	var mu sync.Mutex
	refreshes := map[int]int{}
	stop := make(chan struct{})
	var traffic sync.WaitGroup
	traffic.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			req, _ := http.NewRequest("GET", s.URL+"/api/v1/activations/"+act.ActivationID+"/license", nil)
			req.Header.Set("Authorization", "Bearer "+act.Secret)
			req.Header.Set("If-None-Match", before.etag)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			mu.Lock()
			refreshes[resp.StatusCode]++
			mu.Unlock()
		}
	})

	waitForAnswer(t, s.URL+"/readyz", http.StatusOK)
	db.stop()
	waitForAnswer(t, s.URL+"/healthz", http.StatusServiceUnavailable)
	waitForAnswer(t, s.URL+"/readyz", http.StatusServiceUnavailable)

	if got := getLicense(t, s.URL, act.ActivationID, act.Secret, before.etag); got.status != http.StatusNotModified || got.etag != before.etag {
		t.Errorf("revalidation during the outage: %+v, want 304 from memory", got)
	}
	if got := getLicense(t, s.URL, act.ActivationID, act.Secret, ""); got.status != http.StatusOK || got.jws != before.jws {
		t.Errorf("refresh without a tag during the outage: %d, want 200 with the last signed document", got.status)
	}
	status, hdr, body := api.call("GET", "/api/v1/plans", nil)
	if status != http.StatusServiceUnavailable || body["error"] != "unavailable" || body["message"] == "" || hdr.Get("Retry-After") == "" {
		t.Errorf("API during the outage: %d %v Retry-After %q, want 503 unavailable", status, body, hdr.Get("Retry-After"))
	}
	if status, _, body := api.call("POST", "/api/v1/plans", map[string]any{"name": "Made during the outage", "seats": 3}); status != http.StatusServiceUnavailable {
		t.Errorf("a write during the outage: %d %v, want 503", status, body)
	}
	req, _ := http.NewRequest("GET", s.URL+"/plans", nil)
	req.Header.Set("Accept", "text/html")
	page, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(page.Body)
	page.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if page.StatusCode != http.StatusServiceUnavailable || page.Header.Get("Retry-After") == "" ||
		d.Find(`[data-testid="error-page"]`).Length() != 1 || strings.TrimSpace(d.Find(`[data-testid="error-status"]`).Text()) != "503" {
		t.Errorf("a page during the outage: %d Retry-After %q, want the styled 503 page", page.StatusCode, page.Header.Get("Retry-After"))
	}

	// The database comes back; the license changes before this process
	// hears anything again.
	db.start()
	f.store.Pool().Reset() // the fixture's own connections died with the server
	f.changeSeats(t, 11)
	waitForAnswer(t, s.URL+"/healthz", http.StatusOK)
	waitForAnswer(t, s.URL+"/readyz", http.StatusOK) // listening again
	storetest.WaitFor(t, "after recovery the refresh serves the change made while the process was deaf", func() bool {
		got := getLicense(t, s.URL, act.ActivationID, act.Secret, before.etag)
		return got.status == http.StatusOK && seatsOf(t, got.jws) == 11
	})
	close(stop)
	traffic.Wait()
	if refreshes[http.StatusInternalServerError] != 0 || refreshes[http.StatusServiceUnavailable] != 0 || refreshes[http.StatusNotModified] == 0 {
		t.Errorf("refreshes through the outage answered %v: want 304s and 200s only", refreshes)
	}

	// The rest of the process recovered too: the API, and the job workers.
	status, _, list := api.call("GET", "/api/v1/plans", nil)
	if raw, _ := json.Marshal(list); status != http.StatusOK || strings.Contains(string(raw), "Made during the outage") {
		t.Errorf("plans after recovery: %d %s", status, raw)
	}
	planID := api.createPlan(t, 2)
	statusURL, err := api.assignUntilAccepted(planID, "after@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if j, err := api.waitJob(statusURL, time.Minute); err != nil || j["status"] != "succeeded" {
		t.Errorf("an assignment after recovery: %v %v", j, err)
	}
}
