package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/crypto/bcrypt"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestHousekeepingWorker_PrunesExpiredRowsAndLogsWhatItRemoved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	st.PasswordCost = bcrypt.MinCost
	p, err := st.CreatePerson(ctx, store.NewPerson{Email: "ada@example.com", Role: store.RoleAdmin, Password: "correct horse battery"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := st.CreateClient(ctx, "sync", store.RoleAuthor, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock()
	st.Now = clock.Now
	// Three failed sign-ins (one account, one address: two counters), and
	// sessions and tokens of which two of each end within the hour.
	for range 3 {
		if _, err := st.Authenticate(ctx, "ada@example.com", "wrong", "127.0.0.1"); store.ErrorCode(err) != store.EUnauthorized {
			t.Fatalf("failed sign-in: %v", err)
		}
	}
	for _, ttl := range []time.Duration{time.Minute, 30 * time.Minute, 2 * time.Hour} {
		if _, err := st.CreateSession(ctx, p.ID, ttl); err != nil {
			t.Fatal(err)
		}
		if _, err := st.IssueToken(ctx, creds.ClientID, creds.ClientSecret, ttl); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour) // the sign-ins are out of the throttling window

	var logs bytes.Buffer
	w := NewHousekeepingWorker(st, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err := w.Work(ctx, &river.Job[HousekeepingArgs]{}); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Msg     string
		Removed map[string]int64
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	want := map[string]int64{"web_sessions": 2, "api_tokens": 2, "sign_in_attempts": 2}
	for table, n := range want {
		if line.Removed[table] != n {
			t.Errorf("logged %d rows removed from %s, want %d (log: %s)", line.Removed[table], table, n, logs.String())
		}
	}
	for table, left := range map[string]int{"web_sessions": 1, "api_tokens": 1, "sign_in_attempts": 0} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != left {
			t.Errorf("%s: %d rows left (%v), want %d", table, n, err, left)
		}
	}

	logs.Reset()
	if err := w.Work(ctx, &river.Job[HousekeepingArgs]{}); err != nil || logs.Len() != 0 {
		t.Errorf("a run with nothing to prune: %v, logged %q", err, logs.String())
	}
}
