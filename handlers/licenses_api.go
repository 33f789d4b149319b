package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
)

// maxActivationBody bounds POST /api/v1/activations: two short strings.
const maxActivationBody = 4 << 10

type activator interface {
	Activate(ctx context.Context, licenseKey, instanceID string) (store.Activation, error)
}

// Activate answers POST /api/v1/activations {"license_key","instance_id"}
// with 201 and the activation's secret and signed license.
func Activate(st activator, licenses *LicenseCache) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			LicenseKey string `json:"license_key"`
			InstanceID string `json:"instance_id"`
		}
		if err := decodeJSON(w, r, maxActivationBody, &in); err != nil {
			Fail(w, r, err)
			return
		}
		mark := licenses.beforeRead()
		act, err := st.Activate(r.Context(), in.LicenseKey, in.InstanceID)
		if err != nil {
			Fail(w, r, err)
			return
		}
		e := licenses.remember(mark, act.License)
		doc, err := licenses.document(act.License)
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/activations/"+url.PathEscape(act.ID)+"/license")
		w.Header().Set("ETag", e.etag)
		w.Header().Set("Cache-Control", "no-store") // it carries the secret
		writeJSON(w, http.StatusCreated, map[string]any{
			"activation_id": act.ID, "secret": act.Secret, "renewed": act.Renewed,
			"license": doc.claims, "jws": doc.jws,
		})
	})
}

// ActivationLicense answers GET /api/v1/activations/{id}/license, the daily
// refresh. The activation secret is the bearer token. When If-None-Match
// names the current version the answer is 304 with no body, and when the
// cache already knows the activation it is made without the database and
// without signing.
func ActivationLicense(licenses *LicenseCache) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan-activation"`)
			Fail(w, r, store.ErrActivationSecret)
			return
		}
		id := r.PathValue("id")
		e, err := licenses.entry(r.Context(), id)
		if err != nil {
			Fail(w, r, err)
			return
		}
		if !e.lic.SecretMatches(secret) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan-activation", error="invalid_token"`)
			Fail(w, r, store.ErrActivationSecret)
			return
		}
		licenses.sawRefresh(id)
		h := w.Header()
		h.Set("ETag", e.etag)
		// The instance must revalidate each time; only it may keep a copy.
		h.Set("Cache-Control", "private, no-cache")
		if inm := r.Header.Get("If-None-Match"); inm != "" && licensing.MatchesETag(inm, e.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		doc, err := licenses.document(e.lic)
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"license": doc.claims, "jws": doc.jws})
	})
}

// LicenseSigningKey answers GET /api/v1/license-signing-key with the JWKS
// that verifies license documents, current key first. It changes only on a
// restart with other keys, so clients may cache it briefly.
func LicenseSigningKey(signer LicenseSigner) http.Handler {
	encoded := sync.OnceValues(func() ([]byte, error) { return json.Marshal(signer.JWKS()) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := encoded()
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	})
}
