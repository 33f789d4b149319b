// Package plans renders subscription plans: the list, a plan's page with its
// utilization, licenses and upload form, and the fragments htmx swaps in
// (assignment preview and job progress).
package plans

import (
	"net/url"
	"strconv"
	"time"

	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/lists"
	"github.com/seatplan/seatplan/views/paths"
)

// PlansView is the plans page: a search, one page of plans, a create form.
type PlansView struct {
	Base   layout.Base
	Q      string
	Rows   []Row
	Pager  layout.Pager
	Create PlanForm
	// CanCreate shows the create form (admins only).
	CanCreate bool
	// The sortable columns' headers.
	SortName, SortSeats, SortExpires SortColumn
	// Sort and Dir keep the order when searching.
	Sort, Dir string
}

// SortColumn is a column header that sorts the list: Href sorts by it (the
// other way round when it is the sort already), Order is "ascending",
// "descending" or "" as aria-sort reads it.
type SortColumn struct {
	Href, Order string
}

func (c SortColumn) mark() string {
	switch c.Order {
	case "ascending":
		return "▲"
	case "descending":
		return "▼"
	}
	return ""
}

// Row is one plan in the list.
type Row struct {
	ID, Name            string
	Seats, Used         int
	StartsAt, ExpiresAt time.Time
}

// PlanForm is the create or edit form with what was typed and what is
// wrong, by field (name, seats, starts_at, expires_at).
type PlanForm struct {
	Name, Seats, StartsAt, ExpiresAt string
	Errors                           layout.FieldErrors
}

// PlanView is one plan's page.
type PlanView struct {
	Base      layout.Base
	ID, Name  string
	Seats     int
	StartsAt  time.Time
	ExpiresAt time.Time
	TermsAt   time.Time
	// Used (assigned or activated) and Free (unassigned) seats.
	Used, Free int
	Usage      []Segment
	Edit       PlanForm
	Licenses   LicensesView
	Assignment AssignmentView
	Revocation RevocationView
	// CanAssign shows the assignment area (admins only).
	CanAssign bool
}

// percentUsed rounds down, so a plan shows 100 % only when it is full, and
// "<1" rather than 0 while any seat is in use.
func (v PlanView) percentUsed() string {
	if v.Seats <= 0 {
		return "0"
	}
	pct := v.Used * 100 / v.Seats
	if pct == 0 && v.Used > 0 {
		return "<1"
	}
	return strconv.Itoa(pct)
}

// Segment is one status's share of the plan's licenses.
type Segment struct {
	Status, Label string
	Count         int
	// Offset and Width place the segment on a 0–100 bar.
	Offset, Width float64
}

func (s Segment) x() string     { return strconv.FormatFloat(s.Offset, 'f', 2, 64) }
func (s Segment) width() string { return strconv.FormatFloat(s.Width, 'f', 2, 64) }

// LicensesView is the licenses table with its filters, order and pager.
type LicensesView struct {
	PlanID, Q, Status string
	// Sort and Dir keep the order when filtering; "" for the default.
	Sort, Dir string
	// The sortable columns' headers.
	SortEmail, SortAssigned SortColumn
	Rows                    []LicenseRow
	Pager                   layout.Pager
	// CanRevoke shows the revoke buttons (admins only).
	CanRevoke bool
}

// csvURL exports what the table lists: the same search, status and order.
func (v LicensesView) csvURL() string {
	return paths.LicensesCSV(v.PlanID, url.Values{"q": {v.Q}, "status": {v.Status}, "sort": {v.Sort}, "dir": {v.Dir}})
}

// LicenseRow is one license.
type LicenseRow struct {
	Email, Status, ActivationKey string
	Shown                        string // Email as the page shows it: an internationalized domain in Unicode
	AssignedAt                   *time.Time
}

// Revocable tells a live license, the only kind revoke applies to.
func (r LicenseRow) Revocable() bool { return r.Status == "assigned" || r.Status == "activated" }

// AssignmentView is the upload area: the form, a preview, or a job.
type AssignmentView struct {
	PlanID  string
	Error   string
	Notice  string // a list that changes nothing: not an error, but no job either
	Pasted  string // the pasted text, kept when the list is refused or started over
	Preview *Preview
	Job     *JobView
}

