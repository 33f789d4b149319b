package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/emaillist"
)

// seedCourses inserts course rows directly: course authoring is another area.
func seedCourses(t testing.TB, s *Store, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := s.pool.Exec(context.Background(), `INSERT INTO courses (key, title) VALUES ($1, $2)`, k, "Course "+k); err != nil {
			t.Fatal(err)
		}
	}
}

func parseEnrollmentCSV(t testing.TB, csv string) ([]emaillist.Pair, []emaillist.PairProblem) {
	t.Helper()
	list, err := emaillist.ReadPairs(strings.NewReader(csv), emaillist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Pairs, list.Problems
}

func enrollmentCount(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM enrollments`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var enrollingAdmin = Actor{Kind: ActorPerson, ID: "p1", Name: "ada@example.com", Role: RoleAdmin}

func TestEnroll_GoodPairsAreEnrolledWhileOthersAreReportedWithTheirIndex(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101", "cs102")
	pairs, refused := parseEnrollmentCSV(t, "email,course\nold@example.com,cs101\n")
	if _, err := s.Enroll(ctx, pairs, refused, enrollingAdmin); err != nil {
		t.Fatal(err)
	}

	pairs, refused = parseEnrollmentCSV(t, strings.Join([]string{
		"email,course",
		"Old@Example.com,cs101", // index 0: existing
		"new@example.com,cs101", // 1: enrolled
		"new@example.com,nope",  // 2: unknown course
		"not-an-email,cs101",    // 3: refused by the parser
		"new@example.com,cs102", // 4: enrolled
	}, "\n"))
	res, err := s.EnrollAndKeepResult(ctx, pairs, refused, enrollingAdmin, listOutcomes)
	if err != nil {
		t.Fatal(err)
	}
	if res.Enrolled != 2 || res.Existing != 1 || len(res.Problems) != 2 {
		t.Fatalf("enrolled %d, existing %d, problems %+v", res.Enrolled, res.Existing, res.Problems)
	}
	if p := res.Problems[0]; p.Index != 2 || p.Line != 4 || p.Course != "nope" || p.Reason != ReasonUnknownCourse {
		t.Errorf("first problem %+v, want index 2 (line 4) unknown course", p)
	}
	if p := res.Problems[1]; p.Index != 3 || p.Line != 5 || p.Email != "not-an-email" {
		t.Errorf("second problem %+v, want index 3 (line 5) bad email", p)
	}
	wantOutcomes := []Outcome{OutcomeExisting, OutcomeEnrolled, OutcomeProblem, OutcomeProblem, OutcomeEnrolled}
	if len(res.Pairs) != len(wantOutcomes) {
		t.Fatalf("%d pair results, want %d", len(res.Pairs), len(wantOutcomes))
	}
	for i, want := range wantOutcomes {
		if res.Pairs[i].Index != i || res.Pairs[i].Outcome != want {
			t.Errorf("pair %d: %+v, want %s", i, res.Pairs[i], want)
		}
	}
	if n := enrollmentCount(t, s); n != 3 {
		t.Errorf("%d enrollments, want 3", n)
	}

	kept, err := s.EnrollmentResultByID(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if kept.Enrolled != 2 || kept.Existing != 1 || len(kept.Problems) != 2 || kept.Problems[0] != res.Problems[0] {
		t.Errorf("kept result %+v", kept)
	}
	if lines := strings.Split(strings.TrimSpace(kept.Download), "\n"); len(lines) != 5 || lines[2] != "2 4 new@example.com nope problem unknown course" {
		t.Errorf("kept download:\n%s", kept.Download)
	}
}

// listOutcomes writes a call's results one line an entry, as a Download.
func listOutcomes(pairs []PairResult) string {
	var b strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&b, "%d %d %s %s %s %s\n", p.Index, p.Line, p.Email, p.Course, p.Outcome, p.Reason)
	}
	return b.String()
}

func TestEnroll_WritesOneAuditEntryWithTheCounts(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101")
	pairs, refused := parseEnrollmentCSV(t, "a@example.com,cs101\nb@example.com,cs101\nc@example.com,gone\nbad,cs101\n")
	res, err := s.Enroll(ctx, pairs, refused, enrollingAdmin)
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.ListAudit(ctx, AuditFilter{Action: "enrollment.bulk"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 {
		t.Fatalf("%d audit entries, want 1", len(page.Entries))
	}
	e := page.Entries[0]
	d := e.Detail.(map[string]any)
	if e.SubjectID != res.ID || e.Actor.Name != enrollingAdmin.Name || d["enrolled"] != 2.0 || d["existing"] != 0.0 || d["problems"] != 2.0 {
		t.Errorf("audit entry %+v", e)
	}
}

func TestEnroll_RepeatingACallReportsEveryPairAsExisting(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101", "cs102")
	pairs, _ := parseEnrollmentCSV(t, "a@example.com,cs101\na@example.com,cs102\nb@example.com,cs101\n")
	if _, err := s.Enroll(ctx, pairs, nil, enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	res, err := s.Enroll(ctx, pairs, nil, enrollingAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if res.Enrolled != 0 || res.Existing != 3 || len(res.Problems) != 0 {
		t.Errorf("repeat: %+v", res)
	}
	if _, err := s.EnrollmentResultByID(ctx, res.ID); ErrorCode(err) != ENotFound {
		t.Errorf("Enroll kept its result (%v); only EnrollAndKeepResult should", err)
	}
	if n := enrollmentCount(t, s); n != 3 {
		t.Errorf("%d enrollments, want 3", n)
	}
}

func TestEnroll_RechecksPairsFromGoCallers(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	seedCourses(t, s, "cs101")
	res, err := s.Enroll(context.Background(), []emaillist.Pair{
		{Index: 0, Email: " Mixed@Example.COM ", Course: "cs101"},
		{Index: 1, Email: "nope", Course: "cs101"},
		{Index: 2, Email: "x@example.com", Course: " "},
		{Index: 3, Email: "mixed@example.com", Course: "cs101"},
	}, nil, enrollingAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if res.Enrolled != 1 || len(res.Problems) != 3 || res.Pairs[0].Email != "mixed@example.com" ||
		res.Problems[1].Reason != "missing course" || res.Problems[2].Reason != "repeats entry 0" {
		t.Errorf("got %+v", res)
	}
}

func TestEnroll_ConcurrentOverlappingCallsNeitherDuplicateNorDeadlock(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	courses := []string{"c1", "c2", "c3"}
	seedCourses(t, s, courses...)
	var universe []emaillist.Pair
	for i := range 200 {
		universe = append(universe, emaillist.Pair{Email: fmt.Sprintf("l%03d@example.com", i), Course: courses[i%3]})
	}
	const workers = 8
	results := make([]EnrollmentResult, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		// Each worker enrolls a shuffled half of the universe, so the calls
		// overlap and take their rows in different input orders.
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		order := rng.Perm(len(universe))[:len(universe)/2]
		pairs := make([]emaillist.Pair, len(order))
		for i, j := range order {
			pairs[i] = universe[j]
			pairs[i].Index = i
		}
		wg.Go(func() { results[w], errs[w] = s.Enroll(ctx, pairs, nil, enrollingAdmin) })
	}
	wg.Wait()
	enrolled := 0
	for w := range workers {
		if errs[w] != nil {
			t.Fatalf("worker %d: %v", w, errs[w])
		}
		if results[w].Enrolled+results[w].Existing != len(universe)/2 {
			t.Errorf("worker %d: enrolled %d + existing %d != %d", w, results[w].Enrolled, results[w].Existing, len(universe)/2)
		}
		enrolled += results[w].Enrolled
	}
	var rows, distinct int
	if err := s.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (course_key, email)) FROM enrollments`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || rows != enrolled {
		t.Errorf("%d rows, %d distinct, %d reported enrolled: each enrollment must be made and reported once", rows, distinct, enrolled)
	}
}

func TestEnrollAssignees_EnrollsInEveryLinkedCourseAndRunsTwiceInOneTransaction(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101", "cs102", "other")
	p, err := s.CreatePlan(ctx, NewPlan{Name: "Acme", Seats: 5}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"cs101", "cs102"} {
		if err := s.LinkPlanCourse(ctx, p.ID, c, enrollingAdmin); err != nil {
			t.Fatal(err)
		}
	}
	var first, second EnrollmentResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if first, err = enrollAssignees(ctx, tx, p.ID, []string{"a@example.com", "b@example.com"}, enrollingAdmin, nil); err != nil {
			return err
		}
		second, err = enrollAssignees(ctx, tx, p.ID, []string{"b@example.com", "c@example.com"}, enrollingAdmin, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.Enrolled != 4 || second.Enrolled != 2 || second.Existing != 2 {
		t.Errorf("first %+v, second %+v", first, second)
	}
	var other int
	s.pool.QueryRow(ctx, `SELECT count(*) FROM enrollments WHERE course_key = 'other'`).Scan(&other)
	if n := enrollmentCount(t, s); n != 6 || other != 0 {
		t.Errorf("%d enrollments (%d in an unlinked course), want 6 (0)", n, other)
	}
}

func TestEnrollPlanLicensees_EnrollsLiveLicenseHolders(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101")
	p, err := s.CreatePlan(ctx, NewPlan{Name: "Acme", Seats: 3}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LinkPlanCourse(ctx, p.ID, "cs101", enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	// Assignment is another area: give two seats to people directly.
	if _, err := s.pool.Exec(ctx, `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT key, 'assigned', 'l' || i || '@example.com', decode(md5(i::text), 'hex') FROM plans, generate_series(1, 2) i WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	res, err := s.EnrollPlanLicensees(ctx, p.ID, enrollingAdmin, listOutcomes)
	if err != nil || res.Enrolled != 2 {
		t.Errorf("enrolled %+v, %v; want 2", res, err)
	}
}

func TestLinkPlanCourse_LinksOnceAndRefusesUnknownCourses(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101", "cs102")
	p, err := s.CreatePlan(ctx, NewPlan{Name: "Acme", Seats: 1}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.LinkPlanCourse(ctx, p.ID, "cs101", enrollingAdmin); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LinkPlanCourse(ctx, p.ID, "missing", enrollingAdmin); ErrorCode(err) != EInvalid {
		t.Errorf("unknown course: %v, want invalid", err)
	}
	l, err := s.PlanCourses(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Linked) != 1 || l.Linked[0].Key != "cs101" || len(l.Available) != 1 || l.Available[0].Key != "cs102" {
		t.Errorf("plan courses %+v", l)
	}
	if err := s.UnlinkPlanCourse(ctx, p.ID, "cs101", enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.UnlinkPlanCourse(ctx, p.ID, "cs101", enrollingAdmin); ErrorCode(err) != ENotFound {
		t.Errorf("second unlink: %v, want not found", err)
	}
	audit, _ := s.ListAudit(ctx, AuditFilter{Q: "cs101"})
	if len(audit.Entries) != 2 {
		t.Errorf("%d audit entries for one link and one unlink, want 2", len(audit.Entries))
	}
}

func TestCourseEnrollments_SearchesAndPagesByEmail(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101")
	var pairs []emaillist.Pair
	for i := range 5 {
		pairs = append(pairs, emaillist.Pair{Index: i, Email: fmt.Sprintf("learner%d@example.com", i), Course: "cs101"})
	}
	pairs = append(pairs, emaillist.Pair{Index: 5, Email: "100%_real@example.com", Course: "cs101"})
	if _, err := s.Enroll(ctx, pairs, nil, enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	var seen []string
	f := EnrollmentFilter{Q: "LEARNER", Limit: 2}
	for {
		page, err := s.CourseEnrollments(ctx, "cs101", f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Enrollments {
			seen = append(seen, e.Email)
		}
		if page.NextAfter == "" {
			break
		}
		f.After = page.NextAfter
	}
	if strings.Join(seen, " ") != "learner0@example.com learner1@example.com learner2@example.com learner3@example.com learner4@example.com" {
		t.Errorf("paged through %v", seen)
	}
	literal, err := s.CourseEnrollments(ctx, "cs101", EnrollmentFilter{Q: "0%_"})
	if err != nil || len(literal.Enrollments) != 1 || literal.Total != 6 {
		t.Errorf("search for a literal %%_: %+v, %v", literal, err)
	}
	if _, err := s.CourseEnrollments(ctx, "nope", EnrollmentFilter{}); ErrorCode(err) != ENotFound {
		t.Errorf("unknown course: %v", err)
	}
}

func TestUnenroll_RemovesOneEnrollmentAndIsAudited(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "cs101")
	pairs, _ := parseEnrollmentCSV(t, "a@example.com,cs101\nb@example.com,cs101\n")
	if _, err := s.Enroll(ctx, pairs, nil, enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.Unenroll(ctx, "cs101", "A@example.com", enrollingAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.Unenroll(ctx, "cs101", "a@example.com", enrollingAdmin); ErrorCode(err) != ENotFound {
		t.Errorf("second unenroll: %v, want not found", err)
	}
	if n := enrollmentCount(t, s); n != 1 {
		t.Errorf("%d enrollments left, want 1", n)
	}
	audit, _ := s.ListAudit(ctx, AuditFilter{Action: "enrollment.delete"})
	if len(audit.Entries) != 1 {
		t.Errorf("%d unenroll audit entries, want 1", len(audit.Entries))
	}
}

func TestPreviewEnrollment_CountsPerCourseInListOrderWithoutChangingAnything(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	seedCourses(t, s, "A", "B")
	pairs, problems := parseEnrollmentCSV(t, "a@x.io,B\nb@x.io,Z\nc@x.io,B\n")
	if _, err := s.Enroll(ctx, pairs[:1], nil, testActor("x")); err != nil {
		t.Fatal(err)
	}
	before := enrollmentCount(t, s)
	got, err := s.PreviewEnrollment(ctx, pairs)
	if err != nil {
		t.Fatal(err)
	}
	want := []CoursePreview{{Key: "B", Pairs: 2, AlreadyEnrolled: 1, Known: true}, {Key: "Z", Pairs: 1}}
	if !reflect.DeepEqual(got, want) || len(problems) != 0 {
		t.Errorf("preview %+v, want %+v", got, want)
	}
	if enrollmentCount(t, s) != before {
		t.Error("the preview enrolled someone")
	}
}
