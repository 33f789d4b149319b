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
		status                             int
	}{
		{"LoopbackV4", "", "127.0.0.1:50000", "", http.StatusOK},
		{"LoopbackV6", "", "[::1]:50000", "", http.StatusOK},
		{"LoopbackMappedV4", "", "[::ffff:127.0.0.1]:50000", "", http.StatusOK},
		{"RemoteWithoutAConfiguredToken", "", "203.0.113.9:50000", "Bearer anything", http.StatusForbidden},
		{"RemoteWithoutCredentials", "s3cret-token", "203.0.113.9:50000", "", http.StatusUnauthorized},
		{"RemoteWithTheWrongToken", "s3cret-token", "203.0.113.9:50000", "Bearer s3cret-tokem", http.StatusUnauthorized},
		{"RemoteWithBasicAuth", "s3cret-token", "203.0.113.9:50000", "Basic czNjcmV0LXRva2Vu", http.StatusUnauthorized},
		{"RemoteWithTheToken", "s3cret-token", "203.0.113.9:50000", "bearer s3cret-token", http.StatusOK},
		{"PrivateNetworkIsNotLoopback", "s3cret-token", "10.0.0.5:50000", "", http.StatusUnauthorized},
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
