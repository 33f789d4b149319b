package handlers

import (
	"crypto/subtle"
	"net/http"
	"net/netip"

	"github.com/seatplan/seatplan/store"
)

// Metrics answers GET /metrics with scrape (the Prometheus exposition):
// to loopback clients (a Prometheus or an agent on the same host), and to
// any other only with "Authorization: Bearer <token>". Without a token
// configured, only loopback may scrape. A server with no metrics (scrape
// nil) has nothing there.
func Metrics(scrape http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scrape == nil {
			Fail(w, r, store.Errorf(store.ENotFound, "This server does not collect metrics."))
			return
		}
		if !fromLoopback(r) {
			if token == "" {
				Fail(w, r, store.Errorf(store.EForbidden, "Metrics are served to loopback clients only; set SEATPLAN_METRICS_TOKEN to scrape from elsewhere."))
				return
			}
			got, ok := BearerToken(r)
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan-metrics"`)
				Fail(w, r, store.Errorf(store.EUnauthorized, "Send the metrics token: Authorization: Bearer <SEATPLAN_METRICS_TOKEN>."))
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		scrape.ServeHTTP(w, r)
	})
}

// fromLoopback is a request whose connection comes from this host and that
// no proxy passed on: a reverse proxy on the same host connects from
// loopback too, on behalf of anyone, and says so in a forwarding header.
func fromLoopback(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}
