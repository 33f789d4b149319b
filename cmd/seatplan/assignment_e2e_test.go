package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store/storetest"
)

func (c *apiClient) createPlan(t *testing.T, seats int) string {
	t.Helper()
	status, p, err := c.do("POST", "/api/v1/plans", "application/json", fmt.Sprintf(`{"name":"Linearizable","seats":%d}`, seats))
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create plan: %d %v %v", status, p, err)
	}
	return p["id"].(string)
}

// errNothingNew is assignUntilAccepted's answer to a list whose every
// address is licensed already: the server makes no job for it.
var errNothingNew = errors.New("assign: every address is licensed already")

// assignUntilAccepted posts list until a server accepts it (409 means
// another request holds the plan) and returns the job's status URL. It gives
// up after a minute, so a lock that is never released fails the test
// instead of hanging it.
func (c *apiClient) assignUntilAccepted(planID, list string) (string, error) {
	const patience = 60 * time.Second
	deadline := time.Now().Add(patience)
	for {
		status, body, err := c.do("POST", "/api/v1/plans/"+planID+"/assignments", "text/plain", list)
		switch {
		case err != nil:
			return "", err
		case status == http.StatusAccepted:
			statusURL, ok := body["status_url"].(string)
			if !ok || statusURL == "" {
				return "", fmt.Errorf("assign: 202 without a status_url: %v", body)
			}
			return statusURL, nil
		case status == http.StatusOK && body["status"] == "nothing_to_assign":
			return "", errNothingNew
		case status == http.StatusConflict && body["error"] == "blocked_by_another_process":
			if time.Now().After(deadline) {
				return "", fmt.Errorf("assign: plan %s still blocked by another process after %s: %v", planID, patience, body)
			}
			time.Sleep(10 * time.Millisecond)
		default:
			return "", fmt.Errorf("assign: %d %v", status, body)
		}
	}
}

// waitJob polls a job until it finishes and returns its final state.
func (c *apiClient) waitJob(statusURL string, timeout time.Duration) (map[string]any, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, j, err := c.do("GET", statusURL, "", "")
		if err != nil {
			return nil, err
		}
		if j["status"] == "succeeded" || j["status"] == "failed" {
			return j, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return nil, fmt.Errorf("job %s did not finish within %s", statusURL, timeout)
}

// planFacts reads, in SQL, what must hold for a plan after any history:
// unassigned is the free seats the plan's row keeps, assigned and
// activated are counted row by row.
type planFacts struct {
	seats, unassigned, assigned, activated int
	doubleLicensed                         int
}

func readPlanFacts(t testing.TB, db *pgxpool.Pool, planID string) planFacts {
	t.Helper()
	var f planFacts
	err := db.QueryRow(context.Background(), `SELECT p.seats, p.seats - p.in_use,
		count(l.id) FILTER (WHERE l.status = 'assigned'),
		count(l.id) FILTER (WHERE l.status = 'activated'),
		(SELECT count(*) FROM (SELECT email FROM licenses WHERE plan_key = p.key AND status IN ('assigned', 'activated')
			GROUP BY email HAVING count(*) > 1) d)
		FROM plans p LEFT JOIN licenses l ON l.plan_key = p.key WHERE p.id = $1 GROUP BY p.id`, planID).Scan(&f.seats, &f.unassigned, &f.assigned, &f.activated, &f.doubleLicensed)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func countLive(t testing.TB, db *pgxpool.Pool, planID string, emails []string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM licenses
		WHERE plan_key = (SELECT key FROM plans WHERE id = $1) AND status IN ('assigned', 'activated') AND email = ANY($2)`, planID, emails).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func openPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	db, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestAssign_ConcurrentClientsOnTwoServersAreLinearizable(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	environ := []string{"DATABASE_URL=" + dbURL}
	servers := []*serveProcess{startServeProcess(t, environ), startServeProcess(t, environ)}
	apis := newAPIClients(t, dbURL, "bulk loader", "admin", servers[0].URL, servers[1].URL)
	const clients, perList, seats = 10, 30, 400
	planID := apis[0].createPlan(t, seats)

	// Client c's list overlaps the next client's by half, so concurrent
	// requests race for the same addresses.
	lists := make([][]string, clients)
	for c := range lists {
		for i := range perList {
			lists[c] = append(lists[c], fmt.Sprintf("learner%03d@example.com", c*perList/2+i))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			api := apis[c%2] // alternate between the two processes
			statusURL, err := api.assignUntilAccepted(planID, strings.Join(lists[c], "\n"))
			if errors.Is(err, errNothingNew) {
				return // its neighbours' lists, assigned first, cover it
			}
			if err != nil {
				errs <- err
				return
			}
			j, err := apis[(c+1)%2].waitJob(statusURL, time.Minute) // and poll through the other
			if err == nil && j["status"] != "succeeded" {
				err = fmt.Errorf("job of client %d: %v", c, j)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	db := openPool(t, dbURL)
	f := readPlanFacts(t, db, planID)
	if f.doubleLicensed != 0 {
		t.Errorf("%d addresses hold two live licenses", f.doubleLicensed)
	}
	if f.unassigned+f.assigned+f.activated != f.seats {
		t.Errorf("unassigned %d + assigned %d + activated %d ≠ seats %d", f.unassigned, f.assigned, f.activated, f.seats)
	}
	for c, list := range lists {
		if n := countLive(t, db, planID, list); n != len(list) {
			t.Errorf("accepted list %d: %d of %d addresses licensed", c, n, len(list))
		}
	}
	if want := (clients-1)*perList/2 + perList; f.assigned != want {
		t.Errorf("assigned %d, want %d distinct addresses", f.assigned, want)
	}
}
