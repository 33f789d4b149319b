package migrations_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/migrations"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// schema describes Seatplan's tables, columns, indexes, constraints,
// triggers and functions, one line each, sorted. River's share of the
// schema is left out: Down leaves it alone.
func schema(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(t.Context(), `SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
		SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name, data_type, is_nullable, column_default) AS line
		  FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'river%' AND table_name <> 'goose_db_version'
		UNION ALL SELECT 'index ' || indexdef FROM pg_indexes
		  WHERE schemaname = 'public' AND tablename NOT LIKE 'river%' AND tablename <> 'goose_db_version'
		UNION ALL SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint
		  WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'river%' AND conrelid::regclass::text <> 'goose_db_version'
		UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger
		  WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'river%'
		UNION ALL SELECT format('function %s %s', proname, md5(prosrc)) FROM pg_proc
		  WHERE pronamespace = 'public'::regnamespace AND proname NOT LIKE 'river%'
	) s`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Rolling back the last n migrations and applying them again, for every n,
// must give back exactly the migrated schema: each Down undoes its Up.
func TestDownRollsBackEveryMigrationAndUpRestoresTheSameSchema(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	migrated := schema(t, pool)
	var status bytes.Buffer
	if err := migrations.Status(ctx, pool, &status); err != nil {
		t.Fatal(err)
	}
	applied := strings.Count(status.String(), " applied ")
	if applied == 0 || strings.Contains(status.String(), "pending") {
		t.Fatalf("the template is not fully migrated:\n%s", status.String())
	}
	for n := 1; n <= applied; n++ {
		for range n {
			if err := migrations.Down(ctx, pool); err != nil {
				t.Fatalf("rolling back %d: %v", n, err)
			}
		}
		if n == applied {
			if left := schema(t, pool); left != "" {
				t.Errorf("rolling back every migration left:\n%s", left)
			}
		}
		if err := migrations.Up(ctx, pool); err != nil {
			t.Fatalf("applying again after rolling back %d: %v", n, err)
		}
		if again := schema(t, pool); again != migrated {
			t.Fatalf("rolling back %d and applying again changed the schema:\n--- migrated\n%s\n--- again\n%s", n, migrated, again)
		}
	}
}

// rollBackTo rolls back migrations until version (a file name's number) is
// pending again.
func rollBackTo(t *testing.T, pool *pgxpool.Pool, version string) {
	t.Helper()
	for range 100 {
		var status bytes.Buffer
		if err := migrations.Status(context.Background(), pool, &status); err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(status.String()) {
			if strings.HasPrefix(line, version+" ") && strings.Contains(line, "pending") {
				return
			}
		}
		if err := migrations.Down(context.Background(), pool); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("migration %s is still applied after 100 rollbacks", version)
}

// Plans that a stale seat check let exceed their seats keep every license:
// the migration that keeps the counts grows their seats to hold them; plans
// that were sound are left as they were. (The free rows it trimmed or added
// are dropped by the lean table's migration, which keeps free seats as
// seats - in_use.)
func TestKeptPlanCounts_RepairsPlansThatExceededTheirSeats(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	rollBackTo(t, pool, "00060")
	for _, sql := range []string{
		`INSERT INTO plans (id, name, seats, starts_at, expires_at) VALUES
			('over', 'Over', 100, now(), now() + interval '1 year'),
			('extra', 'Extra free rows', 150, now(), now() + interval '1 year'),
			('sound', 'Sound', 5, now(), now() + interval '1 year')`,
		`INSERT INTO licenses (plan_id, status, email, activation_key)
			SELECT p, 'assigned', p || i || '@example.com', upper(md5(p || i)) FROM generate_series(1, 150) i, unnest(ARRAY['over', 'extra']) p`,
		`INSERT INTO licenses (plan_id) SELECT 'extra' FROM generate_series(1, 50)`,
		`INSERT INTO licenses (plan_id, status, email, activation_key) VALUES ('sound', 'activated', 'a@example.com', upper(md5('sa'))),
			('sound', 'revoked', 'b@example.com', upper(md5('sb')))`,
		`INSERT INTO licenses (plan_id) SELECT 'sound' FROM generate_series(1, 4)`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		plan                             string
		seats, inUse, activated, revoked int
	}{{"over", 150, 150, 0, 0}, {"extra", 150, 150, 0, 0}, {"sound", 5, 1, 1, 1}} {
		var got struct{ seats, inUse, activated, revoked, rows int }
		if err := pool.QueryRow(ctx, `SELECT p.seats, p.in_use, a.activated, p.revoked,
			(SELECT count(*) FROM licenses WHERE plan_key = p.key)
			FROM plans p JOIN plan_activated a ON a.plan_id = p.id WHERE p.id = $1`, want.plan).
			Scan(&got.seats, &got.inUse, &got.activated, &got.revoked, &got.rows); err != nil {
			t.Fatal(err)
		}
		if got.seats != want.seats || got.inUse != want.inUse || got.activated != want.activated || got.revoked != want.revoked ||
			got.rows != want.inUse+want.revoked {
			t.Errorf("plan %s: %+v, want %+v", want.plan, got, want)
		}
	}
}

// The lean table's migration keeps every live and revoked license with its
// id (activations name them) and its key as bytes, drops the free rows, and
// keeps the counts; a migrated plan then takes assignments and refuses more
// than its seats as a new one does.
func TestLeanLicenses_MovesLicensesAndKeepsTheirIdsAndKeys(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	rollBackTo(t, pool, "00064")
	// One transaction: free rows must match free seats when it commits.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, sql := range []string{
		`INSERT INTO plans (id, name, seats, starts_at, expires_at) VALUES ('p', 'P', 5, now(), now() + interval '1 year')`,
		`INSERT INTO licenses (plan_id, status, email, activation_key, assigned_at)
			VALUES ('p', 'assigned', 'a@example.com', '0123456789ABCDEF0123456789ABCDEF', now())`,
		`INSERT INTO licenses (plan_id) VALUES ('p')`,
		`INSERT INTO licenses (plan_id, status, email, activation_key, assigned_at)
			VALUES ('p', 'activated', 'b@example.com', 'FEDCBA9876543210FEDCBA9876543210', now()),
			       ('p', 'revoked', 'c@example.com', '00000000000000000000000000000001', NULL)`,
		`INSERT INTO licenses (plan_id) SELECT 'p' FROM generate_series(1, 2)`,
		`INSERT INTO activations (id, license_id, instance_id, secret_hash)
			SELECT 'act', id, 'i', '\x00' FROM licenses WHERE email = 'b@example.com'`,
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID     int64
		Email  string
		Status string
		Key    string
	}
	read := func(sql string) []row {
		t.Helper()
		rows, err := pool.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	before := read(`SELECT id, email, status, activation_key FROM licenses WHERE status <> 'unassigned' ORDER BY id`)
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	after := read(`SELECT id, email, status::text, upper(encode(activation_key, 'hex')) FROM licenses ORDER BY id`)
	if !slices.Equal(before, after) {
		t.Errorf("licenses after the move:\n%v\nwant\n%v", after, before)
	}
	var seats, inUse, revoked, activated int
	var licensed string
	if err := pool.QueryRow(ctx, `SELECT p.seats, p.in_use, p.revoked, a.activated, l.email
		FROM plans p JOIN plan_activated a ON a.plan_id = p.id, activations x JOIN licenses l ON l.id = x.license_id
		WHERE p.id = 'p' AND x.id = 'act'`).Scan(&seats, &inUse, &revoked, &activated, &licensed); err != nil {
		t.Fatal(err)
	}
	if seats != 5 || inUse != 2 || revoked != 1 || activated != 1 || licensed != "b@example.com" {
		t.Errorf("seats %d, in use %d, revoked %d, activated %d, activation of %q", seats, inUse, revoked, activated, licensed)
	}
	// Three free seats: three new licenses fit, a fourth does not.
	insert := `INSERT INTO licenses (plan_key, status, email, activation_key)
		SELECT (SELECT key FROM plans WHERE id = 'p'), 'assigned', 'n' || i || '@example.com', decode(md5(i::text), 'hex') FROM generate_series(1, $1) i`
	if _, err := pool.Exec(ctx, insert, 4); err == nil {
		t.Error("four licenses on three free seats were accepted")
	}
	if _, err := pool.Exec(ctx, insert, 3); err != nil {
		t.Errorf("three licenses on three free seats: %v", err)
	}
}

// Lists accepted before chunks keep their addresses in order: an
// assignment's rows and a revocation's array move into chunks of 10,000.
func TestAcceptedListsInChunks_MovesListsInOrder(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	rollBackTo(t, pool, "00132")
	for _, sql := range []string{
		`INSERT INTO plans (id, name, seats, starts_at, expires_at) VALUES ('p', 'P', 5, now(), now() + interval '1 year')`,
		`INSERT INTO jobs (id, kind, subject_type, subject_id, created_by_kind, created_by_id, created_by_name)
			VALUES ('a', 'assign_licenses', 'plan', 'p', 'system', 's', 'S'), ('r', 'revoke_licenses', 'plan', 'p', 'system', 's', 'S')`,
		`INSERT INTO assignments (job_id, plan_id, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, addresses, duplicates)
			VALUES ('a', 'p', 'plan:p', 'l', 'system', 's', 'S', 'assign', 10001, 0)`,
		// Positions inserted out of order: the move follows position, not row order.
		`INSERT INTO assignment_emails (job_id, position, email)
			SELECT 'a', i, 'a' || i || '@example.com' FROM generate_series(10001, 1, -1) i`,
		`INSERT INTO revocations (job_id, plan_id, lock_name, lease_id, holder_kind, holder_id, holder_name, purpose, addresses, duplicates, emails)
			VALUES ('r', 'p', 'plan:p', 'l', 'system', 's', 'S', 'revoke', 3, 0, ARRAY['r1@example.com', 'r2@example.com', 'r3@example.com'])`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT job_id, chunk, cardinality(emails), emails[1], emails[cardinality(emails)] FROM job_lists ORDER BY job_id, chunk`)
	if err != nil {
		t.Fatal(err)
	}
	type chunk struct {
		Job         string
		Chunk, Size int
		First, Last string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[chunk])
	if err != nil {
		t.Fatal(err)
	}
	want := []chunk{
		{"a", 0, 10000, "a1@example.com", "a10000@example.com"},
		{"a", 1, 1, "a10001@example.com", "a10001@example.com"},
		{"r", 0, 3, "r1@example.com", "r3@example.com"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("chunks %+v, want %+v", got, want)
	}
}
