package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store/storetest"
)

func TestEnrollAPI_TwoServerProcessesEnrollingOverlappingListsMakeEachEnrollmentOnce(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO courses (key, title) VALUES ('c1', 'One'), ('c2', 'Two'), ('c3', 'Three')`); err != nil {
		t.Fatal(err)
	}
	creds := addClient(t, env(t, "DATABASE_URL", dbURL), "sync", "admin")
	servers := []*serveProcess{
		startServeProcess(t, []string{"DATABASE_URL=" + dbURL}),
		startServeProcess(t, []string{"DATABASE_URL=" + dbURL}),
	}

	var universe []string
	for i := range 600 {
		universe = append(universe, fmt.Sprintf("learner%03d@example.com,c%d", i, i%3+1))
	}
	const callers = 6
	enrolled := make([]int, callers)
	var wg sync.WaitGroup
	for c := range callers {
		// Each caller sends a shuffled half of the pairs to one of the two
		// processes, so the calls overlap across processes.
		rng := rand.New(rand.NewPCG(uint64(c), 42))
		var csv strings.Builder
		for _, i := range rng.Perm(len(universe))[:len(universe)/2] {
			csv.WriteString(universe[i] + "\n")
		}
		srv := servers[c%2]
		wg.Go(func() {
			api := oauthConfig(creds, srv.URL).Client(ctx)
			resp, err := api.Post(srv.URL+"/api/v1/enrollments", "text/csv", strings.NewReader(csv.String()))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var body struct {
				Enrolled, Existing int
				Problems           []any
			}
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusOK || body.Enrolled+body.Existing != len(universe)/2 || len(body.Problems) != 0 {
				t.Errorf("caller %d: %d %+v", c, resp.StatusCode, body)
			}
			enrolled[c] = body.Enrolled
		})
	}
	wg.Wait()
	total := 0
	for _, n := range enrolled {
		total += n
	}
	var rows, distinct int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (course_key, email)) FROM enrollments`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || rows != total {
		t.Errorf("%d rows, %d distinct, %d reported enrolled across the processes: each enrollment must be made and reported once", rows, distinct, total)
	}
}
