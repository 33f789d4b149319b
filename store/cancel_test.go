package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkCancelled asserts what every cancelled job leaves: the job failed,
// saying who cancelled it and that nothing was assigned; the plan free, its
// counts as before and as counted; the job's list gone.
func checkCancelled(t *testing.T, s *Store, job Job, planID, by string, before LicenseCounts) {
	t.Helper()
	j := readJob(t, s, job.ID)
	if j.Status != JobFailed || !j.Cancelled() || j.CancelledBy != by || j.FinishedAt == nil {
		t.Errorf("cancelled job reads %s, cancelled %v by %q", j.Status, j.Cancelled(), j.CancelledBy)
	}
	if want := "Cancelled by " + by + ", nothing was assigned."; j.Error != want {
		t.Errorf("cancelled job's error is %q, want %q", j.Error, want)
	}
	if _, held, err := s.HeldLock(context.Background(), PlanLockName(planID)); err != nil || held {
		t.Errorf("the plan's lock is held after the cancel (%v)", err)
	}
	if p := checkSeatInvariants(t, s, planID); p.Counts != before {
		t.Errorf("counts after the cancel %+v, before %+v", p.Counts, before)
	}
	if n := stagedAddresses(t, s, job.ID); n != 0 {
		t.Errorf("%d addresses of the cancelled list are still kept", n)
	}
}

func TestCancelJob_QueuedJobFailsAtOnceAndFreesThePlan(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com\nb@example.com")
	admin := testActor("Ada Admin")

	j, err := s.CancelJob(ctx, job.ID, admin)
	if err != nil || j.Status != JobFailed || !j.Cancelled() {
		t.Fatalf("cancel a queued job: %+v, %v", j, err)
	}
	checkCancelled(t, s, job, p.ID, "Ada Admin", LicenseCounts{Unassigned: 3})

	// Its queue entry, run late, does nothing.
	a, err := s.AssignmentOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, started, err := s.StartAttempt(ctx, job.ID, Attempt{Lease: a.Lease}, time.Minute); err != nil || started {
		t.Errorf("the cancelled job's attempt started %v (%v)", started, err)
	}
	// Twice is harmless, and the first canceller stays on record.
	if j, err := s.CancelJob(ctx, job.ID, testActor("Bea Admin")); err != nil || j.CancelledBy != "Ada Admin" {
		t.Errorf("cancel again: %+v, %v", j, err)
	}
	checkCancelled(t, s, job, p.ID, "Ada Admin", LicenseCounts{Unassigned: 3})
	// The plan takes new work at once.
	assign(t, s, p.ID, mustList(t, "c@example.com"))
}

func TestCancelJob_RunningJobStopsAtItsNextReportAndChangesNothing(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	const n = 2*listChunk + listChunk/2
	p := newPlan(t, s, n)
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "user%d@example.com\n", i)
	}
	job := accept(t, s, p.ID, list.String())
	a, err := s.AssignmentOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, lease, started, err := s.StartAttempt(ctx, job.ID, Attempt{Lease: a.Lease, Worker: "w:1"}, time.Minute)
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}

	// Cancelled once it runs: the request is only recorded, and the run
	// stops at its first progress report, with a batch written and rolled back.
	j, err := s.CancelJob(ctx, job.ID, testActor("Ada Admin"))
	if err != nil || j.Status != JobRunning || j.CancelRequestedAt == nil || j.Cancelled() {
		t.Fatalf("cancel a running job: %+v, %v; want it still running, cancel requested", j, err)
	}
	_, runErr := s.RunAssignment(ctx, a, lease)
	if got := readJob(t, s, job.ID).Done; got != listChunk {
		t.Errorf("the run stopped with %d done, want its first batch (%d) reported", got, listChunk)
	}
	if e, ok := runErr.(*Error); !ok || e.Reason != ReasonJobCancelled || e.Message != "Cancelled by Ada Admin, nothing was assigned." {
		t.Fatalf("the run ended with %v, want the job_cancelled conflict", runErr)
	}
	// What the worker does with that conflict: fail the job, free the plan.
	if err := s.FailAssignmentJob(ctx, job.ID, runErr.Error()); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseLock(ctx, lease); err != nil {
		t.Fatal(err)
	}
	checkCancelled(t, s, job, p.ID, "Ada Admin", LicenseCounts{Unassigned: n})
}

