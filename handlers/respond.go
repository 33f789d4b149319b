package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/layout"
)

// MaxJSONBody bounds JSON request bodies that are not uploads.
const MaxJSONBody = 1 << 20

// render writes a templ component: into a buffer first, so a rendering
// failure becomes a clean 500 instead of half a page.
func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		loggerFrom(r.Context()).Error("render page", "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// page renders the full page, or only fragment when htmx asks (HX-Request),
// so one handler serves both a first load and a partial update.
func page(w http.ResponseWriter, r *http.Request, status int, full, fragment templ.Component) {
	w.Header().Add("Vary", "HX-Request")
	if isHTMX(r) && fragment != nil {
		render(w, r, status, fragment)
		return
	}
	render(w, r, status, full)
}

// isHTMX is a partial update; a history restore (back button) needs the full page.
func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// pollVersion is a digest of what a polled fragment shows. The page sends
// it back with its next poll (?seen=), and pollUnchanged answers 204 No
// Content when it still holds, which htmx leaves alone: a redraw loses a
// click whose press and release span it, and the keyboard focus inside.
func pollVersion(shown ...any) string {
	h := sha256.New()
	for _, s := range shown {
		fmt.Fprintf(h, "%+v\x00", s)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// pollUnchanged answers a poll whose page shows version already, and
// reports whether it did.
func pollUnchanged(w http.ResponseWriter, r *http.Request, version string) bool {
	if !isHTMX(r) || r.URL.Query().Get("seen") != version {
		return false
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// writeJSON encodes v with headers set before the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"internal","message":"Internal error."}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// decodeJSON reads a JSON body of at most limit bytes into v, rejecting
// unknown fields and trailing data with a message that names the problem.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return refuse(EUnsupported, "unsupported_media_type", "Send the request body as application/json.")
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err)
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return store.Errorf(store.EBadRequest, "The request body holds more than one JSON value.")
	}
	return nil
}

// EUnsupported is a 415; it only arises here, at the HTTP edge.
const EUnsupported store.Code = "unsupported_media_type"

func jsonError(err error) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return store.Errorf(store.ETooLarge, "The request body is larger than the limit of %d bytes.", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return store.Errorf(store.EBadRequest, "The request body is empty; send a JSON object.")
	case errors.As(err, &syntaxErr):
		return store.Errorf(store.EBadRequest, "The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return store.Errorf(store.EBadRequest, "The field %q must be of type %s.", typeErr.Field, typeErr.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return store.Errorf(store.EBadRequest, "The request body has an unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return store.Errorf(store.EBadRequest, "The request body could not be read: %v.", err)
	}
}

// flashAndRedirect ends a form post: a message for the next page, then
// POST-redirect-GET (HX-Redirect for htmx, which follows it with a full load).
func flashAndRedirect(w http.ResponseWriter, r *http.Request, sessions SessionManager, kind, msg, to string) {
	if err := sessions.Flash(w, r, layout.Flash{Kind: kind, Message: msg}); err != nil {
		Fail(w, r, err)
		return
	}
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// maxFormBody bounds ordinary (non-upload) form posts.
const maxFormBody = 64 << 10

// readForm parses a posted form of at most limit bytes; when it cannot, it
// answers (413 beyond the limit, 400 otherwise) and reports false.
func readForm(w http.ResponseWriter, r *http.Request, limit int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	err := r.ParseForm()
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		Fail(w, r, store.Errorf(store.ETooLarge, "The form is larger than the limit of %d bytes.", e.Limit))
		return false
	}
	if err != nil {
		Fail(w, r, store.Errorf(store.EBadRequest, "The form could not be read."))
		return false
	}
	if err := checkValues(r.PostForm); err != nil {
		Fail(w, r, err)
		return false
	}
	return true
}
