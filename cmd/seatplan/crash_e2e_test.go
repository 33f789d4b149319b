package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// crashLease is the lease of the crash tests' servers: short, so a dead
// holder's lease runs out within the test.
const crashLease = 2 * time.Second

// crashList is n distinct addresses, one per line.
func crashList(n int) ([]string, string) {
	list := make([]string, n)
	for i := range list {
		list[i] = fmt.Sprintf("crash%06d@example.com", i)
	}
	return list, strings.Join(list, "\n")
}

// pidOf reads the process id from a job's worker, host:pid:started.
func pidOf(worker string) int {
	parts := strings.Split(worker, ":")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// catchMidJob polls the job until it runs and has reported progress short
// of the end (so its transaction has not committed) and returns it.
func catchMidJob(t *testing.T, st *store.Store, jobID string) store.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := st.Job(context.Background(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == store.JobRunning && j.Done > 0 && j.Done < j.Total {
			return j
		}
		if j.Finished() || time.Now().After(deadline) {
			t.Fatalf("could not catch the job mid-way: %+v", j)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestAssign_KilledMidJobReadsInterruptedAndALiveProcessFinishesIt(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	environ := []string{"DATABASE_URL=" + dbURL, "SEATPLAN_LEASE_TTL=" + crashLease.String()}
	servers := []*serveProcess{startServeProcess(t, environ), startServeProcess(t, environ)}
	apis := newAPIClients(t, dbURL, "bulk loader", "admin", servers[0].URL, servers[1].URL)
	const n = 150_000
	planID := apis[0].createPlan(t, n)
	list, text := crashList(n)
	statusURL, err := apis[0].assignUntilAccepted(planID, text)
	if err != nil {
		t.Fatal(err)
	}
	jobID := statusURL[strings.LastIndex(statusURL, "/")+1:]
	db := openPool(t, dbURL)
	st := store.New(db)

	running := catchMidJob(t, st, jobID)
	victim, survivor := 0, 1
	if pidOf(running.Worker) == servers[1].cmd.Process.Pid {
		victim, survivor = 1, 0
	} else if pidOf(running.Worker) != servers[0].cmd.Process.Pid {
		t.Fatalf("the job runs on %q, neither server", running.Worker)
	}
	servers[victim].Kill(t)
	killed := time.Now()
	if live := countLive(t, db, planID, list); live != 0 {
		t.Fatalf("right after the crash %d of %d addresses are licensed: the uncommitted job leaked", live, n)
	}

	// Watch the job as the survivor's API reports it until it finishes.
	api := apis[survivor]
	var sawInterrupted bool
	var final map[string]any
	for deadline := killed.Add(2 * time.Minute); final == nil; {
		_, j, err := api.do("GET", statusURL, "", "")
		if err != nil {
			t.Fatal(err)
		}
		onVictim := pidOf(fmt.Sprint(j["worker"])) == servers[victim].cmd.Process.Pid
		switch {
		case j["status"] == "running" && onVictim && time.Since(killed) > crashLease+3*time.Second:
			t.Fatalf("%s after the crash the job still reads running on the dead server: %v", time.Since(killed), j)
		case j["status"] == "running" && onVictim:
		case j["state"] == "interrupted":
			sawInterrupted = true
			if j["status"] != "queued" || j["status_text"] != "Interrupted — retrying" || j["interrupted"] != true {
				t.Errorf("an interrupted job reads %v", j)
			}
			if live := countLive(t, db, planID, list); live != 0 {
				t.Fatalf("while interrupted %d of %d addresses are licensed", live, n)
			}
		case j["status"] == "succeeded" || j["status"] == "failed":
			final = j
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish within 2 minutes of the crash: %v", j)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The interrupted reading lasts only until the survivor's next sweep, so
	// a poll may miss it on a busy machine; the job's record keeps that the
	// crash was noticed. (Tests of the job's status texts read it directly.)
	if !sawInterrupted && final["interruptions"] != float64(1) {
		t.Errorf("the crash left no trace on the job: %v", final)
	}
	result, _ := final["result"].(map[string]any)
	if final["status"] != "succeeded" || final["attempt"] != float64(2) || result["assigned"] != float64(n) ||
		pidOf(fmt.Sprint(final["worker"])) != servers[survivor].cmd.Process.Pid {
		t.Errorf("finished job: %v, want attempt 2 on the surviving server assigning all %d", final, n)
	}
	if live := countLive(t, db, planID, list); live != n {
		t.Errorf("after the retry %d of %d addresses are licensed", live, n)
	}
	if f := readPlanFacts(t, db, planID); f.doubleLicensed != 0 || f.unassigned+f.assigned+f.activated != f.seats {
		t.Errorf("plan facts after crash and retry: %+v", f)
	}
	if _, held, err := st.HeldLock(context.Background(), store.PlanLockName(planID)); err != nil || held {
		t.Errorf("the plan's lock is still held after the job finished (%v)", err)
	}
}

func TestAssign_RetryAfterACrashGivesUpWhenNewerWorkTookThePlan(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	environ := []string{"DATABASE_URL=" + dbURL, "SEATPLAN_LEASE_TTL=" + crashLease.String()}
	first := startServeProcess(t, environ)
	api := newAPIClients(t, dbURL, "bulk loader", "admin", first.URL)[0]
	const n = 100_000
	planID := api.createPlan(t, n)
	list, text := crashList(n)
	statusURL, err := api.assignUntilAccepted(planID, text)
	if err != nil {
		t.Fatal(err)
	}
	jobID := statusURL[strings.LastIndex(statusURL, "/")+1:]
	db := openPool(t, dbURL)
	st := store.New(db)
	catchMidJob(t, st, jobID)
	first.Kill(t) // the only server: nothing retries the job yet

	// Newer work takes the plan once the dead job's lease runs out.
	ctx := context.Background()
	var newer store.Lock
	deadline := time.Now().Add(crashLease + 10*time.Second)
	for newer, err = st.AcquireLock(ctx, store.PlanLockName(planID), store.SystemActor, "newer work", time.Minute); err != nil; {
		if store.ErrorCode(err) != store.EConflict || time.Now().After(deadline) {
			t.Fatalf("take the plan after the crash: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
		newer, err = st.AcquireLock(ctx, store.PlanLockName(planID), store.SystemActor, "newer work", time.Minute)
	}
	// The job's own heartbeat went on until the kill, while the lock's
	// could not move under the job's transaction, so the job may read as
	// interrupted a little after the lock was free.
	for deadline := time.Now().Add(crashLease + 3*time.Second); ; time.Sleep(20 * time.Millisecond) {
		j, err := st.Job(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Interrupted && j.Status == store.JobQueued {
			break
		}
		if j.Status != store.JobRunning || time.Now().After(deadline) {
			t.Fatalf("a lease TTL and 3 s after the crash the job reads %s, interrupted %v; want interrupted", j.Status, j.Interrupted)
		}
	}
	if err := st.ReleaseLock(ctx, newer); err != nil {
		t.Fatal(err)
	}

	second := startServeProcess(t, environ)
	j, err := newAPIClients(t, dbURL, "poller", "admin", second.URL)[0].waitJob(statusURL, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if j["status"] != "failed" || j["status_text"] != "Failed — nothing was changed" || !strings.Contains(fmt.Sprint(j["error"]), "Newer work took the lock") {
		t.Errorf("the retry after newer work: %v, want it failed, saying why", j)
	}
	if live := countLive(t, db, planID, list); live != 0 {
		t.Errorf("%d of %d addresses licensed by a retry that should have given up", live, n)
	}
	if f := readPlanFacts(t, db, planID); f.assigned != 0 || f.unassigned != f.seats {
		t.Errorf("plan facts after the refused retry: %+v", f)
	}
}
