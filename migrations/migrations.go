// Package migrations holds Seatplan's schema as embedded goose SQL files and
// applies them, together with River's job-queue schema, in one step.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// advisoryLockKey serialises migrations when several server processes start
// against one database at the same moment.
const advisoryLockKey = 0x5ea7_91a0

// Up applies every pending Seatplan migration, then River's own migrations
// (through River's migrator, so upgrading River upgrades its schema).
func Up(ctx context.Context, pool *pgxpool.Pool) error {
	return withLock(ctx, pool, func(db *sql.DB) error {
		p, err := provider(db)
		if err != nil {
			return err
		}
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return fmt.Errorf("river migrator: %w", err)
		}
		if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("apply river migrations: %w", err)
		}
		return nil
	})
}

// Down rolls back the most recent Seatplan migration. River's schema stays:
// it is only removed by rolling back to zero with River's own tooling.
func Down(ctx context.Context, pool *pgxpool.Pool) error {
	return withLock(ctx, pool, func(db *sql.DB) error {
		p, err := provider(db)
		if err != nil {
			return err
		}
		if _, err := p.Down(ctx); err != nil {
			return fmt.Errorf("roll back migration: %w", err)
		}
		return nil
	})
}

// Status writes one line per migration: applied or pending.
func Status(ctx context.Context, pool *pgxpool.Pool, w io.Writer) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, s := range statuses {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(w, "%05d  %-45s %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}

// Pending reports whether some Seatplan migration is not applied: a
// process whose binary is newer than its schema is not ready to serve.
func Pending(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("migration status: %w", err)
	}
	return pending, nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	// Migration numbers are reserved per area of work, and areas land in any
	// order: a database may already carry a higher number than one that
	// arrives later, which must still be applied.
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// withLock holds a session-level advisory lock on a dedicated connection while
// fn runs migrations through the pool's other connections.
func withLock(ctx context.Context, pool *pgxpool.Pool, fn func(db *sql.DB) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migration lock connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", advisoryLockKey); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", advisoryLockKey)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return fn(db)
}
