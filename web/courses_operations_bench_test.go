package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// serveBench runs one request through h as actor and returns how long it took.
func serveBench(b *testing.B, h http.Handler, actor store.Actor, method, target string, body string, path map[string]string) (time.Duration, *httptest.ResponseRecorder) {
	b.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body)).WithContext(handlers.WithActor(context.Background(), actor))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range path {
		req.SetPathValue(k, v)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	d := time.Since(start)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body.String())
	}
	return d, rec
}

// BenchmarkOperationsList measures GET /api/v1/courses/{course}/operations
// (its handler, store query and JSON) at page 1 and page 1,000 of 50 on a
// course with 200,000 versions, one operation each. Target: p95 ≤ 50 ms.
func BenchmarkOperationsList(b *testing.B) {
	st, author, key, _ := seedHistory(b)
	ctx := context.Background()
	var cursor int64
	if err := st.Pool().QueryRow(ctx, `SELECT seq FROM course_operations WHERE course_key = $1
		ORDER BY seq DESC OFFSET $2 LIMIT 1`, key, 999*50-1).Scan(&cursor); err != nil {
		b.Fatal(err)
	}
	h := handlers.OperationsAPI(st)
	for _, tc := range []struct{ name, query string }{
		{"page=1", ""},
		{"page=1000", fmt.Sprintf("?cursor=%d", cursor)},
		{"page=1000/source=api", fmt.Sprintf("?source=api&cursor=%d", cursor)},
		{"page=1000/actor", fmt.Sprintf("?actor=author1%%40example.com&cursor=%d", cursor)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				d, rec := serveBench(b, h, author, "GET", "/api/v1/courses/"+key+"/operations"+tc.query, "", map[string]string{"course": key})
				if !strings.Contains(rec.Body.String(), `"op_id"`) {
					b.Fatalf("empty page: %s", rec.Body.String())
				}
				ds = append(ds, d)
			}
			reportPercentiles(b, ds)
		})
	}
}

