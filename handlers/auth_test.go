package handlers

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext_KeepsRedirectsOnThisSite(t *testing.T) {
	tests := map[string]string{
		"/plans?q=a":            "/plans?q=a",
		"":                      "/",
		"https://evil.example/": "/",
		"//evil.example/":       "/",
		`/\evil.example`:        "/",
		"javascript:alert(1)":   "/",
		"plans":                 "/",
		"/audit#recent":         "/audit#recent",
		"/%2F%2Fevil.example":   "/%2F%2Fevil.example",
		"\t//evil.example":      "/",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		`/a\b`:                  "/",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext: whatever the login form's next field holds, the redirect
// stays on this site.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/", "//x", `/\x`, "/a/../..//x", "https://x", "/\x00", "/%5C%5Cx", " /x", "/\t/x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		// What a browser makes of it: tabs and newlines dropped, \ read as /.
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(got)
		u, err := url.Parse(seen)
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
		if err == nil && (u.Host != "" || u.Scheme != "") {
			t.Fatalf("safeNext(%q) = %q parses with host %q scheme %q", next, got, u.Host, u.Scheme)
		}
	})
}
