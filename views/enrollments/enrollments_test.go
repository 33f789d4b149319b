package enrollments_test

import (
	"testing"
	"time"

	"github.com/seatplan/seatplan/views/enrollments"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/lists"
	"github.com/seatplan/seatplan/views/viewtest"
)

const hostile = `<script>alert(1)</script>`

func TestPreviewPage_ListsProblemsByLineAndEscapesUserText(t *testing.T) {
	t.Parallel()
	v := enrollments.PreviewView{
		Base:    layout.Base{Title: "Preview"},
		Entries: 3, Pairs: 2,
		Problems:     []enrollments.Problem{{Index: 2, Line: 4, Email: hostile, Course: "cs101", Reason: "not an email address"}},
		ProblemCount: 1,
		Courses:      []enrollments.PreviewCourse{{Key: "cs101", Pairs: 1, Known: true}, {Key: hostile, Pairs: 1}},
		ID:           "L1",
		Source:       lists.Source{FileName: hostile, Kind: "a table", Columns: []lists.Column{{Number: 1, Header: hostile}, {Number: 2, Header: "course"}}, Email: 1, Course: 2, Pairs: true},
	}
	doc := viewtest.Render(t, enrollments.PreviewPage(v))
	viewtest.AssertCSPSafe(t, doc)
	cells := viewtest.ByTestID(doc, "preview-problem").Find("td")
	if cells.Eq(0).Text() != "line 4" || cells.Eq(1).Text() != hostile {
		t.Errorf("problem row %q / %q", cells.Eq(0).Text(), cells.Eq(1).Text())
	}
	if got := viewtest.ByTestID(doc, "preview-pairs").Text(); got != "1" {
		t.Errorf("pairs to enroll %q, want 1 (the unknown course's pair is not enrolled)", got)
	}
	if got := viewtest.ByTestID(doc, "confirm-form").Find(`input[name="preview"]`).AttrOr("value", ""); got != "L1" {
		t.Errorf("confirm names preview %q, want L1", got)
	}
	if got := viewtest.ByTestID(doc, "source-file").Text(); got != hostile {
		t.Errorf("file name shown as %q", got)
	}
}

func TestCourseEnrollments_UnenrollAsksFirstAndEmptyStates(t *testing.T) {
	t.Parallel()
	v := enrollments.CourseView{Key: "cs101", Title: "Intro", CanUnenroll: true,
		Rows: []enrollments.EnrollmentRow{{Email: "a@example.com", By: "Ada", At: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}}}
	doc := viewtest.Render(t, enrollments.CourseEnrollments(v))
	viewtest.AssertCSPSafe(t, doc)
	form := viewtest.ByTestID(doc, "unenroll").Closest("form")
	if form.AttrOr("hx-confirm", "") == "" || form.AttrOr("hx-post", "") != "/enrollments/courses/cs101/unenroll" {
		t.Errorf("unenroll form %v", form.Nodes[0].Attr)
	}
	for q, want := range map[string]string{"": "No learners yet", "zed": "No matching learners"} {
		doc := viewtest.Render(t, enrollments.CourseEnrollments(enrollments.CourseView{Key: "cs101", Q: q}))
		if got := viewtest.ByTestID(doc, "empty-state").Find(".empty-state-title").Text(); got != want {
			t.Errorf("q=%q: empty state %q, want %q", q, got, want)
		}
	}
}

func TestPlanCourses_IsOneSwappableSection(t *testing.T) {
	t.Parallel()
	v := enrollments.PlanCoursesView{PlanID: "P1", CanLink: true, Linked: []enrollments.LinkedCourse{{Key: "cs101", Title: "Intro"}},
		Available: []enrollments.CourseOption{{Key: "cs102", Title: hostile}}}
	doc := viewtest.Render(t, enrollments.PlanCourses(v))
	viewtest.AssertCSPSafe(t, doc)
	if root := doc.Find("body > *"); root.Length() != 1 || root.AttrOr("id", "") != "plan-courses" {
		t.Fatal("fragment root is not one #plan-courses element")
	}
	if got := viewtest.ByTestID(doc, "link-course-form").AttrOr("hx-target", ""); got != "#plan-courses" {
		t.Errorf("link form targets %q", got)
	}
}

func TestUploadForm_KeepsAListStartingWithABlankLineUnchanged(t *testing.T) {
	t.Parallel()
	source := "\n\na@example.com,cs101\n"
	doc := viewtest.Render(t, enrollments.EnrollmentsPage(enrollments.EnrollmentsView{Paste: source, Error: "bad", CanEnroll: true}))
	if got := viewtest.ByTestID(doc, "enroll-paste").Text(); got != source {
		t.Errorf("the paste box holds %q, want %q", got, source)
	}
}
