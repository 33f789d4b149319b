// Package instance is the client-instance side of license activation: it
// activates once, keeps the signed license on disk, and refreshes it when it
// is a day old or a limit is reached, without ever making a reader of the
// license wait for the network.
package instance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/seatplan/seatplan/store/licensing"
)

// ErrActivationRevoked means the server no longer knows this activation or
// its secret (401 or 404). The license already held stays in use until it
// expires.
var ErrActivationRevoked = errors.New("license activation revoked or unknown")

// License is a verified license document: its claims and the JWS they came from.
type License struct {
	licensing.Claims
	JWS string
}

// Config is what a Client needs. Zero durations, a nil HTTPClient and a nil
// Now get the defaults.
type Config struct {
	ServerURL    string // e.g. http://127.0.0.1:8080
	ActivationID string
	Secret       string
	// StatePath is the file holding the current license and refresh
	// schedule; it is replaced atomically on every refresh attempt.
	StatePath  string
	HTTPClient *http.Client     // default: one with a one-minute timeout
	Now        func() time.Time // default: time.Now
	// MaxAge is how old the license may get before MaybeRefresh fetches it
	// again. Default 24 h.
	MaxAge time.Duration
	// MinForcedInterval is the least time between any request for the
	// license and one made by RefreshForLimit. Default 1 h.
	MinForcedInterval time.Duration
}

// Backoff after failed refreshes: doubling from minBackoff up to maxBackoff,
// each delay drawn from its upper half so that instances which failed
// together do not retry together.
const (
	minBackoff = time.Minute
	maxBackoff = time.Hour
)

// Client holds an instance's license and refreshes it.
type Client struct {
	cfg    Config
	server server

	// refreshing is held by the one refresh in flight. Other callers
	// TryLock it and leave at once: they keep the current license rather
	// than queue behind a slow server.
	refreshing sync.Mutex

	mu    sync.Mutex // guards state
	state state
}

// state is what the state file holds. Claims are not saved: Open takes
// them from the JWS, verified against the saved key set, so the file cannot
// claim more than the server signed.
type state struct {
	JWS       string    `json:"jws,omitempty"`
	ETag      string    `json:"etag,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"` // last success
	// LastAttempt is when the server was last asked, successfully or not.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// NextAttempt is the end of the backoff after a failure: no refresh
	// contacts the server before it.
	NextAttempt time.Time      `json:"next_attempt,omitzero"`
	Failures    int            `json:"failures,omitempty"` // consecutive
	JWKS        licensing.JWKS `json:"jwks"`

	claims licensing.Claims
}

