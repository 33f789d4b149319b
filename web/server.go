// Package web assembles the HTTP server: routes, middleware, sessions and
// static files.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
)

// Deps is everything the server needs, built by cmd/seatplan.
type Deps struct {
	Store    *store.Store
	Logger   *slog.Logger
	Sessions *Sessions
	// TokenTTL is the lifetime of OAuth access tokens.
	TokenTTL time.Duration
	// Jobs enqueues background work (NewJobClient's client).
	Jobs handlers.JobQueue
	// LeaseTTL is how long a plan or course lease lives between heartbeats.
	LeaseTTL time.Duration
	// Lists bounds uploaded and posted lists.
	Lists handlers.ListLimits
}

// NewServer returns the whole application as one handler.
func NewServer(d Deps) http.Handler {
	if d.LeaseTTL <= 0 {
		d.LeaseTTL = handlers.LeaseTTL
	}
	mux := http.NewServeMux()
	addRoutes(mux, d)
	return chain(mux,
		recoverPanics,
		logRequests(d.Logger),
		securityHeaders,
		crossOriginProtection,
		loadSession(d.Store, d.Sessions),
	)
}
