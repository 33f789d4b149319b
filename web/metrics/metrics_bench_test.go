package metrics_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/web/metrics"
)

// BenchmarkRefreshNotModifiedCounting is everything metrics add to a
// license refresh's 304: its request counted and timed by route, its
// outcome and its cache lookup counted. Compare it with the whole 304
// (web's BenchmarkRefreshNotModifiedHandler).
func BenchmarkRefreshNotModifiedCounting(b *testing.B) {
	m := metrics.New(nil)
	b.ReportAllocs()
	for b.Loop() {
		m.CacheLookup(handlers.CacheHit)
		m.Refreshed(handlers.RefreshNotModified)
		m.ObserveRequest("GET /api/v1/activations/{id}/license", http.MethodGet, http.StatusNotModified, 200*time.Microsecond)
	}
}
