package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seatplan/seatplan/store/emaillist"
)

// JobAssignLicenses is the kind of the job that assigns an accepted list.
const JobAssignLicenses = "assign_licenses"

// AssignmentPreview is what an assignment would do, computed before
// anything changes.
type AssignmentPreview struct {
	PlanID          string
	New             int // addresses that would get a license
	AlreadyLicensed int // addresses that hold a live license already (skipped)
	Duplicates      int // entries repeating an earlier address
	Problems        []emaillist.Problem
	Needed          int // seats the new addresses need
	Available       int // free seats of the plan (seats - in use)
}

// Acceptable reports whether confirming the preview would start the job,
// once its invalid entries are skipped.
func (p AssignmentPreview) Acceptable() bool {
	return p.New > 0 && p.Needed <= p.Available
}

// AssignmentResult is an assignment job's result, kept as the job's JSON
// result and shown by the job's API as it is.
type AssignmentResult struct {
	Assigned        int `json:"assigned"`
	AlreadyLicensed int `json:"already_licensed"`
	Duplicates      int `json:"duplicates"`
	// Enrolled and AlreadyEnrolled count (email, course) pairs when the plan
	// has linked courses: everyone on the list is enrolled in them.
	Enrolled        int `json:"enrolled,omitempty"`
	AlreadyEnrolled int `json:"already_enrolled,omitempty"`
}

// Assignment is an accepted list, as its job finds it; the addresses are
// in job_lists until the job has finished.
type Assignment struct {
	JobID      string
	PlanID     string
	Lease      Lock // the plan lease the request acquired; the job resumes it
	Addresses  int
	Duplicates int
}

// PreviewAssignment counts what assigning list to the plan would do.
func (s *Store) PreviewAssignment(ctx context.Context, planID string, list emaillist.Emails) (AssignmentPreview, error) {
	p, err := s.Plan(ctx, planID)
	if err != nil {
		return AssignmentPreview{}, err
	}
	// A plan without live licenses has none of the list's: the count, a
	// probe per address, is only needed when it has some.
	already := 0
	if p.Counts.InUse() > 0 {
		if already, err = countLicensed(ctx, s.pool, p, list.Addresses); err != nil {
			return AssignmentPreview{}, err
		}
	}
	return previewOf(p, list, already), nil
}

func previewOf(p Plan, list emaillist.Emails, already int) AssignmentPreview {
	n := len(list.Addresses) - already
	return AssignmentPreview{PlanID: p.ID, New: n, AlreadyLicensed: already, Duplicates: list.Duplicates,
		Problems: list.Problems, Needed: n, Available: p.Counts.Unassigned}
}

