// Package web assembles the HTTP server: routes, middleware, sessions and
// static files.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
	"github.com/seatplan/seatplan/web/metrics"
)

// Deps is everything the server needs, built by cmd/seatplan.
type Deps struct {
	Store    *store.Store
	Logger   *slog.Logger
	Sessions *Sessions
	// TokenTTL is the lifetime of OAuth access tokens.
	TokenTTL time.Duration
	// Keyring signs license documents.
	Keyring *licensing.Keyring
	// Licenses caches activations and signed licenses; serve runs it so it
	// hears changes. Without one, NewServer makes one that re-reads every
	// second.
	Licenses *handlers.LicenseCache
	// Jobs enqueues background work (NewJobClient's client).
	Jobs handlers.JobQueue
	// LeaseTTL is how long a plan or course lease lives between heartbeats.
	LeaseTTL time.Duration
	// Lists bounds uploaded and posted lists.
	Lists handlers.ListLimits
	// Metrics, when set, counts requests by route (and refreshes, when
	// NewServer makes the license cache) and is what /metrics serves;
	// without it nothing is counted and /metrics is not found.
	Metrics *metrics.Metrics
	// MetricsToken lets clients other than loopback scrape /metrics.
	MetricsToken string
	// TrustedProxies are the peers whose X-Forwarded-For is believed; none
	// by default.
	TrustedProxies []netip.Prefix
	// HSTSMaxAge, when positive, sends Strict-Transport-Security (set in
	// production, where the server sits behind HTTPS).
	HSTSMaxAge time.Duration
}

// NewServer returns the whole application as one handler.
func NewServer(d Deps) http.Handler {
	if d.Licenses == nil && d.Keyring != nil {
		d.Licenses = handlers.NewLicenseCache(d.Store, d.Keyring)
		if d.Metrics != nil {
			d.Licenses.ReportTo(d.Metrics)
		}
	}
	if d.LeaseTTL <= 0 {
		d.LeaseTTL = handlers.LeaseTTL
	}
	logger := slog.New(withRequestIDs(d.Logger.Handler()))
	mux := http.NewServeMux()
	addRoutes(mux, d)
	return chain(routed(mux),
		observe(logger, d.Metrics), // outermost: a panic's 500 is named, logged and counted too
		recoverPanics,
		compress,
		securityHeaders(d.HSTSMaxAge),
		crossOriginProtection,
		checkText(mux),
		loadSession(d.Store, d.Sessions),
	)
}

// scrape is what /metrics serves: nothing without metrics.
func scrape(m *metrics.Metrics) http.Handler {
	if m == nil {
		return nil
	}
	return m.Handler()
}
