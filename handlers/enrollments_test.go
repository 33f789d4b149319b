package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/store/storetest"
)

var enrollingAdmin = store.Actor{Kind: store.ActorPerson, ID: "p1", Name: "ada@example.com", Role: store.RoleAdmin}

// enrollmentStore is a store over a fresh database holding two courses.
func enrollmentStore(t *testing.T) *store.Store {
	t.Helper()
	pool := storetest.NewPool(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO courses (key, title) VALUES ('cs101', 'Intro'), ('cs102', 'Next')`); err != nil {
		t.Fatal(err)
	}
	return store.New(pool)
}

// as serves h as the given actor, as the auth middleware would.
func as(a store.Actor, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(WithActor(r.Context(), a)))
	})
}

func postAPI(t *testing.T, h http.Handler, contentType, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/enrollments", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%d %q is not JSON: %v", rec.Code, rec.Body.String(), err)
	}
	return rec.Code, got
}

var generous = ListLimits{MaxBytes: 1 << 20, MaxEntries: 1000}

func TestEnrollAPI_JSONListEnrollsGoodPairsAndReportsProblemsByIndex(t *testing.T) {
	t.Parallel()
	h := as(enrollingAdmin, EnrollAPI(enrollmentStore(t), generous))
	body := `{"enrollments":[{"email":"a@example.com","course":"cs101"},{"email":"bad","course":"cs101"},{"email":"a@example.com","course":"nope"},{"email":"B@example.com","course":"cs102"}]}`
	status, got := postAPI(t, h, "application/json", body)
	if status != http.StatusOK || got["enrolled"] != 2.0 || got["existing"] != 0.0 {
		t.Fatalf("%d %v", status, got)
	}
	problems := got["problems"].([]any)
	if len(problems) != 2 {
		t.Fatalf("problems %v, want 2", problems)
	}
	first, second := problems[0].(map[string]any), problems[1].(map[string]any)
	if first["index"] != 1.0 || first["email"] != "bad" || second["index"] != 2.0 || second["reason"] != "unknown course" {
		t.Errorf("problems %v", problems)
	}
	// The same list again: nothing new, the good pairs are existing.
	if status, got = postAPI(t, h, "application/json", body); got["enrolled"] != 0.0 || got["existing"] != 2.0 {
		t.Errorf("repeat: %d %v", status, got)
	}
}

func TestEnrollAPI_CSVReportsProblemsWithTheirLine(t *testing.T) {
	t.Parallel()
	h := as(enrollingAdmin, EnrollAPI(enrollmentStore(t), generous))
	status, got := postAPI(t, h, "text/csv", "email,course\r\na@example.com,cs101\r\nb@example.com,missing\r\n")
	if status != http.StatusOK || got["enrolled"] != 1.0 {
		t.Fatalf("%d %v", status, got)
	}
	p := got["problems"].([]any)[0].(map[string]any)
	if p["index"] != 1.0 || p["line"] != 3.0 || p["course"] != "missing" {
		t.Errorf("problem %v", p)
	}
}

func TestEnrollAPI_MalformedCSVIs422NamingTheLine(t *testing.T) {
	t.Parallel()
	h := as(enrollingAdmin, EnrollAPI(enrollmentStore(t), generous))
	status, got := postAPI(t, h, "text/csv", "a@example.com,cs101\nb@example.com,\"cs1\"01\n")
	if status != http.StatusUnprocessableEntity || got["error"] != "malformed_csv" || got["line"] != 2.0 ||
		!strings.Contains(got["message"].(string), "line 2") {
		t.Errorf("%d %v", status, got)
	}
}

func TestEnrollAPI_ListOverALimitIs413AndChangesNothing(t *testing.T) {
	t.Parallel()
	st := enrollmentStore(t)
	tight := ListLimits{MaxBytes: 64, MaxEntries: 2}
	h := as(enrollingAdmin, EnrollAPI(st, tight))
	tests := []struct{ name, contentType, body, kind string }{
		{"CSVOverTheBytes", "text/csv", strings.Repeat("a@example.com,cs101\n", 5), "too_large"},
		{"JSONOverTheBytes", "application/json", `{"enrollments":[` + strings.Repeat(`{"email":"a@example.com","course":"cs101"},`, 3) + `]}`, "too_large"},
		{"CSVOverTheEntries", "text/csv", "a@x.io,cs101\nb@x.io,cs101\nc@x.io,cs101\n", "too_many_entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := postAPI(t, h, tt.contentType, tt.body)
			if status != http.StatusRequestEntityTooLarge || got["error"] != tt.kind {
				t.Errorf("%d %v, want 413 %s", status, got, tt.kind)
			}
		})
	}
	page, err := st.CourseEnrollments(context.Background(), "cs101", store.EnrollmentFilter{})
	if err != nil || page.Total != 0 {
		t.Errorf("a refused list enrolled %d learners (%v)", page.Total, err)
	}
}

func TestEnrollAPI_OtherMediaTypesAre415(t *testing.T) {
	t.Parallel()
	h := as(enrollingAdmin, EnrollAPI(enrollmentStore(t), generous))
	if status, got := postAPI(t, h, "application/xml", "<x/>"); status != http.StatusUnsupportedMediaType {
		t.Errorf("%d %v", status, got)
	}
}

// postForm sends a multipart upload form with a file, as the browser does.
func postForm(t *testing.T, h http.Handler, path, file string) *httptest.ResponseRecorder {
	t.Helper()
	var body strings.Builder
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "list.csv")
	io.WriteString(fw, file)
	mw.WriteField("pairs", "")
	mw.Close()
	req := httptest.NewRequest("POST", path, strings.NewReader(body.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestEnrollmentPages_PreviewChangesNothingAndConfirmShowsTheResult(t *testing.T) {
	t.Parallel()
	st := enrollmentStore(t)
	list := "email,course\na@example.com,cs101\nnot-an-email,cs101\nb@example.com,gone\n"

	rec := postForm(t, as(enrollingAdmin, PreviewEnrollmentsPage(st, generous)), "/enrollments/preview", list)
	if rec.Code != http.StatusOK {
		t.Fatalf("preview: %d %s", rec.Code, rec.Body)
	}
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if got := doc.Find(`[data-testid="preview-problem"]`).First().Find("td").First().Text(); got != "line 3" {
		t.Errorf("first problem at %q, want line 3", got)
	}
	if doc.Find(`[data-testid="unknown-course"]`).Length() != 1 {
		t.Error("the unknown course is not flagged")
	}
	preview := doc.Find(`[data-testid="confirm-form"] input[name="preview"]`).AttrOr("value", "")
	if preview == "" || doc.Find(`[data-testid="confirm-form"] textarea, [data-testid="confirm-form"] input[name="pairs"]`).Length() != 0 {
		t.Errorf("the confirm form names preview %q, and must not carry the list", preview)
	}
	if page, _ := st.CourseEnrollments(context.Background(), "cs101", store.EnrollmentFilter{}); page.Total != 0 {
		t.Errorf("preview enrolled %d learners", page.Total)
	}

	confirm := func(by store.Actor, preview string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/enrollments", strings.NewReader(url.Values{"preview": {preview}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		as(by, ConfirmEnrollmentsPage(st, generous)).ServeHTTP(rec, req)
		return rec
	}
	// Another person's preview is not theirs to confirm.
	other := store.Actor{Kind: store.ActorPerson, ID: "p2", Name: "bob@example.com", Role: store.RoleAdmin}
	if rec := confirm(other, preview); rec.Code != http.StatusNotFound {
		t.Errorf("another person confirms the preview: %d", rec.Code)
	}
	if page, _ := st.CourseEnrollments(context.Background(), "cs101", store.EnrollmentFilter{}); page.Total != 0 {
		t.Errorf("a refused confirm enrolled %d learners", page.Total)
	}
	done := confirm(enrollingAdmin, preview)
	location := done.Header().Get("Location")
	if done.Code != http.StatusSeeOther || !strings.HasPrefix(location, "/enrollments/results/") {
		t.Fatalf("confirm: %d to %q", done.Code, location)
	}
	if again := confirm(enrollingAdmin, preview); again.Code != http.StatusNotFound {
		t.Errorf("a confirmed preview confirms again: %d", again.Code)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /enrollments/results/{name}", as(enrollingAdmin, EnrollmentResultPage(st)))
	result := httptest.NewRecorder()
	mux.ServeHTTP(result, httptest.NewRequest("GET", location, nil))
	doc, _ = goquery.NewDocumentFromReader(result.Body)
	if got := doc.Find(`[data-testid="result-enrolled"]`).Text(); got != "1" {
		t.Errorf("result page: enrolled %q, want 1", got)
	}
	if got := doc.Find(`[data-testid="result-problem"]`).Length(); got != 2 {
		t.Errorf("result page lists %d problems, want 2", got)
	}
	csvURL := doc.Find(`[data-testid="download-csv"]`).AttrOr("href", "")
	download := httptest.NewRecorder()
	mux.ServeHTTP(download, httptest.NewRequest("GET", csvURL, nil))
	if download.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(download.Body.String(), "0,2,a@example.com,cs101,enrolled,\n") ||
		!strings.Contains(download.Body.String(), "2,4,b@example.com,gone,problem,unknown course\n") {
		t.Errorf("CSV download %q:\n%s", csvURL, download.Body)
	}
}

func TestEnrollmentPages_TheCourseColumnCanBePickedOnTheStoredList(t *testing.T) {
	t.Parallel()
	st := enrollmentStore(t)
	// A course column the reader does not find by its header: "Gruppe" is not a course word,
	// and the first other column holds names.
	list := "Name;Mail;Gruppe\r\nAnn;ann@example.com;cs101\r\nBo;bo@example.com;cs102\r\n"
	mux := http.NewServeMux()
	mux.Handle("POST /enrollments/preview", as(enrollingAdmin, PreviewEnrollmentsPage(st, generous)))
	mux.Handle("GET /enrollments/previews/{preview}", as(enrollingAdmin, EnrollmentPreviewPage(st, generous)))
	rec := postForm(t, mux, "/enrollments/preview", list)
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if got := doc.Find(`[data-testid="source-separator"]`).Text(); rec.Code != http.StatusOK || got != "semicolons" {
		t.Fatalf("preview: %d, separator %q", rec.Code, got)
	}
	pick, _ := doc.Find(`[data-testid="column-picker"]`).Attr("hx-get")
	if doc.Find(`[data-testid="course-column-select"] option`).Length() != 3 || !strings.HasPrefix(pick, "/enrollments/previews/") {
		t.Fatalf("no course column picker: %q", pick)
	}

	req := httptest.NewRequest("GET", pick+"?column=2&course_column=3", nil)
	req.Header.Set("HX-Request", "true")
	again := httptest.NewRecorder()
	mux.ServeHTTP(again, req)
	doc, _ = goquery.NewDocumentFromReader(again.Body)
	if got := doc.Find(`[data-testid="source-course-column"]`).Text(); again.Code != http.StatusOK || !strings.Contains(got, "Gruppe") {
		t.Errorf("re-read: %d, course column %q", again.Code, got)
	}
	if doc.Find(`[data-testid="unknown-course"]`).Length() != 0 || doc.Find(`[data-testid="preview-pairs"]`).Text() != "2" {
		t.Errorf("with the Gruppe column both pairs are known: %s", doc.Find(`[data-testid="enrollment-preview"]`).Text())
	}
	if v := doc.Find(`[data-testid="confirm-form"] input[name="course_column"]`).AttrOr("value", ""); v != "3" {
		t.Errorf("the confirm reads course column %q, want 3", v)
	}
	if doc.Find("nav").Length() != 0 {
		t.Error("htmx got the whole page, not the preview")
	}
}

func TestEnrollmentPages_MalformedUploadIsShownOnTheFormWithItsLine(t *testing.T) {
	t.Parallel()
	rec := postForm(t, as(enrollingAdmin, PreviewEnrollmentsPage(enrollmentStore(t), generous)), "/enrollments/preview", "a@example.com,cs101\n\"open,cs101\n")
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if msg := doc.Find(`[data-testid="upload-error"]`).Text(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, "line 2") {
		t.Errorf("%d %q", rec.Code, msg)
	}
}

func TestCourseLearners_PagesSearchesAndUnenrollsWithHtmx(t *testing.T) {
	t.Parallel()
	st := enrollmentStore(t)
	ctx := context.Background()
	var list strings.Builder
	for i := range 60 {
		fmt.Fprintf(&list, "learner%02d@example.com,cs101\n", i)
	}
	pairs, refused := mustParse(t, list.String())
	if _, err := st.Enroll(ctx, pairs, refused, enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /enrollments/courses/{key}", as(enrollingAdmin, CourseLearnersPage(st)))
	mux.Handle("POST /enrollments/courses/{key}/unenroll", as(enrollingAdmin, UnenrollPage(st, nil)))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/enrollments/courses/cs101", nil))
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	next := doc.Find(`[data-testid="next-page"]`).AttrOr("href", "")
	if n := doc.Find(`[data-testid="enrollment-row"]`).Length(); n != 50 || next != "/enrollments/courses/cs101?after=learner49%40example.com" {
		t.Errorf("first page: %d rows, next %q", n, next)
	}

	req := httptest.NewRequest("POST", "/enrollments/courses/cs101/unenroll", strings.NewReader("email=learner07%40example.com&q=learner0"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != "/enrollments/courses/cs101?q=learner0" {
		t.Fatalf("unenroll: %d to %q", rec.Code, loc)
	}
	req = httptest.NewRequest("GET", "/enrollments/courses/cs101?q=learner0", nil)
	req.Header.Set("HX-Request", "true")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	doc, _ = goquery.NewDocumentFromReader(rec.Body)
	if doc.Find("#course-enrollments").Length() != 1 || doc.Find("h1").Length() != 0 {
		t.Error("an htmx request did not get the list fragment alone")
	}
	if n := doc.Find(`[data-testid="enrollment-row"]`).Length(); n != 9 {
		t.Errorf("search learner0 after unenrolling learner07: %d rows, want 9", n)
	}
}

func TestPlanCourses_LinkAndUnlinkAnswerWithTheSection(t *testing.T) {
	t.Parallel()
	st := enrollmentStore(t)
	p, err := st.CreatePlan(context.Background(), store.NewPlan{Name: "Acme", Seats: 2}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /plans/{id}/courses", as(enrollingAdmin, PlanCoursesPage(st)))
	mux.Handle("POST /plans/{id}/courses", as(enrollingAdmin, LinkPlanCoursePage(st)))
	mux.Handle("POST /plans/{id}/courses/{key}/unlink", as(enrollingAdmin, UnlinkPlanCoursePage(st)))
	post := func(path, form string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	if rec := post("/plans/"+p.ID+"/courses", "course=cs102"); rec.Code != http.StatusSeeOther {
		t.Fatalf("link: %d %s", rec.Code, rec.Body)
	}
	rec := post("/plans/"+p.ID+"/courses", "course=nope")
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="plan-courses-error"]`).Text(), "nope") {
		t.Errorf("unknown course: %d %q", rec.Code, doc.Find(`[data-testid="plan-courses-error"]`).Text())
	}
	if got := doc.Find(`[data-testid="plan-course"]`).Text(); !strings.Contains(got, "cs102") {
		t.Errorf("linked courses %q, want cs102", got)
	}
	if rec := post("/plans/"+p.ID+"/courses/cs102/unlink", ""); rec.Code != http.StatusSeeOther {
		t.Errorf("unlink: %d", rec.Code)
	}
	l, _ := st.PlanCourses(context.Background(), p.ID)
	if len(l.Linked) != 0 {
		t.Errorf("still linked: %+v", l.Linked)
	}
}

func mustParse(t *testing.T, csv string) ([]emaillist.Pair, []emaillist.PairProblem) {
	t.Helper()
	list, err := emaillist.ReadPairs(strings.NewReader(csv), emaillist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Pairs, list.Problems
}

func TestEnrollmentPages_UploadOverTheLimitIs413OnTheForm(t *testing.T) {
	t.Parallel()
	h := as(enrollingAdmin, PreviewEnrollmentsPage(enrollmentStore(t), ListLimits{MaxBytes: 64, MaxEntries: 10}))
	rec := postForm(t, h, "/enrollments/preview", strings.Repeat("a@example.com,cs101\n", 10))
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if msg := doc.Find(`[data-testid="upload-error"]`).Text(); rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "64 bytes") {
		t.Errorf("%d %q", rec.Code, msg)
	}
}