// countLicensed counts the addresses that already hold a live license in the plan.
func countLicensed(ctx context.Context, q querier, p Plan, addresses []string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM licenses
		WHERE plan_key = $1 AND status IN ('assigned', 'activated') AND email = ANY($2)`, p.key, addresses).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count licensed addresses of plan %s: %w", p.ID, err)
	}
	return n, nil
}

// InvalidEmailsError rejects a list with bad entries, naming every one.
func InvalidEmailsError(problems []emaillist.Problem) error {
	first := problems[0]
	return &Error{Code: EInvalid, Reason: ReasonInvalidEmails,
		Message: fmt.Sprintf("The list has %d invalid addresses (first on line %d: %q, %s); fix them and send the list again. Nothing was assigned.",
			len(problems), first.Line, first.Value, first.Reason),
		Detail: problems}
}

func notEnoughSeats(needed, available int) error {
	return &Error{Code: EInvalid, Reason: ReasonNotEnoughSeats,
		Message: fmt.Sprintf("The list needs %d seats but the plan has %d unassigned; add seats or shorten the list. Nothing was assigned.", needed, available),
		Detail:  SeatShortage{Needed: needed, Available: available}}
}

// NothingToAssignError answers a list every address of which already holds a
// live license in the plan: assigning it would change nothing, so no job is made.
type NothingToAssignError struct {
	AlreadyLicensed, Duplicates int
}

func (e *NothingToAssignError) Error() string {
	return fmt.Sprintf("Every address on the list (%d) already holds a license in this plan; there is nothing to assign.", e.AlreadyLicensed)
}

// AssignLicenses accepts a list for assignment: it checks the list, takes
// the plan's lock (failing at once with *ErrLocked if another process holds
// it), checks the seats, and in one transaction stores the list, records
// the job and enqueues it. The lock stays held for the job, which releases
// it. Nothing is assigned yet; a refusal changes nothing, and so does a list
// with nothing new (*NothingToAssignError).
func (s *Store) AssignLicenses(ctx context.Context, planID string, list emaillist.Emails, by Actor, ttl time.Duration, enqueue Enqueue) (Job, error) {
	if len(list.Addresses) == 0 && len(list.Problems) == 0 {
		return Job{}, &Error{Code: EInvalid, Reason: ReasonEmptyList, Message: "The list has no addresses; send one address per line or an email column."}
	}
	// A bad list is refused before the lock: it never holds the plan, and
	// it is told what to fix even while other work holds it.
	if len(list.Problems) > 0 {
		return Job{}, InvalidEmailsError(list.Problems)
	}
	var job Job
	err := s.acceptUnderLease(ctx, PlanLockName(planID), by, fmt.Sprintf("assign %d licenses", len(list.Addresses)), ttl, func(tx pgx.Tx, lease Lock) error {
		p, err := lockPlan(ctx, tx, planID)
		if err != nil {
			return err
		}
		// Only a list longer than the free seats can need too many, and only
		// one no longer than the live licenses can be licensed already, every
		// address of it; the count of licensed addresses costs a probe per address.
		if len(list.Addresses) > p.Counts.Unassigned || len(list.Addresses) <= p.Counts.InUse() {
			already, err := countLicensed(ctx, tx, p, list.Addresses)
			if err != nil {
				return err
			}
			pv := previewOf(p, list, already)
			if pv.New == 0 {
				return &NothingToAssignError{AlreadyLicensed: already, Duplicates: list.Duplicates}
			}
			if pv.Needed > pv.Available {
				return notEnoughSeats(pv.Needed, pv.Available)
			}
		}
		job, err = createJob(ctx, tx, newJob{Kind: JobAssignLicenses, SubjectType: "plan", SubjectID: planID,
			Total: int64(len(list.Addresses)), By: by}, enqueue)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO assignments (job_id, plan_id, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, addresses, duplicates)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, job.ID, planID, lease.Name, lease.LeaseID,
			lease.HolderKind, lease.HolderID, lease.Holder, lease.Purpose, len(list.Addresses), list.Duplicates); err != nil {
			return fmt.Errorf("record assignment: %w", err)
		}
		if err := storeList(ctx, tx, job.ID, list.Addresses); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "assignment.accept", SubjectType: "plan", SubjectID: planID,
			Summary: fmt.Sprintf("Accepted a list of %d addresses for plan %s", len(list.Addresses), p.Name),
			Detail:  map[string]any{"job_id": job.ID, "addresses": len(list.Addresses), "duplicates": list.Duplicates}})
	})
	if err != nil {
		return Job{}, err
	}
	return job, nil
}

// AssignmentOf returns the accepted list behind an assignment job.
func (s *Store) AssignmentOf(ctx context.Context, jobID string) (Assignment, error) {
	var a Assignment
	err := s.pool.QueryRow(ctx, `SELECT job_id, plan_id, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, addresses, duplicates
		FROM assignments WHERE job_id = $1`, jobID).Scan(&a.JobID, &a.PlanID, &a.Lease.Name, &a.Lease.LeaseID,
		&a.Lease.HolderKind, &a.Lease.HolderID, &a.Lease.Holder, &a.Lease.Purpose, &a.Addresses, &a.Duplicates)
	if errors.Is(err, pgx.ErrNoRows) {
		return Assignment{}, Errorf(ENotFound, "There is no assignment for job %q.", jobID)
	}
	if err != nil {
		return Assignment{}, fmt.Errorf("read assignment %s: %w", jobID, err)
	}
	return a, nil
}

// FailAssignmentJob records why an assignment job failed for good and drops
// its stored list; nothing of it was assigned.
func (s *Store) FailAssignmentJob(ctx context.Context, jobID, reason string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := failJob(ctx, tx, jobID, reason); err != nil {
			return err
		}
		if err := dropList(ctx, tx, jobID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: SystemActor, Action: "assignment.fail", SubjectType: "job", SubjectID: jobID,
			Summary: "License assignment failed and changed nothing: " + reason})
	})
}

// RunAssignment does an accepted assignment, all or nothing, in one
// transaction fenced by lease: it makes a license for each listed address
// that holds no live license, and records the job's result. The seats are
// checked by the database: a batch that would put more licenses in use than
// the plan has seats fails its CHECK, and the job fails with nothing
// assigned. Running it again (a retried job, a repeated list) assigns
// nothing twice. Progress is published between batches.
func (s *Store) RunAssignment(ctx context.Context, a Assignment, lease Lock) (AssignmentResult, error) {
	var res AssignmentResult
	err := s.underLease(ctx, lease, func(tx pgx.Tx) error {
		done, err := jobSucceeded(ctx, tx, a.JobID)
		if err != nil || done {
			return err // done: an earlier attempt committed; the list is gone
		}
		p, err := lockPlan(ctx, tx, a.PlanID)
		if err != nil {
			return err
		}
		// The list holds each address once, so only a license that was live
		// before this job can make one licensed already: a plan with none
		// (a new plan, say) needs no probe per address.
		probe := p.Counts.InUse() > 0
		// Linking courses to a plan is the opt-in: its licensees are enrolled
		// in them, in this transaction, so licenses and enrollments commit
		// together. Only then does the job keep the whole list, to enroll.
		var hasCourses bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plan_courses WHERE plan_id = $1)`, a.PlanID).Scan(&hasCourses); err != nil {
			return fmt.Errorf("read courses of plan %s: %w", a.PlanID, err)
		}
		var toEnroll []string
		err = eachChunk(ctx, tx, a.JobID, func(before int, emails []string) error {
			n, err := assignBatchOf(ctx, tx, p, emails, probe)
			if isSeatCheck(err) {
				// The batch ran in a savepoint, so the transaction can still count.
				// The free seats may have gone since the request was accepted
				// (the plan shrank). Say how many the list needed.
				rest, cerr := countUnlicensed(ctx, tx, p, a.JobID)
				if cerr != nil {
					return errors.Join(err, cerr)
				}
				return notEnoughSeats(res.Assigned+rest, p.Counts.Unassigned) // rolls back the batches
			}
			if err != nil {
				return err
			}
			res.Assigned += n
			if hasCourses {
				toEnroll = append(toEnroll, emails...)
			}
			return s.ReportProgress(ctx, a.JobID, int64(before+len(emails)), int64(a.Addresses))
		})
		if err != nil {
			return err
		}
		already := a.Addresses - res.Assigned
		res.AlreadyLicensed, res.Duplicates = already, a.Duplicates
		by := Actor{Kind: a.Lease.HolderKind, ID: a.Lease.HolderID, Name: a.Lease.Holder}
		if hasCourses {
			enrolled, err := enrollAssignees(ctx, tx, a.PlanID, toEnroll, by, nil)
			if err != nil {
				return err
			}
			res.Enrolled, res.AlreadyEnrolled = enrolled.Enrolled, enrolled.Existing
		}
		if err := dropList(ctx, tx, a.JobID); err != nil {
			return err
		}
		if err := s.finishLeasedJob(ctx, tx, a.JobID, res, lease); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "license.assign", SubjectType: "plan", SubjectID: a.PlanID,
			Summary: fmt.Sprintf("Assigned %d licenses of plan %s (%d already licensed, %d duplicates)", res.Assigned, p.Name, already, a.Duplicates),
			Detail:  map[string]any{"job_id": a.JobID, "assigned": res.Assigned, "already_licensed": already, "duplicates": a.Duplicates}})
	})
	return res, err
}

