package migrations_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
