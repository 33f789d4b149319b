package store

import (
	"context"
	"testing"
	"time"
)

// seedExpiring adds, to every table housekeeping prunes, expired rows and
// rows still in use.
func seedExpiring(t *testing.T, s *Store, expired, live int) {
	t.Helper()
	ctx := context.Background()
	p, err := s.CreatePerson(ctx, NewPerson{Email: "ada@example.com", Role: RoleAdmin, Password: "correct horse battery"}, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := s.CreateClient(ctx, "sync", RoleAuthor, SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct {
		n   int
		age time.Duration // how far in the past; negative: in the future
	}{{expired, 24 * time.Hour}, {live, -time.Hour}} {
		for i := range set.n {
			at := time.Now().Add(-set.age)
			old := time.Now().Add(-31 * 24 * time.Hour)
			if set.age < 0 {
				old = time.Now().Add(-time.Minute)
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO web_sessions (token_hash, person_id, expires_at) VALUES ($1, $2, $3)`, []any{hashSecret(NewID()), p.ID, at}},
				{`INSERT INTO api_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)`, []any{hashSecret(NewID()), creds.ClientID, at}},
				{`INSERT INTO sign_in_attempts (key, attempts, next_at, last_at) VALUES ($1, 1, $2, $2)`, []any{hashSecret(NewID()), old}},
				{`INSERT INTO enrollment_results (id, created_at, actor_name, enrolled, existing, outcome) VALUES ($1, $2, 'x', $3, 0, '')`, []any{NewID(), old, i}},
				{`INSERT INTO staged_lists (id, purpose, owner_kind, owner_id, body, expires_at) VALUES ($1, 'enrollment', 'person', $2, '', $3)`, []any{NewID(), p.ID, at}},
			} {
				if _, err := s.pool.Exec(ctx, q.sql, q.args...); err != nil {
					t.Fatalf("%s: %v", q.sql, err)
				}
			}
		}
	}
}

func countRows(t *testing.T, s *Store, table string) (n int64) {
	t.Helper()
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPrune_RemovesOnlyExpiredRowsABoundedBatchAtATime(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	const expired, live, batch = 5, 2, 2
	seedExpiring(t, s, expired, live)

	var removed = map[string]int64{}
	for run := 1; ; run++ {
		pruned, err := s.Prune(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(pruned) == 0 {
			break
		}
		for table, n := range pruned {
			if n > batch {
				t.Errorf("run %d removed %d rows from %s, over the batch of %d", run, n, table, batch)
			}
			removed[table] += n
		}
		if run > expired {
			t.Fatal("pruning does not end")
		}
	}
	for _, r := range prunable {
		if removed[r.table] != expired {
			t.Errorf("%s: removed %d rows, want the %d expired ones", r.table, removed[r.table], expired)
		}
		if left := countRows(t, s, r.table); left != live {
			t.Errorf("%s: %d rows left, want the %d still in use", r.table, left, live)
		}
	}
}