// Open returns a Client holding the license saved at cfg.StatePath, if any.
func Open(cfg Config) (*Client, error) {
	if cfg.ActivationID == "" || cfg.Secret == "" || cfg.StatePath == "" {
		return nil, errors.New("open license client: activation id, secret and state path are required")
	}
	srv, err := newServer(cfg.ServerURL, cfg.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("open license client: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.MinForcedInterval <= 0 {
		cfg.MinForcedInterval = time.Hour
	}
	st, err := loadState(cfg.StatePath)
	if err != nil {
		return nil, fmt.Errorf("open license client: %w", err)
	}
	return &Client{cfg: cfg, server: srv, state: st}, nil
}

// License returns the current license without touching the network; ok is
// false when there is none or it has expired.
func (c *Client) License() (lic License, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.JWS == "" {
		return License{}, false
	}
	if exp := c.state.claims.ExpiresAt; !exp.IsZero() && !c.cfg.Now().Before(exp) {
		return License{}, false
	}
	return License{Claims: c.state.claims, JWS: c.state.JWS}, true
}

// MaybeRefresh fetches the license when there is none or it is MaxAge old,
// unless a refresh is already in flight (it then returns nil at once) or the
// last one failed and its backoff has not passed.
func (c *Client) MaybeRefresh(ctx context.Context) error {
	return c.refreshIf(ctx, func(st *state, now time.Time) bool {
		return st.JWS == "" || now.Sub(st.FetchedAt) >= c.cfg.MaxAge
	})
}

// RefreshForLimit fetches the license now because the instance reached one
// of its limits (seats, expiry), unless a refresh is in flight, the server
// was asked less than MinForcedInterval ago, or a backoff is running.
func (c *Client) RefreshForLimit(ctx context.Context) error {
	return c.refreshIf(ctx, func(st *state, now time.Time) bool {
		return now.Sub(st.LastAttempt) >= c.cfg.MinForcedInterval
	})
}

func (c *Client) refreshIf(ctx context.Context, wanted func(*state, time.Time) bool) error {
	due := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		now := c.cfg.Now()
		return !now.Before(c.state.NextAttempt) && wanted(&c.state, now)
	}
	// Only callers with work to do take the lock, so one that finds it held
	// knows the refresh it wants is under way.
	if !due() || !c.refreshing.TryLock() {
		return nil
	}
	defer c.refreshing.Unlock()
	// Checked again: the refresh that held the lock may just have finished.
	if !due() {
		return nil
	}

	c.mu.Lock()
	st := c.state
	c.mu.Unlock()

	err := c.server.fetchLicense(ctx, c.cfg.ActivationID, c.cfg.Secret, &st)
	now := c.cfg.Now()
	st.LastAttempt = now
	if err != nil {
		// FetchedAt stays: the copy is as old as it was.
		st.Failures++
		st.NextAttempt = now.Add(backoff(st.Failures))
	} else {
		st.FetchedAt, st.Failures, st.NextAttempt = now, 0, time.Time{}
	}

	c.mu.Lock()
	c.state = st
	c.mu.Unlock()
	if saveErr := saveState(c.cfg.StatePath, st); saveErr != nil {
		return errors.Join(err, saveErr)
	}
	return err
}

// backoff returns the wait after the given number of consecutive failures.
func backoff(failures int) time.Duration {
	d := min(minBackoff<<min(failures-1, 10), maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// Activate exchanges a license key for an activation of this instance and
// returns the activation's id and secret (for Config) and the verified license.
func Activate(ctx context.Context, serverURL, licenseKey, instanceID string, hc *http.Client) (activationID, secret string, lic License, err error) {
	srv, err := newServer(serverURL, hc)
	if err != nil {
		return "", "", License{}, fmt.Errorf("activate license: %w", err)
	}
	answer, err := srv.activate(ctx, licenseKey, instanceID)
	if err != nil {
		return "", "", License{}, fmt.Errorf("activate license: %w", err)
	}
	claims, _, err := srv.verify(ctx, answer.JWS, licensing.JWKS{})
	if err != nil {
		return "", "", License{}, fmt.Errorf("activate license: %w", err)
	}
	return answer.ActivationID, answer.Secret, License{Claims: claims, JWS: answer.JWS}, nil
}

func loadState(path string) (state, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return state{}, nil
	}
	if err != nil {
		return state{}, err
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return state{}, fmt.Errorf("read %s: %w", path, err)
	}
	if st.JWS != "" {
		if st.claims, err = licensing.Verify(st.JWS, st.JWKS); err != nil {
			return state{}, fmt.Errorf("saved license in %s: %w", path, err)
		}
	}
	return st, nil
}

// saveState replaces the file at path with st through a temporary file and
// a rename, so a crash leaves either the old state or the new one.
func saveState(path string, st state) (err error) {
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("save license state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save license state: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("save license state: %w", err)
		}
	}()
	if _, err := f.Write(raw); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// server speaks the Seatplan license API.
type server struct {
	baseURL string
	hc      *http.Client
}

func newServer(serverURL string, hc *http.Client) (server, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return server{}, fmt.Errorf("server URL %q is not an http(s) URL", serverURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	return server{baseURL: u.JoinPath("api", "v1").String(), hc: hc}, nil
}
