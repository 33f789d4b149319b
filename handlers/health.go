package handlers

import (
	"context"
	"net/http"
	"time"
)

type pinger interface {
	Ping(ctx context.Context) error
}

// Health answers 200 when the database answers, for load balancers and for
// tests waiting on a started server.
func Health(db pinger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			loggerFrom(r.Context()).Warn("health check: database unreachable", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, HealthBody{Status: "unavailable", Database: "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, HealthBody{Status: "ok"})
	})
}
