// Package storetest gives each test its own PostgreSQL database, cloned from
// a template that carries every migration, in the spirit of pgtestdb: clones
// are cheap, so tests run in parallel without sharing state.
//
// Each test package opts in from its TestMain:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/migrations"
	"github.com/seatplan/seatplan/store/pgserver"
)

// ServerEnv names a superuser connection string of an existing server to use
// instead of starting a private one.
const ServerEnv = "SEATPLAN_TEST_DATABASE_URL"

// migrateTimeout bounds building the template, which no single test owns.
const migrateTimeout = 2 * time.Minute

// harness is what Main sets up for the tests of one package: TestMain cannot
// hand values to tests any other way.
var harness struct {
	adminURL  string
	runID     string // keeps this process's database names apart from other packages' on a shared server
	databases atomic.Int64

	templateOnce sync.Once
	template     string
	templateErr  error
}

// Main runs the package's tests against a private, ephemeral PostgreSQL
// cluster (or the server named by SEATPLAN_TEST_DATABASE_URL), then exits
// with their status. Each of after runs once the tests have: an error it
// returns fails the run.
func Main(m *testing.M, after ...func() error) {
	code := run(m)
	for _, check := range after {
		if err := check(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func run(m *testing.M) int {
	harness.runID = fmt.Sprintf("%d_%08x", os.Getpid(), rand.Uint32())
	if serverURL := os.Getenv(ServerEnv); serverURL != "" {
		if _, err := pgconn.ParseConfig(serverURL); err != nil {
			fmt.Fprintf(os.Stderr, "storetest: %s: %v\n", ServerEnv, err)
			return 1
		}
		harness.adminURL = serverURL
		defer dropTemplate()
		return m.Run()
	}

	dir, err := os.MkdirTemp("", "seatplan-test-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// A test run as root drops the server to an unprivileged account, which
	// must be able to enter the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	cluster, err := pgserver.Start(context.Background(), pgserver.Options{
		DataDir:   filepath.Join(dir, "data"),
		TCP:       true,
		Ephemeral: true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
		}
	}()
	harness.adminURL = cluster.URL("postgres")
	return m.Run()
}

// AdminURL is the superuser connection string of the test server's
// "postgres" database, for tests that manage databases themselves.
func AdminURL() string {
	return harness.adminURL
}

// NewDatabase creates a database holding the migrated schema and no rows,
// dropped when the test ends, and returns its connection string.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if harness.adminURL == "" {
		t.Fatal("storetest: no test server: call storetest.Main(m) from TestMain")
	}
	template, err := migratedTemplate()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	name := fmt.Sprintf("t_%s_%d", harness.runID, harness.databases.Add(1))
	connString, err := withDatabase(harness.adminURL, name)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	// Clones of one template may run concurrently: CREATE DATABASE takes a
	// share lock on the template and refuses only while someone is connected
	// to it, which no one is once it is built. FILE_COPY copies the files at
	// a checkpoint, cheap with fsync off; the default WAL_LOG writes every
	// page through the WAL and measured ten times slower here.
	if err := adminExec(t.Context(), "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(template)+" STRATEGY FILE_COPY"); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends connections the test left open, such as a pool it never closed.
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return connString
}

// NewPool is NewDatabase with a pool on it, closed when the test ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), NewDatabase(t))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// migratedTemplate builds the template on first use, so packages whose tests
// need no database pay nothing.
func migratedTemplate() (string, error) {
	harness.templateOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
		defer cancel()
		harness.template = "tmpl_" + harness.runID
		harness.templateErr = createTemplate(ctx, harness.template)
	})
	return harness.template, harness.templateErr
}

func createTemplate(ctx context.Context, name string) error {
	if err := adminExec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return err
	}
	connString, err := withDatabase(harness.adminURL, name)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, connString)
	if err != nil {
		return fmt.Errorf("connect to template %s: %w", name, err)
	}
	err = migrations.Up(ctx, pool)
	// Closing waits for every connection to end: a template with a
	// connection open cannot be cloned.
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate template %s: %w", name, err)
	}
	return adminExec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE true")
}

// dropTemplate removes the template from a shared server; a private cluster
// is discarded whole.
func dropTemplate() {
	if harness.template == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, sql := range []string{
		"ALTER DATABASE " + ident(harness.template) + " WITH IS_TEMPLATE false",
		"DROP DATABASE " + ident(harness.template),
	} {
		if err := adminExec(ctx, sql); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
			return
		}
	}
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, harness.adminURL)
	if err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// withDatabase points a connection string, URL or keyword/value form, at
// another database on the same server. Our database names need no quoting.
func withDatabase(connString, database string) (string, error) {
	if !strings.HasPrefix(connString, "postgres://") && !strings.HasPrefix(connString, "postgresql://") {
		// In keyword/value form a later keyword overrides an earlier one.
		return connString + " dbname=" + database, nil
	}
	u, err := url.Parse(connString)
	if err != nil {
		return "", fmt.Errorf("test server URL: %w", err)
	}
	u.Path, u.RawPath = "/"+database, ""
	query := u.Query()
	query.Del("dbname") // it would override the path
	u.RawQuery = query.Encode()
	return u.String(), nil
}
