package handlers

import (
	"time"

	"github.com/seatplan/seatplan/store"
)

// ErrorBody is the answer of every refused API request. Error names the
// refusal and Message says it in words; the other members appear with the
// refusals that need them.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	// ErrorDescription repeats Message on the token endpoint, as RFC 6749 asks.
	ErrorDescription string `json:"error_description,omitzero"`
	// RequestID names the request in the server's log, for support.
	RequestID string `json:"request_id,omitzero"`

	// blocked_by_another_process
	Lock *LockBody `json:"lock,omitzero"`
	// invalid_emails
	Problems []EmailProblem `json:"problems,omitzero"`
	// not_enough_seats
	Needed    *int `json:"needed,omitzero"`
	Available *int `json:"available,omitzero"`
	// invalid_plan, invalid_activation: what is wrong with each input
	Fields map[string]string `json:"fields,omitzero"`
	// seats_in_use
	InUse *int `json:"in_use,omitzero"`
	// invalid_placement
	Rule string `json:"rule,omitzero"`
	// version_mismatch
	CurrentVersionID string `json:"current_version_id,omitzero"`
	// not_a_permutation
	CurrentChildren []string `json:"current_children,omitzero"`
	// before_course_existed
	CreatedAt *time.Time `json:"created_at,omitzero"`
	// conflict: the later changes an undo would overwrite, the repairs of
	// the tree it would need, the block deleted since it would bring back
	Conflicts []ConflictBody `json:"conflicts,omitzero"`
	Repairs   []string       `json:"repairs,omitzero"`
	BlockID   string         `json:"block_id,omitzero"`
	// activation_limit, instance_already_activated: where instances are
	// freed, and how many one license may have
	InstancesURL string `json:"instances_url,omitzero"`
	Limit        int    `json:"limit,omitzero"`
	// invalid_text: the input at fault
	Field string `json:"field,omitzero"`
	// invalid_parameter: the query parameter at fault
	Parameter string `json:"parameter,omitzero"`
	// the list reader's refusals
	Line       int      `json:"line,omitzero"`
	LooksLike  string   `json:"looks_like,omitzero"`
	Column     string   `json:"column,omitzero"`
	Headers    []string `json:"headers,omitzero"`
	MaxBytes   int64    `json:"max_bytes,omitzero"`
	MaxEntries int      `json:"max_entries,omitzero"`
}

// LockBody is the lock that refused a request, and when it lapses.
type LockBody struct {
	Name             string    `json:"name"`
	Holder           string    `json:"holder"`
	Purpose          string    `json:"purpose"`
	AcquiredAt       time.Time `json:"acquired_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	ExpiresInSeconds int       `json:"expires_in_seconds"`
}

// EmailProblem is an entry of a list that is no address.
type EmailProblem struct {
	Line   int    `json:"line"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// ConflictBody is a later change that an undo would overwrite.
type ConflictBody struct {
	BlockID string       `json:"block_id"`
	OpID    string       `json:"op_id"`
	Actor   string       `json:"actor"`
	At      time.Time    `json:"at"`
	Source  store.Source `json:"source"`
	Summary string       `json:"summary"`
}
