package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestAdmins_ConcurrentDemotionsAndDeactivationsLeaveAnAdmin(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	for round := range 5 {
		// Every admin tries to remove another admin's rights at once; some
		// changes win, and at least one active admin is left every time.
		const n = 8
		admins := make([]Person, n)
		for i := range admins {
			admins[i] = createPerson(t, s, fmtEmail(round, i), RoleAdmin)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range admins {
			wg.Go(func() {
				target := admins[(i+1)%n]
				if i%2 == 0 {
					_, errs[i] = s.ChangeRole(ctx, target.ID, RoleAuthor, admins[i].Actor())
				} else {
					_, errs[i] = s.DeactivatePerson(ctx, target.ID, admins[i].Actor())
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil && ErrorCode(err) != EConflict {
				t.Fatalf("round %d, admin %d: %v", round, i, err)
			}
		}
		var left int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM people WHERE role = 'admin' AND deactivated_at IS NULL`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left < 1 {
			t.Fatalf("round %d: no active admin left", round)
		}
		// Before the next round, deactivate every admin the guard lets go.
		people, err := s.ListPeople(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range people {
			if p.Role == RoleAdmin && p.Active() {
				_, err := s.DeactivatePerson(ctx, p.ID, SystemActor)
				if err != nil && ErrorCode(err) != EConflict {
					t.Fatal(err)
				}
			}
		}
	}
}

func fmtEmail(round, i int) string { return fmt.Sprintf("admin-%d-%d@example.com", round, i) }

func TestDeactivatePerson_EndsSessionsAndSignInAtOnce(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	admin := createPerson(t, s, "ada@example.com", RoleAdmin)
	ann := createPerson(t, s, "ann@example.com", RoleAuthor)
	token, err := s.CreateSession(ctx, ann.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeactivatePerson(ctx, ann.ID, admin.Actor()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PersonBySession(ctx, token); ErrorCode(err) != EUnauthorized {
		t.Errorf("a deactivated person's session still resolves: %v", err)
	}
	if _, err := s.Authenticate(ctx, "ann@example.com", "correct horse battery", "127.0.0.1"); ErrorCode(err) != EUnauthorized {
		t.Errorf("a deactivated person still signs in: %v", err)
	}
	if _, err := s.DeactivatePerson(ctx, admin.ID, admin.Actor()); ErrorCode(err) != EConflict {
		t.Errorf("the last admin deactivated themselves: %v", err)
	}
	if _, err := s.ChangeRole(ctx, admin.ID, RoleSupport, admin.Actor()); ErrorCode(err) != EConflict {
		t.Errorf("the last admin gave up their role: %v", err)
	}
}

func TestClients_RotateAndRevokeStopTokensAtOnce(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	creds, err := s.CreateClient(ctx, "Sync", RoleAuthor, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.IssueToken(ctx, creds.ClientID, creds.ClientSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rotated, name, err := s.RotateClientSecret(ctx, creds.ClientID, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if name != "Sync" {
		t.Errorf("the rotation names the client %q", name)
	}
	if _, err := s.ClientByToken(ctx, tok.Token); ErrorCode(err) != EUnauthorized {
		t.Errorf("a token issued before the rotation still works: %v", err)
	}
	if _, err := s.IssueToken(ctx, creds.ClientID, creds.ClientSecret, time.Hour); ErrorCode(err) != EUnauthorized {
		t.Errorf("the old secret still issues tokens: %v", err)
	}
	tok, err = s.IssueToken(ctx, creds.ClientID, rotated.ClientSecret, time.Hour)
	if err != nil {
		t.Fatalf("the new secret: %v", err)
	}
	if err := s.RevokeClient(ctx, creds.ClientID, SystemActor); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClientByToken(ctx, tok.Token); ErrorCode(err) != EUnauthorized {
		t.Errorf("a revoked client's token still works: %v", err)
	}
	if _, _, err := s.RotateClientSecret(ctx, creds.ClientID, SystemActor); ErrorCode(err) != ENotFound {
		t.Errorf("a revoked client's secret rotated: %v", err)
	}
	clients, err := s.ListClients(ctx)
	if err != nil || len(clients) != 1 || clients[0].RevokedAt == nil {
		t.Errorf("ListClients = %+v, %v", clients, err)
	}
}
