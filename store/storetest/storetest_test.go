package storetest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestNewDatabase_ParallelTestsAreIsolated(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"first", "second", "third", "fourth"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pool := storetest.NewPool(t)
			// Were the database shared, one CREATE TABLE would fail or one
			// count would see another test's row.
			if _, err := pool.Exec(t.Context(), "CREATE TABLE marker (owner text)"); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(t.Context(), "INSERT INTO marker VALUES ($1)", name); err != nil {
				t.Fatal(err)
			}
			var owners []string
			rows, _ := pool.Query(t.Context(), "SELECT owner FROM marker")
			owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(owners) != 1 || owners[0] != name {
				t.Errorf("marker rows = %q, want only %q", owners, name)
			}
		})
	}
}

func TestNewDatabase_HoldsMigratedSchema(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	var applied int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied == 0 {
		t.Error("no migrations applied in the cloned database")
	}
}

func TestNewDatabase_DroppedWhenTestEnds(t *testing.T) {
	t.Parallel()
	var database string
	t.Run("UsesDatabase", func(t *testing.T) {
		config, err := pgx.ParseConfig(storetest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		database = config.Database
	})

	conn, err := pgx.Connect(t.Context(), storetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	var exists bool
	if err := conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", database).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if database == "" || exists {
		t.Errorf("database %q still exists after its test ended", database)
	}
}
