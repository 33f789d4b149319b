package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/emaillist"
)

// noQueue stands in for River: the tests run the job themselves.
func noQueue(context.Context, pgx.Tx, string) error { return nil }

func mustList(t testing.TB, text string) emaillist.Emails {
	t.Helper()
	l, err := emaillist.ReadEmails(strings.NewReader(text), emaillist.Options{Format: emaillist.FormatText})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newPlan(t testing.TB, s *Store, seats int) Plan {
	t.Helper()
	p, err := s.CreatePlan(context.Background(), NewPlan{Name: "Plan " + NewID(), Seats: seats}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func assign(t testing.TB, s *Store, planID string, list emaillist.Emails) AssignmentResult {
	t.Helper()
	res, err := s.AssignNow(context.Background(), planID, list, testActor("admin@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// accept accepts a list for the plan without running its job.
func accept(t testing.TB, s *Store, planID, text string) Job {
	t.Helper()
	job, err := s.AssignLicenses(context.Background(), planID, mustList(t, text), testActor("x"), time.Minute, noQueue)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// stagedAddresses counts the addresses of a job's list still staged.
func stagedAddresses(t testing.TB, s *Store, jobID string) (n int) {
	t.Helper()
	if err := s.pool.QueryRow(context.Background(), `SELECT coalesce(sum(cardinality(emails)), 0) FROM job_lists WHERE job_id = $1`, jobID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkSeatInvariants verifies, in SQL, what must hold for every plan.
func checkSeatInvariants(t testing.TB, s *Store, planID string) Plan {
	t.Helper()
	ctx := context.Background()
	p, err := s.Plan(ctx, planID)
	if err != nil {
		t.Fatal(err)
	}
	if live := p.Counts.Unassigned + p.Counts.Assigned + p.Counts.Activated; live != p.Seats {
		t.Errorf("unassigned+assigned+activated = %d, seats = %d", live, p.Seats)
	}
	if counted := countLicenses(t, s, planID); counted != p.Counts {
		t.Errorf("kept counts %+v, counted %+v", p.Counts, counted)
	}
	if p.Counts.Unassigned < 0 {
		t.Errorf("%d live licenses on %d seats", p.Counts.InUse(), p.Seats)
	}
	var twice int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT email FROM licenses
		WHERE plan_key = (SELECT key FROM plans WHERE id = $1) AND status IN ('assigned', 'activated') GROUP BY email HAVING count(*) > 1) d`,
		planID).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice > 0 {
		t.Errorf("%d addresses hold two live licenses", twice)
	}
	return p
}

// countLicenses counts a plan's licenses by status, row by row, and its
// free seats as the seats no live row takes: what the kept counters must
// always equal.
func countLicenses(t testing.TB, s *Store, planID string) (c LicenseCounts) {
	t.Helper()
	if err := s.pool.QueryRow(context.Background(), `SELECT p.seats - count(l.id) FILTER (WHERE l.status IN ('assigned', 'activated')),
		count(l.id) FILTER (WHERE l.status = 'assigned'), count(l.id) FILTER (WHERE l.status = 'activated'),
		count(l.id) FILTER (WHERE l.status = 'revoked') FROM plans p LEFT JOIN licenses l ON l.plan_key = p.key WHERE p.id = $1 GROUP BY p.seats`, planID).
		Scan(&c.Unassigned, &c.Assigned, &c.Activated, &c.Revoked); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAssign_NewAddressesGetSeatsAndLicensedOnesAreSkipped(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	p := newPlan(t, s, 5)
	first := assign(t, s, p.ID, mustList(t, "a@example.com\nB@example.com\nb@example.com\n"))
	if first != (AssignmentResult{Assigned: 2, Duplicates: 1}) {
		t.Errorf("first result %+v", first)
	}
	second := assign(t, s, p.ID, mustList(t, "b@example.com\nc@example.com\n"))
	if second != (AssignmentResult{Assigned: 1, AlreadyLicensed: 1}) {
		t.Errorf("second result %+v", second)
	}
	got := checkSeatInvariants(t, s, p.ID)
	if got.Counts != (LicenseCounts{Unassigned: 2, Assigned: 3}) {
		t.Errorf("counts %+v", got.Counts)
	}
	page, err := s.ListLicenses(context.Background(), p.ID, LicenseFilter{Status: LicenseAssigned})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range page.Licenses {
		if len(l.ActivationKey) != 32 || l.AssignedAt == nil {
			t.Errorf("license %+v lacks an activation key or time", l)
		}
	}
	if held, ok, _ := s.HeldLock(context.Background(), PlanLockName(p.ID)); ok {
		t.Errorf("the plan lock is still held by %s", held.Holder)
	}
}

func TestAssign_SecondRequestOnHeldPlanIsRefused(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 5)
	if _, err := s.AssignLicenses(ctx, p.ID, mustList(t, "a@example.com"), testActor("first"), time.Minute, noQueue); err != nil {
		t.Fatal(err)
	}
	_, err := s.AssignLicenses(ctx, p.ID, mustList(t, "b@example.com"), testActor("second"), time.Minute, noQueue)
	locked, ok := errors.AsType[*ErrLocked](err)
	if !ok || locked.Lock.Holder != "first" {
		t.Fatalf("second request: %v, want ErrLocked held by first", err)
	}
}

func TestAssign_InvalidAddressesChangeNothingAndFreeThePlan(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 5)
	_, err := s.AssignLicenses(ctx, p.ID, mustList(t, "a@example.com\nnot-an-address\n\nc@@example.com\n"), testActor("x"), time.Minute, noQueue)
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Reason != ReasonInvalidEmails {
		t.Fatalf("got %v, want invalid_emails", err)
	}
	problems := e.Detail.([]emaillist.Problem)
	if len(problems) != 2 || problems[0].Line != 2 || problems[1].Line != 4 {
		t.Errorf("problems %v, want lines 2 and 4", problems)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 0 {
		t.Errorf("assigned %d", got.Counts.Assigned)
	}
	if _, ok, _ := s.HeldLock(ctx, PlanLockName(p.ID)); ok {
		t.Error("a refused request left the plan locked")
	}
}

func TestAssign_InvalidListOnAHeldPlanIsToldWhatToFix(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 5)
	other, err := s.AcquireLock(ctx, PlanLockName(p.ID), testActor("other"), "other work", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AssignLicenses(ctx, p.ID, mustList(t, "a@example.com\nnot-an-address\n"), testActor("x"), time.Minute, noQueue)
	if e, ok := errors.AsType[*Error](err); !ok || e.Reason != ReasonInvalidEmails {
		t.Fatalf("got %v, want invalid_emails, not the other holder's lock", err)
	}
	if held, ok, _ := s.HeldLock(ctx, PlanLockName(p.ID)); !ok || held.LeaseID != other.LeaseID {
		t.Errorf("the plan lock is %+v (held %v), want the other holder's lease untouched", held, ok)
	}
}

func TestAssign_TooFewSeatsChangesNothing(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 2)
	assign(t, s, p.ID, mustList(t, "a@example.com"))
	_, err := s.AssignLicenses(ctx, p.ID, mustList(t, "a@example.com\nb@example.com\nc@example.com"), testActor("x"), time.Minute, noQueue)
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Reason != ReasonNotEnoughSeats || e.Detail != (SeatShortage{Needed: 2, Available: 1}) {
		t.Fatalf("got %v %+v, want not_enough_seats needed 2 available 1", err, e)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 1 {
		t.Errorf("assigned %d, want 1", got.Counts.Assigned)
	}
	// Longer than the free seats, but one address is licensed already: it fits.
	if res := assign(t, s, p.ID, mustList(t, "a@example.com\nb@example.com")); res != (AssignmentResult{Assigned: 1, AlreadyLicensed: 1}) {
		t.Errorf("a list that fits once licensed addresses are skipped: %+v", res)
	}
}

func TestAssign_AListWithNothingNewMakesNoJob(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 5)
	assign(t, s, p.ID, mustList(t, "a@example.com\nb@example.com"))
	jobs := countRows(t, s, "jobs")
	_, err := s.AssignLicenses(ctx, p.ID, mustList(t, "b@example.com\nA@example.com\na@example.com"), testActor("x"), time.Minute, noQueue)
	if e, ok := errors.AsType[*NothingToAssignError](err); !ok || *e != (NothingToAssignError{AlreadyLicensed: 2, Duplicates: 1}) {
		t.Fatalf("got %v, want nothing to assign, 2 licensed already, 1 duplicate", err)
	}
	if n := countRows(t, s, "jobs"); n != jobs {
		t.Errorf("%d jobs, want still %d", n, jobs)
	}
	if _, err := s.AcquireLock(ctx, PlanLockName(p.ID), testActor("next"), "next", time.Minute); err != nil {
		t.Errorf("the refusal kept the plan's lock: %v", err)
	}
}

func TestAssign_ManyBatchesMakeOneLicenseEachInListOrder(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	const n = 2*listChunk + listChunk/2
	p := newPlan(t, s, n+1)
	// A revoked license keeps its row; its address is licensed again below.
	assign(t, s, p.ID, mustList(t, "user0@example.com"))
	if _, err := s.RevokeLicenses(ctx, p.ID, []string{"user0@example.com"}, SystemActor); err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "user%d@example.com\n", i)
	}
	if res := assign(t, s, p.ID, mustList(t, list.String())); res.Assigned != n {
		t.Fatalf("assigned %d of %d", res.Assigned, n)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts != (LicenseCounts{Unassigned: 1, Assigned: n, Revoked: 1}) {
		t.Errorf("counts %+v", got.Counts)
	}
	// Ids follow the list: the assignment order is the id order.
	var outOfOrder, keys int
	var wellFormed bool
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE nth <> position), count(DISTINCT activation_key), bool_and(octet_length(activation_key) = 16)
		FROM (SELECT row_number() OVER (ORDER BY id) - 1 AS nth, substring(email FROM 'user(\d+)@')::int AS position, activation_key
		      FROM licenses WHERE plan_key = $1 AND status = 'assigned') l`, p.key).Scan(&outOfOrder, &keys, &wellFormed); err != nil {
		t.Fatal(err)
	}
	if outOfOrder != 0 {
		t.Errorf("%d licenses out of the list's order", outOfOrder)
	}
	if keys != n || !wellFormed {
		t.Errorf("%d distinct activation keys for %d licenses, all of 16 bytes: %v", keys, n, wellFormed)
	}
	page, err := s.ListLicenses(ctx, p.ID, LicenseFilter{Status: LicenseAssigned, Limit: 1})
	if err != nil || len(page.Licenses) != 1 || len(page.Licenses[0].ActivationKey) != 32 ||
		page.Licenses[0].ActivationKey != strings.ToUpper(page.Licenses[0].ActivationKey) {
		t.Errorf("first license %+v (%v), want a key of 32 upper-case hex digits", page.Licenses, err)
	}
}

func TestAssign_NoListOutlivesItsJob(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com\nb@example.com")
	if n := stagedAddresses(t, s, job.ID); n != 2 {
		t.Fatalf("%d staged addresses, want 2", n)
	}
	// Deleting the job (as pruning would) deletes its assignment and list.
	if _, err := s.pool.Exec(ctx, `DELETE FROM jobs WHERE id = $1`, job.ID); err != nil {
		t.Fatal(err)
	}
	if n := stagedAddresses(t, s, job.ID); n != 0 {
		t.Errorf("%d staged addresses outlived their job", n)
	}
}

func TestAssign_RetriedJobAssignsNothingTwice(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com\nb@example.com")
	for attempt := range 2 {
		if _, err := s.runNow(ctx, job.ID); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 2 {
		t.Errorf("assigned %d, want 2", got.Counts.Assigned)
	}
	j, _ := s.Job(ctx, job.ID)
	if j.Status != JobSucceeded || string(j.Result) != `{"assigned": 2, "duplicates": 0, "already_licensed": 0}` {
		t.Errorf("job %s %s", j.Status, j.Result)
	}
}

func TestAssign_StaleLeaseWritesNothing(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com")
	a, _ := s.AssignmentOf(ctx, job.ID)
	stale, err := s.ResumeLock(ctx, a.Lease, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ForceReleaseLock(ctx, a.Lease.Name, testActor("support")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLock(ctx, a.Lease.Name, testActor("other"), "other work", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunAssignment(ctx, a, stale); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale run: %v, want ErrLeaseLost", err)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 0 {
		t.Errorf("a stale lease assigned %d licenses", got.Counts.Assigned)
	}
}

func TestAssign_ConcurrentOverlappingListsNeverDoubleAssign(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 40)
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			var sb strings.Builder
			for i := range 10 {
				fmt.Fprintf(&sb, "user%d@example.com\n", c*3+i) // neighbours overlap
			}
			list := mustList(t, sb.String())
			// Every other client finishes its job in well under this; a
			// lock left behind would otherwise spin here until the test timeout.
			deadline := time.Now().Add(30 * time.Second)
			for {
				job, err := s.AssignLicenses(ctx, p.ID, list, testActor(fmt.Sprint("client", c)), time.Minute, noQueue)
				if locked, ok := errors.AsType[*ErrLocked](err); ok {
					if time.Now().After(deadline) {
						t.Errorf("client %d: the plan is still locked by %s after 30 s of retries", c, locked.Lock.Holder)
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				if _, ok := errors.AsType[*NothingToAssignError](err); ok {
					return // the neighbours' lists covered this one
				}
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.runNow(ctx, job.ID); err != nil {
					t.Error(err)
				}
				return
			}
		})
	}
	wg.Wait()
	got := checkSeatInvariants(t, s, p.ID)
	if got.Counts.Assigned != 31 { // user0 … user30
		t.Errorf("assigned %d, want 31", got.Counts.Assigned)
	}
}

func TestPreviewAssignment_CountsWithoutChangingAnything(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 2)
	assign(t, s, p.ID, mustList(t, "a@example.com"))
	pv, err := s.PreviewAssignment(ctx, p.ID, mustList(t, "a@example.com\nb@example.com\nc@example.com\nC@example.com\nbad\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pv.New != 2 || pv.AlreadyLicensed != 1 || pv.Duplicates != 1 || len(pv.Problems) != 1 || pv.Problems[0].Line != 5 ||
		pv.Needed != 2 || pv.Available != 1 || pv.Acceptable() {
		t.Errorf("preview %+v", pv)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 1 {
		t.Errorf("a preview changed the plan: %+v", got.Counts)
	}
}

func TestRevokeLicenses_FreesTheSeatAndKeepsHistory(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	assign(t, s, p.ID, mustList(t, "a@example.com\nb@example.com"))
	n, err := s.RevokeLicenses(ctx, p.ID, []string{"A@example.com", "nobody@example.com"}, testActor("support"))
	if err != nil || n != 1 {
		t.Fatalf("revoked %d, %v", n, err)
	}
	got := checkSeatInvariants(t, s, p.ID)
	if got.Counts != (LicenseCounts{Unassigned: 2, Assigned: 1, Revoked: 1}) {
		t.Errorf("counts %+v", got.Counts)
	}
	// The address can be licensed again.
	if res := assign(t, s, p.ID, mustList(t, "a@example.com")); res.Assigned != 1 {
		t.Errorf("re-assign %+v", res)
	}
}

func TestRevokeLicenses_IsRefusedWhileThePlanIsLocked(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	assign(t, s, p.ID, mustList(t, "a@example.com"))
	if _, err := s.AcquireLock(ctx, PlanLockName(p.ID), testActor("job"), "assign", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeLicenses(ctx, p.ID, []string{"a@example.com"}, testActor("support")); ErrorCode(err) != EConflict {
		t.Fatalf("got %v, want ErrLocked", err)
	}
}

func TestListLicenses_FiltersAndPagesByCursor(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 7)
	assign(t, s, p.ID, mustList(t, "ann@example.com\nanna@example.com\nbob@example.com\nanton@example.com\nal_x@example.com"))
	var seen []string
	f := LicenseFilter{Status: LicenseAssigned, Q: "AN", Limit: 2}
	for range 5 {
		page, err := s.ListLicenses(ctx, p.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Licenses {
			seen = append(seen, l.Email)
		}
		if page.NextCursor == "" {
			break
		}
		f.After = page.NextCursor
	}
	if strings.Join(seen, ",") != "ann@example.com,anna@example.com,anton@example.com" {
		t.Errorf("pages held %v", seen)
	}
	// LIKE wildcards in the search are literal.
	if page, _ := s.ListLicenses(ctx, p.ID, LicenseFilter{Q: "al_"}); len(page.Licenses) != 1 {
		t.Errorf("search al_ found %d", len(page.Licenses))
	}
	if _, err := s.ListLicenses(ctx, p.ID, LicenseFilter{After: "nope"}); ErrorCode(err) != EBadRequest {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestAssign_SeatsGoneBeforeTheJobFailItWithoutChanges(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com\nb@example.com\nc@example.com")
	one := 1
	if _, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Seats: &one}, testActor("support")); !isLocked(err) {
		t.Fatalf("lowering seats under the job's lock: %v, want blocked", err)
	}
	// A writer that ignores the lock (an operator's SQL) can still take
	// them; the database refuses the job's licenses beyond the seats.
	if _, err := s.pool.Exec(ctx, `UPDATE plans SET seats = 1 WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.runNow(ctx, job.ID)
	if e, ok := errors.AsType[*Error](err); !ok || e.Reason != ReasonNotEnoughSeats || e.Detail != (SeatShortage{Needed: 3, Available: 1}) {
		t.Fatalf("run: %v, want not_enough_seats needed 3 available 1", err)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 0 {
		t.Errorf("a failed job assigned %d", got.Counts.Assigned)
	}
	if err := s.FailAssignmentJob(ctx, job.ID, err.Error()); err != nil {
		t.Fatal(err)
	}
	j, _ := s.Job(ctx, job.ID)
	if staged := stagedAddresses(t, s, job.ID); j.Status != JobFailed || !strings.Contains(j.Error, "needs 3 seats") || staged != 0 {
		t.Errorf("job %s %q, %d staged rows left", j.Status, j.Error, staged)
	}
}

func TestAssign_EnrollsTheListInThePlansLinkedCoursesInTheSameJob(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 5)
	if _, err := s.pool.Exec(ctx, `INSERT INTO courses (key, title) VALUES ('course-a', 'A'), ('course-b', 'B')`); err != nil {
		t.Fatal(err)
	}
	// Without linked courses, assignment enrolls no one.
	if res := assign(t, s, p.ID, mustList(t, "early@example.com\n")); res.Enrolled != 0 {
		t.Errorf("enrolled %d with no linked course", res.Enrolled)
	}
	for _, c := range []string{"course-a", "course-b"} {
		if err := s.LinkPlanCourse(ctx, p.ID, c, SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO enrollments (course_key, email, enrolled_by_kind, enrolled_by_id, enrolled_by_name)
		VALUES ('course-a', 'ann@example.com', 'system', 'test', 'test')`); err != nil {
		t.Fatal(err)
	}
	res := assign(t, s, p.ID, mustList(t, "ann@example.com\nbob@example.com\nearly@example.com\n"))
	want := AssignmentResult{Assigned: 2, AlreadyLicensed: 1, Enrolled: 5, AlreadyEnrolled: 1}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	var pairs int
	s.pool.QueryRow(ctx, `SELECT count(*) FROM enrollments WHERE email IN ('ann@example.com', 'bob@example.com', 'early@example.com')`).Scan(&pairs)
	if pairs != 6 {
		t.Errorf("%d enrollments, want every listed address in both courses (6)", pairs)
	}
}

func TestListLicenses_FreeSeatsHaveNoRows(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 4)
	assign(t, s, p.ID, mustList(t, "ann@example.com\nbob@example.com\n"))
	all, err := s.ListLicenses(ctx, p.ID, LicenseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	free, err := s.ListLicenses(ctx, p.ID, LicenseFilter{Status: LicenseUnassigned})
	if err != nil {
		t.Fatal(err)
	}
	total, err := s.CountLicenses(ctx, p.ID, LicenseFilter{Status: LicenseUnassigned})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Licenses) != 2 || len(free.Licenses) != 0 || free.NextCursor != "" || total != 0 {
		t.Errorf("all %d, unassigned %d (next %q, total %d); want 2 and an empty page", len(all.Licenses), len(free.Licenses), free.NextCursor, total)
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Unassigned != 2 {
		t.Errorf("free seats %d, want 2", got.Counts.Unassigned)
	}
}

func TestListLicenses_UnknownPlanIsNotFound(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	if _, err := s.ListLicenses(context.Background(), "no-such-plan", LicenseFilter{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want not found", err)
	}
}
