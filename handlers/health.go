package handlers

import (
	"context"
	"net/http"
	"time"
)

type pinger interface {
	Ping(ctx context.Context) error
}

// probeTimeout bounds a probe's database questions: a load balancer wants a
// quick answer, and a database this slow is as good as away.
const probeTimeout = 2 * time.Second

// Health answers /healthz: 200 when the process is alive and its database
// answers, for load balancers and for tests waiting on a started server.
func Health(db pinger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			loggerFrom(r.Context()).Warn("health check: database unreachable", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, HealthBody{Status: "unavailable", Database: "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, HealthBody{Status: "ok"})
	})
}

type readiness interface {
	pinger
	MigrationsPending(ctx context.Context) (bool, error)
}

type listening interface {
	Listening() bool
}

// Ready answers /readyz: 200 only when, besides the database answering,
// its schema is this binary's (a process started before "migrate up" is not
// ready) and the license cache hears changes (a deaf one re-reads every
// license each second, which load balancers should not pile refreshes onto).
// The answer names each check.
func Ready(db readiness, licenses listening) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
		defer cancel()
		checks := map[string]string{"database": "ok", "migrations": "current", "license_changes": "listening"}
		ready := true
		if err := db.Ping(ctx); err != nil {
			checks["database"], checks["migrations"], ready = "unreachable", "unknown", false
		} else if pending, err := db.MigrationsPending(ctx); err != nil {
			loggerFrom(r.Context()).Warn("readiness check: migration status", "err", err)
			checks["migrations"], ready = "unknown", false
		} else if pending {
			checks["migrations"], ready = "pending", false
		}
		if !licenses.Listening() {
			checks["license_changes"], ready = "not listening", false
		}
		status, word := http.StatusOK, "ready"
		if !ready {
			status, word = http.StatusServiceUnavailable, "unready"
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, status, map[string]any{"status": word, "checks": checks})
	})
}
