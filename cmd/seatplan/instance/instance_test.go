package instance

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatplan/seatplan/handlers/etag"
	"github.com/seatplan/seatplan/store/licensing"
)

const (
	testActivationID = "act-1"
	testSecret       = "secret-1"
	testLicenseKey   = "KEY-1234"
)

var (
	start            = time.Date(2025, 11, 23, 8, 0, 0, 0, time.UTC)
	initialChangedAt = start.Add(-time.Hour)
)

// fakeClock is the injectable clock; tests move it instead of sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func newKeyring(t *testing.T, b byte, previous ...ed25519.PublicKey) *licensing.Keyring {
	t.Helper()
	k, err := licensing.NewKeyring(testKey(b), previous...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fakeServer plays the Seatplan license API, signing with licensing.Keyring
// and answering 304 the way the real server does.
type fakeServer struct {
	*httptest.Server
	clock *fakeClock

	mu              sync.Mutex
	keys            *licensing.Keyring
	signer          *licensing.Keyring // signs documents; differs from keys to fake a forged one
	claims          licensing.Claims
	failWith        int  // status the license endpoint answers with, when not 0
	unreachable     bool // requests fail in the client's transport, as when the network is down
	spoilSignature  bool
	holdNext        bool // the next license request waits for hold to close
	hold            chan struct{}
	arrived         chan struct{} // closed when the held request arrives
	licenseRequests []*http.Request
	jwksRequests    int
}

func newFakeServer(t *testing.T, clock *fakeClock) *fakeServer {
	keys := newKeyring(t, 1)
	s := &fakeServer{clock: clock, keys: keys, signer: keys, claims: licensing.Claims{
		LicenseID: "lic-1", PlanID: "plan-1", PlanName: "Campus", Seats: 100, Status: "activated",
		Email: "ada@example.edu", InstanceID: "lms-1",
		ExpiresAt: start.AddDate(1, 0, 0), ChangedAt: initialChangedAt,
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/license-signing-key", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		keys := s.keys.JWKS()
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, keys)
	})
	mux.HandleFunc("GET /api/v1/activations/{id}/license", s.serveLicense)
	mux.HandleFunc("POST /api/v1/activations", s.serveActivation)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	// Runs before Close (cleanups run last-in first-out), so a held request
	// cannot keep Close waiting when a test fails early.
	t.Cleanup(s.release)
	return s
}

