package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/csvsafe"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/enrollments"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
)

type enroller interface {
	Enroll(ctx context.Context, pairs []emaillist.Pair, refused []emaillist.PairProblem, by store.Actor) (store.EnrollmentResult, error)
}

// EnrollAPI answers POST /api/v1/enrollments: a JSON list
// {"enrollments":[{"email","course"}]}, or a table of email and course
// columns (CSV or .xlsx) whose columns ?column= and ?course_column= may name.
func EnrollAPI(st enroller, lim ListLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pairs, refused, err := readEnrollmentBody(w, r, lim)
		if err != nil {
			Fail(w, r, err)
			return
		}
		res, err := st.Enroll(r.Context(), pairs, refused, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, enrolledOut(res))
	})
}

// readEnrollmentBody parses an API request's list by its content type.
func readEnrollmentBody(w http.ResponseWriter, r *http.Request, lim ListLimits) ([]emaillist.Pair, []emaillist.PairProblem, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var pairs []emaillist.Pair
	var refused []emaillist.PairProblem
	var err error
	switch mediaType {
	case "application/json":
		var body EnrollmentRequest
		if err := decodeJSON(w, r, lim.MaxBytes, &body); err != nil {
			return nil, nil, err
		}
		entries := make([]emaillist.Pair, len(body.Enrollments))
		for i, e := range body.Enrollments {
			entries[i] = emaillist.Pair{Email: e.Email, Course: e.Course}
		}
		pairs, refused, err = emaillist.CheckPairs(entries, lim.parser())
	case "text/csv", "application/csv", "text/plain", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		// The reader tells a workbook from text by its content.
		var list emaillist.Pairs
		list, err = emaillist.ReadPairs(http.MaxBytesReader(w, r.Body, lim.MaxBytes), lim.options(r))
		pairs, refused = list.Pairs, list.Problems
	default:
		return nil, nil, refuse(EUnsupported, "unsupported_media_type", `Send {"enrollments":[{"email","course"}]} as application/json, or email,course lines as text/csv, or an .xlsx workbook.`)
	}
	if err != nil {
		return nil, nil, listError(err)
	}
	if len(pairs)+len(refused) == 0 {
		return nil, nil, &store.Error{Code: store.EInvalid, Reason: store.ReasonEmptyList, Message: "The list is empty: send at least one email,course pair."}
	}
	return pairs, refused, nil
}

type enrollmentPages interface {
	EnrollAndKeepResult(ctx context.Context, pairs []emaillist.Pair, refused []emaillist.PairProblem, by store.Actor, download store.Download) (store.EnrollmentResult, error)
	EnrollmentCounts(ctx context.Context) ([]store.CourseEnrollmentCount, error)
	EnrollmentResultByID(ctx context.Context, id string) (store.StoredEnrollmentResult, error)
	PreviewEnrollment(ctx context.Context, pairs []emaillist.Pair) ([]store.CoursePreview, error)
	StageList(ctx context.Context, l store.StagedList, by store.Actor) (store.StagedList, error)
	StagedListFor(ctx context.Context, id, purpose, planID string, by store.Actor) (store.StagedList, error)
	DropStagedList(ctx context.Context, id string) error
}

// EnrollmentsPage shows the upload form and the courses with their learners;
// ?from= names a preview whose pasted text goes back in the form ("Start over").
func EnrollmentsPage(st enrollmentPages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paste := ""
		if from := r.URL.Query().Get("from"); from != "" {
			// A preview gone by now only loses the text; the form still helps.
			if l, err := st.StagedListFor(r.Context(), from, store.ListForEnrollment, "", mustActor(r)); err == nil {
				paste = pastedText(l)
			} else if store.ErrorCode(err) != store.ENotFound {
				Fail(w, r, err)
				return
			}
		}
		renderUploadForm(w, r, st, http.StatusOK, paste, "")
	})
}

func renderUploadForm(w http.ResponseWriter, r *http.Request, st enrollmentPages, status int, paste, problem string) {
	counts, err := st.EnrollmentCounts(r.Context())
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := enrollments.EnrollmentsView{Base: basePage(r, "Enrollments"), Paste: paste, Error: problem, CanEnroll: mustActor(r).Is(store.RoleAdmin)}
	for _, c := range counts {
		v.Courses = append(v.Courses, enrollments.CourseRow{Key: c.Key, Title: c.Title, Enrolled: c.Enrolled})
	}
	render(w, r, status, enrollments.EnrollmentsPage(v))
}

