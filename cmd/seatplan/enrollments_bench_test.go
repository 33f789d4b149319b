package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
)

// BenchmarkEnroll_BulkVersusOneRequestPerPair measures the bulk
// enrollment target: 100,000 pairs in one in-process Enroll call, against
// the baseline of one HTTP request per pair to the real server (1,000
// pairs, extrapolated to 100,000), and reports the ratio.
func BenchmarkEnroll_BulkVersusOneRequestPerPair(b *testing.B) {
	const bulkPairs, baselinePairs, courses = 100_000, 1_000, 10
	getenv := testEnv(b)
	s := startServer(b, getenv, "-demo=false")
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, getenv("DATABASE_URL"))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for i := range courses {
		if _, err := pool.Exec(ctx, `INSERT INTO courses (key, title) VALUES ($1, $1)`, fmt.Sprintf("course-%02d", i)); err != nil {
			b.Fatal(err)
		}
	}
	api := oauthConfig(addClient(b, getenv, "bench", "admin"), s.URL).Client(ctx)
	st := store.New(pool)
	// Every round enrolls learners no round enrolled before, so each
	// measures new enrollments, not the cheaper "existing" path.
	pairs := func(round, n int) []emaillist.Pair {
		ps := make([]emaillist.Pair, n)
		for i := range ps {
			ps[i] = emaillist.Pair{Index: i, Email: fmt.Sprintf("r%d-l%06d@example.com", round, i/courses), Course: fmt.Sprintf("course-%02d", i%courses)}
		}
		return ps
	}

	var bulk, perRequest time.Duration
	bestBulk := time.Duration(1<<63 - 1) // on a shared machine the fastest round shows the cost with the least interference
	round := 0
	for b.Loop() {
		round++
		start := time.Now()
		for _, p := range pairs(round, baselinePairs) {
			body, _ := json.Marshal(map[string]any{"enrollments": []map[string]string{{"email": "http-" + p.Email, "course": p.Course}}})
			resp, err := api.Post(s.URL+"/api/v1/enrollments", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("POST /api/v1/enrollments: %d", resp.StatusCode)
			}
		}
		perRequest += time.Since(start) * (bulkPairs / baselinePairs)

		ps := pairs(round, bulkPairs)
		start = time.Now()
		res, err := st.Enroll(ctx, ps, nil, store.SystemActor)
		bulk += time.Since(start)
		bestBulk = min(bestBulk, time.Since(start))
		if err != nil || res.Enrolled != bulkPairs {
			b.Fatalf("bulk enroll: %d enrolled, %v", res.Enrolled, err)
		}
	}
	n := time.Duration(b.N)
	b.ReportMetric((bulk / n).Seconds(), "s/bulk-100k")
	b.ReportMetric(bestBulk.Seconds(), "s/bulk-100k-best")
	b.ReportMetric((perRequest / n).Seconds(), "s/per-request-100k")
	b.ReportMetric(float64(perRequest)/float64(bulk), "x-faster")
	b.Logf("100,000 pairs: one Enroll call %s; one HTTP request per pair %s (1,000 measured, extrapolated); %.0f× faster",
		(bulk / n).Round(time.Millisecond), (perRequest / n).Round(time.Millisecond), float64(perRequest)/float64(bulk))
}
