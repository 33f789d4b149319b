package store

import (
	"context"
	"errors"
	"fmt"
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
	if err := s.loadDemoEnrollments(ctx); err != nil {
		return nil, err
	}
	return logins, nil
}