// readStagedPairs reads a staged list of pairs, with the columns given or found.
func readStagedPairs(l store.StagedList, lim ListLimits, column, courseColumn string) (emaillist.Pairs, error) {
	list, err := emaillist.ReadPairs(bytes.NewReader(l.Body), stagedOptions(l, lim, column, courseColumn))
	if err == nil && len(list.Pairs)+len(list.Problems) == 0 {
		err = store.Errorf(store.EInvalid, "The list is empty: choose a file or paste email,course lines.")
	}
	return list, listError(err)
}

// PreviewEnrollmentsPage reads an uploaded or pasted list, keeps it on the
// server and shows what it would do; nothing changes. A list that cannot be
// read is answered with the upload form and the reason, the pasted text kept.
func PreviewEnrollmentsPage(st enrollmentPages, lim ListLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := readUpload(w, r, lim, "pairs")
		var list emaillist.Pairs
		if err == nil {
			list, err = readStagedPairs(l, lim, "", "")
		}
		if err == nil {
			l.Purpose = store.ListForEnrollment
			l, err = st.StageList(r.Context(), l, mustActor(r))
		}
		renderEnrollmentPreview(w, r, st, l, list, err)
	})
}

// EnrollmentPreviewPage shows the preview of a staged list again, read with the
// columns picked (?column=&course_column=).
func EnrollmentPreviewPage(st enrollmentPages, lim ListLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := st.StagedListFor(r.Context(), r.PathValue("preview"), store.ListForEnrollment, "", mustActor(r))
		var list emaillist.Pairs
		if err == nil {
			q := r.URL.Query()
			list, err = readStagedPairs(l, lim, q.Get("column"), q.Get("course_column"))
		}
		renderEnrollmentPreview(w, r, st, l, list, err)
	})
}

// renderEnrollmentPreview answers with the preview of the staged list l
// read as list (the fragment for htmx), or, when err is one the user can
// fix, the upload form saying why.
func renderEnrollmentPreview(w http.ResponseWriter, r *http.Request, st enrollmentPages, l store.StagedList, list emaillist.Pairs, err error) {
	if userFixable(err) {
		renderUploadForm(w, r, st, statusOf(err), pastedText(l), err.Error())
		return
	}
	if err != nil {
		Fail(w, r, err)
		return
	}
	courses, err := st.PreviewEnrollment(r.Context(), list.Pairs)
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := enrollments.PreviewView{Base: basePage(r, "Preview enrollment"), ID: l.ID,
		Source: sourceView(l, list.Layout, paths.EnrollmentPreview(l.ID), "#enrollment-preview-area", true),
		Column: columnParam(list.Layout.Email), CourseColumn: columnParam(list.Layout.Course),
		Entries: len(list.Pairs) + len(list.Problems), Pairs: len(list.Pairs), ProblemCount: len(list.Problems)}
	for _, c := range courses {
		v.Courses = append(v.Courses, enrollments.PreviewCourse{Key: c.Key, Pairs: c.Pairs, AlreadyEnrolled: c.AlreadyEnrolled, Known: c.Known})
	}
	for _, p := range list.Problems[:min(len(list.Problems), enrollments.MaxProblemsShown)] {
		v.Problems = append(v.Problems, enrollments.Problem{Index: p.Index, Line: p.Line, Email: p.Email, Course: p.Course, Reason: p.Reason})
	}
	page(w, r, http.StatusOK, enrollments.PreviewPage(v), enrollments.Preview(v))
}

