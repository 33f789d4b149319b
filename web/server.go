// Package web assembles the HTTP server: routes, middleware, sessions and
// static files.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/store"
)

// Deps is everything the server needs, built by cmd/seatplan.
type Deps struct {
	Store    *store.Store
	Logger   *slog.Logger
	Sessions *Sessions
	// TokenTTL is the lifetime of OAuth access tokens.
	TokenTTL time.Duration
	// MaxUploadBytes and MaxListEntries bound uploaded lists (413 beyond).
	MaxUploadBytes int64
	MaxListEntries int
}

// NewServer returns the whole application as one handler.
func NewServer(d Deps) http.Handler {
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
