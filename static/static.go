// Package static embeds the stylesheets, scripts, images and vendored htmx
// that pages use, and serves them under content-hashed URLs, so browsers may
// cache them for a year and still fetch a new version the moment it ships.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// vendor holds htmx, copied from node_modules by the Makefile; its own
// .gitignore keeps the folder (and so this embed) present on a fresh clone.
//
//go:embed css js img all:vendor
var files embed.FS

// URLPrefix is where Handler expects to be mounted; Path returns URLs under it.
const URLPrefix = "/static/"

const (
	// A hashed URL names one exact content, so it never needs revalidating.
	cacheHashed = "public, max-age=31536000, immutable"
	// An un-hashed URL may change content with any deploy.
	cacheUnhashed = "no-cache"
)

type asset struct {
	name    string // as embedded: "css/app.css"
	hashed  string // "css/app.3f2a1b9c.css"
	etag    string
	content []byte
}

type catalog struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// loadCatalog hashes the embedded files once, at first use. The files are
// part of the binary, so the result is as constant as they are.
var loadCatalog = sync.OnceValue(func() catalog {
	c, err := buildCatalog(files)
	if err != nil {
		panic(fmt.Sprintf("static: read embedded assets: %v", err))
	}
	return c
})

func buildCatalog(fsys fs.FS) (catalog, error) {
	c := catalog{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		// Dotfiles (vendor/.gitignore) are only there to keep the build working.
		if strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		content, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		a := &asset{
			name:    name,
			hashed:  hashedName(name, hex.EncodeToString(sum[:4])),
			etag:    `"` + hex.EncodeToString(sum[:]) + `"`,
			content: content,
		}
		c.byName[a.name] = a
		c.byHashed[a.hashed] = a
		return nil
	})
	return c, err
}

// hashedName inserts the hash before the last extension:
// "vendor/htmx.min.js" → "vendor/htmx.min.3f2a1b9c.js".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// Path returns the cache-busting URL of an embedded file, e.g.
// Path("css/app.css") == "/static/css/app.3f2a1b9c.css". An unknown name
// comes back un-hashed as URLPrefix+name, so a typo is a 404 rather than a crash.
func Path(name string) string {
	if a, ok := loadCatalog().byName[name]; ok {
		return URLPrefix + a.hashed
	}
	return URLPrefix + name
}

// Handler serves the embedded files by name. It expects URLPrefix already
// stripped: mount it as http.StripPrefix(URLPrefix, Handler()) on "GET /static/".
// Hashed names are cached as immutable; plain names are served too, but
// revalidated on every use.
func Handler() http.Handler {
	c := loadCatalog()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		a, cacheControl := c.byHashed[name], cacheHashed
		if a == nil {
			a, cacheControl = c.byName[name], cacheUnhashed
		}
		if a == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", cacheControl)
		w.Header().Set("ETag", a.etag)
		// ServeContent picks the Content-Type from the extension and answers
		// HEAD, Range and If-None-Match; a zero modtime omits Last-Modified.
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.content))
	})
}
