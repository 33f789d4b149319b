package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadForm_TooLargeIs413AndMalformedIs400(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
	}{
		{"Fits", "a=1&b=2", http.StatusNoContent},
		{"TooLarge", "a=" + strings.Repeat("x", 100), http.StatusRequestEntityTooLarge},
		{"Malformed", "a=%zz", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/api/v1/x", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			if readForm(w, r, 64) {
				w.WriteHeader(http.StatusNoContent)
			}
			if w.Code != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
}
