package web

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/web/metrics"
)

// How crashed work is handled, in one place.
//
// An attempt holds its plan or course lease and heartbeats, every third of
// the lease TTL, both the lease and the job itself. When the process
// running it dies, both stop: the lease expires within the TTL (freeing
// the plan), and so does the job's heartbeat, after which the job reads as
// interrupted ("Interrupted — retrying"), never as running. Every serve
// process runs handlers.RescueInterruptedJobs every RescueEvery: it queues
// a new attempt of each such job, which a live process picks up at once.
// The new attempt resumes the same lease only if no newer work took the
// lock meanwhile; otherwise the job fails and changes nothing ("Failed —
// nothing was changed"). The work is all or nothing and idempotent, so
// redoing it is safe. A job interrupted more than store.MaxInterruptions
// times, or not resumed within store.RetryWithin, fails instead of running
// late.
//
// River's own rescuer is only the backstop. jobTimeout caps one live
// attempt; rescueAfter is longer, so a slow but live attempt is never run
// twice at once, and it lets River close the queue entries of dead
// attempts, which by then name a superseded attempt and do nothing.
const (
	jobTimeout  = 10 * time.Minute
	rescueAfter = 12 * time.Minute
	rescueEvery = time.Second
	maxWorkers  = 4
	// housekeepingEvery: expired sessions and tokens are refused when read
	// anyway; pruning them is about keeping tables small, not correctness.
	housekeepingEvery = 15 * time.Minute
)

// RescueEvery is how often a process looks for jobs whose process died:
// every second, and at least three times per lease.
func RescueEvery(leaseTTL time.Duration) time.Duration { return min(rescueEvery, leaseTTL/3) }

// ListLimits bound uploaded and posted lists (Deps.Lists).
type ListLimits = handlers.ListLimits

// NewJobClient builds the River client that runs Seatplan's background
// jobs. Every worker is listed here, as routes.go lists every route.
// leaseTTL is how long a job's plan or course lease lives between heartbeats;
// m, when set, times every attempt.
func NewJobClient(st *store.Store, logger *slog.Logger, leaseTTL time.Duration, m *metrics.Metrics) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, handlers.NewAssignLicensesWorker(st, leaseTTL))
	river.AddWorker(workers, handlers.NewImportCourseWorker(st, leaseTTL))
	river.AddWorker(workers, handlers.NewRevokeListWorker(st, leaseTTL))
	river.AddWorker(workers, handlers.NewHousekeepingWorker(st, logger))
	// The leader enqueues it; any process runs it. Each run is bounded
	// (store.PruneBatch rows per table).
	housekeeping := river.NewPeriodicJob(river.PeriodicInterval(housekeepingEvery),
		func() (river.JobArgs, *river.InsertOpts) { return handlers.HousekeepingArgs{}, nil },
		&river.PeriodicJobOpts{ID: handlers.HousekeepingArgs{}.Kind(), RunOnStart: true})

	var middleware []rivertype.Middleware
	if m != nil {
		middleware = append(middleware, m.JobMiddleware(handlers.AssignLicensesArgs{}.Kind(),
			handlers.ImportCourseArgs{}.Kind(), handlers.RevokeListArgs{}.Kind(), handlers.HousekeepingArgs{}.Kind()))
	}
	client, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{
		ID:                   workerID(),
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: rescueAfter,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		PeriodicJobs:         []*river.PeriodicJob{housekeeping},
		Workers:              workers,
		Middleware:           middleware,
		Logger:               logger,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return client, nil
}

// workerID names this process's River client, and so the worker a job
// records: host and process id, which operators can find, made unique
// across restarts by the start time.
func workerID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
}
