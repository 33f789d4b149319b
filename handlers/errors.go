package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/errorpage"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
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
	setRetryAfter(w, err)
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
	v := errorpage.ErrorView{Status: status, Message: userMessage(err), Reference: RequestID(r.Context())}
	v.Base = basePage(r, http.StatusText(status))
	if isLocked {
		v.Base.Blocked = lockBanner(locked)
	}
	render(w, r, status, errorpage.ErrorPage(v))
}

// setRetryAfter tells a refused client when to come back, when the error
// says so.
func setRetryAfter(w http.ResponseWriter, err error) {
	if e, ok := errors.AsType[*store.Error](err); ok && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
}

// userMessage is what a person may see: store errors speak for themselves;
// anything else is internal.
func userMessage(err error) string {
	if store.ErrorCode(err) == "" {
		return "Internal error."
	}
	return err.Error()
}

// errorBody is the answer of a refused API request. The token endpoint's
// answers also carry RFC 6749's error_description. The request id lets a
// client quote the answer and support find its log lines.
func errorBody(r *http.Request, err error) ErrorBody {
	body := apiError(err)
	if strings.HasPrefix(r.URL.Path, "/oauth/") {
		body.ErrorDescription = body.Message
	}
	if id := RequestID(r.Context()); id != "" {
		body.RequestID = id
	}
	return body
}

func apiError(err error) ErrorBody {
	if locked, ok := errors.AsType[*store.ErrLocked](err); ok {
		l := locked.Lock
		return ErrorBody{Error: "blocked_by_another_process", Message: locked.Error(), Lock: &LockBody{
			Name: l.Name, Holder: l.Holder, Purpose: l.Purpose, AcquiredAt: l.AcquiredAt, ExpiresAt: l.ExpiresAt,
			ExpiresInSeconds: locked.ExpiresInSeconds()}}
	}
	e, ok := errors.AsType[*store.Error](err)
	if !ok {
		return ErrorBody{Error: "internal", Message: "Internal error."}
	}
	body := ErrorBody{Error: string(e.Code), Message: e.Message}
	if name := reasonNames[e.Reason]; name != "" {
		body.Error = name
	}
	describe(&body, e.Detail)
	return body
}

// reasonNames are the "error" members that refine a status, by reason.
var reasonNames = map[store.Reason]string{
	store.ReasonEmptyList:                "empty_list",
	store.ReasonInvalidEmails:            "invalid_emails",
	store.ReasonNotEnoughSeats:           "not_enough_seats",
	store.ReasonInvalidPlan:              "invalid_plan",
	store.ReasonLastAdmin:                "last_admin",
	store.ReasonSeatsInUse:               "seats_in_use",
	store.ReasonInvalidActivation:        "invalid_activation",
	store.ReasonUnknownLicenseKey:        "unknown_license_key",
	store.ReasonLicenseRevoked:           "license_revoked",
	store.ReasonLicenseExpired:           "license_expired",
	store.ReasonUnknownActivation:        "unknown_activation",
	store.ReasonWrongActivationSecret:    "invalid_activation_secret",
	store.ReasonInvalidClient:            "invalid_client",
	store.ReasonInvalidToken:             "invalid_token",
	store.ReasonLeaseLost:                "lease_lost",
	store.ReasonLeaseSuperseded:          "lease_superseded",
	store.ReasonRetryTooLate:             "retry_too_late",
	store.ReasonUnknownBlockType:         "unknown_block_type",
	store.ReasonInvalidPlacement:         "invalid_placement",
	store.ReasonInvalidFields:            "invalid_fields",
	store.ReasonVersionMismatch:          "version_mismatch",
	store.ReasonNotAPermutation:          "not_a_permutation",
	store.ReasonVersionOfOtherCourse:     "version_of_other_course",
	store.ReasonVersionOfOtherBlock:      "version_of_other_block",
	store.ReasonParentDeleted:            "parent_deleted",
	store.ReasonBeforeCourseExisted:      "before_course_existed",
	store.ReasonLaterChanges:             "conflict",
	store.ReasonNothingToUndo:            "nothing_to_undo",
	store.ReasonPreviewNotFound:          "preview_not_found",
	store.ReasonPreviewExpired:           "preview_expired",
	store.ReasonActivationLimit:          "activation_limit",
	store.ReasonInstanceAlreadyActivated: "instance_already_activated",
	store.ReasonTooManyAttempts:          "too_many_attempts",
	store.ReasonBusy:                     "busy",
	store.ReasonInvalidText:              "invalid_text",
	store.ReasonCrossOrigin:              "cross_origin",
	store.ReasonJobFinished:              "job_finished",
	store.ReasonJobCancelled:             "job_cancelled",
}

// edgeError is the "error" member of a refusal that only the HTTP edge
// makes (by the rules of OAuth, of media types, of methods, of the list
// reader), carried as the Detail of a store.Error.
type edgeError string

// badParameter is the query parameter a request got wrong.
type badParameter string

// refuse is a refusal made at the HTTP edge.
func refuse(code store.Code, name edgeError, format string, args ...any) error {
	return &store.Error{Code: code, Message: fmt.Sprintf(format, args...), Detail: name}
}

// describe fills in the members that tell a client how to put things right.
func describe(body *ErrorBody, detail any) {
	switch d := detail.(type) {
	case edgeError:
		body.Error = string(d)
	case []emaillist.Problem:
		body.Problems = make([]EmailProblem, len(d))
		for i, p := range d {
			body.Problems[i] = EmailProblem{Line: p.Line, Value: p.Value, Reason: p.Reason}
		}
	case store.SeatShortage:
		body.Needed, body.Available = &d.Needed, &d.Available
	case store.FieldProblems:
		body.Fields = d
	case store.SeatsInUse:
		n := int(d)
		body.InUse = &n
	case store.PlacementRule:
		body.Rule = string(d)
	case store.CurrentVersion:
		body.CurrentVersionID = string(d)
	case store.CurrentChildren:
		body.CurrentChildren = nonNil([]string(d))
	case store.CourseCreated:
		at := time.Time(d)
		body.CreatedAt = &at
	case store.LaterChanges:
		body.Conflicts = make([]ConflictBody, len(d.Conflicts))
		for i, c := range d.Conflicts {
			body.Conflicts[i] = ConflictBody{BlockID: c.BlockID, OpID: c.OpID, Actor: c.Actor, At: c.At, Source: c.Source, Summary: c.Summary}
		}
		body.Repairs, body.BlockID = d.Repairs, d.BlockID
	case store.InstancesOfPlan:
		body.InstancesURL, body.Limit = paths.PlanInstances(d.PlanID), d.Limit
	case store.FieldName:
		body.Field = string(d)
	case badParameter:
		body.Error, body.Parameter = "invalid_parameter", string(d)
	case listRefusal:
		body.Error = d.name
		body.Line, body.LooksLike, body.Column, body.Headers = d.line, d.looksLike, d.column, d.headers
		body.MaxBytes, body.MaxEntries = d.maxBytes, d.maxEntries
	}
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
		Fail(w, r, refuse(EMethodNotAllowed, "method_not_allowed", "%s does not take %s requests; it takes %s.", r.URL.Path, r.Method, allow))
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
