package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/emaillist"
)

// JobRevokeLicenses is the kind of the job that revokes a list's licenses.
const JobRevokeLicenses = "revoke_licenses"

// RevocationPreview is what revoking a list in a plan would do; nothing has
// changed yet.
type RevocationPreview struct {
	PlanID string
	// Live addresses hold a live license of the plan and would lose it;
	// NotLicensed ones hold none and are passed over.
	Live, NotLicensed, Duplicates int
	Problems                      []emaillist.Problem // entries that are no address, passed over too
}

// RevocationResult is a revocation job's result, kept as the job's JSON
// result and shown by the job's API as it is.
type RevocationResult struct {
	Revoked     int `json:"revoked"`
	NotLicensed int `json:"not_licensed"`
	Duplicates  int `json:"duplicates"`
}

// Revocation is an accepted list, as its job finds it.
type Revocation struct {
	JobID      string
	PlanID     string
	Lease      Lock // the plan lease the request acquired; the job resumes it
	Addresses  int  // in job_lists until the job has finished
	Duplicates int
}

// NothingToRevokeError answers a list none of whose addresses holds a live
// license in the plan: revoking it would change nothing, so no job is made.
type NothingToRevokeError struct{ Addresses int }

func (e *NothingToRevokeError) Error() string {
	return fmt.Sprintf("No address on the list (%d) holds a license in this plan; there is nothing to revoke.", e.Addresses)
}

// PreviewRevocation counts what revoking list's addresses in the plan would do.
func (s *Store) PreviewRevocation(ctx context.Context, planID string, list emaillist.Emails) (RevocationPreview, error) {
	p, err := s.Plan(ctx, planID)
	if err != nil {
		return RevocationPreview{}, err
	}
	live := 0
	if p.Counts.InUse() > 0 {
		if live, err = countLicensed(ctx, s.pool, p, list.Addresses); err != nil {
			return RevocationPreview{}, err
		}
	}
	return RevocationPreview{PlanID: planID, Live: live, NotLicensed: len(list.Addresses) - live,
		Duplicates: list.Duplicates, Problems: list.Problems}, nil
}

// RevokeList accepts a list of addresses whose live licenses in the plan are
// to be revoked: it takes the plan's lock (failing at once with *ErrLocked if
// another process holds it) and in one transaction stores the list, records
// the job and enqueues it. The lock stays held for the job, which releases
// it. Entries that are no address are the caller's to refuse or drop; a list
// with nothing to revoke makes no job (*NothingToRevokeError).
func (s *Store) RevokeList(ctx context.Context, planID string, list emaillist.Emails, by Actor, ttl time.Duration, enqueue Enqueue) (Job, error) {
	if len(list.Addresses) == 0 {
		return Job{}, &Error{Code: EInvalid, Reason: ReasonEmptyList, Message: "The list has no addresses; send one address per line or an email column."}
	}
	if len(list.Problems) > 0 {
		return Job{}, InvalidEmailsError(list.Problems)
	}
	if _, err := planKey(ctx, s.pool, planID); err != nil {
		return Job{}, err
	}
	var job Job
	err := s.acceptUnderLease(ctx, PlanLockName(planID), by, fmt.Sprintf("revoke up to %d licenses", len(list.Addresses)), ttl, func(tx pgx.Tx, lease Lock) error {
		p, err := lockPlan(ctx, tx, planID)
		if err != nil {
			return err
		}
		planName := p.Name
		live, err := countLicensed(ctx, tx, p, list.Addresses)
		if err != nil {
			return err
		}
		if live == 0 {
			return &NothingToRevokeError{Addresses: len(list.Addresses)}
		}
		job, err = createJob(ctx, tx, newJob{Kind: JobRevokeLicenses, SubjectType: "plan", SubjectID: planID,
			Total: int64(len(list.Addresses)), By: by}, enqueue)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO revocations (job_id, plan_id, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, addresses, duplicates)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, job.ID, planID, lease.Name, lease.LeaseID,
			lease.HolderKind, lease.HolderID, lease.Holder, lease.Purpose, len(list.Addresses), list.Duplicates); err != nil {
			return fmt.Errorf("record revocation: %w", err)
		}
		if err := storeList(ctx, tx, job.ID, list.Addresses); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "revocation.accept", SubjectType: "plan", SubjectID: planID,
			Summary: fmt.Sprintf("Accepted a list of %d addresses to revoke in plan %s", len(list.Addresses), planName),
			Detail:  map[string]any{"job_id": job.ID, "addresses": len(list.Addresses), "duplicates": list.Duplicates}})
	})
	if err != nil {
		return Job{}, err
	}
	return job, nil
}

