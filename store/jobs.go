package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// JobStatus is where a background job is in its life.
type JobStatus string

const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
)

// Job is the public record of background work: what, for whom, how far.
type Job struct {
	ID          string
	Kind        string
	Status      JobStatus
	SubjectType string
	SubjectID   string
	Done, Total int64
	Result      json.RawMessage
	Error       string
	CreatedBy   Actor
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time

	// Attempt is the run the job is on: only the queue entry made for it
	// may run the job (see StartAttempt); earlier entries do nothing.
	Attempt int
	// Worker names the process running the job, or that ran it last.
	Worker string
	// Interrupted: the job stopped without finishing and waits for a retry,
	// because the process running it died (its heartbeat stopped)
	// or its attempt failed in a way a retry may mend. Its Status is then
	// queued: nothing runs it until a live process picks it up.
	Interrupted   bool
	Interruptions int
	InterruptedAt *time.Time
	Interruption  string // why it stopped, for people

	// CancelRequestedAt is when CancelledBy asked to cancel the job: a
	// running job stops at its next progress report, changing nothing.
	CancelRequestedAt *time.Time
	CancelledBy       string
}

// Finished reports whether the job will change no more.
func (j Job) Finished() bool { return j.Status == JobSucceeded || j.Status == JobFailed }

// Cancelled reports whether the job failed because someone cancelled it.
func (j Job) Cancelled() bool { return j.Status == JobFailed && j.CancelRequestedAt != nil }

// Retrying an interrupted job is bounded: a job interrupted more than
// MaxInterruptions times may be what kills its processes, and one that no
// live process resumed within RetryWithin comes too late for the people who
// asked for it (and the plan may have moved on). Both then fail, changing
// nothing.
const (
	MaxInterruptions = 3
	RetryWithin      = 5 * time.Minute
)

// TooLateToRetry says why an interrupted job must fail rather than run
// again, if it must.
func (j Job) TooLateToRetry(now time.Time) (string, bool) {
	switch {
	case j.Interruptions > MaxInterruptions:
		return fmt.Sprintf("The job was interrupted %d times, so it was not tried again; nothing was changed. Send it again if it is still wanted.", j.Interruptions), true
	case j.InterruptedAt != nil && now.Sub(*j.InterruptedAt) > RetryWithin:
		return fmt.Sprintf("The job was interrupted at %s and no server resumed it within %s, so it was not run late; nothing was changed. Send it again if it is still wanted.",
			j.InterruptedAt.UTC().Format(time.RFC3339), RetryWithin), true
	}
	return "", false
}

// Enqueue hands a new job to the queue inside the transaction that records
// it, so the record and the queue entry commit together or not at all.
type Enqueue func(ctx context.Context, tx pgx.Tx, jobID string) error

// Requeue hands an interrupted job to the queue again, for the attempt j
// now names, inside the transaction that records the interruption.
type Requeue func(ctx context.Context, tx pgx.Tx, j Job) error

type newJob struct {
	Kind        string
	SubjectType string
	SubjectID   string
	Total       int64
	By          Actor
}

// jobColumns reads a job as j; the last column says until when a process
// vouches for it while it runs (see scanJob).
const jobColumns = `j.id, j.kind, j.status, j.subject_type, j.subject_id, j.done, j.total, j.result, coalesce(j.error, ''),
	j.created_by_kind, j.created_by_id, j.created_by_name, j.created_at, j.started_at, j.finished_at,
	j.attempt, coalesce(j.worker, ''), j.interruptions, j.interrupted_at, coalesce(j.interruption, ''),
	j.cancel_requested_at, coalesce(j.cancelled_by_name, ''), j.alive_until`

// interruptedByDeath is what a job whose process died reads as.
const interruptedByDeath = "The server running it stopped before it finished; nothing of it was saved."

// scanJob reads a job as of now, the store's clock: a job still running
// whose process stopped vouching for it before now is interrupted.
func scanJob(row pgx.Row, now time.Time) (Job, error) {
	var j Job
	var aliveUntil *time.Time
	err := row.Scan(&j.ID, &j.Kind, &j.Status, &j.SubjectType, &j.SubjectID, &j.Done, &j.Total, &j.Result, &j.Error,
		&j.CreatedBy.Kind, &j.CreatedBy.ID, &j.CreatedBy.Name, &j.CreatedAt, &j.StartedAt, &j.FinishedAt,
		&j.Attempt, &j.Worker, &j.Interruptions, &j.InterruptedAt, &j.Interruption,
		&j.CancelRequestedAt, &j.CancelledBy, &aliveUntil)
	switch {
	case j.Status == JobRunning && aliveUntil != nil && aliveUntil.Before(now):
		// Not yet handed to a live process (RequeueInterruptedJobs does
		// that within a second), but no longer running.
		j.Status, j.Interrupted, j.Interruption, j.Done = JobQueued, true, interruptedByDeath, 0
	case j.Status == JobQueued && j.InterruptedAt != nil:
		j.Interrupted = true
	}
	return j, err
}

