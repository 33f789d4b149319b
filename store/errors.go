package store

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// Code classifies an error for the one place that maps errors to HTTP status.
type Code string

const (
	EBadRequest   Code = "bad_request"         // 400: malformed input
	EUnauthorized Code = "unauthorized"        // 401
	EForbidden    Code = "forbidden"           // 403
	ENotFound     Code = "not_found"           // 404
	EConflict     Code = "conflict"            // 409
	EPrecondition Code = "precondition_failed" // 412
	ETooLarge     Code = "too_large"           // 413
	EInvalid      Code = "invalid"             // 422: well-formed but unacceptable
	ERateLimited  Code = "rate_limited"        // 429
	EUnavailable  Code = "unavailable"         // 503: the database cannot be reached just now
)

// Error is an error a user can act on: its Message is shown to them as is.
type Error struct {
	Code Code
	// Reason says, more precisely than Code, why the request was refused,
	// for clients that act on it; NoReason when Code says it all.
	Reason  Reason
	Message string
	// Detail is what a client needs to put things right, as a domain value
	// (the list's problems, the seats short, the later changes); nil when
	// the message says it all.
	Detail any
	// RetryAfter, when set, is how long the client should wait before
	// trying again.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, ErrNotFound) true for every not-found Error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Reason == NoReason && t.Detail == nil && t.RetryAfter == 0
}

// Reason is why a request was refused, more precisely than its Code. The
// HTTP edge names each one for clients.
type Reason int

const (
	NoReason Reason = iota
	ReasonEmptyList
	ReasonInvalidEmails     // Detail: []emaillist.Problem
	ReasonNotEnoughSeats    // Detail: SeatShortage
	ReasonInvalidPlan       // Detail: FieldProblems
	ReasonSeatsInUse        // Detail: SeatsInUse
	ReasonInvalidActivation // Detail: FieldProblems
	ReasonUnknownLicenseKey
	ReasonLicenseRevoked
	ReasonLicenseExpired
	ReasonUnknownActivation
	ReasonWrongActivationSecret
	ReasonInvalidClient
	ReasonInvalidToken
	ReasonLeaseLost
	ReasonLeaseSuperseded
	ReasonRetryTooLate
	ReasonUnknownBlockType
	ReasonInvalidPlacement // Detail: PlacementRule
	ReasonInvalidFields
	ReasonVersionMismatch // Detail: CurrentVersion
	ReasonNotAPermutation // Detail: CurrentChildren
	ReasonVersionOfOtherCourse
	ReasonVersionOfOtherBlock
	ReasonParentDeleted
	ReasonBeforeCourseExisted // Detail: CourseCreated
	ReasonLaterChanges        // Detail: LaterChanges
	ReasonNothingToUndo
	ReasonPreviewNotFound
	ReasonPreviewExpired
	ReasonActivationLimit          // Detail: InstancesOfPlan
	ReasonInstanceAlreadyActivated // Detail: InstancesOfPlan
	ReasonTooManyAttempts
	ReasonBusy
	ReasonInvalidText // Detail: FieldName
	ReasonCrossOrigin
	ReasonLastAdmin
	ReasonJobFinished  // a finished job cannot be cancelled
	ReasonJobCancelled // the job stopped because someone cancelled it
	// ReasonCount bounds the reasons, for the edge's check that it names each.
	ReasonCount
)

// Details of refusals.
type (
	// SeatShortage is a list that needs more seats than a plan has free.
	SeatShortage struct{ Needed, Available int }
	// FieldProblems says what is wrong with each named input.
	FieldProblems map[string]string
	// SeatsInUse is how many seats hold licenses a plan cannot lose.
	SeatsInUse int
	// PlacementRule is the block hierarchy a placement broke.
	PlacementRule string
	// CurrentVersion is the version a block is at now.
	CurrentVersion string
	// CurrentChildren are a block's children as they are now.
	CurrentChildren []string
	// InstancesOfPlan is where an instance of a plan's license can be
	// freed, and how many each license may have (0 when beside the point).
	InstancesOfPlan struct {
		PlanID string
		Limit  int
	}
	// FieldName names the one input at fault.
	FieldName string
	// CourseCreated is when the course came to exist.
	CourseCreated time.Time
	// LaterChanges are why an undo was refused: the later changes it would
	// overwrite, the repairs of the tree it would need, or the block,
	// deleted since, it would bring back.
	LaterChanges struct {
		Conflicts []RevertConflict
		Repairs   []string
		BlockID   string
	}
)

// Errorf returns an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is.
var (
	ErrNotFound     = &Error{Code: ENotFound, Message: "Not found."}
	ErrConflict     = &Error{Code: EConflict, Message: "Conflict."}
	ErrUnauthorized = &Error{Code: EUnauthorized, Message: "Authentication required."}
	ErrForbidden    = &Error{Code: EForbidden, Message: "You are not allowed to do that."}
)

// ErrorCode returns the Code of err, or "" for an internal error.
func ErrorCode(err error) Code {
	if _, ok := errors.AsType[*ErrLocked](err); ok {
		return EConflict
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	if Unreachable(err) {
		return EUnavailable
	}
	return ""
}

// ErrUnavailable is what a person or client is told while the database
// cannot be reached.
var ErrUnavailable = &Error{Code: EUnavailable, Message: "The database cannot be reached just now; try again in a few seconds. Nothing was changed."}

// Unreachable reports whether err means the database could not be reached
// (down, restarting, or the connection to it lost) rather than that it
// refused a statement. It is the one place that tells an outage, which
// passes by itself, from a failure.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true // no connection could be opened, or the pool could not open one
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		// Class 08 is a connection exception; 57P01–57P03 say the server is
		// shutting down, crashed, or is not accepting connections yet.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true // refused, reset or timed out on the wire
	}
	// A connection that died under a statement, one the driver closed after
	// that, or a server that did not answer within the deadline.
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err)
}

// ErrLocked is returned when a named lock is held by someone else. The
// request is refused at once; it does not queue.
type ErrLocked struct {
	Lock Lock
	Now  time.Time
}

func (e *ErrLocked) Error() string {
	return fmt.Sprintf("Blocked by another process: %s holds %q for %s. Lock expires in not more than %d seconds.",
		e.Lock.Holder, e.Lock.Name, e.Lock.Purpose, e.ExpiresInSeconds())
}

// ExpiresInSeconds rounds up, so "not more than N seconds" stays true.
func (e *ErrLocked) ExpiresInSeconds() int {
	d := e.Lock.ExpiresAt.Sub(e.Now)
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// MaxNameLength bounds every name and title people type (plans, courses,
// blocks, people), in characters: checked before the database, so a
// pasted essay is a clear refusal rather than an index error.
const MaxNameLength = 200

// tooLong refuses text longer than max characters, naming what it is.
func tooLong(what, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EInvalid, "The %s is %d characters long; the limit is %d.", what, n, max)
	}
	return nil
}