func (s *fakeServer) serveLicense(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var hold chan struct{}
	if s.holdNext {
		s.holdNext, hold = false, s.hold
		close(s.arrived)
	}
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.failWith != 0:
		writeJSON(w, s.failWith, map[string]string{"error": "failure", "message": "Induced failure."})
		return
	case r.Header.Get("Authorization") != "Bearer "+testSecret:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "message": "Bad secret."})
		return
	case r.PathValue("id") != testActivationID:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "message": "No such activation."})
		return
	}
	tag := s.signer.ETag(s.claims.LicenseID, s.claims.ChangedAt)
	if etag.MatchWeak(r.Header.Get("If-None-Match"), tag) {
		w.Header().Set("ETag", tag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	claims, jws := s.signLocked()
	w.Header().Set("ETag", tag)
	writeJSON(w, http.StatusOK, map[string]any{"license": claims, "jws": jws})
}

func (s *fakeServer) serveActivation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		LicenseKey string `json:"license_key"`
		InstanceID string `json:"instance_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.LicenseKey != testLicenseKey {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "message": "Unknown license key."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims.InstanceID = req.InstanceID
	claims, jws := s.signLocked()
	writeJSON(w, http.StatusCreated, map[string]any{
		"activation_id": testActivationID, "secret": testSecret, "license": claims, "jws": jws,
	})
}

func (s *fakeServer) signLocked() (licensing.Claims, string) {
	claims := s.claims
	claims.IssuedAt = s.clock.Now()
	jws, err := s.signer.Sign(claims)
	if err != nil {
		panic(err)
	}
	if s.spoilSignature {
		i := strings.LastIndexByte(jws, '.') + 5
		jws = jws[:i] + string('A'+'B'-jws[i]) + jws[i+1:]
	}
	return claims, jws
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// client returns an HTTP client whose requests the server counts as sent,
// whether or not they reach it.
func (s *fakeServer) client() *http.Client {
	return &http.Client{Transport: s}
}

func (s *fakeServer) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	if strings.HasSuffix(r.URL.Path, "/license") {
		s.licenseRequests = append(s.licenseRequests, r)
	} else if strings.HasSuffix(r.URL.Path, "/license-signing-key") {
		s.jwksRequests++
	}
	unreachable := s.unreachable
	s.mu.Unlock()
	if unreachable {
		return nil, errors.New("dial tcp: connection refused")
	}
	return s.Server.Client().Transport.RoundTrip(r)
}

// change runs f on the server's state.
func (s *fakeServer) change(f func(s *fakeServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// holdNextLicenseRequest makes the next license request wait until release
// and returns a channel closed when it has arrived.
func (s *fakeServer) holdNextLicenseRequest() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdNext, s.hold, s.arrived = true, make(chan struct{}), make(chan struct{})
	return s.arrived
}

func (s *fakeServer) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

func (s *fakeServer) counts() (license, jwks int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.licenseRequests), s.jwksRequests
}

func (s *fakeServer) lastLicenseRequest() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.licenseRequests[len(s.licenseRequests)-1]
}

type testBundle struct {
	server *fakeServer
	clock  *fakeClock
	cfg    Config
}

func setup(t *testing.T) (*Client, *testBundle) {
	t.Helper()
	clock := &fakeClock{now: start}
	srv := newFakeServer(t, clock)
	cfg := Config{
		ServerURL:    srv.URL,
		ActivationID: testActivationID,
		Secret:       testSecret,
		StatePath:    filepath.Join(t.TempDir(), "license.json"),
		HTTPClient:   srv.client(),
		Now:          clock.Now,
	}
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, &testBundle{server: srv, clock: clock, cfg: cfg}
}

// refreshed returns a client that has fetched its first license.
func refreshed(t *testing.T) (*Client, *testBundle, License) {
	t.Helper()
	c, b := setup(t)
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	lic, ok := c.License()
	if !ok {
		t.Fatal("no license after the first refresh")
	}
	return c, b, lic
}

func wantLicenseRequests(t *testing.T, b *testBundle, want int) {
	t.Helper()
	if got, _ := b.server.counts(); got != want {
		t.Errorf("client sent %d license requests, want %d", got, want)
	}
}

func wantSameLicense(t *testing.T, c *Client, want License) {
	t.Helper()
	got, ok := c.License()
	if !ok || got.JWS != want.JWS {
		t.Errorf("License() = %v, %v; want the license held before", got.JWS, ok)
	}
}

func TestMaybeRefresh_FirstRefreshFetchesAndVerifiesTheLicense(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	if _, ok := c.License(); ok {
		t.Fatal("a new client already holds a license")
	}
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	lic, ok := c.License()
	if !ok || lic.LicenseID != "lic-1" || lic.Seats != 100 || !lic.IssuedAt.Equal(start) {
		t.Fatalf("License() = %+v, %v", lic, ok)
	}
	if _, err := licensing.Verify(lic.JWS, b.server.keys.JWKS()); err != nil {
		t.Errorf("held JWS does not verify: %v", err)
	}
	req := b.server.lastLicenseRequest()
	if req.Header.Get("Authorization") != "Bearer "+testSecret || req.Header.Get("If-None-Match") != "" {
		t.Errorf("request headers = %v", req.Header)
	}
}

func TestMaybeRefresh_WithinMaxAgeMakesNoRequest(t *testing.T) {
	t.Parallel()
	c, b, _ := refreshed(t)
	b.clock.Advance(24*time.Hour - time.Second)
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 1)
}

func TestMaybeRefresh_AfterMaxAgeRevalidatesAndKeepsLicenseOn304(t *testing.T) {
	t.Parallel()
	c, b, first := refreshed(t)
	b.clock.Advance(24 * time.Hour)
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 2)
	wantETag := b.server.keys.ETag("lic-1", initialChangedAt)
	if got := b.server.lastLicenseRequest().Header.Get("If-None-Match"); got != wantETag {
		t.Errorf("If-None-Match = %q, want %q", got, wantETag)
	}
	wantSameLicense(t, c, first)

	// The 304 restarted the clock: the next day starts now.
	b.clock.Advance(24*time.Hour - time.Second)
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 2)
}

func TestMaybeRefresh_ChangedTermsReplaceTheLicense(t *testing.T) {
	t.Parallel()
	c, b, _ := refreshed(t)
	b.clock.Advance(24 * time.Hour)
	b.server.change(func(s *fakeServer) {
		s.claims.Seats = 150
		s.claims.ChangedAt = b.clock.Now()
	})
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if lic, _ := c.License(); lic.Seats != 150 {
		t.Errorf("seats = %d after the terms changed, want 150", lic.Seats)
	}
}

func TestMaybeRefresh_FailureKeepsLicenseAndBacksOff(t *testing.T) {
	t.Parallel()
	failures := map[string]func(s *fakeServer){
		"ServerError": func(s *fakeServer) { s.failWith = http.StatusServiceUnavailable },
		"Unreachable": func(s *fakeServer) { s.unreachable = true },
	}
	for name, fail := range failures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, b, first := refreshed(t)
			b.server.change(fail)
			b.clock.Advance(25 * time.Hour)
			requests := 1

			// Each failure waits at least half its doubling step: 1, 2, 4 … minutes.
			for step := time.Minute; step <= 4*time.Minute; step *= 2 {
				requests++
				if err := c.MaybeRefresh(t.Context()); err == nil {
					t.Fatal("MaybeRefresh succeeded against a failing server")
				}
				wantLicenseRequests(t, b, requests)
				wantSameLicense(t, c, first)

				b.clock.Advance(step/2 - time.Second)
				if err := c.MaybeRefresh(t.Context()); err != nil {
					t.Fatalf("MaybeRefresh during backoff = %v, want nil", err)
				}
				wantLicenseRequests(t, b, requests)
				b.clock.Advance(step/2 + time.Second)
			}

			// Failures did not make the copy younger, so recovery refreshes at once.
			b.server.change(func(s *fakeServer) { s.failWith, s.unreachable = 0, false })
			if err := c.MaybeRefresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			wantLicenseRequests(t, b, requests+1)

			// The success reset the backoff: the next failure waits a minute at most.
			b.clock.Advance(24 * time.Hour)
			b.server.change(fail)
			if err := c.MaybeRefresh(t.Context()); err == nil {
				t.Fatal("MaybeRefresh succeeded against a failing server")
			}
			b.clock.Advance(time.Minute)
			c.MaybeRefresh(t.Context())
			wantLicenseRequests(t, b, requests+3)
		})
	}
}

func TestBackoff_DoublesFromAMinuteToAnHourWithJitter(t *testing.T) {
	t.Parallel()
	for failures, base := range map[int]time.Duration{
		1: time.Minute, 2: 2 * time.Minute, 6: 32 * time.Minute, 7: time.Hour, 100: time.Hour,
	} {
		for range 50 {
			if d := backoff(failures); d < base/2 || d > base {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", failures, d, base/2, base)
			}
		}
	}
}

func TestMaybeRefresh_ConcurrentCallsDuringSlowRefreshDoNotWait(t *testing.T) {
	t.Parallel()
	c, b, first := refreshed(t)
	b.clock.Advance(25 * time.Hour)
	arrived := b.server.holdNextLicenseRequest()
	slow := make(chan error, 1)
	go func() { slow <- c.MaybeRefresh(context.Background()) }()
	<-arrived

	callersDone := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if err := c.MaybeRefresh(context.Background()); err != nil {
					t.Errorf("MaybeRefresh during a refresh = %v", err)
				}
				wantSameLicense(t, c, first)
			})
		}
		wg.Wait()
		close(callersDone)
	}()
	select {
	case <-callersDone:
	case <-time.After(10 * time.Second):
		t.Fatal("callers waited for the refresh in flight")
	}

	b.server.release()
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 2)
}

func TestMaybeRefresh_BadSignatureKeepsOldLicense(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		forge       func(s *fakeServer)
		want        error
		jwksFetches int // after the first refresh's one
	}{
		{"SpoiledSignature", func(s *fakeServer) { s.spoilSignature = true }, licensing.ErrInvalid, 0},
		{"UnknownKey", func(s *fakeServer) { s.signer = newKeyring(t, 9) }, licensing.ErrUnknownKey, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, b, first := refreshed(t)
			b.server.change(func(s *fakeServer) {
				tt.forge(s)
				s.claims.Seats = 100000
				s.claims.ChangedAt = b.clock.Now()
			})
			b.clock.Advance(25 * time.Hour)
			if err := c.MaybeRefresh(t.Context()); !errors.Is(err, tt.want) {
				t.Fatalf("MaybeRefresh = %v, want %v", err, tt.want)
			}
			wantSameLicense(t, c, first)
			if _, jwks := b.server.counts(); jwks != 1+tt.jwksFetches {
				t.Errorf("key set fetched %d times, want %d", jwks, 1+tt.jwksFetches)
			}
		})
	}
}

func TestMaybeRefresh_FollowsKeyRotation(t *testing.T) {
	t.Parallel()
	c, b, _ := refreshed(t)
	b.server.change(func(s *fakeServer) {
		s.keys = newKeyring(t, 2, testKey(1).Public().(ed25519.PublicKey))
		s.signer = s.keys
	})
	b.clock.Advance(24 * time.Hour)
	if err := c.MaybeRefresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	lic, _ := c.License()
	if _, err := licensing.Verify(lic.JWS, newKeyring(t, 2).JWKS()); err != nil {
		t.Errorf("the license is not the one signed with the new key: %v", err)
	}
	if _, jwks := b.server.counts(); jwks != 2 {
		t.Errorf("key set fetched %d times, want 2", jwks)
	}
}

func TestMaybeRefresh_RevokedActivationIsReportedAndLicenseKeptUntilExpiry(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusNotFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			c, b, first := refreshed(t)
			b.server.change(func(s *fakeServer) { s.failWith = status })
			b.clock.Advance(24 * time.Hour)
			err := c.MaybeRefresh(t.Context())
			if apiErr, ok := errors.AsType[*APIError](err); !errors.Is(err, ErrActivationRevoked) || !ok || apiErr.Status != status {
				t.Fatalf("MaybeRefresh on %d = %v, want ErrActivationRevoked", status, err)
			}
			wantSameLicense(t, c, first)
			b.clock.Advance(first.ExpiresAt.Sub(b.clock.Now()))
			if _, ok := c.License(); ok {
				t.Error("License() still reports a license that has expired")
			}
		})
	}
}

func TestRefreshForLimit_RefreshesEarlyAtMostOncePerInterval(t *testing.T) {
	t.Parallel()
	c, b, _ := refreshed(t)
	b.clock.Advance(time.Hour - time.Second)
	if err := c.RefreshForLimit(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 1)

	b.clock.Advance(time.Second)
	b.server.change(func(s *fakeServer) {
		s.claims.Seats = 120
		s.claims.ChangedAt = b.clock.Now()
	})
	if err := c.RefreshForLimit(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 2)
	if lic, _ := c.License(); lic.Seats != 120 {
		t.Errorf("seats = %d after a forced refresh, want 120", lic.Seats)
	}
	if err := c.RefreshForLimit(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 2)

	// A failed request counts too: an outage does not let limits hammer the server.
	b.clock.Advance(time.Hour)
	b.server.change(func(s *fakeServer) { s.failWith = http.StatusServiceUnavailable })
	if err := c.RefreshForLimit(t.Context()); err == nil {
		t.Fatal("RefreshForLimit succeeded against a failing server")
	}
	b.clock.Advance(time.Hour - time.Second)
	if err := c.RefreshForLimit(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLicenseRequests(t, b, 3)
	b.clock.Advance(time.Second)
	if err := c.RefreshForLimit(t.Context()); err == nil {
		t.Fatal("RefreshForLimit succeeded against a failing server")
	}
	wantLicenseRequests(t, b, 4)
}

func TestOpen_RestoresLicenseAndScheduleFromTheStateFile(t *testing.T) {
	t.Parallel()
	c, b, first := refreshed(t)
	b.server.change(func(s *fakeServer) { s.failWith = http.StatusBadGateway })
	b.clock.Advance(24 * time.Hour)
	if err := c.MaybeRefresh(t.Context()); err == nil {
		t.Fatal("MaybeRefresh succeeded against a failing server")
	}

	reopened, err := Open(b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	wantSameLicense(t, reopened, first)
	if err := reopened.MaybeRefresh(t.Context()); err != nil {
		t.Fatalf("MaybeRefresh during the saved backoff = %v", err)
	}
	wantLicenseRequests(t, b, 2)

	entries, err := os.ReadDir(filepath.Dir(b.cfg.StatePath))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("state directory holds %d files, want only the state file", len(entries))
	}
}

func TestOpen_RefusesAStateFileWhoseLicenseDoesNotVerify(t *testing.T) {
	t.Parallel()
	_, b, first := refreshed(t)
	raw, err := os.ReadFile(b.cfg.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	forged := newKeyring(t, 9)
	claims := first.Claims
	claims.Seats = 100000
	jws, err := forged.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(first.JWS), []byte(jws), 1)
	if err := os.WriteFile(b.cfg.StatePath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(b.cfg); !errors.Is(err, licensing.ErrUnknownKey) {
		t.Errorf("Open = %v, want ErrUnknownKey", err)
	}
}

func TestOpen_RefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	good := Config{ServerURL: "http://127.0.0.1:8080", ActivationID: "a", Secret: "s", StatePath: filepath.Join(t.TempDir(), "s.json")}
	if _, err := Open(good); err != nil {
		t.Fatalf("Open(%+v) = %v", good, err)
	}
	spoil := map[string]func(*Config){
		"NoActivation": func(c *Config) { c.ActivationID = "" },
		"NoSecret":     func(c *Config) { c.Secret = "" },
		"NoStatePath":  func(c *Config) { c.StatePath = "" },
		"RelativeURL":  func(c *Config) { c.ServerURL = "127.0.0.1:8080" },
		"OtherScheme":  func(c *Config) { c.ServerURL = "ftp://example.com" },
	}
	for name, f := range spoil {
		cfg := good
		f(&cfg)
		if _, err := Open(cfg); err == nil {
			t.Errorf("%s: Open succeeded", name)
		}
	}
}

func TestActivate_ReturnsTheVerifiedLicenseAndCredentials(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: start}
	srv := newFakeServer(t, clock)

	id, secret, lic, err := Activate(t.Context(), srv.URL+"/", testLicenseKey, "lms-eu-2", srv.client())
	if err != nil {
		t.Fatal(err)
	}
	if id != testActivationID || secret != testSecret || lic.InstanceID != "lms-eu-2" || lic.JWS == "" {
		t.Errorf("Activate = %q, %q, %+v", id, secret, lic)
	}

	_, _, _, err = Activate(t.Context(), srv.URL, "WRONG", "lms-eu-2", srv.client())
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.Status != http.StatusNotFound || apiErr.Message != "Unknown license key." {
		t.Errorf("Activate with a wrong key = %v, want the server's 404", err)
	}
}
