package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/errorpage"
	"github.com/seatplan/seatplan/views/layout"
)

// statusOf is the one place where error codes become HTTP statuses.
func statusOf(err error) int {
	switch store.ErrorCode(err) {
	case store.EBadRequest:
		return http.StatusBadRequest
	case store.EUnauthorized:
		return http.StatusUnauthorized
	case store.EForbidden:
		return http.StatusForbidden
	case store.ENotFound:
		return http.StatusNotFound
	case store.EConflict:
		return http.StatusConflict
	case store.EPrecondition:
		return http.StatusPreconditionFailed
	case store.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case EUnsupported:
		return http.StatusUnsupportedMediaType
	case store.EInvalid:
		return http.StatusUnprocessableEntity
	case store.ERateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// IsAPI tells the JSON side of the server from the pages.
func IsAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oauth/")
}

// Fail answers err as JSON on the API and as a page elsewhere. Internal
// errors are logged here, once, and shown only as "Internal error."
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		loggerFrom(r.Context()).Error("request failed", "err", err)
	}
	if IsAPI(r) {
		writeJSON(w, status, errorBody(err))
		return
	}
	locked, isLocked := errors.AsType[*store.ErrLocked](err)
	if isLocked && isHTMX(r) {
		// A refused htmx submit: show the banner out of band, leave the form as it is.
		w.Header().Set("HX-Reswap", "none")
		render(w, r, status, layout.BlockedBanner(*lockBanner(locked)))
		return
	}
	v := errorpage.View{Status: status, Message: userMessage(err)}
	v.Base = basePage(r, http.StatusText(status))
	if isLocked {
		v.Base.Blocked = lockBanner(locked)
	}
	render(w, r, status, errorpage.ErrorPage(v))
}

// userMessage is what a person may see: store errors speak for themselves;
// anything else is internal.
func userMessage(err error) string {
	if store.ErrorCode(err) == "" {
		return "Internal error."
	}
	return err.Error()
}

// errorBody is the JSON error shape of every API answer (SPEC §3).
func errorBody(err error) map[string]any {
	body := map[string]any{"error": "internal", "message": "Internal error."}
	if locked, ok := errors.AsType[*store.ErrLocked](err); ok {
		l := locked.Lock
		body["error"] = "blocked_by_another_process"
		body["message"] = locked.Error()
		body["lock"] = map[string]any{"name": l.Name, "holder": l.Holder, "purpose": l.Purpose,
			"acquired_at": l.AcquiredAt, "expires_at": l.ExpiresAt, "expires_in_seconds": locked.ExpiresInSeconds()}
		return body
	}
	if e, ok := errors.AsType[*store.Error](err); ok {
		body["error"] = string(e.Code)
		if e.Kind != "" {
			body["error"] = e.Kind
		}
		body["message"] = e.Message
		if e.Kind == "invalid_client" {
			body["error_description"] = e.Message // RFC 6749 §5.2
		}
		for k, v := range e.Fields {
			body[k] = v
		}
	}
	return body
}

// lockBanner turns a refusal into the "Blocked by another process" banner.
func lockBanner(e *store.ErrLocked) *layout.LockBanner {
	return &layout.LockBanner{LockName: e.Lock.Name, Holder: e.Lock.Holder, Purpose: e.Lock.Purpose,
		AcquiredAt: e.Lock.AcquiredAt, ExpiresAt: e.Lock.ExpiresAt, ExpiresInSeconds: e.ExpiresInSeconds()}
}

// heldBanner is the banner of a page whose lock is held as of now. The
// viewer's own lock (a job they started) shows as their work in progress.
func heldBanner(r *http.Request, held store.Lock, now time.Time) *layout.LockBanner {
	b := lockBanner(&store.ErrLocked{Lock: held, Now: now})
	viewer, ok := ActorFrom(r.Context())
	b.Yours = ok && viewer.Kind == held.HolderKind && viewer.ID == held.HolderID
	return b
}

// NotFound answers every unmatched route.
func NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Fail(w, r, store.Errorf(store.ENotFound, "There is nothing at %s.", r.URL.Path))
	})
}
