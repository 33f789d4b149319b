package storetest

import (
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestWithDatabase_KeepsServerAndReplacesDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		connString string
	}{
		{"KeywordValue", "host=/srv/pg port=5433 user=postgres dbname=postgres sslmode=disable"},
		{"KeywordValueQuoted", "host='/srv/my pg' port=5433 user=postgres dbname=postgres"},
		{"URL", "postgres://postgres:secret@db.example:5433/postgres?sslmode=disable"},
		{"URLWithoutDatabase", "postgresql://postgres@db.example:5433"},
		{"URLWithDbnameParameter", "postgres://postgres@db.example:5433/?dbname=postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := withDatabase(tt.connString, "t_1_2")
			if err != nil {
				t.Fatal(err)
			}
			before, err := pgconn.ParseConfig(tt.connString)
			if err != nil {
				t.Fatal(err)
			}
			after, err := pgconn.ParseConfig(got)
			if err != nil {
				t.Fatalf("withDatabase(%q) = %q: %v", tt.connString, got, err)
			}
			if after.Database != "t_1_2" || after.Host != before.Host || after.Port != before.Port ||
				after.User != before.User || after.Password != before.Password {
				t.Errorf("withDatabase(%q) = %q: database %q on %s:%d as %s, want t_1_2 on %s:%d as %s",
					tt.connString, got, after.Database, after.Host, after.Port, after.User, before.Host, before.Port, before.User)
			}
		})
	}
}
