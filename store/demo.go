package store

import (
	"context"
	"encoding/json"
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
	actors := map[Role]Actor{}
	for _, np := range people {
		p, err := s.CreatePerson(ctx, np, SystemActor)
		if err != nil {
			if errors.Is(err, ErrConflict) {
				return nil, Errorf(EConflict, "The demo data is already loaded (%s exists).", np.Email)
			}
			return nil, fmt.Errorf("demo person %s: %w", np.Email, err)
		}
		actors[np.Role] = p.Actor()
		logins = append(logins, DemoLogin{Email: np.Email, Role: string(np.Role), Password: np.Password})
	}
	if err := s.loadDemoPlans(ctx); err != nil {
		return nil, fmt.Errorf("demo plans: %w", err)
	}
	if err := s.loadDemoCourse(ctx, actors[RoleAuthor], actors[RoleSupport]); err != nil {
		return nil, fmt.Errorf("demo course: %w", err)
	}
	if err := s.loadDemoEnrollments(ctx); err != nil {
		return nil, err
	}
	return logins, nil
}

// loadDemoCourse builds a small course the author is staff of, with a few
// entries in its change log: edits, a reorder, a delete and support's undo.
func (s *Store) loadDemoCourse(ctx context.Context, author, support Actor) error {
	c, err := s.CreateCourse(ctx, "course-v1:Demo+CS101+2026", "Introduction to Computer Science", author, SourceUI)
	if err != nil {
		return err
	}
	add := func(parent string, t BlockType, name, fields string) (Block, error) {
		return s.CreateBlock(ctx, c.Key, NewBlock{ParentID: parent, Type: t, DisplayName: name, Fields: json.RawMessage(fields)}, author, SourceUI)
	}
	var last Block
	for _, ch := range []string{"Week 1: Getting started", "Week 2: Data and programs"} {
		chapter, err := add(c.RootBlockID, BlockChapter, ch, `{}`)
		if err != nil {
			return err
		}
		for _, sq := range []string{"Lecture", "Practice"} {
			seq, err := add(chapter.ID, BlockSequential, sq, `{}`)
			if err != nil {
				return err
			}
			vert, err := add(seq.ID, BlockVertical, sq+" unit", `{}`)
			if err != nil {
				return err
			}
			if _, err := add(vert.ID, BlockHTML, "Reading", `{"body": "<p>Welcome to the course.</p>"}`); err != nil {
				return err
			}
			if _, err := add(vert.ID, BlockVideo, "Video", `{"url": "https://example.com/intro.mp4", "duration_s": 340}`); err != nil {
				return err
			}
			if last, err = add(vert.ID, BlockProblem, "Check your understanding", `{"max_attempts": 3, "weight": 1}`); err != nil {
				return err
			}
		}
	}
	renamed := "Quick check"
	if _, err := s.UpdateBlock(ctx, c.Key, last.ID, BlockUpdate{DisplayName: &renamed, Fields: json.RawMessage(`{"max_attempts": 1, "weight": 2}`)}, author, SourceAPI); err != nil {
		return err
	}
	vert, err := s.Block(ctx, c.Key, last.ParentID, author)
	if err != nil {
		return err
	}
	if err := s.DeleteBlock(ctx, c.Key, vert.Children[0], "", author, SourceUI); err != nil {
		return err
	}
	page, err := s.CourseHistory(ctx, c.Key, HistoryFilter{Limit: 1}, support)
	if err != nil {
		return err
	}
	_, err = s.UndoVersion(ctx, c.Key, page.Versions[0].VersionID, support)
	return err
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
		if _, err := s.AssignNow(ctx, p.ID, emaillist.Emails{Addresses: addresses, Entries: len(addresses)}, by); err != nil {
			return fmt.Errorf("demo licenses of %s: %w", d.name, err)
		}
		if _, err := s.RevokeLicenses(ctx, p.ID, addresses[:1], by); err != nil {
			return fmt.Errorf("demo revocation in %s: %w", d.name, err)
		}
	}
	return nil
}

// AssignNow accepts a list and runs its job in this goroutine, for demo
// data and tests, which have no job queue.
func (s *Store) AssignNow(ctx context.Context, planID string, list emaillist.Emails, by Actor) (AssignmentResult, error) {
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
