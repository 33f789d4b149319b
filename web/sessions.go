package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/sessions"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/views/layout"
)

const (
	cookieName = "seatplan_session"
	tokenKey   = "token"
)

// Sessions keeps a signed, encrypted cookie that holds only the session token
// (the session itself lives in PostgreSQL, so it can be revoked) and flashes.
type Sessions struct {
	store *sessions.CookieStore
}

// NewSessions returns cookie sessions keyed by hashKey (64 bytes, signing)
// and blockKey (32 bytes, encryption). secure marks the cookie HTTPS-only.
func NewSessions(hashKey, blockKey []byte, secure bool) *Sessions {
	cs := sessions.NewCookieStore(hashKey, blockKey)
	cs.Options = &sessions.Options{
		Path: "/", MaxAge: int(handlers.SessionTTL.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
	return &Sessions{store: cs}
}

func (s *Sessions) session(r *http.Request) *sessions.Session {
	// A cookie that fails to decode (old keys, tampering) yields a fresh session.
	sess, _ := s.store.Get(r, cookieName)
	return sess
}

// Begin stores a new session token, replacing any previous one.
func (s *Sessions) Begin(w http.ResponseWriter, r *http.Request, token string) error {
	sess := s.session(r)
	sess.Values[tokenKey] = token
	return sess.Save(r, w)
}

// Token returns the session token, or "".
func (s *Sessions) Token(r *http.Request) string {
	if _, err := r.Cookie(cookieName); err != nil {
		return "" // API clients send no cookie: skip decoding a session at all
	}
	token, _ := s.session(r).Values[tokenKey].(string)
	return token
}

// End deletes the cookie.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) error {
	sess := s.session(r)
	sess.Options.MaxAge = -1
	clear(sess.Values)
	return sess.Save(r, w)
}

// The cookie holds at most 4 KiB once encrypted and encoded, and flash
// messages may quote what people typed (a plan's name, a block id from the
// URL): each is cut to maxFlashBytes and only the newest maxFlashes are
// kept, so the cookie always fits.
const (
	maxFlashBytes = 400
	maxFlashes    = 3
	flashesKey    = "_flash" // where gorilla/sessions keeps them
)

// Flash queues a message for the next full page.
func (s *Sessions) Flash(w http.ResponseWriter, r *http.Request, f layout.Flash) error {
	sess := s.session(r)
	if queued, _ := sess.Values[flashesKey].([]any); len(queued) >= maxFlashes {
		sess.Values[flashesKey] = queued[len(queued)-maxFlashes+1:]
	}
	sess.AddFlash(f.Kind + "\n" + truncateUTF8(f.Message, maxFlashBytes)) // a plain string needs no gob registration
	return sess.Save(r, w)
}

// truncateUTF8 cuts s to at most max bytes on a character boundary, marking
// the cut with an ellipsis.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// popFlashes takes the queued messages out of the session.
func (s *Sessions) popFlashes(w http.ResponseWriter, r *http.Request) []layout.Flash {
	sess := s.session(r)
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	if err := sess.Save(r, w); err != nil {
		return nil
	}
	fs := make([]layout.Flash, 0, len(raw))
	for _, f := range raw {
		if s, ok := f.(string); ok {
			kind, msg, _ := strings.Cut(s, "\n")
			fs = append(fs, layout.Flash{Kind: kind, Message: msg})
		}
	}
	return fs
}
