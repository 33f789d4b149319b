package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// acceptRevocation accepts a list for revocation without running its job.
func acceptRevocation(t *testing.T, s *Store, planID, text string) Job {
	t.Helper()
	job, err := s.RevokeList(context.Background(), planID, mustList(t, text), testActor("Ada Admin"), time.Minute, noQueue)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// runRevocation runs an accepted revocation as the worker does.
func runRevocation(t testing.TB, s *Store, jobID string) (RevocationResult, error) {
	t.Helper()
	ctx := context.Background()
	rv, err := s.RevocationOf(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	_, lease, started, err := s.StartAttempt(ctx, jobID, Attempt{Lease: rv.Lease}, time.Minute)
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	defer s.ReleaseLock(context.WithoutCancel(ctx), lease)
	return s.RunRevocation(ctx, rv, lease)
}

func TestRevokeList_RevokesTheListedLiveLicensesInBatchesAndFreesThePlan(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	const n = listChunk + listChunk/2
	p := newPlan(t, s, n+10)
	var licensed, listed strings.Builder
	for i := range n {
		fmt.Fprintf(&licensed, "user%d@example.com\n", i)
	}
	assign(t, s, p.ID, mustList(t, licensed.String()+"keep@example.com\n"))
	// Every licensed address but keep@, some twice, and a few that hold none.
	for i := range n {
		fmt.Fprintf(&listed, "USER%d@example.com\n", i)
	}
	listed.WriteString("user0@example.com\nnobody@example.com\nnoone@example.com\n")

	pv, err := s.PreviewRevocation(ctx, p.ID, mustList(t, listed.String()))
	if err != nil || pv.Live != n || pv.NotLicensed != 2 || pv.Duplicates != 1 {
		t.Fatalf("preview: %+v %v", pv, err)
	}
	if c := checkSeatInvariants(t, s, p.ID).Counts; c.Assigned != n+1 {
		t.Fatalf("the preview changed the plan: %+v", c)
	}
	job := acceptRevocation(t, s, p.ID, listed.String())
	if _, held, _ := s.HeldLock(ctx, PlanLockName(p.ID)); !held {
		t.Error("an accepted revocation does not hold the plan")
	}
	if _, err := s.RevokeLicenses(ctx, p.ID, []string{"keep@example.com"}, SystemActor); ErrorCode(err) != EConflict {
		t.Errorf("a revocation while the job holds the plan: %v, want it refused", err)
	}
	res, err := runRevocation(t, s, job.ID)
	if err != nil || res != (RevocationResult{Revoked: n, NotLicensed: 2, Duplicates: 1}) {
		t.Fatalf("run: %+v %v", res, err)
	}
	j := readJob(t, s, job.ID)
	if j.Status != JobSucceeded || j.Done != n+2 || j.Total != n+2 {
		t.Errorf("job %s, %d of %d", j.Status, j.Done, j.Total)
	}
	if c := checkSeatInvariants(t, s, p.ID).Counts; c != (LicenseCounts{Unassigned: n + 9, Assigned: 1, Revoked: n}) {
		t.Errorf("counts after the revocation: %+v", c)
	}
	if _, held, _ := s.HeldLock(ctx, PlanLockName(p.ID)); held {
		t.Error("the plan is still locked after the job")
	}
	if n := stagedAddresses(t, s, job.ID); n != 0 {
		t.Errorf("the list outlived its job: %d addresses", n)
	}
}

func TestRevokeList_WithNothingToRevokeMakesNoJob(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := newPlan(t, s, 2)
	assign(t, s, p.ID, mustList(t, "a@example.com"))
	_, err := s.RevokeList(ctx, p.ID, mustList(t, "b@example.com\nc@example.com"), testActor("x"), time.Minute, noQueue)
	if _, ok := err.(*NothingToRevokeError); !ok {
		t.Fatalf("a list that holds no license: %v, want nothing to revoke", err)
	}
	if _, held, _ := s.HeldLock(ctx, PlanLockName(p.ID)); held {
		t.Error("a refused revocation left the plan locked")
	}
	if j, ok, err := s.LatestJob(ctx, "plan", p.ID); err != nil || !ok || j.Kind != JobAssignLicenses {
		t.Errorf("the plan's latest job is %+v (%v), want the assignment: none made for nothing", j, err)
	}
}

func TestRevokeList_CancelledMidwayRevokesNothing(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	const n = listChunk + 10
	p := newPlan(t, s, n)
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "user%d@example.com\n", i)
	}
	assign(t, s, p.ID, mustList(t, list.String()))
	job := acceptRevocation(t, s, p.ID, list.String())
	rv, err := s.RevocationOf(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, lease, _, err := s.StartAttempt(ctx, job.ID, Attempt{Lease: rv.Lease}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled once running, before its first report: the first batch
	// runs, the report stops it.
	if _, err := s.CancelJob(ctx, job.ID, testActor("Ada Admin")); err != nil {
		t.Fatal(err)
	}
	_, err = s.RunRevocation(ctx, rv, lease)
	if e, ok := err.(*Error); !ok || e.Reason != ReasonJobCancelled || e.Message != "Cancelled by Ada Admin, nothing was revoked." {
		t.Fatalf("run: %v, want it cancelled", err)
	}
	if err := s.FailRevocationJob(ctx, job.ID, err.Error()); err != nil {
		t.Fatal(err)
	}
	s.ReleaseLock(ctx, lease)
	if c := checkSeatInvariants(t, s, p.ID).Counts; c != (LicenseCounts{Assigned: n}) {
		t.Errorf("counts after the cancelled revocation: %+v", c)
	}
	if j := readJob(t, s, job.ID); !j.Cancelled() {
		t.Errorf("job reads %+v", j)
	}
}
