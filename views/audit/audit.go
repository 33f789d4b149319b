// Package audit renders the audit log: the filterable page and the results
// fragment htmx swaps in as the filters change.
package audit

import (
	"strings"
	"time"

	"github.com/seatplan/seatplan/views/layout"
)

// Row is one audit entry as lists show it (the audit page and the dashboard).
// Action is the code (kept for filtering and as a tooltip); Subject is what
// it touched in words, SubjectHref its page when it has one.
type Row struct {
	At                              time.Time
	Actor, Action, Subject, Summary string
	SubjectHref                     string
}

// actionLabels say what each audited action was, as people say it.
var actionLabels = map[string]string{
	"assignment.accept": "Accepted an assignment", "assignment.fail": "Assignment failed",
	"block.create": "Added a block", "job.cancel": "Cancelled a job",
	"revocation.accept": "Accepted a list to revoke", "revocation.fail": "Revocation failed", "block.delete": "Deleted a block", "block.move": "Moved a block",
	"block.restore": "Restored a block", "block.update": "Edited a block",
	"client.create": "Created an API client", "client.revoke": "Revoked an API client", "client.rotate_secret": "Rotated a client secret",
	"course.create": "Created a course", "course.import": "Imported a course", "course.import_accept": "Accepted a course import",
	"course.restore": "Restored a course", "course.revert": "Undid a change", "course.staff_add": "Added course staff",
	"course.staff_remove": "Removed course staff", "enrollment.bulk": "Enrolled learners", "enrollment.delete": "Unenrolled a learner",
	"license.assign": "Assigned licenses", "license.revoke": "Revoked licenses", "lock.release": "Released a lock",
	"person.create": "Added a person", "person.deactivate": "Deactivated a person", "person.password_change": "Changed a password",
	"person.role_change": "Changed a role", "person.sign_in": "Signed in", "person.sign_out": "Signed out",
	"plan.course.link": "Linked a course to a plan", "plan.course.unlink": "Unlinked a course from a plan",
	"plan.create": "Created a plan", "plan.update": "Changed a plan",
}

// ActionLabel is an action in words; an action without a label reads as
// its code with the punctuation taken out.
func ActionLabel(code string) string {
	if l, ok := actionLabels[code]; ok {
		return l
	}
	l := strings.NewReplacer(".", " ", "_", " ").Replace(code)
	if l == "" {
		return l
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

// AuditView is the audit page: the current filters, the choices for the
// action filter, one page of rows, and links to its neighbours.
type AuditView struct {
	Base      layout.Base
	Q, Action string
	Actions   []string
	Rows      []Row
	Pager     layout.Pager
}

func (v AuditView) filtered() bool { return v.Q != "" || v.Action != "" }
