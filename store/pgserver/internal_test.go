package pgserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestNewestServerBinDir_PicksHighestCompleteVersion(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	install := func(version string, programs ...string) {
		dir := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range programs {
			if err := os.WriteFile(filepath.Join(dir, p), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	install("9.6", "postgres", "initdb")
	install("10", "postgres", "initdb")
	install("16", "postgres") // client-only leftovers: no initdb

	got, ok := newestServerBinDir(filepath.Join(root, "*", "bin"))

	if want := filepath.Join(root, "10", "bin"); !ok || got != want {
		t.Errorf("newestServerBinDir = %q, %v; want %q", got, ok, want)
	}
}

func TestURL_QuotesValuesForPgx(t *testing.T) {
	t.Parallel()
	tests := []struct{ host, database string }{
		{"/srv/data", "app"},
		{"/srv/my data", "app"},
		{`/srv/it's\here`, "o'brien db"},
		{"127.0.0.1", ""},
	}
	for _, tt := range tests {
		c := &Cluster{host: tt.host, port: 5433}
		config, err := pgconn.ParseConfig(c.URL(tt.database))
		if err != nil {
			t.Errorf("URL(%q) with host %q = %q: %v", tt.database, tt.host, c.URL(tt.database), err)
			continue
		}
		if config.Host != tt.host || config.Port != 5433 || config.Database != tt.database || config.User != "postgres" {
			t.Errorf("URL(%q) with host %q parses as host %q port %d db %q user %q",
				tt.database, tt.host, config.Host, config.Port, config.Database, config.User)
		}
	}
}

func FuzzParsePostmasterPID(f *testing.F) {
	f.Add("4242\n/srv/data\n1716200000\n5432\n/srv/data\n127.0.0.1\n  5432001   2\nready   \n")
	f.Add("4242\n/srv/data\n1716200000\n5432\n\n\n")
	f.Add("4242\n")
	f.Add("")
	f.Add("-1\n")
	f.Add("12\n/d\n1\n99999\n")
	f.Fuzz(func(t *testing.T, data string) {
		status, err := parsePostmasterPID(data)
		if err != nil {
			return
		}
		if status.pid <= 0 || status.port < 0 || status.port > 65535 {
			t.Errorf("parsePostmasterPID(%q) = %+v", data, status)
		}
	})
}
