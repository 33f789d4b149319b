package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store"
)

func TestCLI_ProductionKeysAreOnlyRequiredToServe(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t, "SEATPLAN_ENV", "production")
	out, err := runCommand(t, getenv, "", "migrate", "status")
	if err != nil || !strings.Contains(out, "applied") {
		t.Errorf("migrate status in production without keys: %v\n%s", err, out)
	}
	if _, err := runCommand(t, getenv, "", "client", "add", "--name", "Ops", "--role", "support"); err != nil {
		t.Errorf("client add in production without keys: %v", err)
	}
	// Demo logins share a published password: never in production.
	if out, err := runCommand(t, getenv, "", "demo"); err == nil || !strings.Contains(err.Error(), "development only") || strings.Contains(out, "password") {
		t.Errorf("demo in production: %v\n%s", err, out)
	}

	// Bounded, so a serve that wrongly starts ends the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout strings.Builder
	err = run(ctx, []string{"seatplan", "serve", "-addr", "127.0.0.1:0"}, getenv, strings.NewReader(""), &stdout, testLogWriter{t})
	if err == nil || !strings.Contains(err.Error(), "SEATPLAN_SESSION_KEY") || !strings.Contains(err.Error(), "SEATPLAN_SIGNING_KEY") {
		t.Errorf("serve in production without keys: %v, want both keys named", err)
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Errorf("serve started without keys:\n%s", stdout.String())
	}
}

func TestCLI_MigrateStatusDownAndUp(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v %v", files, err)
	}
	last := filepath.Base(files[len(files)-1]) // Glob sorts; versions are zero-padded
	getenv := testEnv(t)

	// status prints one line per migration, each applied or pending.
	status := func(when string) map[string]string {
		t.Helper()
		out, err := runCommand(t, getenv, "", "migrate", "status")
		if err != nil {
			t.Fatalf("migrate status %s: %v", when, err)
		}
		states := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 {
				t.Fatalf("migrate status %s: line %q", when, line)
			}
			states[f[1]] = f[2]
		}
		if len(states) != len(files) {
			t.Errorf("migrate status %s lists %d migrations, want %d:\n%s", when, len(states), len(files), out)
		}
		return states
	}
	allApplied := func(when string, states map[string]string, except string) {
		t.Helper()
		for _, f := range files {
			name, want := filepath.Base(f), "applied"
			if name == except {
				want = "pending"
			}
			if states[name] != want {
				t.Errorf("%s: %s is %q, want %s", when, name, states[name], want)
			}
		}
	}

	allApplied("fresh database", status("on a fresh database"), "")
	if _, err := runCommand(t, getenv, "", "migrate", "down"); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	allApplied("after down", status("after down"), last)
	if _, err := runCommand(t, getenv, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	allApplied("after up", status("after up"), "")

	if _, err := runCommand(t, getenv, "", "migrate", "sideways"); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Errorf("migrate sideways: %v", err)
	}
}

func TestCLI_DemoPrintsTheLoginsAndRefusesASecondLoad(t *testing.T) {
	t.Parallel()
	getenv := testEnv(t)
	out, err := runCommand(t, getenv, "", "demo")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, login := range []string{"admin@example.com", "author@example.com", "support@example.com"} {
		if !strings.Contains(out, login) {
			t.Errorf("demo output lacks %s:\n%s", login, out)
		}
	}
	if n := strings.Count(out, "password: "+store.DemoPassword); n != 3 {
		t.Errorf("demo output shows the password %d times, want once per login:\n%s", n, out)
	}

	count := func() (people, plans int) {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), getenv("DATABASE_URL"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM plans)`).Scan(&people, &plans); err != nil {
			t.Fatal(err)
		}
		return people, plans
	}
	people, plans := count()
	if people != 3 || plans == 0 {
		t.Fatalf("after demo: %d people, %d plans", people, plans)
	}

	again, err := runCommand(t, getenv, "", "demo")
	if err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("a second demo: %v, want an error saying the data is already loaded", err)
	}
	if again != "" {
		t.Errorf("a second demo printed logins:\n%s", again)
	}
	if p, pl := count(); p != people || pl != plans {
		t.Errorf("a second demo changed the data: %d people, %d plans; was %d, %d", p, pl, people, plans)
	}
}
