package web

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
)

// Job limits: a job that runs past jobTimeout is cancelled; one whose
// process died is picked up again after rescueAfter (a little longer, so a
// slow but live job is never run twice at once).
const (
	jobTimeout  = 10 * time.Minute
	rescueAfter = 12 * time.Minute
	maxWorkers  = 4
)

// DefaultLeaseTTL is how long a plan or course lease outlives a crashed
// holder unless configured otherwise.
const DefaultLeaseTTL = handlers.LeaseTTL

// ListLimits bound uploaded and posted lists (Deps.Lists).
type ListLimits = handlers.ListLimits

// NewJobClient builds the River client that runs Seatplan's background
// jobs. Every worker is listed here, as routes.go lists every route.
// leaseTTL is how long a job's plan or course lease lives between heartbeats.
func NewJobClient(st *store.Store, logger *slog.Logger, leaseTTL time.Duration) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, handlers.NewAssignLicensesWorker(st, leaseTTL))
	river.AddWorker(workers, handlers.NewImportCourseWorker(st, leaseTTL))

	client, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: rescueAfter,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		Workers:              workers,
		Logger:               logger,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return client, nil
}