// ConfirmEnrollmentsPage enrolls the staged list the preview names, read with
// the columns it showed, and shows the result.
func ConfirmEnrollmentsPage(st enrollmentPages, lim ListLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		l, err := st.StagedListFor(r.Context(), r.PostForm.Get("preview"), store.ListForEnrollment, "", mustActor(r))
		var list emaillist.Pairs
		if err == nil {
			list, err = readStagedPairs(l, lim, r.PostForm.Get("column"), r.PostForm.Get("course_column"))
		}
		if userFixable(err) {
			renderUploadForm(w, r, st, statusOf(err), pastedText(l), err.Error())
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		res, err := st.EnrollAndKeepResult(r.Context(), list.Pairs, list.Problems, mustActor(r), outcomeCSV)
		if err != nil {
			Fail(w, r, err)
			return
		}
		// The result is kept; the preview has served.
		if err := st.DropStagedList(context.WithoutCancel(r.Context()), l.ID); err != nil {
			loggerFrom(r.Context()).Warn("drop a confirmed preview", "preview", l.ID, "err", err)
		}
		http.Redirect(w, r, paths.EnrollmentResult(res.ID), http.StatusSeeOther)
	})
}

// outcomeCSV is the download a bulk enrollment keeps: one line per entry,
// what became of it and why, with the user's text made safe to open in a
// spreadsheet.
func outcomeCSV(pairs []store.PairResult) string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"index", "line", "email", "course", "result", "reason"})
	for _, p := range pairs {
		line := ""
		if p.Line > 0 {
			line = strconv.Itoa(p.Line)
		}
		w.Write([]string{strconv.Itoa(p.Index), line, csvsafe.Cell(p.Email), csvsafe.Cell(p.Course), string(p.Outcome), p.Reason})
	}
	w.Flush()
	return buf.String()
}

