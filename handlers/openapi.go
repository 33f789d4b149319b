package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/seatplan/seatplan/handlers/apidoc"
	"github.com/seatplan/seatplan/handlers/etag"
)

// OpenAPI answers GET /api/v1/openapi.json: the API's OpenAPI document.
func OpenAPI() http.Handler {
	tag := func() string {
		sum := sha256.Sum256(apidoc.OpenAPI)
		return etag.Strong(base64.RawURLEncoding.EncodeToString(sum[:18]))
	}()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("ETag", tag)
		h.Set("Cache-Control", "public, max-age=300")
		if inm, ok := etag.Field(r.Header, "If-None-Match"); ok && etag.MatchWeak(inm, tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json")
		w.Write(apidoc.OpenAPI)
	})
}
