package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/auth"
	"github.com/seatplan/seatplan/views/layout"
)

// SessionManager keeps the browser's session cookie (implemented in web).
type SessionManager interface {
	// Begin stores a new session token in the cookie.
	Begin(w http.ResponseWriter, r *http.Request, token string) error
	// Token returns the session token from the cookie, if any.
	Token(r *http.Request) string
	// End clears the cookie.
	End(w http.ResponseWriter, r *http.Request) error
	// Flash queues a message for the next page the browser loads.
	Flash(w http.ResponseWriter, r *http.Request, f layout.Flash) error
}

// SessionTTL is how long a browser session lasts.
const SessionTTL = 12 * time.Hour

// LoginPage shows the sign-in form.
func LoginPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := auth.LoginView{Base: basePage(r, "Sign in"), Next: safeNext(r.URL.Query().Get("next"))}
		render(w, r, http.StatusOK, auth.LoginPage(v))
	})
}

type authenticator interface {
	Authenticate(ctx context.Context, email, password, remoteIP string) (store.Person, error)
	CreateSession(ctx context.Context, personID string, ttl time.Duration) (string, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// ClientAddress tells the address of the client behind a request (the
// server resolves it through its trusted proxies).
type ClientAddress func(r *http.Request) string

// Login checks the credentials and starts a session.
func Login(st authenticator, sessions SessionManager, clientAddr ClientAddress) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		email, next := r.PostFormValue("email"), safeNext(r.PostFormValue("next"))
		addr := clientAddr(r)
		p, err := st.Authenticate(r.Context(), email, r.PostFormValue("password"), addr)
		if err != nil {
			code := store.ErrorCode(err)
			if code != store.EUnauthorized && code != store.ERateLimited && code != store.EBadRequest {
				Fail(w, r, err)
				return
			}
			setRetryAfter(w, err)
			v := auth.LoginView{Base: basePage(r, "Sign in"), Email: email, Next: next, Error: err.Error(), RateLimited: code == store.ERateLimited}
			render(w, r, statusOf(err), auth.LoginPage(v))
			return
		}
		token, err := st.CreateSession(r.Context(), p.ID, SessionTTL)
		if err == nil {
			err = sessions.Begin(w, r, token)
		}
		if err == nil {
			err = st.Audit(r.Context(), store.AuditEntry{Actor: p.Actor(), Action: "person.sign_in", SubjectType: "person", SubjectID: p.ID,
				Summary: "Signed in from " + addr})
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

type sessionEnder interface {
	EndSession(ctx context.Context, token string) error
}

// Logout ends the session on the server, not only in the browser.
func Logout(st sessionEnder, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token := sessions.Token(r); token != "" {
			if err := st.EndSession(r.Context(), token); err != nil {
				Fail(w, r, err)
				return
			}
		}
		if err := sessions.End(w, r); err != nil {
			Fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
}

// safeNext keeps post-login redirects on this site. Browsers drop tabs and
// newlines from URLs and read a backslash as a slash, so "/\t/evil" would be
// "//evil": any control character or backslash sends the person home instead.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return next
}