// importBench imports a tree of chapters × sequentials × verticals × leaves
// into the course through the store, as the import job does.
func importBench(b *testing.B, st *store.Store, key string, by store.Actor, chapters, seqs, verts, leaves int, tag string) store.ImportResult {
	b.Helper()
	ctx := context.Background()
	root := store.ImportBlock{Type: store.BlockCourse}
	for c := range chapters {
		ch := store.ImportBlock{Type: store.BlockChapter, DisplayName: fmt.Sprintf("%s chapter %d", tag, c)}
		for s := range seqs {
			sq := store.ImportBlock{Type: store.BlockSequential, DisplayName: fmt.Sprintf("Sequence %d", s)}
			for v := range verts {
				vt := store.ImportBlock{Type: store.BlockVertical, DisplayName: fmt.Sprintf("Unit %d", v)}
				for l := range leaves {
					vt.Children = append(vt.Children, store.ImportBlock{Type: store.BlockHTML, DisplayName: fmt.Sprintf("Page %d", l),
						Fields: json.RawMessage(`{"body": "<p>Imported text of a page of the course.</p>"}`)})
				}
				sq.Children = append(sq.Children, vt)
			}
			ch.Children = append(ch.Children, sq)
		}
		root.Children = append(root.Children, ch)
	}
	job, err := st.ImportCourse(ctx, key, root, by, time.Minute, func(context.Context, pgx.Tx, string) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	imp, err := st.CourseImportOf(ctx, job.ID)
	if err != nil {
		b.Fatal(err)
	}
	lease, err := st.ResumeLock(ctx, imp.Lease, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.StartJob(ctx, job.ID); err != nil {
		b.Fatal(err)
	}
	res, err := st.RunCourseImport(ctx, imp, lease)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func benchCourse(b *testing.B, key string) (*store.Store, store.Actor) {
	b.Helper()
	st := store.New(storetest.NewPool(b))
	author := store.Actor{Kind: store.ActorSystem, ID: "system", Name: "bench"}
	if _, err := st.CreateCourse(context.Background(), key, "Benchmark course", author, store.SourceAPI); err != nil {
		b.Fatal(err)
	}
	return st, author
}

// BenchmarkRevertImport measures POST /api/v1/courses/{course}/operations/{op}/revert
// (handler and store, one transaction) undoing an import of 10,110 blocks
// that replaced a 1,111-block course. Each round imports anew, untimed.
// Target: ≤ 2 s.
func BenchmarkRevertImport(b *testing.B) {
	st, author := benchCourse(b, "revert-bench")
	importBench(b, st, "revert-bench", author, 1, 10, 10, 10, "Original")
	h := handlers.RevertOperationAPI(st)
	var ds []time.Duration
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		res := importBench(b, st, "revert-bench", author, 10, 10, 10, 9, fmt.Sprintf("Import %d", round))
		b.StartTimer()
		d, rec := serveBench(b, h, author, "POST", "/api/v1/courses/revert-bench/operations/"+res.OpID+"/revert", `{}`,
			map[string]string{"course": "revert-bench", "op": res.OpID})
		var out struct{ Reverted int }
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Reverted != res.Created+1+1111 {
			b.Fatalf("reverted %d blocks (%v), want the %d imported, the course block and the 1,111 replaced", out.Reverted, err, res.Created)
		}
		ds = append(ds, d)
	}
	reportPercentiles(b, ds)
	var worst time.Duration
	for _, d := range ds {
		worst = max(worst, d)
	}
	b.ReportMetric(worst.Seconds(), "max-s")
}

// BenchmarkCourseTreeAt measures GET /api/v1/courses/{course}/tree?at= on a
// course of 2,021 blocks with 200,100 versions (99 rounds of a script
// rewriting every block), at instants spread over its history. Target:
// p95 ≤ 200 ms.
func BenchmarkCourseTreeAt(b *testing.B) {
	st, author := benchCourse(b, "tree-bench")
	importBench(b, st, "tree-bench", author, 10, 3, 6, 10, "Tree")
	ctx := context.Background()
	const rounds = 99
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	if err := pgx.BeginFunc(ctx, st.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO course_operations (op_id, seq, course_key, source, actor_kind, actor_id, actor_name, at, summary, changes, blocks, block_ids)
			OVERRIDING SYSTEM VALUE
			SELECT 'tree-' || k, k - $2 - 1, $1, 'api', 'client', 'sync', 'Sync script', $3::timestamptz + k * interval '1 second', 'Rewrote every block',
				n.n, n.n, (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM blocks WHERE course_key = $1 ORDER BY id LIMIT 100) f)
			FROM generate_series(1, $2) AS k, (SELECT count(*)::int AS n FROM blocks WHERE course_key = $1) n`, "tree-bench", rounds, base); err != nil {
			return err
		}
		// The versions' foreign key checks plan on these statistics.
		if _, err := tx.Exec(ctx, `ANALYZE course_operations`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO block_versions (version_id, op_id, course_key, block_id, change, source, actor_kind, actor_id, actor_name, created_at, summary, before, after)
			SELECT '00' || lpad(to_hex(k * 100000 + row_number() OVER (PARTITION BY k ORDER BY b.id)), 24, '0'), 'tree-' || k, $1, b.id,
				CASE WHEN k = 1 THEN 'create' ELSE 'update' END, 'api', 'client', 'sync', 'Sync script',
				$3::timestamptz + k * interval '1 second', 'Rewrote ' || b.display_name,
				CASE WHEN k > 1 THEN jsonb_set(block_state(b), '{display_name}', to_jsonb(b.display_name || ' v' || k - 1)) END,
				jsonb_set(block_state(b), '{display_name}', to_jsonb(b.display_name || ' v' || k))
			FROM generate_series(1, $2) AS k, blocks b WHERE b.course_key = $1`, "tree-bench", rounds, base)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `ANALYZE blocks, block_versions, course_operations`); err != nil {
		b.Fatal(err)
	}
	var versions int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM block_versions WHERE course_key = 'tree-bench'`).Scan(&versions); err != nil {
		b.Fatal(err)
	}
	h := handlers.CourseTreeAPI(st)
	var ds []time.Duration
	i := 0
	for b.Loop() {
		i++
		at := base.Add(time.Duration(1+i%rounds)*time.Second + 500*time.Millisecond).Format(time.RFC3339Nano)
		d, rec := serveBench(b, h, author, "GET", "/api/v1/courses/tree-bench/tree?at="+url.QueryEscape(at), "", map[string]string{"course": "tree-bench"})
		var tree store.TreeBlock
		if err := json.Unmarshal(rec.Body.Bytes(), &tree); err != nil || tree.Count() != 2021 {
			b.Fatalf("the tree at %s holds %d blocks (%v), want 2,021", at, tree.Count(), err)
		}
		ds = append(ds, d)
	}
	reportPercentiles(b, ds)
	b.ReportMetric(float64(versions), "versions")
}