// EnrollmentResultPage shows a kept result, or downloads it as CSV when the
// name ends in .csv (ServeMux wildcards match whole path segments only).
func EnrollmentResultPage(st enrollmentPages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		id, asCSV := strings.CutSuffix(name, ".csv")
		res, err := st.EnrollmentResultByID(r.Context(), id)
		if err != nil {
			Fail(w, r, err)
			return
		}
		if asCSV {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="enrollment-`+res.ID+`.csv"`)
			io.WriteString(w, res.Download)
			return
		}
		v := enrollments.ResultView{Base: basePage(r, "Enrollment result"), At: res.CreatedAt, By: res.ActorName,
			Enrolled: res.Enrolled, Existing: res.Existing, ProblemCount: len(res.Problems), CSVURL: paths.EnrollmentResultCSV(res.ID)}
		for _, p := range res.Problems[:min(len(res.Problems), enrollments.MaxProblemsShown)] {
			v.Problems = append(v.Problems, enrollments.Problem{Index: p.Index, Line: p.Line, Email: p.Email, Course: p.Course, Reason: p.Reason})
		}
		render(w, r, http.StatusOK, enrollments.ResultPage(v))
	})
}

type courseEnrollments interface {
	CourseEnrollments(ctx context.Context, courseKey string, f store.EnrollmentFilter) (store.EnrollmentPage, error)
	Unenroll(ctx context.Context, courseKey, email string, by store.Actor) error
}

// CourseLearnersPage lists a course's enrollments with search and pagination.
func CourseLearnersPage(st courseEnrollments) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("key")
		q := r.URL.Query()
		typed := q.Get("q")
		f := store.EnrollmentFilter{Q: emailSearch(typed), After: q.Get("after"), Limit: 50}
		res, err := st.CourseEnrollments(r.Context(), key, f)
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := enrollments.CourseView{Base: basePage(r, res.CourseTitle), Key: key, Title: res.CourseTitle, Total: res.Total, Q: typed,
			CanUnenroll: mustActor(r).Is(store.RoleAdmin)}
		for _, e := range res.Enrollments {
			v.Rows = append(v.Rows, enrollments.EnrollmentRow{Email: e.Email, Shown: emaillist.DisplayEmail(e.Email), By: e.EnrolledBy, At: e.EnrolledAt})
		}
		if f.After != "" {
			v.Pager.PrevURL = paths.CourseLearners(key, typed, "")
		}
		if res.NextAfter != "" {
			v.Pager.NextURL = paths.CourseLearners(key, typed, res.NextAfter)
		}
		page(w, r, http.StatusOK, enrollments.CoursePage(v), enrollments.CourseEnrollments(v))
	})
}

// UnenrollPage removes one learner from a course and returns to the list (an
// htmx request follows the redirect and gets the list fragment).
func UnenrollPage(st courseEnrollments, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		key, email := r.PathValue("key"), r.FormValue("email")
		if err := st.Unenroll(r.Context(), key, email, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
		if !isHTMX(r) {
			if err := sessions.Flash(w, r, layout.Flash{Kind: layout.FlashSuccess, Message: "Unenrolled " + email + " from " + key + "."}); err != nil {
				Fail(w, r, err)
				return
			}
		}
		http.Redirect(w, r, paths.CourseLearners(key, r.FormValue("q"), ""), http.StatusSeeOther)
	})
}

type planCourses interface {
	Plan(ctx context.Context, id string) (store.Plan, error)
	PlanCourses(ctx context.Context, planID string) (store.PlanCourseList, error)
	LinkPlanCourse(ctx context.Context, planID, courseKey string, by store.Actor) error
	UnlinkPlanCourse(ctx context.Context, planID, courseKey string, by store.Actor) error
	EnrollPlanLicensees(ctx context.Context, planID string, by store.Actor, download store.Download) (store.EnrollmentResult, error)
}

// PlanCoursesPage shows a plan's courses: a fragment the plan page embeds, or a
// page of its own on a plain request.
func PlanCoursesPage(st planCourses) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPlanCourses(w, r, st, http.StatusOK, "")
	})
}

func renderPlanCourses(w http.ResponseWriter, r *http.Request, st planCourses, status int, problem string) {
	id := r.PathValue("id")
	p, err := st.Plan(r.Context(), id)
	if err != nil {
		Fail(w, r, err)
		return
	}
	l, err := st.PlanCourses(r.Context(), id)
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := enrollments.PlanCoursesView{Base: basePage(r, "Courses of "+p.Name), PlanID: id, PlanName: p.Name, Error: problem,
		CanLink: mustActor(r).Is(store.RoleAdmin)}
	for _, c := range l.Linked {
		v.Linked = append(v.Linked, enrollments.LinkedCourse{Key: c.Key, Title: c.Title, LinkedAt: c.LinkedAt})
	}
	for _, c := range l.Available {
		v.Available = append(v.Available, enrollments.CourseOption{Key: c.Key, Title: c.Title})
	}
	page(w, r, status, enrollments.PlanCoursesPage(v), enrollments.PlanCourses(v))
}

// LinkPlanCoursePage links a course to a plan; UnlinkPlanCourse undoes it.
func LinkPlanCoursePage(st planCourses) http.Handler {
	return changePlanCourses(st, func(ctx context.Context, r *http.Request) error {
		return st.LinkPlanCourse(ctx, r.PathValue("id"), r.FormValue("course"), mustActor(r))
	})
}

// UnlinkPlanCoursePage stops enrolling a plan's licensees in a course.
func UnlinkPlanCoursePage(st planCourses) http.Handler {
	return changePlanCourses(st, func(ctx context.Context, r *http.Request) error {
		return st.UnlinkPlanCourse(ctx, r.PathValue("id"), r.PathValue("key"), mustActor(r))
	})
}

// changePlanCourses runs change and answers with the courses section: its
// problem shown inside it when the change is refused.
func changePlanCourses(st planCourses, change func(ctx context.Context, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		if err := change(r.Context(), r); err != nil {
			if code := store.ErrorCode(err); code == store.EInvalid || code == store.ENotFound && r.PathValue("key") != "" {
				renderPlanCourses(w, r, st, statusOf(err), err.Error())
				return
			}
			Fail(w, r, err)
			return
		}
		http.Redirect(w, r, paths.PlanAction(r.PathValue("id"), "courses"), http.StatusSeeOther)
	})
}

// EnrollPlanLicenseesPage enrolls a plan's current licensees in its courses and
// shows the result.
func EnrollPlanLicenseesPage(st planCourses) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := st.EnrollPlanLicensees(r.Context(), r.PathValue("id"), mustActor(r), outcomeCSV)
		if err != nil {
			Fail(w, r, err)
			return
		}
		if res.ID == "" {
			renderPlanCourses(w, r, st, http.StatusUnprocessableEntity, "Link a course first: this plan has no courses to enroll its licensees in.")
			return
		}
		http.Redirect(w, r, paths.EnrollmentResult(res.ID), http.StatusSeeOther)
	})
}
