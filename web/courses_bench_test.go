package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// benchHistorySize is the course the history targets are set for: 200,000
// versions, a long-lived course's change log.
const benchHistorySize = 200_000

// seedHistory builds a course with a few leaves and benchHistorySize
// versions of them, each its own operation, generated set-based in SQL
// (one transaction), with version ids older than any real ULID and
// operation seqs below any real one, so they sort before live entries.
func seedHistory(b *testing.B) (*store.Store, store.Actor, string, []store.Block) {
	b.Helper()
	ctx := context.Background()
	pool := storetest.NewPool(b)
	st := store.New(pool)
	author := store.Actor{Kind: store.ActorSystem, ID: "system", Name: "bench"}
	c, err := st.CreateCourse(ctx, "bench", "Benchmark course", author, store.SourceAPI)
	if err != nil {
		b.Fatal(err)
	}
	parent := c.RootBlockID
	for _, t := range []store.BlockType{store.BlockChapter, store.BlockSequential, store.BlockVertical} {
		blk, err := st.CreateBlock(ctx, c.Key, store.NewBlock{ParentID: parent, Type: t, DisplayName: string(t)}, author, store.SourceAPI)
		if err != nil {
			b.Fatal(err)
		}
		parent = blk.ID
	}
	var leaves []store.Block
	for i := range 20 {
		leaf, err := st.CreateBlock(ctx, c.Key, store.NewBlock{ParentID: parent, Type: store.BlockHTML, DisplayName: fmt.Sprintf("Leaf %d", i),
			Fields: json.RawMessage(`{"body": "<p>text</p>", "weight": 1}`)}, author, store.SourceAPI)
		if err != nil {
			b.Fatal(err)
		}
		leaves = append(leaves, leaf)
	}
	ids := make([]string, len(leaves))
	for i, l := range leaves {
		ids[i] = l.ID
	}
	// One operation per version, with seq below every live operation's.
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO course_operations (op_id, seq, course_key, source, actor_kind, actor_id, actor_name, at, summary, changes, blocks, block_ids)
			OVERRIDING SYSTEM VALUE
			SELECT 'bench-' || i, i - $3 - 1, $1, (ARRAY['ui', 'api', 'import', 'undo'])[1 + i % 4], 'person', 'p' || i % 5, 'author' || i % 5 || '@example.com',
				now() - ($3 - i) * interval '1 second', 'Changed html "Leaf": display_name, fields.body', 1, 1,
				ARRAY[($2::text[])[1 + i % cardinality($2::text[])]]
			FROM generate_series(1, $3) AS i`, c.Key, ids, benchHistorySize); err != nil {
			return err
		}
		// The versions' foreign key checks plan on these statistics.
		if _, err := tx.Exec(ctx, `ANALYZE course_operations`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO block_versions (version_id, op_id, course_key, block_id, change, source, actor_kind, actor_id, actor_name, created_at, summary, before, after)
			SELECT '00' || lpad(to_hex(i), 24, '0'), 'bench-' || i, $1, ($2::text[])[1 + i % cardinality($2::text[])], 'update',
				(ARRAY['ui', 'api', 'import', 'undo'])[1 + i % 4], 'person', 'p' || i % 5, 'author' || i % 5 || '@example.com',
				now() - ($3 - i) * interval '1 second', 'Changed html "Leaf": display_name, fields.body',
				jsonb_build_object('type', 'html', 'display_name', 'Leaf v' || i - 1, 'fields', jsonb_build_object('body', 'text ' || i - 1), 'parent_id', $4::text, 'children', '[]'::jsonb),
				jsonb_build_object('type', 'html', 'display_name', 'Leaf v' || i, 'fields', jsonb_build_object('body', 'text ' || i), 'parent_id', $4::text, 'children', '[]'::jsonb)
			FROM generate_series(1, $3) AS i`, c.Key, ids, benchHistorySize, parent)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE block_versions, course_operations`); err != nil {
		b.Fatal(err)
	}
	return st, author, c.Key, leaves
}

// reportPercentiles adds p50 and p95 in milliseconds to the benchmark's output.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	b.ReportMetric(percentile(ds, 0.50), "p50-ms")
	b.ReportMetric(percentile(ds, 0.95), "p95-ms")
}

// percentile is the p-th (0 to 1) of ds, in milliseconds; it sorts ds.
func percentile(ds []time.Duration, p float64) float64 {
	slices.Sort(ds)
	return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) / 1000
}

// BenchmarkHistoryPage measures the change log page (store queries and
// rendering, through its HTTP handler) at page 1 and page 1,000 of 50
// operations, each unfolding its block changes, on a course with 200,000
// versions. Target: p95 ≤ 50 ms at both.
func BenchmarkHistoryPage(b *testing.B) {
	st, author, key, leaves := seedHistory(b)
	ctx := context.Background()
	var cursor string
	if err := st.Pool().QueryRow(ctx, `SELECT seq::text FROM course_operations WHERE course_key = $1
		ORDER BY seq DESC OFFSET $2 LIMIT 1`, key, 999*50-1).Scan(&cursor); err != nil {
		b.Fatal(err)
	}
	h := handlers.HistoryPage(st)
	for _, tc := range []struct{ name, query string }{
		{"page=1", ""},
		{"page=1000", "?cursor=" + cursor},
		{"page=1000/source=api", "?source=api&cursor=" + cursor},
		{"page=1000/block", "?block=" + leaves[0].ID + "&cursor=" + cursor},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				req := httptest.NewRequest("GET", "/courses/"+key+"/history"+tc.query, nil).WithContext(handlers.WithActor(ctx, author))
				req.SetPathValue("course", key)
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				ds = append(ds, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
			reportPercentiles(b, ds)
		})
	}
}

// BenchmarkRestoreVersion measures one restore (undo) of a leaf on the same
// course. Target: ≤ 10 ms.
func BenchmarkRestoreVersion(b *testing.B) {
	st, author, key, leaves := seedHistory(b)
	ctx := context.Background()
	var ds []time.Duration
	i := 0
	for b.Loop() {
		leaf := leaves[i%len(leaves)]
		i++
		start := time.Now()
		if _, err := st.RestoreVersion(ctx, key, leaf.ID, leaf.VersionID, author); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	reportPercentiles(b, ds)
}