// createJob records a queued job and enqueues it, in the caller's transaction.
func createJob(ctx context.Context, tx pgx.Tx, nj newJob, enqueue Enqueue) (Job, error) {
	j, err := scanJob(tx.QueryRow(ctx, `INSERT INTO jobs AS j (id, kind, subject_type, subject_id, total, created_by_kind, created_by_id, created_by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+jobColumns,
		NewID(), nj.Kind, nj.SubjectType, nj.SubjectID, nj.Total, nj.By.Kind, nj.By.ID, nj.By.Name), time.Time{}) // queued: no liveness to judge
	if err != nil {
		return Job{}, fmt.Errorf("record job: %w", err)
	}
	if err := enqueue(ctx, tx, j.ID); err != nil {
		return Job{}, fmt.Errorf("enqueue job: %w", err)
	}
	return j, nil
}

// Job returns one job by id.
func (s *Store) Job(ctx context.Context, id string) (Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs j WHERE j.id = $1`, id), s.Now())
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, Errorf(ENotFound, "There is no job %q.", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("read job %s: %w", id, err)
	}
	return j, nil
}

// JobSeenBy returns the job when a may see its subject: a plan's jobs are
// for admins and support, a course's for those who may see the course.
// Whoever started a job may always follow it. Any other job reads as
// unknown, so its id reveals nothing.
func (s *Store) JobSeenBy(ctx context.Context, id string, a Actor) (Job, error) {
	j, err := s.Job(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if j.CreatedBy.Kind == a.Kind && j.CreatedBy.ID == a.ID {
		return j, nil
	}
	switch j.SubjectType {
	case "plan":
		if a.Is(RoleAdmin, RoleSupport) {
			return j, nil
		}
	case "course":
		_, err := authorizeCourse(ctx, s.pool, j.SubjectID, a, rightView, false)
		if err == nil {
			return j, nil
		}
		if code := ErrorCode(err); code != EForbidden && code != ENotFound {
			return Job{}, err
		}
	}
	return Job{}, Errorf(ENotFound, "There is no job %q.", id)
}

// LatestJob returns the newest job about a subject (e.g. a plan), if any.
func (s *Store) LatestJob(ctx context.Context, subjectType, subjectID string) (Job, bool, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs j
		WHERE j.subject_type = $1 AND j.subject_id = $2 ORDER BY j.created_at DESC, j.id DESC LIMIT 1`, subjectType, subjectID), s.Now())
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("read latest job: %w", err)
	}
	return j, true, nil
}

// Attempt is one run of a job by a worker.
type Attempt struct {
	Number int    // the Job.Attempt its queue entry was made for
	Lease  Lock   // the lease the request took; the attempt resumes it
	Worker string // the process running it
}

// errTooLateToRetry refuses an interrupted job that must not run again.
func errTooLateToRetry(reason string) error {
	return &Error{Code: EConflict, Reason: ReasonRetryTooLate, Message: reason}
}

// errNotStartable rolls back an attempt's start that lost a race.
var errNotStartable = errors.New("job not startable")

// StartAttempt starts attempt a of a job: in one transaction it resumes
// a's lease for ttl (see ResumeLock) and marks the job running on a's
// worker, alive for ttl (BeatJob keeps it so). started is false, and
// nothing changes, when the job needs no run from a: it finished already (a
// late retry of work that committed), or a later attempt superseded a's
// queue entry. It fails with ErrLeaseSuperseded when newer work took the
// lease, and with a retry_too_late conflict when the job was interrupted
// too often or too long ago (see TooLateToRetry). A zero ttl marks a job
// run outside the queue, which no sweep takes for interrupted.
func (s *Store) StartAttempt(ctx context.Context, id string, a Attempt, ttl time.Duration) (j Job, lease Lock, started bool, err error) {
	now := s.Now()
	var cancelled bool
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// The job first, unlocked, so a superseded entry never touches the
		// lease; the lease row next, then the job row, the order in which
		// the work's own transaction takes them.
		if j, err = scanJob(tx.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs j WHERE j.id = $1`, id), now); err != nil {
			return fmt.Errorf("read job %s: %w", id, err)
		}
		if j.Attempt != a.Number || j.Finished() {
			return errNotStartable
		}
		if j.CancelRequestedAt != nil {
			// Cancelled while no attempt ran it (the request found its
			// lease busy, or the job interrupted): it ends here.
			if err := s.cancelAtOnce(ctx, tx, j, a.Lease); err != nil {
				return err
			}
			cancelled = true
			return nil
		}
		if reason, late := j.TooLateToRetry(now); late {
			return errTooLateToRetry(reason)
		}
		if a.Lease.Name != "" {
			if lease, err = s.resumeLock(ctx, tx, a.Lease, ttl); err != nil {
				return err
			}
			now = lease.AcquiredAt // it may have waited for an earlier attempt
		}
		j, err = scanJob(tx.QueryRow(ctx, `UPDATE jobs j SET status = 'running', started_at = coalesce(j.started_at, now()),
				worker = nullif($3, ''), alive_until = $4
			WHERE j.id = $1 AND j.attempt = $2 AND j.status IN ('queued', 'running')
			RETURNING `+jobColumns, id, a.Number, a.Worker, aliveUntil(now, ttl)), now)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotStartable
		}
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Job{}, Lock{}, false, Errorf(ENotFound, "There is no job %q.", id)
	case errors.Is(err, errNotStartable) || (err == nil && cancelled):
		j, err = s.Job(ctx, id)
		return j, Lock{}, false, err
	case err != nil:
		return Job{}, Lock{}, false, err
	}
	return j, lease, true, nil
}

