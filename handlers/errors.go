package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

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
	case EMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case store.EUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// IsAPI tells the JSON side of the server from the pages.
func IsAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oauth/")
}

// retryAfterOutage is how soon a client refused during a database outage
// should try again, in seconds: outages worth riding out are short.
const retryAfterOutage = "5"

// Fail answers err as JSON on the API and as a page elsewhere. Internal
// errors are logged here, once, and shown only as "Internal error."
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	switch status {
	case http.StatusInternalServerError:
		loggerFrom(r.Context()).Error("request failed", "err", err)
	case http.StatusServiceUnavailable:
		// Expected while the database is away, and logged for every request
		// refused meanwhile; the cause is in the log, not in the answer.
		loggerFrom(r.Context()).Warn("request refused: database unreachable", "err", err)
		w.Header().Set("Retry-After", retryAfterOutage)
		err = store.ErrUnavailable
	}
	if IsAPI(r) {
		writeJSON(w, status, errorBody(r, err))
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

// errorBody is the JSON error shape of every API answer. The token
// endpoint's answers also carry RFC 6749's error_description.
func errorBody(r *http.Request, err error) map[string]any {
	body := apiError(err)
	if strings.HasPrefix(r.URL.Path, "/oauth/") {
		body["error_description"] = body["message"]
	}
	return body
}

func apiError(err error) map[string]any {
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
		for k, v := range e.Fields {
			body[k] = v
		}
	}
	return body
}

// lockBanner turns a refusal into the "Blocked by another process" banner.
func lockBanner(e *store.ErrLocked) *layout.LockBanner {
	return &layout.LockBanner{LockName: e.Lock.Name, Holder: e.Lock.Holder, Purpose: e.Lock.Purpose,
		AcquiredAt: e.Lock.AcquiredAt, ExpiresAt: e.Lock.ExpiresAt, ExpiresInSeconds: e.ExpiresInSeconds(),
		PollURL: lockPollURL(e.Lock.Name)}
}

// EMethodNotAllowed is a 405; it only arises here, at the HTTP edge.
const EMethodNotAllowed store.Code = "method_not_allowed"

// Router finds the route of a request; *http.ServeMux is one.
type Router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// routedMethods are the methods routes are registered for.
var routedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// NotFound answers the requests no route takes (it is routes' catch-all,
// "/"): 405 with Allow when routes serve the path with other methods, 404
// when nothing lives there.
func NotFound(routes Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allowed := allowedMethods(routes, r)
		if len(allowed) == 0 {
			Fail(w, r, store.Errorf(store.ENotFound, "There is nothing at %s.", r.URL.Path))
			return
		}
		allow := strings.Join(allowed, ", ")
		w.Header().Set("Allow", allow)
		Fail(w, r, &store.Error{Code: EMethodNotAllowed, Kind: "method_not_allowed",
			Message: fmt.Sprintf("%s does not take %s requests; it takes %s.", r.URL.Path, r.Method, allow)})
	})
}

// allowedMethods asks routes which methods have a route for r's path other
// than the catch-all. Only unmatched requests pay for it.
func allowedMethods(routes Router, r *http.Request) []string {
	var allowed []string
	probe := r.Clone(r.Context())
	for _, m := range routedMethods {
		probe.Method = m
		if _, pattern := routes.Handler(probe); pattern != "" && pattern != "/" {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead) // GET routes answer HEAD too
			}
		}
	}
	return allowed
}
