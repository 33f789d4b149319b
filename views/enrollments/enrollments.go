// Package enrollments renders bulk enrollment: the upload page, the preview
// of a list, the result of a call, a course's learners and a plan's courses.
package enrollments

import (
	"github.com/seatplan/seatplan/views/paths"
	"strconv"
	"time"

	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/lists"
)

// CourseRow is a course on the enrollments page.
type CourseRow struct {
	Key, Title string
	Enrolled   int
}

// IndexView is the enrollments page: the upload form and the courses.
type IndexView struct {
	Base    layout.Base
	Paste   string // what was pasted, kept when the list is refused
	Error   string // why the list was refused
	Courses []CourseRow
	// CanEnroll shows the upload form (admins only).
	CanEnroll bool
}

// Problem is an entry that is, or would be, not enrolled.
type Problem struct {
	Index, Line           int
	Email, Course, Reason string
}

// where names the entry the way its list numbers it.
func (p Problem) where() string {
	if p.Line > 0 {
		return "line " + strconv.Itoa(p.Line)
	}
	return "entry " + strconv.Itoa(p.Index)
}

// PreviewCourse is one course named by a list, with how many pairs name it
// and how many of those learners it has already.
type PreviewCourse struct {
	Key                    string
	Pairs, AlreadyEnrolled int
	Known                  bool
}

// PreviewView shows what a staged list holds before anything changes.
type PreviewView struct {
	Base         layout.Base
	ID           string // the staged list the confirm names
	Source       lists.Source
	Column       string // the columns the confirm reads, as the preview did
	CourseColumn string
	Entries      int
	Pairs        int
	Problems     []Problem // at most MaxProblemsShown
	ProblemCount int
	Courses      []PreviewCourse
}

func (v PreviewView) startOverURL() string { return paths.NewEnrollment(v.ID) }

// Unknown counts the pairs whose course does not exist.
func (v PreviewView) Unknown() int {
	n := 0
	for _, c := range v.Courses {
		if !c.Known {
			n += c.Pairs
		}
	}
	return n
}

// ResultView is the outcome of one bulk enrollment call.
type ResultView struct {
	Base               layout.Base
	At                 time.Time
	By                 string
	Enrolled, Existing int
	Problems           []Problem // at most MaxProblemsShown
	ProblemCount       int
	CSVURL             string
}

// MaxProblemsShown bounds the problems listed on the result page; the CSV has all.
const MaxProblemsShown = 500

// EnrollmentRow is one learner of a course.
type EnrollmentRow struct {
	Email, By string
	Shown     string // Email as the page shows it: an internationalized domain in Unicode
	At        time.Time
}

// CourseView is a course's learners with search and pagination.
type CourseView struct {
	Base       layout.Base
	Key, Title string
	Total      int
	Q          string
	Rows       []EnrollmentRow
	Pager      layout.Pager
	// CanUnenroll shows the unenroll buttons (admins only).
	CanUnenroll bool
}

// LinkedCourse is a course linked to a plan.
type LinkedCourse struct {
	Key, Title string
	LinkedAt   time.Time
}

// CourseOption is a course that can still be linked.
type CourseOption struct {
	Key, Title string
}

// PlanCoursesView is the plan's courses section, embedded in the plan page.
type PlanCoursesView struct {
	Base      layout.Base
	PlanID    string
	PlanName  string
	Linked    []LinkedCourse
	Available []CourseOption
	Error     string
	// CanLink shows linking, unlinking and enrolling (admins only).
	CanLink bool
}

func itoa(n int) string { return strconv.Itoa(n) }

func pairsLabel(n int) string {
	if n == 1 {
		return "1 pair"
	}
	return itoa(n) + " pairs"
}