func TestCancelJob_AfterTheLastReportTheJobStillDoesNotCommit(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 2)
	job := accept(t, s, p.ID, "a@example.com")
	a, err := s.AssignmentOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, lease, _, err := s.StartAttempt(ctx, job.ID, Attempt{Lease: a.Lease}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The plan's row, which the run locks first: it waits here until the
	// cancel is recorded, then finds no more batches to report.
	hold, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := lockPlanRow(ctx, hold, p.ID); err != nil {
		t.Fatal(err)
	}
	var runErr error
	var running sync.WaitGroup
	running.Go(func() { _, runErr = s.RunAssignment(ctx, a, lease) })
	if _, err := s.CancelJob(ctx, job.ID, testActor("Ada Admin")); err != nil {
		t.Fatal(err)
	}
	hold.Rollback(ctx)
	running.Wait()
	if ErrorCode(runErr) != EConflict || !strings.Contains(runErr.Error(), "Cancelled by Ada Admin") {
		t.Fatalf("run: %v, want it cancelled", runErr)
	}
	if p := checkSeatInvariants(t, s, p.ID); p.Counts.Assigned != 0 {
		t.Errorf("a cancelled run assigned %d", p.Counts.Assigned)
	}
}

func TestCancelJob_RequestRecordedWhileTheLeaseIsBusyEndsTheJobAtItsStart(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 2)
	job := accept(t, s, p.ID, "a@example.com")
	// Another transaction on the lease row (an attempt starting, a refused
	// request): the cancel does not wait for it, it records the request.
	busy, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Rollback(ctx)
	if _, err := busy.Exec(ctx, `SELECT 1 FROM locks WHERE name = $1 FOR UPDATE`, PlanLockName(p.ID)); err != nil {
		t.Fatal(err)
	}
	j, err := s.CancelJob(ctx, job.ID, testActor("Ada Admin"))
	if err != nil || j.Status != JobQueued || j.CancelRequestedAt == nil {
		t.Fatalf("cancel with the lease busy: %+v, %v; want it queued, cancel requested", j, err)
	}
	busy.Rollback(ctx)

	a, err := s.AssignmentOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, started, err := s.StartAttempt(ctx, job.ID, Attempt{Lease: a.Lease}, time.Minute); err != nil || started {
		t.Fatalf("the attempt of a cancelled job started %v (%v)", started, err)
	}
	checkCancelled(t, s, job, p.ID, "Ada Admin", LicenseCounts{Unassigned: 2})
}

func TestCancelJob_FinishedJobIsAConflictAndOthersAreRefused(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	done := accept(t, s, p.ID, "a@example.com")
	if _, err := s.runNow(ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelJob(ctx, done.ID, testActor("Ada Admin")); ErrorCode(err) != EConflict || err.(*Error).Reason != ReasonJobFinished {
		t.Errorf("cancel a succeeded job: %v, want job_finished", err)
	}
	if j := readJob(t, s, done.ID); j.Status != JobSucceeded || j.CancelRequestedAt != nil {
		t.Errorf("a refused cancel changed the job: %+v", j)
	}

	queued := accept(t, s, p.ID, "b@example.com")
	support := Actor{Kind: ActorPerson, ID: "sup", Name: "Sue Support", Role: RoleSupport}
	if _, err := s.CancelJob(ctx, queued.ID, support); ErrorCode(err) != EForbidden {
		t.Errorf("support cancels a plan's job: %v, want forbidden", err)
	}
	author := Actor{Kind: ActorPerson, ID: "aut", Name: "Al Author", Role: RoleAuthor}
	if _, err := s.CancelJob(ctx, queued.ID, author); ErrorCode(err) != ENotFound {
		t.Errorf("an author cancels a plan's job: %v, want not found", err)
	}
	if j := readJob(t, s, queued.ID); j.Status != JobQueued || j.CancelRequestedAt != nil {
		t.Errorf("refused cancels changed the job: %+v", j)
	}
	// Whoever started it may, whatever their role now.
	starter := testActor("x")
	starter.Role = RoleSupport
	if j, err := s.CancelJob(ctx, queued.ID, starter); err != nil || !j.Cancelled() {
		t.Errorf("the starter cancels: %+v, %v", j, err)
	}
}

func TestCancelJob_RunningCourseImportStopsBeforeItCommits(t *testing.T) {
	t.Parallel()
	f := newCourseFixture(t)
	ctx := context.Background()
	imp := acceptImport(t, f)
	_, lease, started, err := f.s.StartAttempt(ctx, imp.JobID, Attempt{Lease: imp.Lease}, time.Minute)
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	// The author who started it may cancel it; it is running, so the
	// request waits for the import's own end.
	if j, err := f.s.CancelJob(ctx, imp.JobID, f.author); err != nil || j.Status != JobRunning {
		t.Fatalf("cancel: %+v %v", j, err)
	}
	_, err = f.s.RunCourseImport(ctx, imp, lease)
	if e, ok := err.(*Error); !ok || e.Reason != ReasonJobCancelled || !strings.HasSuffix(e.Message, ", nothing was imported.") {
		t.Fatalf("run: %v, want it cancelled", err)
	}
	outline, err := f.s.CourseOutline(ctx, f.key, f.author)
	if err != nil {
		t.Fatal(err)
	}
	if root := outline.Blocks[outline.Course.RootBlockID]; len(root.Children) != 1 || root.Children[0] != f.chapter.ID {
		t.Errorf("the cancelled import changed the course: chapters %v, want [%s]", root.Children, f.chapter.ID)
	}
}