// aliveUntil is how long a process that starts a job at now vouches for
// it: for ttl, or for good (NULL) when ttl is zero.
func aliveUntil(now time.Time, ttl time.Duration) *time.Time {
	if ttl <= 0 {
		return nil
	}
	until := now.Add(ttl)
	return &until
}

// BeatJob is the heartbeat of a running attempt: the job stays vouched for
// ttl longer. It does nothing once another attempt owns the job.
func (s *Store) BeatJob(ctx context.Context, id string, attempt int, ttl time.Duration) error {
	if _, err := s.pool.Exec(ctx, `UPDATE jobs SET alive_until = $3
		WHERE id = $1 AND attempt = $2 AND status = 'running'`, id, attempt, s.Now().Add(ttl)); err != nil {
		return fmt.Errorf("heartbeat of job %s: %w", id, err)
	}
	return nil
}

// StartJob marks a job running outside the queue (demo data, tests). A job
// that already succeeded stays succeeded.
func (s *Store) StartJob(ctx context.Context, id string) (Job, error) {
	j, _, _, err := s.StartAttempt(ctx, id, Attempt{}, 0)
	return j, err
}

// InterruptJob records that attempt's run stopped without finishing and
// that the queue will retry it: the job reads as interrupted, not
// running, until a retry starts. It does nothing once another attempt owns
// the job.
func (s *Store) InterruptJob(ctx context.Context, id string, attempt int, reason string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE jobs SET status = 'queued', done = 0, interruptions = interruptions + 1,
			interrupted_at = $4, interruption = $3
		WHERE id = $1 AND attempt = $2 AND status = 'running'`, id, attempt, reason, s.Now()); err != nil {
		return fmt.Errorf("record interruption of job %s: %w", id, err)
	}
	return nil
}

// requeueBatch bounds the interrupted jobs one sweep hands back.
const requeueBatch = 20

// RequeueInterruptedJobs finds running jobs that no process vouches for any
// more — theirs died, or lost the database for longer than the lease TTL —
// records each as interrupted and, in the same transaction, hands it to
// requeue as a new attempt, so the queue entries of the earlier attempt do
// nothing if they ever run. Concurrent sweeps of several processes skip
// each other's rows. It returns the jobs it requeued.
func (s *Store) RequeueInterruptedJobs(ctx context.Context, requeue Requeue) ([]Job, error) {
	var jobs []Job
	now := s.Now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE jobs j SET status = 'queued', done = 0, attempt = j.attempt + 1,
				interruptions = j.interruptions + 1, interrupted_at = $3, interruption = $2
			WHERE j.id IN (SELECT j.id FROM jobs j WHERE j.status = 'running' AND j.alive_until < $3
				ORDER BY j.alive_until LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING `+jobColumns, requeueBatch, interruptedByDeath, now)
		if err != nil {
			return fmt.Errorf("find interrupted jobs: %w", err)
		}
		if jobs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Job, error) { return scanJob(row, now) }); err != nil {
			return fmt.Errorf("find interrupted jobs: %w", err)
		}
		for _, j := range jobs {
			if err := requeue(ctx, tx, j); err != nil {
				return fmt.Errorf("requeue job %s: %w", j.ID, err)
			}
		}
		return nil
	})
	return jobs, err
}

