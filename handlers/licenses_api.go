package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/seatplan/seatplan/handlers/etag"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/paths"
)

// maxActivationBody bounds POST /api/v1/activations: two short strings.
const maxActivationBody = 4 << 10

type activator interface {
	Activate(ctx context.Context, licenseKey, instanceID, secret string) (store.Activation, error)
}

// Activate answers POST /api/v1/activations {"license_key","instance_id"}
// with 201 and the activation's secret and signed license. An instance
// renewing its activation sends its current secret as the bearer token.
func Activate(st activator, licenses *LicenseCache) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in ActivationRequest
		if err := decodeJSON(w, r, maxActivationBody, &in); err != nil {
			Fail(w, r, err)
			return
		}
		secret, _ := BearerToken(r)
		mark := licenses.beforeRead()
		act, err := st.Activate(r.Context(), in.LicenseKey, in.InstanceID, secret)
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
		w.Header().Set("Location", paths.APIActivationLicense(act.ID))
		w.Header().Set("ETag", e.etag)
		w.Header().Set("Cache-Control", "no-store") // it carries the secret
		writeJSON(w, http.StatusCreated, Activated{ActivationID: act.ID, Secret: act.Secret, Renewed: act.Renewed,
			License: doc.claims, JWS: doc.jws})
	})
}

// ActivationLicense answers GET /api/v1/activations/{id}/license, the daily
// refresh. The activation secret is the bearer token. When If-None-Match
// names the current version the answer is 304 with no body, and when the
// cache already knows the activation it is made without the database and
// without signing.
func ActivationLicense(licenses *LicenseCache) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) {
			outcome := RefreshRefused
			if statusOf(err) >= http.StatusInternalServerError {
				outcome = RefreshFailed
			}
			licenses.obs.Refreshed(outcome)
			Fail(w, r, err)
		}
		secret, ok := BearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan-activation"`)
			fail(store.ErrActivationSecret)
			return
		}
		id := r.PathValue("id")
		e, err := licenses.entry(r.Context(), id)
		if err != nil {
			fail(err)
			return
		}
		if !e.lic.SecretMatches(secret) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan-activation", error="invalid_token"`)
			fail(store.ErrActivationSecret)
			return
		}
		licenses.sawRefresh(id)
		h := w.Header()
		h.Set("ETag", e.etag)
		// The instance must revalidate each time; only it may keep a copy.
		h.Set("Cache-Control", "private, no-cache")
		if inm, ok := etag.Field(r.Header, "If-None-Match"); ok && etag.MatchWeak(inm, e.etag) {
			licenses.obs.Refreshed(RefreshNotModified)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		doc, err := licenses.document(e.lic)
		if err != nil {
			fail(err)
			return
		}
		licenses.obs.Refreshed(RefreshOK)
		writeJSON(w, http.StatusOK, SignedLicense{License: doc.claims, JWS: doc.jws})
	})
}

// LicenseSigningKey answers GET /api/v1/license-signing-key with the JWKS
// that verifies license documents, current key first, as a JWK Set (RFC
// 7517 §8.5) with an ETag. It changes only on a restart with other keys, so
// clients may cache it briefly and revalidate with If-None-Match.
func LicenseSigningKey(signer LicenseSigner) http.Handler {
	encoded := sync.OnceValues(func() (publicDocument, error) {
		body, err := json.Marshal(signer.JWKS())
		if err != nil {
			return publicDocument{}, err
		}
		return newPublicDocument(body, "application/jwk-set+json"), nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set, err := encoded()
		if err != nil {
			Fail(w, r, err)
			return
		}
		set.serve(w, r)
	})
}
