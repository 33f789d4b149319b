package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/seatplan/seatplan/store"
)

// LeaseTTL is how long a lease lives without a heartbeat: crashed work frees
// its plan or course after at most this long, and its job reads as
// interrupted from then on.
const LeaseTTL = 30 * time.Second

type jobReader interface {
	Job(ctx context.Context, id string) (store.Job, error)
}

type visibleJobReader interface {
	JobSeenBy(ctx context.Context, id string, a store.Actor) (store.Job, error)
}

// JobStatus answers GET /api/v1/jobs/{id}, for clients that may see the
// job's plan or course.
func JobStatus(st visibleJobReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j, err := st.JobSeenBy(r.Context(), r.PathValue("id"), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, jobOut(j))
	})
}

type jobCanceller interface {
	CancelJob(ctx context.Context, id string, by store.Actor) (store.Job, error)
}

// CancelJobAPI answers POST /api/v1/jobs/{id}/cancel with the job: failed
// already when it was queued, still running (cancelled, stopping at its next
// step) when it runs. Only an admin or whoever started it may cancel a job;
// a finished job is a 409.
func CancelJobAPI(st jobCanceller) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j, err := st.CancelJob(r.Context(), r.PathValue("id"), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, jobOut(j))
	})
}

func jobState(j store.Job) string {
	if j.Interrupted {
		return "interrupted"
	}
	return string(j.Status)
}

// jobStatusText is what pages and the API say a job is doing.
func jobStatusText(j store.Job) string {
	switch {
	case j.Cancelled():
		return "Cancelled — nothing was changed"
	case j.CancelRequestedAt != nil && !j.Finished():
		return "Cancelling — stops at its next step"
	case j.Interrupted:
		return "Interrupted — retrying"
	case j.Status == store.JobFailed:
		return "Failed — nothing was changed"
	case j.Status == store.JobSucceeded:
		return "Succeeded"
	case j.Status == store.JobRunning:
		return "Running"
	}
	return "Queued"
}

type leaseKeeper interface {
	ExtendLock(ctx context.Context, l store.Lock, ttl time.Duration) (store.Lock, error)
	ReleaseLock(ctx context.Context, l store.Lock) error
}

// underLease runs work while heartbeating, every ttl/3, both lease l and
// the job (beat). They beat apart: l's heartbeat waits while the work's
// fenced transaction holds the lease row, and the job's heartbeat is what
// tells the world the attempt's process is alive meanwhile. Work is
// cancelled if the lease is lost; its writes must still check the fence in
// their own transaction.
func underLease(ctx context.Context, keeper leaseKeeper, l store.Lock, ttl time.Duration, beat func(ctx context.Context) error, work func(ctx context.Context) error) error {
	workCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var beating sync.WaitGroup
	every := func(f func() (stop bool)) {
		beating.Go(func() {
			tick := time.NewTicker(ttl / 3)
			defer tick.Stop()
			for {
				select {
				case <-workCtx.Done():
					return
				case <-tick.C:
					if f() {
						return
					}
				}
			}
		})
	}
	every(func() bool {
		if _, err := keeper.ExtendLock(workCtx, l, ttl); err != nil {
			if errors.Is(err, store.ErrLeaseLost) {
				cancel(err)
				return true
			}
			if workCtx.Err() == nil {
				loggerFrom(ctx).Warn("lease heartbeat failed; retrying", "lock", l.Name, "err", err)
			}
		}
		return false
	})
	every(func() bool {
		if err := beat(workCtx); err != nil && workCtx.Err() == nil {
			loggerFrom(ctx).Warn("job heartbeat failed; retrying", "err", err)
		}
		return false
	})
	workErr := work(workCtx)
	cancel(nil)
	beating.Wait()
	if cause := context.Cause(workCtx); workErr != nil && errors.Is(cause, store.ErrLeaseLost) {
		workErr = store.ErrLeaseLost
	}
	return workErr
}

type jobStarter interface {
	leaseKeeper
	jobReader
	StartAttempt(ctx context.Context, id string, a store.Attempt, ttl time.Duration) (store.Job, store.Lock, bool, error)
	BeatJob(ctx context.Context, id string, attempt int, ttl time.Duration) error
	InterruptJob(ctx context.Context, id string, attempt int, reason string) error
}

// jobRef is what a queue entry names: the job, and the attempt it was made for.
type jobRef struct {
	id      string
	attempt int
}

// runLeasedJob is one attempt of a job that works under the lease its
// request took. It loads what the request accepted, starts the attempt
// (which resumes the lease, and does nothing for a job that finished or
// whose attempt was superseded), runs the work under the lease, records
// what a failure means (see settle), and only then releases the lease, so
// a process that dies at any point leaves a lease that expires and a job
// that reads as interrupted.
func runLeasedJob[W any](ctx context.Context, st jobStarter, row *rivertype.JobRow, ref jobRef, ttl time.Duration,
	load func(ctx context.Context, jobID string) (W, store.Lock, error),
	run func(ctx context.Context, work W, lease store.Lock) error,
	fail func(ctx context.Context, jobID, reason string) error,
) error {
	work, lease, err := load(ctx, ref.id)
	if err != nil {
		return settle(ctx, st, fail, row, ref, err)
	}
	_, lease, started, err := st.StartAttempt(ctx, ref.id, store.Attempt{Number: ref.attempt, Lease: lease, Worker: workerOf(row)}, ttl)
	if err == nil && !started {
		return nil
	}
	if err == nil {
		beat := func(ctx context.Context) error { return st.BeatJob(ctx, ref.id, ref.attempt, ttl) }
		err = underLease(ctx, st, lease, ttl, beat, func(ctx context.Context) error { return run(ctx, work, lease) })
	}
	err = settle(ctx, st, fail, row, ref, err)
	if lease.Name != "" {
		if rerr := st.ReleaseLock(context.WithoutCancel(ctx), lease); rerr != nil && err == nil {
			return rerr
		}
	}
	return err
}