// ReportProgress publishes progress outside the work's own transaction, so
// pollers see it while the work is still uncommitted. The same statement
// reads whether someone cancelled the job: it then fails with a
// job_cancelled conflict, and the work, rolled back, changes nothing.
func (s *Store) ReportProgress(ctx context.Context, id string, done, total int64) error {
	var kind string
	var cancelledBy *string
	err := s.pool.QueryRow(ctx, `UPDATE jobs SET done = $2, total = $3 WHERE id = $1 AND status = 'running'
		RETURNING kind, cancelled_by_name`, id, done, total).Scan(&kind, &cancelledBy)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("report progress of job %s: %w", id, err)
	case cancelledBy != nil:
		return errJobCancelled(kind, *cancelledBy)
	}
	return nil
}

// jobSucceeded reports, inside a retried attempt's transaction, whether an
// earlier attempt already committed the job's work: the retry must then do
// nothing, or it would do the work twice.
func jobSucceeded(ctx context.Context, tx pgx.Tx, id string) (bool, error) {
	var status JobStatus
	if err := tx.QueryRow(ctx, `SELECT status FROM jobs WHERE id = $1`, id).Scan(&status); err != nil {
		return false, fmt.Errorf("read job %s: %w", id, err)
	}
	return status == JobSucceeded, nil
}

// finishLeasedJob records success and releases the lease the work ran under,
// inside the transaction that did the work: the result is visible exactly
// when the work is, and the lock is free by then (see releaseLock).
func (s *Store) finishLeasedJob(ctx context.Context, tx pgx.Tx, id string, result any, lease Lock) error {
	raw, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("encode job result: %w", err)
	}
	// A job cancelled since its last progress report does not succeed: the
	// work rolls back instead.
	tag, err := tx.Exec(ctx, `UPDATE jobs SET status = 'succeeded', done = total, result = $2, error = NULL, finished_at = now()
		WHERE id = $1 AND cancel_requested_at IS NULL`, id, raw)
	if err != nil {
		return fmt.Errorf("finish job %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var kind, by string
		if err := tx.QueryRow(ctx, `SELECT kind, coalesce(cancelled_by_name, '') FROM jobs WHERE id = $1`, id).Scan(&kind, &by); err != nil {
			return fmt.Errorf("read job %s: %w", id, err)
		}
		return errJobCancelled(kind, by)
	}
	return s.releaseLock(ctx, tx, lease)
}

// FailJob records why a job failed; nothing of its work was committed.
func (s *Store) FailJob(ctx context.Context, id string, reason string) error {
	return failJob(ctx, s.pool, id, reason)
}

func failJob(ctx context.Context, q querier, id string, reason string) error {
	if _, err := q.Exec(ctx, `UPDATE jobs SET status = 'failed', done = 0, error = $2, finished_at = now()
		WHERE id = $1 AND status <> 'succeeded'`, id, reason); err != nil {
		return fmt.Errorf("fail job %s: %w", id, err)
	}
	return nil
}

// acceptUnderLease takes the lock name for by and, in one transaction, lets
// accept record the job that will do the work under the lease it got. The
// lock stays held for that job; when accept fails the job never came to be,
// so the lock is freed at once.
func (s *Store) acceptUnderLease(ctx context.Context, name string, by Actor, purpose string, ttl time.Duration, accept func(tx pgx.Tx, lease Lock) error) error {
	lease, err := s.AcquireLock(ctx, name, by, purpose, ttl)
	if err != nil {
		return err
	}
	if err := s.inTx(ctx, func(tx pgx.Tx) error { return accept(tx, lease) }); err != nil {
		if rerr := s.ReleaseLock(context.WithoutCancel(ctx), lease); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	return nil
}
