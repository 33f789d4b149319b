package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/migrations"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/pgserver"
)

const usage = `Usage: seatplan [COMMAND] [FLAGS]

Commands:
  serve                               run the web server and job workers (default)
  migrate up|down|status              apply, roll back one, or list migrations
  user add --email E --role R         create a person; the password is read from stdin
  client add --name N --role R        create an API client; prints its credentials as JSON
  demo                                load demo data
  instance --server URL --license-key K --state FILE [--instance-id ID] [--watch 1m]
                                      play a client instance: activate, refresh and print its license
Roles: admin, author, support. Run "seatplan COMMAND -h" for the flags.
`

// run is the whole program: main only wires it to the process, so tests can
// call it with their own arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, rest, getenv, stdout, stderr)
	case "user":
		return userCommand(ctx, rest, getenv, stdin, stdout, stderr)
	case "client":
		return clientCommand(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return demoCommand(ctx, rest, getenv, stdout, stderr)
	case "instance":
		return instanceCommand(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// parse binds the shared config plus a command's own flags and parses args.
func parse(name string, args []string, getenv func(string) string, stderr io.Writer, own func(fs *flag.FlagSet)) (*config, error) {
	fs := flag.NewFlagSet("seatplan "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := bindConfig(fs, getenv)
	if own != nil {
		own(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return cfg, cfg.validate()
}

// database is an open pool, plus the embedded cluster when we started one.
type database struct {
	Pool    *pgxpool.Pool
	cluster *pgserver.Cluster
}

// Close closes the pool and stops the embedded cluster if this process started it.
func (d *database) Close() error {
	d.Pool.Close()
	if d.cluster != nil {
		return d.cluster.Stop()
	}
	return nil
}

// openDatabase connects to DATABASE_URL or, without one, to the embedded
// cluster of the data dir, starting it unless another seatplan did. When
// the cluster cannot live under the data dir (as root, in a private
// directory), notice is told where it lives instead.
func openDatabase(ctx context.Context, cfg *config, notice, stderr io.Writer) (*database, error) {
	log := cfg.logger(stderr)
	db := &database{}
	url := cfg.DatabaseURL
	if url == "" {
		// As root the cluster runs as an unprivileged user, who must be able
		// to pass through the data dir (its own subfolders stay private).
		if err := os.MkdirAll(cfg.DataDir, 0o711); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		dir, why, err := pgserver.Locate(filepath.Join(cfg.DataDir, "postgres"))
		if err != nil {
			return nil, fmt.Errorf("place embedded PostgreSQL: %w", err)
		}
		if why != "" {
			fmt.Fprintf(notice, "Embedded PostgreSQL keeps its files in %s: %s.\n", dir, why)
		}
		db.cluster, err = pgserver.Start(ctx, pgserver.Options{DataDir: dir, Log: log})
		if err != nil {
			return nil, fmt.Errorf("start embedded PostgreSQL: %w", err)
		}
		if err := ensureDatabase(ctx, db.cluster.URL("postgres"), "seatplan"); err != nil {
			db.cluster.Stop()
			return nil, err
		}
		url = db.cluster.URL("seatplan")
	}
	pool, err := newPool(ctx, url)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if db.cluster != nil {
			db.cluster.Stop()
		}
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db.Pool = pool
	return db, nil
}

// connectTimeout bounds opening one database connection, unless the URL
// sets connect_timeout.
const connectTimeout = 5 * time.Second

// newPool opens the pool. pgx's default of max(4, CPUs) connections is too
// few here: a job's fenced transaction, its lease heartbeat, its progress
// reports, River's own queries and the web requests all need one at once.
// pool_max_conns in the URL still wins.
func newPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 20
	}
	// A database host that stopped answering (rather than refusing) must
	// not hold requests for the kernel's TCP timeout: they answer 503 soon.
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to embedded PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func migrateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: seatplan migrate up|down|status")
	}
	direction := args[0]
	cfg, err := parse("migrate "+direction, args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, stderr, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	switch direction {
	case "up":
		return migrations.Up(ctx, db.Pool)
	case "down":
		return migrations.Down(ctx, db.Pool)
	case "status":
		return migrations.Status(ctx, db.Pool, stdout)
	}
	return fmt.Errorf("unknown migrate direction %q: use up, down or status", direction)
}

// openStore opens the database, migrated; see openDatabase for notice.
func openStore(ctx context.Context, cfg *config, notice, stderr io.Writer) (*store.Store, *database, error) {
	db, err := openDatabase(ctx, cfg, notice, stderr)
	if err != nil {
		return nil, nil, err
	}
	if err := migrations.Up(ctx, db.Pool); err != nil {
		db.Close()
		return nil, nil, err
	}
	return store.New(db.Pool), db, nil
}

func userCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: seatplan user add --email E --role R [--name N] < password")
	}
	var np store.NewPerson
	var role string
	cfg, err := parse("user add", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&np.Email, "email", "", "email address (required)")
		fs.StringVar(&np.Name, "name", "", "display name (defaults to the part before @)")
		fs.StringVar(&role, "role", "", "admin, author or support (required)")
	})
	if err != nil {
		return err
	}
	if np.Role, err = store.ParseRole(role); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	np.Password = strings.TrimRight(line, "\r\n")
	st, db, err := openStore(ctx, cfg, stderr, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := st.CreatePerson(ctx, np, store.SystemActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Added %s (%s), id %s\n", p.Email, p.Role, p.ID)
	return nil
}

func clientCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: seatplan client add --name N --role R")
	}
	var name, role string
	cfg, err := parse("client add", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "client name (required)")
		fs.StringVar(&role, "role", "", "admin, author or support (required)")
	})
	if err != nil {
		return err
	}
	r, err := store.ParseRole(role)
	if err != nil {
		return err
	}
	st, db, err := openStore(ctx, cfg, stderr, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	creds, err := st.CreateClient(ctx, name, r, store.SystemActor)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(creds)
}

func demoCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parse("demo", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if cfg.production() {
		// The demo logins share a published password.
		return errors.New("demo data is for development only; it is refused in production")
	}
	st, db, err := openStore(ctx, cfg, stderr, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	logins, err := st.LoadDemo(ctx)
	if err != nil {
		return err
	}
	printLogins(stdout, logins)
	return nil
}

func printLogins(w io.Writer, logins []store.DemoLogin) {
	fmt.Fprintln(w, "Demo logins:")
	for _, l := range logins {
		fmt.Fprintf(w, "  %-22s %-8s password: %s\n", l.Email, l.Role, l.Password)
	}
}
