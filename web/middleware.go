package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
)

// middleware wraps a handler; chain applies them outermost first.
type middleware = func(http.Handler) http.Handler

func chain(h http.Handler, mws ...middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// recoverPanics turns a panic into a logged 500 instead of a dropped connection.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				w.Header().Set("Connection", "close")
				handlers.Fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// compress gzips (or zstd-encodes) answers for clients that accept it:
// pages, JSON, CSV exports and static assets. Bodies under gzhttp's minimum
// size (1 KiB) are sent as they are, so the license refresh's 304 and its
// small signed document cost only the wrapper, not a compressor.
func compress(next http.Handler) http.Handler {
	gz := gzhttp.GzipHandler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gz.ServeHTTP(&oneVary{ResponseWriter: w}, r)
	})
}

// oneVary joins the Vary lines that gzhttp (Accept-Encoding) and the page
// handlers (HX-Request) each add into one, for clients that read only the
// first.
type oneVary struct {
	http.ResponseWriter
	wrote bool
}

func (v *oneVary) WriteHeader(code int) {
	if !v.wrote {
		v.wrote = true
		if h := v.Header(); len(h["Vary"]) > 1 {
			h["Vary"] = []string{strings.Join(h["Vary"], ", ")}
		}
	}
	v.ResponseWriter.WriteHeader(code)
}

func (v *oneVary) Write(b []byte) (int, error) {
	if !v.wrote {
		v.WriteHeader(http.StatusOK)
	}
	return v.ResponseWriter.Write(b)
}

// Flush passes gzhttp's flushes on (streamed CSV exports).
func (v *oneVary) Flush() { http.NewResponseController(v.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the real writer.
func (v *oneVary) Unwrap() http.ResponseWriter { return v.ResponseWriter }

// securityHeaders applies the same protections to every answer, and tells
// browsers to use HTTPS only when hstsMaxAge is positive.
func securityHeaders(hstsMaxAge time.Duration) middleware {
	headers := protections
	if hstsMaxAge > 0 {
		headers = protections.Clone()
		headers.Set("Strict-Transport-Security", fmt.Sprintf("max-age=%d; includeSubDomains", int64(hstsMaxAge/time.Second)))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for name, value := range headers {
				h[name] = value // shared, never modified: no allocation per request
			}
			next.ServeHTTP(w, r)
		})
	}
}

var protections = http.Header{
	"Content-Security-Policy": {"default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"},
	"X-Content-Type-Options":  {"nosniff"},
	"X-Frame-Options":         {"DENY"},
	"Referrer-Policy":         {"same-origin"},
}

// crossOriginProtection refuses unsafe cross-site browser requests (CSRF).
// Non-browser API clients send no Sec-Fetch-Site or Origin and pass.
// Refusals use the one error writer: JSON on the API, a page elsewhere.
func crossOriginProtection(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Fail(w, r, errCrossOrigin)
	}))
	return p.Handler(next)
}

var errCrossOrigin = &store.Error{Code: store.EForbidden, Reason: store.ReasonCrossOrigin,
	Message: "This request came from another site and would change data, so it was refused. Use Seatplan's own pages, or call the API without browser cookies."}

// checkText refuses, with a 400 naming the field, a path value or query
// value that holds NUL or invalid UTF-8, before any handler or statement
// sees it.
func checkText(mux *http.ServeMux) middleware {
	patternOf := func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := handlers.CheckRequestText(r, patternOf); err != nil {
				handlers.Fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type sessionResolver interface {
	PersonBySession(ctx context.Context, token string) (store.Person, error)
}

// loadSession identifies the signed-in person, if any, and pops flashes for
// full page loads. It never refuses a request: requirePerson does that.
func loadSession(st sessionResolver, sess *Sessions) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if token := sess.Token(r); token != "" {
				p, err := st.PersonBySession(ctx, token)
				switch {
				case err == nil:
					ctx = handlers.WithPerson(ctx, p)
				case store.ErrorCode(err) == store.EUnauthorized:
					sess.End(w, r) // revoked or expired: forget the cookie
				default:
					handlers.Fail(w, r, err)
					return
				}
			}
			if isFullPageLoad(r) {
				ctx = handlers.WithFlashes(ctx, sess.popFlashes(w, r))
			}
			if ctx != r.Context() {
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// isFullPageLoad is a browser navigation that will render a whole page, the
// only kind of request that should consume flashes.
func isFullPageLoad(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" &&
		strings.Contains(r.Header.Get("Accept"), "text/html") && !handlers.IsAPI(r)
}

// requirePerson admits signed-in people with one of roles (any role when
// empty); others are sent to sign in, or told they may not.
func requirePerson(roles ...store.Role) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok := handlers.ActorFrom(r.Context())
			if !ok || a.Kind != store.ActorPerson {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				handlers.Fail(w, r, store.ErrUnauthorized)
				return
			}
			if len(roles) > 0 && !a.Is(roles...) {
				handlers.Fail(w, r, store.ErrForbidden)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			next.ServeHTTP(w, r)
		})
	}
}

type tokenResolver interface {
	ClientByToken(ctx context.Context, token string) (store.Actor, error)
}

// requireClient admits API clients holding a valid bearer token and one of roles.
func requireClient(st tokenResolver, roles ...store.Role) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := handlers.BearerToken(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan"`)
				handlers.Fail(w, r, &store.Error{Code: store.EUnauthorized, Reason: store.ReasonInvalidToken,
					Message: "Send an OAuth 2.0 access token: Authorization: Bearer <token> (get one from POST /oauth/token)."})
				return
			}
			a, err := st.ClientByToken(r.Context(), token)
			if err != nil {
				if store.ErrorCode(err) == store.EUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="seatplan", error="invalid_token"`)
				}
				handlers.Fail(w, r, err)
				return
			}
			if len(roles) > 0 && !a.Is(roles...) {
				handlers.Fail(w, r, store.ErrForbidden)
				return
			}
			next.ServeHTTP(w, r.WithContext(handlers.WithActor(r.Context(), a)))
		})
	}
}
