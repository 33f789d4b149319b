package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/seatplan/seatplan/store"
)

type tokenIssuer interface {
	IssueToken(ctx context.Context, clientID, secret string, ttl time.Duration) (store.AccessToken, error)
}

// Token is the OAuth 2.0 token endpoint for the client credentials grant
// (RFC 6749 §4.4), with client authentication by HTTP Basic or form fields.
func Token(st tokenIssuer, ttl time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			Fail(w, r, &store.Error{Code: store.EBadRequest, Kind: "invalid_request", Message: "The token request must be an application/x-www-form-urlencoded form."})
			return
		}
		if gt := r.PostFormValue("grant_type"); gt != "client_credentials" {
			Fail(w, r, &store.Error{Code: store.EBadRequest, Kind: "unsupported_grant_type", Message: "Only grant_type=client_credentials is supported."})
			return
		}
		id, secret, ok := basicClientAuth(r)
		if !ok {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		tok, err := st.IssueToken(r.Context(), id, secret, ttl)
		if err != nil {
			if store.ErrorCode(err) == store.EUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="seatplan"`)
			}
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": tok.Token, "token_type": "Bearer", "expires_in": int(tok.ExpiresIn.Seconds()),
		})
	})
}

// basicClientAuth reads HTTP Basic credentials, which RFC 6749 §2.3.1 says
// are form-urlencoded before being put in the header.
func basicClientAuth(r *http.Request) (id, secret string, ok bool) {
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil {
		return rawID, rawSecret, true
	}
	return id, secret, true
}

// Me tells an API client who it is authenticated as.
func Me() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := mustActor(r)
		writeJSON(w, http.StatusOK, map[string]any{"kind": a.Kind, "id": a.ID, "name": a.Name, "role": a.Role})
	})
}
