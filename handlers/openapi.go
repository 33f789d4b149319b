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
	return http.HandlerFunc(newPublicDocument(apidoc.OpenAPI, "application/json").serve)
}

// publicDocument is a document every caller gets alike (the API's
// description, the license signing keys), with an entity-tag drawn from
// its content, so clients and shared caches revalidate it cheaply.
type publicDocument struct {
	body              []byte
	etag, contentType string
}

func newPublicDocument(body []byte, contentType string) publicDocument {
	sum := sha256.Sum256(body)
	return publicDocument{body: body, etag: etag.Strong(base64.RawURLEncoding.EncodeToString(sum[:18])), contentType: contentType}
}

// serve answers with the document, or 304 Not Modified to a client that
// holds it already; shared caches may keep it five minutes.
func (d publicDocument) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", d.etag)
	h.Set("Cache-Control", "public, max-age=300")
	if inm, ok := etag.Field(r.Header, "If-None-Match"); ok && etag.MatchWeak(inm, d.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", d.contentType)
	w.Write(d.body)
}
