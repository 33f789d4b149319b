package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func createPerson(t *testing.T, s *Store, email string, role Role) Person {
	t.Helper()
	p, err := s.CreatePerson(context.Background(), NewPerson{Email: email, Role: role, Password: "correct horse battery"}, SystemActor)
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return p
}

func TestCreatePerson_RejectsBadInput(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	createPerson(t, s, "Ada@Example.com", RoleAdmin)
	tests := []struct {
		name string
		np   NewPerson
		want Code
	}{
		{"same email in another case", NewPerson{Email: "ada@example.COM", Role: RoleAdmin, Password: "long enough pw"}, EConflict},
		{"invalid email", NewPerson{Email: "not-an-email", Role: RoleAdmin, Password: "long enough pw"}, EInvalid},
		{"unknown role", NewPerson{Email: "x@example.com", Role: "root", Password: "long enough pw"}, EInvalid},
		{"short password", NewPerson{Email: "y@example.com", Role: RoleAuthor, Password: "short"}, EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CreatePerson(context.Background(), tt.np, SystemActor); ErrorCode(err) != tt.want {
				t.Errorf("got %v (code %q), want code %q", err, ErrorCode(err), tt.want)
			}
		})
	}
}

func TestAuthenticate_UnknownEmailAndWrongPasswordGetTheSameAnswer(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	createPerson(t, s, "ada@example.com", RoleAdmin)

	if p, err := s.Authenticate(ctx, " ADA@example.com ", "correct horse battery", "127.0.0.1"); err != nil || p.Email != "ada@example.com" {
		t.Fatalf("right password: %v, %+v", err, p)
	}
	_, wrong := s.Authenticate(ctx, "ada@example.com", "wrong password!", "127.0.0.1")
	_, unknown := s.Authenticate(ctx, "nobody@example.com", "wrong password!", "127.0.0.1")
	if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() || ErrorCode(wrong) != EUnauthorized {
		t.Errorf("wrong password %q and unknown email %q should be the same unauthorized error", wrong, unknown)
	}
}

func TestSessions_EndSessionAndPasswordChangeRevoke(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	p := createPerson(t, s, "ada@example.com", RoleAdmin)
	laptop, _ := s.CreateSession(ctx, p.ID, time.Hour)
	phone, _ := s.CreateSession(ctx, p.ID, time.Hour)
	if got, err := s.PersonBySession(ctx, laptop); err != nil || got.ID != p.ID {
		t.Fatalf("live session: %v", err)
	}
	if err := s.EndSession(ctx, laptop); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PersonBySession(ctx, laptop); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("ended session still works: %v", err)
	}
	if err := s.ChangePassword(ctx, p.ID, "wrong current", "a new password", "127.0.0.1"); ErrorCode(err) != EInvalid {
		t.Errorf("wrong current password: %v", err)
	}
	if err := s.ChangePassword(ctx, p.ID, "correct horse battery", "a new password", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PersonBySession(ctx, phone); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("session survived a password change: %v", err)
	}
	if _, err := s.Authenticate(ctx, "ada@example.com", "a new password", "127.0.0.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestSessions_ExpireAfterTheirTTL(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	p := createPerson(t, s, "ada@example.com", RoleAdmin)
	token, _ := s.CreateSession(ctx, p.ID, time.Hour)
	if _, err := s.PersonBySession(ctx, token); err != nil {
		t.Fatalf("live session: %v", err)
	}
	clock.Advance(time.Hour)
	if _, err := s.PersonBySession(ctx, token); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("expired session: %v", err)
	}
}

func TestClients_TokensResolveOnlyWithTheRightSecretAndUntilExpiry(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	creds, err := s.CreateClient(ctx, "LMS sync", RoleAuthor, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IssueToken(ctx, creds.ClientID, "wrong", time.Hour); ErrorCode(err) != EUnauthorized {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := s.IssueToken(ctx, "unknown", creds.ClientSecret, time.Hour); ErrorCode(err) != EUnauthorized {
		t.Errorf("unknown client: %v", err)
	}
	tok, err := s.IssueToken(ctx, creds.ClientID, creds.ClientSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.ClientByToken(ctx, tok.Token)
	if err != nil || a.Kind != ActorClient || a.Role != RoleAuthor || a.Name != "LMS sync" {
		t.Fatalf("token resolves to %+v, %v", a, err)
	}
	var stored []byte
	if err := s.pool.QueryRow(ctx, `SELECT token_hash FROM api_tokens`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, hashSecret(tok.Token)) {
		t.Errorf("stored token %q is not the hash of the issued token", stored)
	}
	clock.Advance(time.Hour)
	if _, err := s.ClientByToken(ctx, tok.Token); ErrorCode(err) != EUnauthorized {
		t.Errorf("expired token: %v", err)
	}
}

func TestListAudit_FiltersAndPagesNewestFirst(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	for i := range 7 {
		action := "plan.create"
		if i%2 == 1 {
			action = "plan.update"
		}
		if err := s.Audit(ctx, AuditEntry{Actor: SystemActor, Action: action, Summary: fmt.Sprintf("entry %d of 100%%", i)}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.ListAudit(ctx, AuditFilter{Action: "plan.create", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Entries) != 3 || first.Entries[0].Summary != "entry 6 of 100%" || first.NextBefore == 0 {
		t.Fatalf("first page: %+v", first)
	}
	second, err := s.ListAudit(ctx, AuditFilter{Action: "plan.create", Limit: 3, Before: first.NextBefore})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Entries) != 1 || second.Entries[0].Summary != "entry 0 of 100%" || second.NextBefore != 0 {
		t.Errorf("second page: %+v", second)
	}
	// LIKE wildcards in the search are literal.
	if res, _ := s.ListAudit(ctx, AuditFilter{Q: "5 of 100%"}); len(res.Entries) != 1 {
		t.Errorf("search for a literal %%: %d entries, want 1", len(res.Entries))
	}
	if res, _ := s.ListAudit(ctx, AuditFilter{Q: "_"}); len(res.Entries) != 0 {
		t.Errorf("search for a literal _: %d entries, want 0", len(res.Entries))
	}
}