// assignBatchOf makes a license, with a new activation key, for each of
// emails (a batch of the list) that holds no live license, in one
// statement, and returns how many it made; probe is false when no address
// can hold one (the plan had no live license when the job began). License
// ids follow the list's order. The caller holds the plan's row lock
// (lockPlan), which every seat-changing transaction takes first.
// Invariants, kept by the database whatever this statement does: CHECK
// (in_use <= seats) on the plan, whose in_use the insert moves
// (licenses_keep_counts), and the partial unique index
// licenses_live_email_key, which makes a second live license for an
// address impossible.
func assignBatchOf(ctx context.Context, tx pgx.Tx, p Plan, emails []string, probe bool) (int, error) {
	batch, err := tx.Begin(ctx) // a savepoint
	if err != nil {
		return 0, fmt.Errorf("assign licenses of plan %s: %w", p.ID, err)
	}
	defer batch.Rollback(ctx)
	// One probe of licenses_live_email_key per address: a LATERAL with
	// LIMIT is never turned into a join, whose plan would follow statistics
	// that are stale in the middle of this job.
	licensed, unlicensed := "", ""
	if probe {
		licensed = `LEFT JOIN LATERAL (SELECT true AS live FROM licenses l
			WHERE l.plan_key = $1 AND l.email = e.email AND l.status IN ('assigned', 'activated') LIMIT 1) licensed ON true`
		unlicensed = ` WHERE licensed.live IS NULL`
	}
	// $3 holds one key per address, 16 bytes each, in ascending order: the
	// i-th address takes the i-th (an address already licensed leaves its
	// key unused), so keys are inserted in ascending order as the list is.
	// Unique by constraint.
	tag, err := batch.Exec(ctx, `INSERT INTO licenses (plan_key, status, email, activation_key, assigned_at, changed_at)
		SELECT $1, 'assigned', e.email, substring($3::bytea FROM (e.position::integer - 1) * 16 + 1 FOR 16), now(), now()
		FROM unnest($2::text[]) WITH ORDINALITY e (email, position) `+licensed+unlicensed+`
		ORDER BY e.position`,
		p.key, emails, newActivationKeys(len(emails)))
	if err == nil {
		err = batch.Commit(ctx) // releases the savepoint
	}
	if err != nil {
		return 0, fmt.Errorf("assign licenses of plan %s: %w", p.ID, err)
	}
	return int(tag.RowsAffected()), nil
}

// countUnlicensed counts the addresses of a job's list that hold no live
// license: when its seats ran out, what the rest of the list needs (the
// batches before hold theirs now).
func countUnlicensed(ctx context.Context, tx pgx.Tx, p Plan, jobID string) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM job_lists c CROSS JOIN unnest(c.emails) e (email)
		WHERE c.job_id = $2 AND NOT EXISTS (SELECT 1 FROM licenses l
			WHERE l.plan_key = $1 AND l.email = e.email AND l.status IN ('assigned', 'activated'))`, p.key, jobID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the addresses left to assign: %w", err)
	}
	return n, nil
}

// isSeatCheck reports whether err is the database refusing more licenses
// in use than a plan has seats.
func isSeatCheck(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.ConstraintName == "plans_in_use_within_seats"
}
