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
}

// Finished reports whether the job will change no more.
func (j Job) Finished() bool { return j.Status == JobSucceeded || j.Status == JobFailed }

// Enqueue hands a new job to the queue inside the transaction that records
// it, so the record and the queue entry commit together or not at all.
type Enqueue func(ctx context.Context, tx pgx.Tx, jobID string) error

type newJob struct {
	Kind        string
	SubjectType string
	SubjectID   string
	Total       int64
	By          Actor
}

const jobColumns = `id, kind, status, subject_type, subject_id, done, total, result, coalesce(error, ''),
	created_by_kind, created_by_id, created_by_name, created_at, started_at, finished_at`

func scanJob(row pgx.Row) (Job, error) {
	var j Job
	err := row.Scan(&j.ID, &j.Kind, &j.Status, &j.SubjectType, &j.SubjectID, &j.Done, &j.Total, &j.Result, &j.Error,
		&j.CreatedBy.Kind, &j.CreatedBy.ID, &j.CreatedBy.Name, &j.CreatedAt, &j.StartedAt, &j.FinishedAt)
	return j, err
}

// createJob records a queued job and enqueues it, in the caller's transaction.
func createJob(ctx context.Context, tx pgx.Tx, nj newJob, enqueue Enqueue) (Job, error) {
	j, err := scanJob(tx.QueryRow(ctx, `INSERT INTO jobs (id, kind, subject_type, subject_id, total, created_by_kind, created_by_id, created_by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+jobColumns,
		NewID(), nj.Kind, nj.SubjectType, nj.SubjectID, nj.Total, nj.By.Kind, nj.By.ID, nj.By.Name))
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
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, Errorf(ENotFound, "There is no job %q.", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("read job %s: %w", id, err)
	}
	return j, nil
}

// LatestJob returns the newest job about a subject (e.g. a plan), if any.
func (s *Store) LatestJob(ctx context.Context, subjectType, subjectID string) (Job, bool, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE subject_type = $1 AND subject_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, subjectType, subjectID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("read latest job: %w", err)
	}
	return j, true, nil
}

// StartJob marks a job running (again, when a retry picks it up). A job
// that already succeeded stays succeeded: a late retry of it must see that
// and do nothing.
func (s *Store) StartJob(ctx context.Context, id string) (Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `UPDATE jobs SET
			status = CASE WHEN status = 'succeeded' THEN status ELSE 'running' END,
			started_at = coalesce(started_at, now()),
			error = CASE WHEN status = 'succeeded' THEN error END
		WHERE id = $1 RETURNING `+jobColumns, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, Errorf(ENotFound, "There is no job %q.", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("start job %s: %w", id, err)
	}
	return j, nil
}

// ReportProgress publishes progress outside the work's own transaction, so
// pollers see it while the work is still uncommitted.
func (s *Store) ReportProgress(ctx context.Context, id string, done, total int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE jobs SET done = $2, total = $3 WHERE id = $1 AND status = 'running'`, id, done, total); err != nil {
		return fmt.Errorf("report progress of job %s: %w", id, err)
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
func finishLeasedJob(ctx context.Context, tx pgx.Tx, id string, result any, lease Lock) error {
	raw, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("encode job result: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE jobs SET status = 'succeeded', done = total, result = $2, error = NULL, finished_at = now()
		WHERE id = $1`, id, raw); err != nil {
		return fmt.Errorf("finish job %s: %w", id, err)
	}
	return releaseLock(ctx, tx, lease)
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
