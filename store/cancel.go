package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// nothingChanged says, per kind of job, what a cancelled job left undone.
var nothingChanged = map[string]string{
	JobAssignLicenses: "nothing was assigned",
	JobImportCourse:   "nothing was imported",
	JobRevokeLicenses: "nothing was revoked",
}

// cancelMessage is the error a cancelled job ends with.
func cancelMessage(kind, by string) string {
	undone, ok := nothingChanged[kind]
	if !ok {
		undone = "nothing was changed"
	}
	return fmt.Sprintf("Cancelled by %s, %s.", by, undone)
}

// errJobCancelled stops a running attempt whose job was cancelled; its work
// rolls back, and the job fails with this message.
func errJobCancelled(kind, by string) error {
	return &Error{Code: EConflict, Reason: ReasonJobCancelled, Message: cancelMessage(kind, by)}
}

// CancelJob cancels a job that has not finished, for an admin or whoever
// started it (others who may see the job are refused; the rest find no job).
// A queued job fails at once, changing nothing, and frees its plan or
// course. A running one may run in another process: the request is
// recorded, and its attempt stops at its next progress report (or, for work
// that reports none, before it commits), rolls back and fails. Cancelling a
// cancelled job again changes nothing; a job that finished otherwise is a
// job_finished conflict. The returned job shows the cancellation.
func (s *Store) CancelJob(ctx context.Context, id string, by Actor) (Job, error) {
	j, err := s.JobSeenBy(ctx, id, by)
	if err != nil {
		return Job{}, err
	}
	if !by.Is(RoleAdmin) && (j.CreatedBy.Kind != by.Kind || j.CreatedBy.ID != by.ID) {
		return Job{}, Errorf(EForbidden, "Only an admin or whoever started a job may cancel it.")
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		lease, err := jobLease(ctx, tx, id)
		if err != nil {
			return err
		}
		// A queued job's lease row is free to take; taking it keeps the
		// job's first attempt from starting meanwhile (StartAttempt resumes
		// the lease first). A running attempt's transaction holds the row
		// until it ends: then the request is only recorded, rather than
		// waiting for the work. Lease row, then job row: the order the
		// work takes them in.
		var free bool
		if lease.Name != "" {
			err := tx.QueryRow(ctx, `SELECT true FROM locks WHERE name = $1 AND lease_id = $2 FOR UPDATE SKIP LOCKED`,
				lease.Name, lease.LeaseID).Scan(&free)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("lock the lease of job %s: %w", id, err)
			}
		}
		j, err = scanJob(tx.QueryRow(ctx, `UPDATE jobs j SET cancel_requested_at = coalesce(j.cancel_requested_at, $5),
				cancelled_by_kind = coalesce(j.cancelled_by_kind, $2), cancelled_by_id = coalesce(j.cancelled_by_id, $3),
				cancelled_by_name = coalesce(j.cancelled_by_name, $4)
			WHERE j.id = $1 AND j.status IN ('queued', 'running')
			RETURNING `+jobColumns, id, by.Kind, by.ID, by.Name, s.Now()), s.Now())
		if errors.Is(err, pgx.ErrNoRows) {
			return errFinished
		}
		if err != nil {
			return fmt.Errorf("cancel job %s: %w", id, err)
		}
		if err := writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "job.cancel", SubjectType: j.SubjectType, SubjectID: j.SubjectID,
			Summary: fmt.Sprintf("Cancelled job %s (%s)", j.ID, j.Kind), Detail: map[string]any{"job_id": j.ID, "status": j.Status}}); err != nil {
			return err
		}
		// Queued (or interrupted) with its lease row free: no attempt runs it.
		if free && j.Status == JobQueued {
			return s.cancelAtOnce(ctx, tx, j, lease)
		}
		return nil
	})
	if errors.Is(err, errFinished) {
		if j, err = s.Job(ctx, id); err != nil {
			return Job{}, err
		}
		if j.Cancelled() {
			return j, nil
		}
		return Job{}, &Error{Code: EConflict, Reason: ReasonJobFinished,
			Message: fmt.Sprintf("The job already %s; there is nothing to cancel.", j.Status)}
	}
	if err != nil {
		return Job{}, err
	}
	return s.Job(ctx, id)
}

// errFinished: the job finished before it could be cancelled.
var errFinished = errors.New("job finished")

// jobLease is the lease a job's request took and its attempts resume.
func jobLease(ctx context.Context, q querier, jobID string) (Lock, error) {
	var l Lock
	err := q.QueryRow(ctx, `SELECT lock_name, lease_id FROM assignments WHERE job_id = $1
		UNION ALL SELECT lock_name, lease_id FROM course_imports WHERE job_id = $1
		UNION ALL SELECT lock_name, lease_id FROM revocations WHERE job_id = $1`, jobID).Scan(&l.Name, &l.LeaseID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Lock{}, fmt.Errorf("read the lease of job %s: %w", jobID, err)
	}
	return l, nil
}

// cancelAtOnce fails a cancelled job no attempt is running, frees its lease
// (whatever token it is at) and drops the input it kept, in the caller's
// transaction: the lease row first, then the job's, as everywhere.
func (s *Store) cancelAtOnce(ctx context.Context, tx pgx.Tx, j Job, lease Lock) error {
	if lease.Name != "" {
		if _, err := tx.Exec(ctx, `UPDATE locks SET released_at = $3
			WHERE name = $1 AND lease_id = $2 AND released_at IS NULL`, lease.Name, lease.LeaseID, s.Now()); err != nil {
			return fmt.Errorf("release the lease of job %s: %w", j.ID, err)
		}
	}
	if err := failJob(ctx, tx, j.ID, cancelMessage(j.Kind, j.CancelledBy)); err != nil {
		return err
	}
	return dropList(ctx, tx, j.ID) // an import keeps no list: nothing to drop
}
