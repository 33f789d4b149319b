package handlers

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
)

type tokenIssuer interface {
	IssueToken(ctx context.Context, clientID, secret string, ttl time.Duration) (store.AccessToken, error)
}

// tokenParameters are the token request's parameters that RFC 6749 §3.2
// says must not be repeated; unknown ones are ignored.
var tokenParameters = []string{"grant_type", "client_id", "client_secret", "scope"}

// Token is the OAuth 2.0 token endpoint for the client credentials grant
// (RFC 6749 §4.4), with client authentication by HTTP Basic or form fields.
// Its errors are those of RFC 6749 §5.2, each with an error_description.
func Token(st tokenIssuer, ttl time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		id, secret, err := tokenRequest(w, r)
		if err != nil {
			if store.ErrorCode(err) == store.EUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="seatplan"`)
			}
			Fail(w, r, err)
			return
		}
		tok, err := st.IssueToken(r.Context(), id, secret, ttl)
		if err != nil {
			if store.ErrorCode(err) == store.EUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="seatplan"`)
			}
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, TokenBody{AccessToken: tok.Token, TokenType: "Bearer", ExpiresIn: int(tok.ExpiresIn.Seconds())})
	})
}

func invalidTokenRequest(format string, args ...any) error {
	return refuse(store.EBadRequest, "invalid_request", format, args...)
}

// tokenRequest checks a token request and returns the client credentials
// it authenticates with, or the RFC 6749 §5.2 error it earns.
func tokenRequest(w http.ResponseWriter, r *http.Request) (id, secret string, err error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return "", "", invalidTokenRequest("Send the token request as an application/x-www-form-urlencoded form.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return "", "", invalidTokenRequest("The token request's form could not be read.")
	}
	form := r.PostForm
	for _, name := range tokenParameters {
		if len(form[name]) > 1 {
			return "", "", invalidTokenRequest("The parameter %s appears more than once; send it once.", name)
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return "", "", invalidTokenRequest("The grant_type parameter is missing; send grant_type=client_credentials.")
	default:
		return "", "", refuse(store.EBadRequest, "unsupported_grant_type", "The grant type %q is not supported; only grant_type=client_credentials is.", gt)
	}
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	id, secret, basic := basicClientAuth(r)
	switch {
	case basic && (formSecret != "" || (formID != "" && formID != id)):
		return "", "", invalidTokenRequest("Authenticate the client one way: HTTP Basic or the client_id and client_secret fields, not both.")
	case basic:
		return id, secret, nil
	case formID == "":
		return "", "", &store.Error{Code: store.EUnauthorized, Reason: store.ReasonInvalidClient,
			Message: "The request does not authenticate a client: send its id and secret with HTTP Basic or as client_id and client_secret."}
	}
	return formID, formSecret, nil
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

// BearerToken returns the credentials of an "Authorization: Bearer …"
// header. The scheme is case-insensitive (RFC 9110 §11.1), so "bearer" is
// as good as "Bearer".
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.Trim(token, " \t")
	return token, token != ""
}

// MeAPI tells an API client who it is authenticated as.
func MeAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := mustActor(r)
		writeJSON(w, http.StatusOK, Me{Kind: a.Kind, ID: a.ID, Name: a.Name, Role: a.Role})
	})
}
