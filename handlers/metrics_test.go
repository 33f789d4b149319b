package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seatplan/seatplan/handlers"
)

func TestMetrics_LoopbackScrapesOthersNeedTheToken(t *testing.T) {
	t.Parallel()
	exposition := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("up 1\n")) })
	tests := []struct {
		name, token, remote, authorization string
		forwarded                          [2]string // a proxy's header naming the client it passes on
		status                             int
	}{
		{"LoopbackV4", "", "127.0.0.1:50000", "", [2]string{}, http.StatusOK},
		{"LoopbackV6", "", "[::1]:50000", "", [2]string{}, http.StatusOK},
		{"LoopbackMappedV4", "", "[::ffff:127.0.0.1]:50000", "", [2]string{}, http.StatusOK},
		{"RemoteWithoutAConfiguredToken", "", "203.0.113.9:50000", "Bearer anything", [2]string{}, http.StatusForbidden},
		{"RemoteWithoutCredentials", "s3cret-token", "203.0.113.9:50000", "", [2]string{}, http.StatusUnauthorized},
		{"RemoteWithTheWrongToken", "s3cret-token", "203.0.113.9:50000", "Bearer s3cret-tokem", [2]string{}, http.StatusUnauthorized},
		{"RemoteWithBasicAuth", "s3cret-token", "203.0.113.9:50000", "Basic czNjcmV0LXRva2Vu", [2]string{}, http.StatusUnauthorized},
		{"RemoteWithTheToken", "s3cret-token", "203.0.113.9:50000", "bearer s3cret-token", [2]string{}, http.StatusOK},
		{"PrivateNetworkIsNotLoopback", "s3cret-token", "10.0.0.5:50000", "", [2]string{}, http.StatusUnauthorized},
		// A reverse proxy on the same host connects from loopback on behalf of anyone.
		{"ProxiedFromThisHostForwarded", "", "127.0.0.1:50000", "", [2]string{"Forwarded", "for=203.0.113.9"}, http.StatusForbidden},
		{"ProxiedFromThisHostXForwardedFor", "s3cret-token", "127.0.0.1:50000", "", [2]string{"X-Forwarded-For", "203.0.113.9"}, http.StatusUnauthorized},
		{"ProxiedFromThisHostXRealIP", "s3cret-token", "[::1]:50000", "", [2]string{"X-Real-Ip", "203.0.113.9"}, http.StatusUnauthorized},
		{"ProxiedWithTheToken", "s3cret-token", "127.0.0.1:50000", "Bearer s3cret-token", [2]string{"X-Forwarded-For", "203.0.113.9"}, http.StatusOK},
	}
	h := handlers.Metrics(exposition, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := h
			if tt.token != "" {
				h = handlers.Metrics(exposition, tt.token)
			}
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = tt.remote
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			if tt.forwarded[0] != "" {
				r.Header.Set(tt.forwarded[0], tt.forwarded[1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Body.String(); (tt.status == http.StatusOK) != (got == "up 1\n") {
				t.Errorf("body %q", got)
			}
			if tt.status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}
