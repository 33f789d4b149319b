package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/storetest"
)

// requeued records what RequeueInterruptedJobs handed back to the queue.
type requeued struct{ jobs []Job }

func (r *requeued) requeue(_ context.Context, _ pgx.Tx, j Job) error {
	r.jobs = append(r.jobs, j)
	return nil
}

// startDying starts the first attempt of an accepted assignment, then
// moves the store's clock past its lease and heartbeat, as if its process
// died at once.
func startDying(t *testing.T, s *Store, clock *storetest.Clock, job Job) Assignment {
	t.Helper()
	ctx := context.Background()
	a, err := s.AssignmentOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, started, err := s.StartAttempt(ctx, job.ID, Attempt{Lease: a.Lease, Worker: "doomed:1"}, time.Minute); err != nil || !started {
		t.Fatalf("start the first attempt: started %v, %v", started, err)
	}
	if j := readJob(t, s, job.ID); j.Status != JobRunning || j.Interrupted {
		t.Fatalf("a job its process still vouches for reads %s interrupted %v", j.Status, j.Interrupted)
	}
	clock.Advance(time.Minute + time.Second)
	return a
}

func readJob(t *testing.T, s *Store, id string) Job {
	t.Helper()
	j, err := s.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJob_WhoseLeaseExpiredReadsInterruptedAndIsRequeuedAsANewAttempt(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com\nb@example.com")
	a := startDying(t, s, clock, job)

	if j := readJob(t, s, job.ID); !j.Interrupted || j.Status != JobQueued || j.Worker != "doomed:1" || j.Interruption == "" {
		t.Errorf("interrupted job reads %s interrupted %v by %q (%q), want queued by its dead worker with a reason", j.Status, j.Interrupted, j.Worker, j.Interruption)
	}

	var q requeued
	jobs, err := s.RequeueInterruptedJobs(ctx, q.requeue)
	if err != nil || len(jobs) != 1 || len(q.jobs) != 1 || q.jobs[0].ID != job.ID || q.jobs[0].Attempt != 1 {
		t.Fatalf("requeue: %v %+v, want the job as attempt 1", err, q.jobs)
	}
	if again, err := s.RequeueInterruptedJobs(ctx, q.requeue); err != nil || len(again) != 0 {
		t.Errorf("a second sweep requeued %d jobs (%v), want none", len(again), err)
	}
	j := readJob(t, s, job.ID)
	if j.Status != JobQueued || !j.Interrupted || j.Interruptions != 1 || j.InterruptedAt == nil || j.Attempt != 1 {
		t.Errorf("requeued job reads %+v", j)
	}

	// The dead attempt's queue entry, retried late by River, does nothing.
	if _, _, started, err := s.StartAttempt(ctx, job.ID, Attempt{Number: 0, Lease: a.Lease}, time.Minute); err != nil || started {
		t.Errorf("superseded attempt 0 started %v (%v)", started, err)
	}
	j, lease, started, err := s.StartAttempt(ctx, job.ID, Attempt{Number: 1, Lease: a.Lease, Worker: "alive:2"}, time.Minute)
	if err != nil || !started || lease.LeaseID != a.Lease.LeaseID || lease.Token <= a.Lease.Token || j.Status != JobRunning {
		t.Fatalf("attempt 1: started %v lease %+v job %s (%v)", started, lease, j.Status, err)
	}
	if j := readJob(t, s, job.ID); j.Interrupted || j.Status != JobRunning || j.Worker != "alive:2" {
		t.Errorf("resumed job reads %s interrupted %v by %q", j.Status, j.Interrupted, j.Worker)
	}
	res, err := s.RunAssignment(ctx, a, lease)
	if err != nil || res.Assigned != 2 {
		t.Fatalf("run attempt 1: %+v %v", res, err)
	}
	if j := readJob(t, s, job.ID); j.Status != JobSucceeded || j.Interrupted {
		t.Errorf("finished job reads %s interrupted %v", j.Status, j.Interrupted)
	}
}

func TestStartAttempt_RefusedOnceNewerWorkTookTheLock(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com")
	a := startDying(t, s, clock, job)
	// Newer work takes the plan after the crash and is done with it.
	newer, err := s.AcquireLock(ctx, a.Lease.Name, testActor("other"), "other work", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseLock(ctx, newer); err != nil {
		t.Fatal(err)
	}
	var q requeued
	if _, err := s.RequeueInterruptedJobs(ctx, q.requeue); err != nil || len(q.jobs) != 1 {
		t.Fatalf("requeue: %v %d", err, len(q.jobs))
	}

	_, _, started, err := s.StartAttempt(ctx, job.ID, Attempt{Number: 1, Lease: a.Lease}, time.Minute)
	if !errors.Is(err, ErrLeaseSuperseded) || started {
		t.Fatalf("retry after newer work: started %v, %v; want ErrLeaseSuperseded", started, err)
	}
	if j := readJob(t, s, job.ID); j.Status != JobQueued || !j.Interrupted {
		t.Errorf("refused retry left the job %s interrupted %v", j.Status, j.Interrupted)
	}
	if _, held, _ := s.HeldLock(ctx, a.Lease.Name); held {
		t.Error("the refused retry holds the plan's lock")
	}
	if got := checkSeatInvariants(t, s, p.ID); got.Counts.Assigned != 0 {
		t.Errorf("%d licenses assigned", got.Counts.Assigned)
	}
}

func TestStartAttempt_RefusedWhenTheRetryComesTooLate(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 3)
	job := accept(t, s, p.ID, "a@example.com")
	a := startDying(t, s, clock, job)
	var q requeued
	if _, err := s.RequeueInterruptedJobs(ctx, q.requeue); err != nil || len(q.jobs) != 1 {
		t.Fatalf("requeue: %v %d", err, len(q.jobs))
	}

	clock.Advance(RetryWithin + time.Second)
	_, _, started, err := s.StartAttempt(ctx, job.ID, Attempt{Number: 1, Lease: a.Lease}, time.Minute)
	if e, ok := errors.AsType[*Error](err); !ok || e.Reason != ReasonRetryTooLate || started {
		t.Fatalf("late retry: started %v, %v; want retry_too_late", started, err)
	}
	if j := readJob(t, s, job.ID); j.Status != JobQueued {
		t.Errorf("refused retry left the job %s", j.Status)
	}
}