// RevocationOf returns the accepted list behind a revocation job.
func (s *Store) RevocationOf(ctx context.Context, jobID string) (Revocation, error) {
	var rv Revocation
	err := s.pool.QueryRow(ctx, `SELECT job_id, plan_id, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, addresses, duplicates
		FROM revocations WHERE job_id = $1`, jobID).Scan(&rv.JobID, &rv.PlanID, &rv.Lease.Name, &rv.Lease.LeaseID,
		&rv.Lease.HolderKind, &rv.Lease.HolderID, &rv.Lease.Holder, &rv.Lease.Purpose, &rv.Addresses, &rv.Duplicates)
	if errors.Is(err, pgx.ErrNoRows) {
		return Revocation{}, Errorf(ENotFound, "There is no revocation for job %q.", jobID)
	}
	if err != nil {
		return Revocation{}, fmt.Errorf("read revocation %s: %w", jobID, err)
	}
	return rv, nil
}

// RunRevocation revokes an accepted list, all or nothing, in one transaction
// fenced by lease: batch by batch, with the statement RevokeLicenses uses,
// publishing progress between batches, then records the result and frees
// the plan. Running it again (a retried job) revokes nothing twice.
func (s *Store) RunRevocation(ctx context.Context, rv Revocation, lease Lock) (RevocationResult, error) {
	var res RevocationResult
	err := s.underLease(ctx, lease, func(tx pgx.Tx) error {
		done, err := jobSucceeded(ctx, tx, rv.JobID)
		if err != nil || done {
			return err
		}
		planName, err := lockPlanRow(ctx, tx, rv.PlanID)
		if err != nil {
			return err
		}
		err = eachChunk(ctx, tx, rv.JobID, func(before int, emails []string) error {
			revoked, err := revokeLive(ctx, tx, rv.PlanID, emails)
			if err != nil {
				return err
			}
			res.Revoked += revoked
			return s.ReportProgress(ctx, rv.JobID, int64(before+len(emails)), int64(rv.Addresses))
		})
		if err != nil {
			return err
		}
		res.NotLicensed, res.Duplicates = rv.Addresses-res.Revoked, rv.Duplicates
		if err := dropList(ctx, tx, rv.JobID); err != nil {
			return err
		}
		if err := s.finishLeasedJob(ctx, tx, rv.JobID, res, lease); err != nil {
			return err
		}
		by := Actor{Kind: rv.Lease.HolderKind, ID: rv.Lease.HolderID, Name: rv.Lease.Holder}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "license.revoke", SubjectType: "plan", SubjectID: rv.PlanID,
			Summary: fmt.Sprintf("Revoked %d licenses of plan %s (%d addresses held none)", res.Revoked, planName, res.NotLicensed),
			Detail:  map[string]any{"job_id": rv.JobID, "revoked": res.Revoked, "not_licensed": res.NotLicensed, "duplicates": rv.Duplicates}})
	})
	return res, err
}

// FailRevocationJob records why a revocation job failed for good and drops its
// stored list; nothing of it was revoked.
func (s *Store) FailRevocationJob(ctx context.Context, jobID, reason string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := failJob(ctx, tx, jobID, reason); err != nil {
			return err
		}
		if err := dropList(ctx, tx, jobID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: SystemActor, Action: "revocation.fail", SubjectType: "job", SubjectID: jobID,
			Summary: "License revocation failed and changed nothing: " + reason})
	})
}
