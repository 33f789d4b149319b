package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	deps := Deps{Store: st, Logger: slog.New(slog.DiscardHandler), Keyring: keyring,
		Sessions: NewSessions(make([]byte, 64), make([]byte, 32), false)}
	plain := NewServer(deps)
	deps.Metrics = metrics.New(pool)
	measured := NewServer(deps)
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/activations", strings.NewReader(`{"license_key":"BENCHKEY","instance_id":"i-1"}`)))
	var act struct {
		ActivationID string `json:"activation_id"`
		Secret       string `json:"secret"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &act); err != nil || rec.Code != http.StatusCreated {
		b.Fatalf("activate: %d %s", rec.Code, rec.Body)
	}
	tag := rec.Header().Get("ETag")
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
				req := httptest.NewRequest("GET", "/api/v1/activations/"+act.ActivationID+"/license", nil)
				req.Header.Set("Authorization", "Bearer "+act.Secret)
				req.Header.Set("If-None-Match", tag)
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