// ListForm is an upload form for a preview: where it posts, the area htmx
// replaces with the answer, the prefix of its fields' ids, the test id of
// its button, and what the last answer said.
type ListForm struct {
	Action, Target, ID, Submit string
	Error, Notice, Pasted      string
}

// RevocationView is the "Revoke a list" area: the form, a preview, or a job.
type RevocationView struct {
	PlanID  string
	Error   string
	Notice  string // a list that revokes nothing: not an error, but no job either
	Pasted  string
	Preview *RevocationPreview
	Job     *JobView
}

// RevocationPreview is what revoking a staged list would do.
type RevocationPreview struct {
	PlanID string
	ID     string // the staged list the confirm names
	Source lists.Source
	Column string
	// Live addresses hold a license and would lose it; NotLicensed hold none.
	Live, NotLicensed, Duplicates int
	Sample                        []string
	// ProblemCount entries are no address (FirstProblem the first); they
	// are passed over.
	ProblemCount int
	FirstProblem Problem
}

// Preview is what a staged list would do; nothing has changed yet.
type Preview struct {
	PlanID string
	ID     string // the staged list the confirm names
	Source lists.Source
	// Column is the column the confirm reads, as the preview did; "" for a pasted list.
	Column                           string
	New, AlreadyLicensed, Duplicates int
	Sample                           []string // the first new or licensed addresses, as pages show them
	Problems                         []Problem
	ProblemCount                     int // len(Problems) is at most MaxProblemsShown
	Needed, Available                int
	// Acceptable: confirming starts a job, once the invalid entries are skipped.
	Acceptable bool
}

// MaxProblemsShown bounds the invalid entries a preview lists.
const MaxProblemsShown = 500

func invalidEntries(n int) string {
	if n == 1 {
		return "entry is not a valid address"
	}
	return "entries are not valid addresses"
}

func (p Preview) startOverURL() string { return paths.NewAssignment(p.PlanID, p.ID) }

// Problem is an invalid line of the list.
type Problem struct {
	Line          int
	Value, Reason string
}

// JobView is an assignment job's progress or outcome.
type JobView struct {
	PlanID, ID, Status                    string
	Done, Total                           int64
	Finished, Failed                      bool
	Error                                 string
	Assigned, AlreadyLicensed, Duplicates int
	// Enrolled and AlreadyEnrolled count course enrollments made by the job.
	Enrolled, AlreadyEnrolled int
	// Revoking: the job revokes a list (Revoked licenses; NotLicensed
	// addresses held none) rather than assigns one.
	Revoking             bool
	Revoked, NotLicensed int
	// Unassigned and Used are the plan's counts once the job finished.
	Unassigned, Used int
	// Interrupted: the attempt running the job stopped (Interruption says
	// why) and a retry is due; nothing of it was saved.
	Interrupted  bool
	Interruption string
	// Left is the estimated time still needed; zero when unknown.
	Left time.Duration
	// Cancelled: CancelledBy cancelled the job, and it failed for that;
	// Cancelling: they did, and it stops at its next step. CanCancel shows
	// the Cancel button.
	Cancelled, Cancelling, CanCancel bool
	CancelledBy                      string
}

// leftText says how long the job still needs, roughly.
func (j JobView) leftText() string {
	switch s := int(j.Left.Round(time.Second).Seconds()); {
	case j.Left <= 0:
		return ""
	case s < 5:
		return "a few seconds left"
	case s < 90:
		return "about " + strconv.Itoa(s) + " s left"
	default:
		return "about " + strconv.Itoa((s+30)/60) + " min left"
	}
}

func (j JobView) verb() string {
	if j.Revoking {
		return "Revoking"
	}
	return "Assigning"
}

func (j JobView) percent() string {
	if j.Total == 0 {
		return "0"
	}
	return strconv.FormatInt(j.Done*100/j.Total, 10)
}

func (j JobView) progressClass() string {
	switch {
	case j.Failed, j.Interrupted:
		return "progress-failed"
	case j.Finished:
		return "progress-done"
	}
	return "progress-running"
}

func itoa(n int) string { return strconv.Itoa(n) }

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func usageSummary(segments []Segment) string {
	s := ""
	for i, seg := range segments {
		if i > 0 {
			s += ", "
		}
		s += layout.Number(seg.Count) + " " + seg.Label
	}
	return s
}
