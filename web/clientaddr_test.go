package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddress_BelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer, xff string
		trusted         bool
		want            string
	}{
		{name: "NoProxiesConfigured", peer: "10.1.1.1:5000", xff: "203.0.113.7", want: "10.1.1.1"},
		{name: "UntrustedPeerIsTheClient", peer: "198.51.100.3:5000", xff: "203.0.113.7", trusted: true, want: "198.51.100.3"},
		{name: "TrustedPeerNamesTheClient", peer: "10.1.1.1:5000", xff: "203.0.113.7", trusted: true, want: "203.0.113.7"},
		{name: "SpoofedLeftEntriesAreIgnored", peer: "10.1.1.1:5000", xff: "1.2.3.4, 203.0.113.7", trusted: true, want: "203.0.113.7"},
		{name: "ProxyChainIsSkipped", peer: "192.0.2.1:5000", xff: "203.0.113.7, 10.9.9.9", trusted: true, want: "203.0.113.7"},
		{name: "MalformedEntryStopsTheWalk", peer: "10.1.1.1:5000", xff: "203.0.113.7, junk", trusted: true, want: "10.1.1.1"},
		{name: "NoHeader", peer: "10.1.1.1:5000", trusted: true, want: "10.1.1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			list := trusted
			if !tt.trusted {
				list = nil
			}
			if got := resolveClient(r, list); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix should be refused")
	}
}
