package store

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store/storetest"
)

// queryRecorder keeps every statement a pool sends, with its arguments.
type queryRecorder struct {
	mu      sync.Mutex
	queries []pgx.TraceQueryStartData
}

func (r *queryRecorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, data)
	return ctx
}

func (r *queryRecorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *queryRecorder) take() []pgx.TraceQueryStartData {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queries
	r.queries = nil
	return q
}

// planNode is the part of EXPLAIN (ANALYZE, FORMAT JSON) a row count needs.
type planNode struct {
	Relation      string     `json:"Relation Name"`
	ActualRows    float64    `json:"Actual Rows"`
	ActualLoops   float64    `json:"Actual Loops"`
	RemovedFilter float64    `json:"Rows Removed by Filter"`
	RemovedCheck  float64    `json:"Rows Removed by Index Recheck"`
	Plans         []planNode `json:"Plans"`
}

// rowsRead sums, per table, the rows a plan's scans produced or threw away.
func (n planNode) rowsRead(into map[string]float64) {
	if n.Relation != "" {
		into[n.Relation] += (n.ActualRows + n.RemovedFilter + n.RemovedCheck) * n.ActualLoops
	}
	for _, c := range n.Plans {
		c.rowsRead(into)
	}
}

// Every query a page view sends reads about what the page shows from the
// big tables, not all of their rows: each is run again under EXPLAIN ANALYZE
// against a plan of 18,000 licenses (3,000 of them revoked) beside a small
// one, 2,000 activations and 20,000 audit entries, in every order the
// license list offers, and the rows its scans touched are counted.
func TestPageQueries_ReadWhatThePageShowsNotTheWholeTable(t *testing.T) {
	t.Parallel()
	rec := &queryRecorder{}
	cfg, err := pgxpool.ParseConfig(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := New(pool)
	ctx := context.Background()
	big, small := newPlan(t, s, 20_000), newPlan(t, s, 10)
	for _, sql := range []string{
		`INSERT INTO licenses (plan_key, status, email, activation_key)
			SELECT key, 'assigned', 'u' || i || '@example.com', decode(md5(i::text), 'hex') FROM plans, generate_series(1, 15000) i WHERE id = $1 ORDER BY i`,
		`INSERT INTO licenses (plan_key, status, email, activation_key, revoked_at)
			SELECT key, 'revoked', 'r' || i || '@example.com', decode(md5('r' || i), 'hex'), now() FROM plans, generate_series(1, 3000) i WHERE id = $1`,
		`INSERT INTO activations (id, license_id, instance_id, secret_hash)
			SELECT 'act' || lpad(id::text, 10, '0'), id, 'i' || id, '\x00' FROM licenses
			WHERE plan_key = (SELECT key FROM plans WHERE id = $1) AND status = 'assigned' ORDER BY id LIMIT 2000`,
		`UPDATE licenses SET status = 'activated' WHERE id IN (SELECT license_id FROM activations)`,
		`INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, subject_type, subject_id, summary)
			SELECT 'system', 'seed', 'Seed', 'seed.' || (i % 7), 'plan', $1, 'Entry ' || i FROM generate_series(1, 20000) i`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, big.ID)
		}
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	assign(t, s, small.ID, mustList(t, "ann@example.com\nbob@example.com\ncid@example.com"))
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	var deepID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM licenses WHERE plan_key = (SELECT key FROM plans WHERE id = $1) ORDER BY id OFFSET 14000 LIMIT 1`,
		big.ID).Scan(&deepID); err != nil {
		t.Fatal(err)
	}
	deep, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Limit: 50, After: licenseCursor{ID: deepID}.encode("assigned")})
	if err != nil || len(deep.Licenses) != 50 {
		t.Fatalf("deep page: %d licenses, %v", len(deep.Licenses), err)
	}
	byEmail, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Sort: LicenseSortEmail, Limit: 50,
		After: licenseCursor{ID: deepID, Email: "u5"}.encode("email")})
	if err != nil || len(byEmail.Licenses) != 50 {
		t.Fatalf("deep page by email: %d licenses, %v", len(byEmail.Licenses), err)
	}
	rec.take()

	const bound = 600 // rows: a few pages of at most 100, far below any table's size
	for name, view := range map[string]func() error{
		"plans list": func() error { _, err := s.ListPlans(ctx, PlanFilter{Limit: 50}); return err },
		"plan":       func() error { _, err := s.Plan(ctx, big.ID); return err },
		"dashboard":  func() error { _, err := s.ReadOverview(ctx); return err },
		"licenses, small plan": func() error {
			_, err := s.ListLicenses(ctx, small.ID, LicenseFilter{})
			return err
		},
		"licenses, deep page": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{After: deep.NextCursor})
			return err
		},
		"licenses, deep page back": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Before: deep.PrevCursor})
			return err
		},
		"licenses newest first, deep page": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Desc: true, After: licenseCursor{ID: deepID}.encode("-assigned")})
			return err
		},
		"licenses by email": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Sort: LicenseSortEmail})
			return err
		},
		"licenses by email, deep page": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Sort: LicenseSortEmail, After: byEmail.NextCursor})
			return err
		},
		"licenses by email, deep page back": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Sort: LicenseSortEmail, Before: byEmail.PrevCursor})
			return err
		},
		"licenses by email Z to A": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Sort: LicenseSortEmail, Desc: true})
			return err
		},
		"revoked licenses by email": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Sort: LicenseSortEmail, Status: LicenseRevoked})
			return err
		},
		"revoked licenses newest first": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Status: LicenseRevoked, Desc: true})
			return err
		},
		"email search by email": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Q: "u12", Sort: LicenseSortEmail, Desc: true})
			return err
		},
		"revoked email search": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Q: "r12", Status: LicenseRevoked})
			return err
		},
		"every license": func() error { _, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Limit: 100}); return err },
		"activated licenses": func() error {
			_, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Status: LicenseActivated})
			return err
		},
		"email search": func() error { _, err := s.ListLicenses(ctx, big.ID, LicenseFilter{Q: "u1234"}); return err },
		"email search total": func() error {
			_, err := s.CountLicenses(ctx, big.ID, LicenseFilter{Q: "u1234"})
			return err
		},
		"instances, small plan": func() error {
			_, err := s.PlanInstances(ctx, small.ID, "", 25)
			return err
		},
		"instances, next page": func() error { _, err := s.PlanInstances(ctx, big.ID, "act0000001000", 25); return err },
		"audit log":            func() error { _, err := s.ListAudit(ctx, AuditFilter{}); return err },
		"audit by action":      func() error { _, err := s.ListAudit(ctx, AuditFilter{Action: "seed.3", Before: 5000}); return err },
		"audit actions":        func() error { _, err := s.AuditActions(ctx); return err },
	} {
		t.Run(name, func(t *testing.T) {
			if err := view(); err != nil {
				t.Fatal(err)
			}
			for _, q := range rec.take() {
				if !strings.HasPrefix(strings.TrimSpace(q.SQL), "SELECT") && !strings.HasPrefix(strings.TrimSpace(q.SQL), "WITH") {
					continue
				}
				var out []byte
				if err := pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q.SQL, q.Args...).Scan(&out); err != nil {
					t.Fatalf("explain %s: %v", q.SQL, err)
				}
				var plans []struct{ Plan planNode }
				if err := json.Unmarshal(out, &plans); err != nil {
					t.Fatal(err)
				}
				read := map[string]float64{}
				plans[0].Plan.rowsRead(read)
				for table, n := range read {
					if n > bound {
						t.Errorf("%.0f rows of %s read by\n%s\n%s", n, table, q.SQL, out)
					}
				}
			}
		})
	}
	rec.take()
}
