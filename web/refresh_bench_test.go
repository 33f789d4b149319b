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
	"syscall"
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
	f := newRefreshFixture(b)
	measuredDeps := f.deps
	measuredDeps.Metrics = metrics.New(f.pool)
	plain, measured := f.srv, NewServer(measuredDeps)
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
				req := f.refresh()
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				srv.h.ServeHTTP(httptest.NewRecorder(), req) // the cache reads the activation once
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					w := httptest.NewRecorder()
					srv.h.ServeHTTP(w, req)
					if w.Code != http.StatusNotModified {
						b.Fatalf("refresh: %d", w.Code)
					}
				}
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
	// Paired: each iteration serves the same 304 on both servers, in
	// alternating order, timing each; the medians of many pairs are what a
	// machine shared with other work cannot blur, since a pause hits one
	// request of a pair, not the whole run of one server.
	b.Run("Paired", func(b *testing.B) {
		req := f.refresh()
		measured.ServeHTTP(httptest.NewRecorder(), req) // the cache reads the activation once
		var without, with []time.Duration
		serve := func(h http.Handler) time.Duration {
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, req)
			took := time.Since(start)
			if w.Code != http.StatusNotModified {
				b.Fatalf("refresh: %d", w.Code)
			}
			return took
		}
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				without = append(without, serve(plain))
				with = append(with, serve(measured))
			} else {
				with = append(with, serve(measured))
				without = append(without, serve(plain))
			}
			i++
		}
		p50 := func(d []time.Duration) float64 { slices.Sort(d); return float64(d[len(d)/2]) }
		floor, cost := p50(without), p50(with)
		b.ReportMetric(floor, "without-p50-ns")
		b.ReportMetric(cost, "with-p50-ns")
		b.ReportMetric(100*(cost-floor)/floor, "metrics-%")
	})
}

// processCPU is the CPU time the process has used, in nanoseconds. On a
// machine shared with other work, wall time per request mostly measures the
// wait for a core; CPU time per request is what the code costs.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// refreshFixture is the whole server over a fresh database with one
// activation; refresh makes its 304 request. deps make more servers over
// the same database.
type refreshFixture struct {
	srv     http.Handler
	deps    Deps
	pool    *pgxpool.Pool
	st      *store.Store
	refresh func() *http.Request
}

func newRefreshFixture(b *testing.B) refreshFixture {
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
	if _, err := pool.Exec(ctx, `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT key, 'assigned', 'a@example.com', decode('0123456789ABCDEF0123456789ABCDEF', 'hex') FROM plans WHERE id = $1`, plan.ID); err != nil {
		b.Fatal(err)
	}
	deps := Deps{Store: st, Logger: slog.New(slog.DiscardHandler), Keyring: keyring,
		Sessions: NewSessions(make([]byte, 64), make([]byte, 32), false)}
	srv := NewServer(deps)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/activations", strings.NewReader(`{"license_key":"0123456789ABCDEF0123456789ABCDEF","instance_id":"i-1"}`)))
	var act struct {
		ActivationID string `json:"activation_id"`
		Secret       string `json:"secret"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &act); err != nil || rec.Code != http.StatusCreated {
		b.Fatalf("activate: %d %s", rec.Code, rec.Body)
	}
	tag := rec.Header().Get("ETag")
	return refreshFixture{srv: srv, deps: deps, pool: pool, st: st, refresh: func() *http.Request {
		req := httptest.NewRequest("GET", "/api/v1/activations/"+act.ActivationID+"/license", nil)
		req.Header.Set("Authorization", "Bearer "+act.Secret)
		req.Header.Set("If-None-Match", tag)
		return req
	}}
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
			f := newRefreshFixture(b)
			srv, refresh := f.srv, f.refresh
			f.st.Throttle.PasswordChecks = c.checks
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
