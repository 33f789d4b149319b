package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
	"github.com/seatplan/seatplan/store/storetest"
	"github.com/seatplan/seatplan/web/metrics"
)

// BenchmarkRefreshNotModifiedHandler is the CPU cost of a license
// refresh's 304 through the whole handler chain, without the network: what
// the middleware adds to the hot path shows here first. It runs with and
// without metrics, so their cost is measured against a floor of the same run.
func BenchmarkRefreshNotModifiedHandler(b *testing.B) {
	deps, pool := refreshDeps(b)
	plain := NewServer(deps)
	deps.Metrics = metrics.New(pool)
	measured := NewServer(deps)
	refresh := activateOnce(b, plain)
	// Without metrics is the floor the metrics' cost is measured against, in
	// the same run.
	for _, srv := range []struct {
		name string
		h    http.Handler
	}{{"WithoutMetrics", plain}, {"WithMetrics", measured}} {
		for _, enc := range []string{"", "gzip"} {
			name := srv.name + "/AcceptEncodingNone"
			if enc != "" {
				name = srv.name + "/AcceptEncodingGzip"
			}
			b.Run(name, func(b *testing.B) {
				req := refresh()
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				srv.h.ServeHTTP(httptest.NewRecorder(), req) // the cache reads the activation once
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					srv.h.ServeHTTP(w, req)
					if w.Code != http.StatusNotModified {
						b.Fatalf("refresh: %d", w.Code)
					}
				}
			})
		}
	}
}

// refreshDeps is the server's dependencies over a fresh database with one
// assigned license, whose key is BENCHKEY.
func refreshDeps(b *testing.B) (Deps, *pgxpool.Pool) {
	ctx := context.Background()
	pool := storetest.NewPool(b)
	st := store.New(pool)
	keyring, err := licensing.NewKeyring(licensing.GenerateKey())
	if err != nil {
		b.Fatal(err)
	}
	plan, err := st.CreatePlan(ctx, store.NewPlan{Name: "Bench", Seats: 1}, store.SystemActor)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE licenses SET status = 'assigned', email = 'a@example.com', activation_key = 'BENCHKEY', assigned_at = now()
		WHERE plan_id = $1`, plan.ID); err != nil {
		b.Fatal(err)
	}
	return Deps{Store: st, Logger: slog.New(slog.DiscardHandler), Keyring: keyring,
		Sessions: NewSessions(make([]byte, 64), make([]byte, 32), false)}, pool
}

// activateOnce activates BENCHKEY through srv and returns a maker of its
// refresh request that answers 304.
func activateOnce(b *testing.B, srv http.Handler) func() *http.Request {
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/activations", strings.NewReader(`{"license_key":"BENCHKEY","instance_id":"i-1"}`)))
	var act struct {
		ActivationID string `json:"activation_id"`
		Secret       string `json:"secret"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &act); err != nil || rec.Code != http.StatusCreated {
		b.Fatalf("activate: %d %s", rec.Code, rec.Body)
	}
	tag := rec.Header().Get("ETag")
	return func() *http.Request {
		req := httptest.NewRequest("GET", "/api/v1/activations/"+act.ActivationID+"/license", nil)
		req.Header.Set("Authorization", "Bearer "+act.Secret)
		req.Header.Set("If-None-Match", tag)
		return req
	}
}

// BenchmarkRefreshDuringSignInFlood is the 304 refresh's latency while 8
// goroutines send wrong passwords for ever-new accounts from ever-new
// addresses (so the throttle lets each through to a password check at
// bcrypt's default cost): with the password gate (PasswordChecks 1, as on
// 2 cores) and with it as wide as the flood (8, no gate in effect), against
// no flood in the same run.
func BenchmarkRefreshDuringSignInFlood(b *testing.B) {
	for _, c := range []struct {
		name   string
		flood  bool
		checks int
	}{{"NoFlood", false, 1}, {"Flood/PasswordChecks=1", true, 1}, {"Flood/PasswordChecks=8", true, 8}} {
		b.Run(c.name, func(b *testing.B) {
			deps, _ := refreshDeps(b)
			deps.Store.Throttle.PasswordChecks = c.checks
			srv := NewServer(deps)
			refresh := activateOnce(b, srv)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var guesses atomic.Int64
			for g := range 8 {
				if !c.flood {
					break
				}
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						form := url.Values{"email": {fmt.Sprintf("u%d-%d@example.com", g, i)}, "password": {"guess"}}.Encode()
						req := httptest.NewRequest("POST", "/login", strings.NewReader(form))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1234", g, i/250%250, i%250)
						srv.ServeHTTP(httptest.NewRecorder(), req)
						guesses.Add(1)
					}
				})
			}
			var took []time.Duration
			start := time.Now()
			for b.Loop() {
				t0 := time.Now()
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, refresh())
				took = append(took, time.Since(t0))
				if w.Code != http.StatusNotModified {
					b.Fatalf("refresh: %d", w.Code)
				}
			}
			elapsed := time.Since(start)
			close(stop)
			wg.Wait()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(guesses.Load())/elapsed.Seconds(), "guesses/s")
		})
	}
}
