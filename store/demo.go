package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/emaillist"
)

// DemoPassword is the password of every demo person.
const DemoPassword = "seatplan-demo"

// DemoLogin is printed by `make run` so a newcomer can sign in.
type DemoLogin struct {
	Email, Role, Password string
}

// LoadDemo fills an empty database with people for each role and sample
// data for every area, so the pages have something to show.
func (s *Store) LoadDemo(ctx context.Context) ([]DemoLogin, error) {
	people := []NewPerson{
		{Email: "admin@example.com", Name: "Ada Admin", Role: RoleAdmin, Password: DemoPassword},
		{Email: "author@example.com", Name: "Arthur Author", Role: RoleAuthor, Password: DemoPassword},
		{Email: "support@example.com", Name: "Sam Support", Role: RoleSupport, Password: DemoPassword},
	}
	var logins []DemoLogin
	for _, np := range people {
		if _, err := s.CreatePerson(ctx, np, SystemActor); err != nil {
			if errors.Is(err, ErrConflict) {
				return nil, Errorf(EConflict, "The demo data is already loaded (%s exists).", np.Email)
			}
			return nil, fmt.Errorf("demo person %s: %w", np.Email, err)
		}
		logins = append(logins, DemoLogin{Email: np.Email, Role: string(np.Role), Password: np.Password})
	}
	if err := s.loadDemoPlans(ctx); err != nil {
		return nil, err
	}
	return logins, nil
}

// loadDemoPlans adds plans with some licenses assigned and one revoked.
func (s *Store) loadDemoPlans(ctx context.Context) error {
	by := Actor{Kind: ActorSystem, ID: "demo", Name: "Demo data"}
	for _, d := range []struct {
		name   string
		seats  int
		emails int
	}{{"Acme Corp — Team", 25, 18}, {"Globex University", 500, 120}, {"Initech Pilot", 10, 0}} {
		p, err := s.CreatePlan(ctx, NewPlan{Name: d.name, Seats: d.seats}, by)
		if err != nil {
			return fmt.Errorf("demo plan %s: %w", d.name, err)
		}
		if d.emails == 0 {
			continue
		}
		addresses := make([]string, d.emails)
		for i := range addresses {
			addresses[i] = fmt.Sprintf("learner%03d@%s.example", i+1, strings.ToLower(strings.Fields(d.name)[0]))
		}
		if _, err := s.assignNow(ctx, p.ID, emaillist.Emails{Addresses: addresses, Entries: len(addresses)}, by); err != nil {
			return fmt.Errorf("demo licenses of %s: %w", d.name, err)
		}
		if _, err := s.RevokeLicenses(ctx, p.ID, addresses[:1], by); err != nil {
			return fmt.Errorf("demo revocation in %s: %w", d.name, err)
		}
	}
	return nil
}

// assignNow accepts a list and runs its job in this goroutine, for demo
// data and tests, which have no job queue.
func (s *Store) assignNow(ctx context.Context, planID string, list emaillist.Emails, by Actor) (AssignmentResult, error) {
	job, err := s.AssignLicenses(ctx, planID, list, by, time.Minute, func(context.Context, pgx.Tx, string) error { return nil })
	if err != nil {
		return AssignmentResult{}, err
	}
	return s.runNow(ctx, job.ID)
}

// runNow runs an accepted assignment as the worker does: it resumes the
// request's lease, marks the job running and does the work.
func (s *Store) runNow(ctx context.Context, jobID string) (AssignmentResult, error) {
	a, err := s.AssignmentOf(ctx, jobID)
	if err != nil {
		return AssignmentResult{}, err
	}
	lease, err := s.ResumeLock(ctx, a.Lease, time.Minute)
	if err != nil {
		return AssignmentResult{}, err
	}
	defer s.ReleaseLock(context.WithoutCancel(ctx), lease)
	if _, err := s.StartJob(ctx, jobID); err != nil {
		return AssignmentResult{}, err
	}
	return s.RunAssignment(ctx, a, lease)
}
