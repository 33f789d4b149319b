package handlers

import (
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/paths"
)

// PlanRequest is the body of POST and PATCH /api/v1/plans; pointer fields
// tell "not sent" from "empty".
type PlanRequest struct {
	Name      *string    `json:"name"`
	Seats     *int       `json:"seats"`
	StartsAt  *time.Time `json:"starts_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	// InstancesPerLicense is how many instances one license may be active on.
	InstancesPerLicense *int `json:"instances_per_license"`
}

// Plan is a subscription plan and how its seats are used.
type Plan struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Seats          int        `json:"seats"`
	StartsAt       time.Time  `json:"starts_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	TermsChangedAt time.Time  `json:"terms_changed_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Counts         PlanCounts `json:"counts"`
	// InstancesPerLicense is answered for one plan, not in lists.
	InstancesPerLicense *int `json:"instances_per_license,omitzero"`
}

// PlanCounts are a plan's licenses by status.
type PlanCounts struct {
	Unassigned int `json:"unassigned"`
	Assigned   int `json:"assigned"`
	Activated  int `json:"activated"`
	Revoked    int `json:"revoked"`
}

// PlanList is a page of plans; NextCursor is null on the last.
type PlanList struct {
	Items      []Plan  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// License is one seat of a plan.
type License struct {
	ID            int64               `json:"id"`
	Email         *string             `json:"email"`
	Status        store.LicenseStatus `json:"status"`
	ActivationKey *string             `json:"activation_key"`
	AssignedAt    *time.Time          `json:"assigned_at"`
	RevokedAt     *time.Time          `json:"revoked_at"`
	ChangedAt     time.Time           `json:"changed_at"`
}

// LicenseList is a page of a plan's licenses; NextCursor is null on the last.
type LicenseList struct {
	Items      []License `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

// AssignmentRequest is the JSON form of a list to assign licenses to; a
// CSV, text or .xlsx file and the page's upload form are the others.
type AssignmentRequest struct {
	Emails []string `json:"emails"`
}

// NothingToAssign answers a list whose every address is licensed already:
// no job was made.
type NothingToAssign struct {
	Status  string          `json:"status"` // nothing_to_assign
	Message string          `json:"message"`
	Result  NothingAssigned `json:"result"`
}

// NothingAssigned is what such a list held.
type NothingAssigned struct {
	Assigned        int `json:"assigned"` // always 0
	AlreadyLicensed int `json:"already_licensed"`
	Duplicates      int `json:"duplicates"`
	SkippedInvalid  int `json:"skipped_invalid"`
}

// RevocationRequest names the addresses whose licenses to revoke.
type RevocationRequest struct {
	Emails []string `json:"emails"`
}

// Revocations is how many licenses a revocation revoked.
type Revocations struct {
	Revoked int `json:"revoked"`
}

// JobAccepted answers a request that started a job: where to follow it.
type JobAccepted struct {
	JobID     string          `json:"job_id"`
	StatusURL string          `json:"status_url"`
	Status    store.JobStatus `json:"status"`
}

func planOut(p store.Plan) Plan {
	c := p.Counts
	return Plan{ID: p.ID, Name: p.Name, Seats: p.Seats, StartsAt: p.StartsAt, ExpiresAt: p.ExpiresAt,
		TermsChangedAt: p.TermsChangedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Counts: PlanCounts{Unassigned: c.Unassigned, Assigned: c.Assigned, Activated: c.Activated, Revoked: c.Revoked}}
}

func licenseOut(l store.License) License {
	return License{ID: l.ID, Email: optional(l.Email), Status: l.Status, ActivationKey: optional(l.ActivationKey),
		AssignedAt: l.AssignedAt, RevokedAt: l.RevokedAt, ChangedAt: l.ChangedAt}
}

func jobAccepted(j store.Job) JobAccepted {
	return JobAccepted{JobID: j.ID, StatusURL: paths.APIJob(j.ID), Status: j.Status}
}

// optional is a string the wire shows as null when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
