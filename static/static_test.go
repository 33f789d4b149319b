package static

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPath_InsertsContentHashBeforeExtension(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"css/app.css", "js/app.js", "img/logo.svg", "vendor/htmx.min.js"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			content, err := fs.ReadFile(files, name)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(content)
			dot := strings.LastIndex(name, ".")
			want := URLPrefix + name[:dot] + "." + hex.EncodeToString(sum[:])[:8] + name[dot:]
			if got := Path(name); got != want {
				t.Errorf("Path(%q) = %q, want %q", name, got, want)
			}
		})
	}
}

func TestPath_UnknownNameIsReturnedUnhashed(t *testing.T) {
	t.Parallel()
	if got, want := Path("css/typo.css"), "/static/css/typo.css"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

func TestHashedName(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, want string }{
		{"css/app.css", "css/app.abcd1234.css"},
		{"vendor/htmx.min.js", "vendor/htmx.min.abcd1234.js"},
		{"img/LICENSE", "img/LICENSE.abcd1234"},
	}
	for _, tt := range tests {
		if got := hashedName(tt.name, "abcd1234"); got != tt.want {
			t.Errorf("hashedName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	cssHashed := Path("css/app.css")
	// Same shape as the real URL, other hash: "/static/css/app.00000000.css".
	wrongHash := cssHashed[:len(cssHashed)-len("3f2a1b9c.css")] + "00000000.css"

	tests := []struct {
		name             string
		method, target   string
		wantStatus       int
		wantCacheControl string
		wantContentType  string
		wantBody         bool
	}{
		{
			name: "HashedCSSIsImmutable", method: http.MethodGet, target: cssHashed,
			wantStatus: http.StatusOK, wantCacheControl: cacheHashed,
			wantContentType: "text/css; charset=utf-8", wantBody: true,
		},
		{
			name: "HashedHtmxIsJavaScript", method: http.MethodGet, target: Path("vendor/htmx.min.js"),
			wantStatus: http.StatusOK, wantCacheControl: cacheHashed,
			wantContentType: "text/javascript; charset=utf-8", wantBody: true,
		},
		{
			name: "HashedSVGIsImage", method: http.MethodGet, target: Path("img/logo.svg"),
			wantStatus: http.StatusOK, wantCacheControl: cacheHashed,
			wantContentType: "image/svg+xml", wantBody: true,
		},
		{
			name: "UnhashedNameIsRevalidated", method: http.MethodGet, target: "/static/css/app.css",
			wantStatus: http.StatusOK, wantCacheControl: cacheUnhashed,
			wantContentType: "text/css; charset=utf-8", wantBody: true,
		},
		{
			name: "HeadHasHeadersButNoBody", method: http.MethodHead, target: cssHashed,
			wantStatus: http.StatusOK, wantCacheControl: cacheHashed,
			wantContentType: "text/css; charset=utf-8",
		},
		{
			name: "WrongHashIsNotFound", method: http.MethodGet, target: wrongHash,
			wantStatus: http.StatusNotFound,
		},
		{
			name: "UnknownFileIsNotFound", method: http.MethodGet, target: Path("css/typo.css"),
			wantStatus: http.StatusNotFound,
		},
		{
			name: "DotfileIsNotServed", method: http.MethodGet, target: "/static/vendor/.gitignore",
			wantStatus: http.StatusNotFound,
		},
		{
			name: "DirectoryIsNotServed", method: http.MethodGet, target: "/static/css/",
			wantStatus: http.StatusNotFound,
		},
		{
			name: "PostIsNotAllowed", method: http.MethodPost, target: cssHashed,
			wantStatus: http.StatusMethodNotAllowed,
		},
	}
	handler := mounted()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.wantCacheControl {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCacheControl)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
			if rec.Header().Get("Content-Length") == "0" || rec.Header().Get("Content-Length") == "" {
				t.Errorf("Content-Length = %q, want the file size", rec.Header().Get("Content-Length"))
			}
			if gotBody := rec.Body.Len() > 0; gotBody != tt.wantBody {
				t.Errorf("body present = %v, want %v", gotBody, tt.wantBody)
			}
		})
	}
}

func TestHandler_MatchingETagIsNotModified(t *testing.T) {
	t.Parallel()
	handler := mounted()
	first := httptest.NewRecorder()
	handler.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/static/js/app.js", nil))
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the first response")
	}

	req := httptest.NewRequest(http.MethodGet, "/static/js/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	second := httptest.NewRecorder()
	handler.ServeHTTP(second, req)
	if second.Code != http.StatusNotModified {
		t.Errorf("status = %d, want %d", second.Code, http.StatusNotModified)
	}
}

// mounted serves Handler the way the routes do.
func mounted() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix(URLPrefix, Handler()))
	return mux
}
