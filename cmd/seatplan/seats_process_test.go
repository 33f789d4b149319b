package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seatplan/seatplan/store/storetest"
)

// seatFacts is a plan's seats and kept counts beside a fresh count of its
// licenses, read in one statement (one snapshot) while work may go on.
type seatFacts struct {
	seats, keptInUse, keptRevoked int
	inUse, revoked                int
}

func readSeatFacts(t testing.TB, db *pgxpool.Pool, planID string) seatFacts {
	t.Helper()
	var f seatFacts
	err := db.QueryRow(context.Background(), `SELECT p.seats, p.in_use, p.revoked,
		count(l.id) FILTER (WHERE l.status IN ('assigned', 'activated')), count(l.id) FILTER (WHERE l.status = 'revoked')
		FROM plans p LEFT JOIN licenses l ON l.plan_key = p.key WHERE p.id = $1 GROUP BY p.id`, planID).
		Scan(&f.seats, &f.keptInUse, &f.keptRevoked, &f.inUse, &f.revoked)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Clients of two server processes race seat changes against assignments
// and revocations of one plan. After every round the plan has no more live
// licenses than seats and its kept counts equal a fresh count; every answer
// is one the contract allows.
func TestSeats_RacingClientsOnTwoServersNeverExceedThePlan(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	environ := []string{"DATABASE_URL=" + dbURL}
	servers := []*serveProcess{startServeProcess(t, environ), startServeProcess(t, environ)}
	apis := newAPIClients(t, dbURL, "seat racer", "admin", servers[0].URL, servers[1].URL)
	planID := apis[0].createPlan(t, 60)
	db := openPool(t, dbURL)
	address := func(i int) string { return fmt.Sprintf("learner%03d@example.com", i) }
	const rounds, clients, people = 5, 8, 150

	var mu sync.Mutex
	answers := map[string]int{}
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for c := range clients {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(c)))
				api := apis[c%2]
				for range 3 {
					var err error
					var answer string
					switch rng.IntN(3) {
					case 0:
						var list []string
						for range 1 + rng.IntN(30) {
							list = append(list, address(rng.IntN(people)))
						}
						answer, err = assignOnce(api, apis[(c+1)%2], planID, strings.Join(list, "\n"))
					case 1:
						body := fmt.Sprintf(`{"emails":[%q,%q,%q]}`, address(rng.IntN(people)), address(rng.IntN(people)), address(rng.IntN(people)))
						answer, err = answerOf(api.do("POST", "/api/v1/plans/"+planID+"/revocations", "application/json", body))
					case 2:
						answer, err = answerOf(api.do("PATCH", "/api/v1/plans/"+planID, "application/json", fmt.Sprintf(`{"seats":%d}`, rng.IntN(90))))
					}
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					answers[answer]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		f := readSeatFacts(t, db, planID)
		if f.inUse > f.seats {
			t.Fatalf("round %d: %d live licenses on %d seats", round, f.inUse, f.seats)
		}
		if f.keptInUse != f.inUse || f.keptRevoked != f.revoked {
			t.Fatalf("round %d: kept counts differ from a fresh count: %+v", round, f)
		}
	}
	t.Logf("answers: %v", answers)
	for _, want := range []string{"assign 202", "PATCH 200", "revoke 200"} {
		if answers[want] == 0 {
			t.Errorf("no %q among %v: the race tested nothing", want, answers)
		}
	}
}

// allowedAnswers are the answers racing work may get, by status and error.
var allowedAnswers = map[string]bool{
	"200": true, "202": true,
	"409 blocked_by_another_process": true,
	"422 seats_in_use":               true,
	"422 not_enough_seats":           true,
}

// answerOf names an answer ("200", "422 seats_in_use"), or fails on one the
// contract does not allow.
func answerOf(status int, body map[string]any, err error) (string, error) {
	if err != nil {
		return "", err
	}
	answer := fmt.Sprint(status)
	if status >= 400 {
		answer += fmt.Sprintf(" %v", body["error"])
	}
	if !allowedAnswers[answer] {
		return "", fmt.Errorf("answer %s: %v", answer, body)
	}
	switch {
	case status == http.StatusOK && body["revoked"] != nil:
		return "revoke 200", nil
	case status == http.StatusOK:
		return "PATCH 200", nil
	}
	return answer, nil
}

// assignOnce posts a list through one server and, when accepted, waits for
// its job through the other: an accepted job must succeed, since nothing
// can take its seats while it holds the plan's lock.
func assignOnce(api, poller *apiClient, planID, list string) (string, error) {
	status, body, err := api.do("POST", "/api/v1/plans/"+planID+"/assignments", "text/plain", list)
	if err == nil && status == http.StatusOK && body["status"] == "nothing_to_assign" {
		return "assign nothing new", nil // every address is licensed already: no job
	}
	answer, err := answerOf(status, body, err)
	if err != nil || status != http.StatusAccepted {
		return answer, err
	}
	j, err := poller.waitJob(body["status_url"].(string), time.Minute)
	if err == nil && j["status"] != "succeeded" {
		err = fmt.Errorf("accepted job: %v", j)
	}
	return "assign 202", err
}
