package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestCreatePlan_AllSeatsStartUnassigned(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	p, err := s.CreatePlan(context.Background(), NewPlan{Name: "  Acme 2026 ", Seats: 25}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Acme 2026" || p.Seats != 25 || p.Counts != (LicenseCounts{Unassigned: 25}) {
		t.Errorf("created %+v", p)
	}
	if !p.ExpiresAt.After(p.StartsAt) {
		t.Errorf("default dates %s..%s", p.StartsAt, p.ExpiresAt)
	}
}

func TestCreatePlan_RejectsBadInput(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, np := range map[string]NewPlan{
		"blank name":       {Name: " ", Seats: 1},
		"negative seats":   {Name: "x", Seats: -1},
		"too many seats":   {Name: "x", Seats: MaxSeats + 1},
		"expires at start": {Name: "x", Seats: 1, StartsAt: &start, ExpiresAt: &start},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.CreatePlan(context.Background(), np, SystemActor); ErrorCode(err) != EInvalid {
				t.Errorf("got %v, want invalid", err)
			}
		})
	}
}

func TestUpdatePlan_TermsChangedOnlyBySeatsOrDates(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p, err := s.CreatePlan(ctx, NewPlan{Name: "Acme", Seats: 3}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	renamed := "Acme Corp"
	afterRename, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Name: &renamed}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if afterRename.Name != renamed || !afterRename.TermsChangedAt.Equal(p.TermsChangedAt) {
		t.Errorf("a rename moved terms_changed_at: %s → %s", p.TermsChangedAt, afterRename.TermsChangedAt)
	}
	seats := 5
	grown, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Seats: &seats}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if !grown.TermsChangedAt.After(p.TermsChangedAt) || grown.Counts.Unassigned != 5 {
		t.Errorf("growing seats: terms %s, counts %+v", grown.TermsChangedAt, grown.Counts)
	}
	seats = 2
	shrunk, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Seats: &seats}, SystemActor)
	if err != nil || shrunk.Counts.Unassigned != 2 {
		t.Errorf("shrinking seats: %v, counts %+v", err, shrunk.Counts)
	}
	later := p.ExpiresAt.AddDate(1, 0, 0)
	extended, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{ExpiresAt: &later}, SystemActor)
	if err != nil || !extended.TermsChangedAt.After(shrunk.TermsChangedAt) {
		t.Errorf("extending: %v, terms %s", err, extended.TermsChangedAt)
	}
}

func TestUpdatePlan_CannotDropBelowSeatsInUse(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p, _ := s.CreatePlan(ctx, NewPlan{Name: "Acme", Seats: 3}, SystemActor)
	if _, err := s.pool.Exec(ctx, `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT key, 'assigned', 'a@example.com', decode(md5('k1'), 'hex') FROM plans WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	zero := 0
	_, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Seats: &zero}, SystemActor)
	if e, ok := errors.AsType[*Error](err); !ok || e.Reason != ReasonSeatsInUse {
		t.Errorf("got %v, want seats_in_use", err)
	}
	if _, err := s.UpdatePlan(ctx, "nope", PlanUpdate{Seats: &zero}, SystemActor); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown plan: %v", err)
	}
}

func TestListPlans_PagesByName(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	for _, name := range []string{"Delta", "alpha", "Charlie", "Bravo 100%"} {
		if _, err := s.CreatePlan(ctx, NewPlan{Name: name, Seats: 1}, SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.ListPlans(ctx, PlanFilter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.ListPlans(ctx, PlanFilter{Limit: 2, After: first.NextAfter})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range append(first.Plans, second.Plans...) {
		names = append(names, p.Name)
	}
	if len(names) != 4 || second.NextAfter != "" {
		t.Fatalf("pages gave %v (next %q)", names, second.NextAfter)
	}
	if found, _ := s.ListPlans(ctx, PlanFilter{Q: "100%"}); len(found.Plans) != 1 {
		t.Errorf("search for a literal %%: %d plans", len(found.Plans))
	}
}

func TestPlanLifecycle_WritesAnAuditEntryForEveryChange(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	admin, support := testActor("admin"), testActor("support")
	p, err := s.CreatePlan(ctx, NewPlan{Name: "Acme", Seats: 2}, admin)
	if err != nil {
		t.Fatal(err)
	}
	name := "Acme Ltd"
	if _, err := s.UpdatePlan(ctx, p.ID, PlanUpdate{Name: &name}, admin); err != nil {
		t.Fatal(err)
	}
	job, err := s.AssignLicenses(ctx, p.ID, mustList(t, "a@example.com"), admin, time.Minute, noQueue)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.runNow(ctx, job.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeLicenses(ctx, p.ID, []string{"a@example.com"}, support); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range slices.Backward(page.Entries) { // oldest first
		if e.SubjectType == "plan" && e.SubjectID == p.ID {
			got = append(got, e.Action+" by "+e.Actor.Name)
		}
	}
	// The job assigns in the name of whoever accepted the list.
	want := []string{"plan.create by admin", "plan.update by admin", "assignment.accept by admin", "license.assign by admin", "license.revoke by support"}
	if !slices.Equal(got, want) {
		t.Errorf("audit of the plan %q, want %q", got, want)
	}
}