// workerOf names the process running a queue entry: its River client.
func workerOf(row *rivertype.JobRow) string {
	if len(row.AttemptedBy) == 0 {
		return ""
	}
	return row.AttemptedBy[len(row.AttemptedBy)-1]
}

// settle decides what a failed attempt means. A lost lease, an unreachable
// database or an unexpected failure may pass on a retry: the job reads
// as interrupted until River runs the attempt again. Errors a person must
// act on (too few seats now, the lock taken by newer work, a retry come too
// late) and the last attempt fail the job for good, changing nothing — but
// only while this attempt still owns the job.
func settle(ctx context.Context, st jobStarter, fail func(ctx context.Context, jobID, reason string) error, row *rivertype.JobRow, ref jobRef, err error) error {
	if err == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // record the outcome even when the attempt was cancelled
	transient := store.ErrorCode(err) == "" || store.ErrorCode(err) == store.EUnavailable || errors.Is(err, store.ErrLeaseLost)
	if transient && row.Attempt < row.MaxAttempts {
		loggerFrom(ctx).Warn("job attempt failed; retrying", "job", ref.id, "attempt", row.Attempt, "err", err)
		if ierr := st.InterruptJob(ctx, ref.id, ref.attempt, interruptionOf(err)); ierr != nil {
			loggerFrom(ctx).Warn("could not record the job's interruption", "job", ref.id, "err", ierr)
		}
		return err
	}
	if store.ErrorCode(err) == "" {
		loggerFrom(ctx).Error("job failed", "job", ref.id, "err", err)
	}
	j, jerr := st.Job(ctx, ref.id)
	if jerr != nil {
		return jerr
	}
	if j.Attempt != ref.attempt || j.Finished() {
		return nil // a later attempt owns the job: its outcome is the job's
	}
	if ferr := fail(ctx, ref.id, userMessage(err)); ferr != nil {
		return ferr
	}
	return river.JobCancel(err)
}

// interruptionOf says why an attempt stopped, for the job's readers.
func interruptionOf(err error) string {
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		return "The job lost its lock (a heartbeat came too late) and stopped without saving anything."
	case store.ErrorCode(err) == store.EUnavailable:
		return "The database could not be reached, so nothing of the job was saved."
	}
	return "The job failed unexpectedly and nothing of it was saved."
}

// enqueueIn returns the store's Enqueue for a job whose River arguments
// args builds from the job id.
func enqueueIn(q JobQueue, args func(jobID string) river.JobArgs) store.Enqueue {
	return func(ctx context.Context, tx pgx.Tx, jobID string) error {
		_, err := q.InsertTx(ctx, tx, args(jobID), nil)
		return err
	}
}

// retryArgs builds the queue entry of a given attempt of a job, for every
// job kind that works under a lease.
var retryArgs = map[string]func(jobID string, attempt int) river.JobArgs{
	store.JobAssignLicenses: func(id string, n int) river.JobArgs { return AssignLicensesArgs{JobID: id, Attempt: n} },
	store.JobImportCourse:   func(id string, n int) river.JobArgs { return ImportCourseArgs{JobID: id, Attempt: n} },
	store.JobRevokeLicenses: func(id string, n int) river.JobArgs { return RevokeListArgs{JobID: id, Attempt: n} },
}

type interruptedJobs interface {
	RequeueInterruptedJobs(ctx context.Context, requeue store.Requeue) ([]store.Job, error)
}

// RescueInterruptedJobs hands jobs whose process died to a live process
// until ctx ends: every interval it finds running jobs whose heartbeat
// stopped for a lease TTL and queues a new attempt of each, which any live
// process picks up at once. River's own rescuer would retry them only after
// RescueStuckJobsAfter, when the plan may long have moved on; its late
// retry of the dead attempt then does nothing, since the job names a newer
// attempt.
func RescueInterruptedJobs(ctx context.Context, st interruptedJobs, q JobQueue, interval time.Duration) {
	requeue := func(ctx context.Context, tx pgx.Tx, j store.Job) error {
		args, ok := retryArgs[j.Kind]
		if !ok {
			return fmt.Errorf("no queue entry for jobs of kind %q", j.Kind)
		}
		_, err := q.InsertTx(ctx, tx, args(j.ID, j.Attempt), nil)
		return err
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		jobs, err := st.RequeueInterruptedJobs(ctx, requeue)
		if err != nil {
			if ctx.Err() == nil && store.ErrorCode(err) != store.EUnavailable {
				loggerFrom(ctx).Error("hand interrupted jobs to a live process", "err", err)
			}
			continue
		}
		for _, j := range jobs {
			loggerFrom(ctx).Warn("job interrupted: its server stopped; retrying it now", "job", j.ID, "kind", j.Kind,
				"attempt", j.Attempt+1, "dead_worker", j.Worker)
		}
	}
}
