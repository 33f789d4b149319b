package handlers

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/seatplan/seatplan/store"
)

// HousekeepingArgs is the periodic River job that prunes expired rows.
type HousekeepingArgs struct{}

func (HousekeepingArgs) Kind() string { return "housekeeping" }

type pruner interface {
	Prune(ctx context.Context, limit int) (store.Pruned, error)
}

// HousekeepingWorker deletes expired sessions, access tokens, login
// failures and old enrollment results, a bounded batch per table and run,
// and logs what it removed.
type HousekeepingWorker struct {
	river.WorkerDefaults[HousekeepingArgs]
	st  pruner
	log *slog.Logger
}

// NewHousekeepingWorker returns the worker.
func NewHousekeepingWorker(st pruner, log *slog.Logger) *HousekeepingWorker {
	return &HousekeepingWorker{st: st, log: log}
}

func (w *HousekeepingWorker) Work(ctx context.Context, _ *river.Job[HousekeepingArgs]) error {
	pruned, err := w.st.Prune(ctx, store.PruneBatch)
	if len(pruned) > 0 {
		attrs := make([]any, 0, len(pruned))
		for table, n := range pruned {
			attrs = append(attrs, slog.Int64(table, n))
		}
		w.log.Info("housekeeping removed expired rows", slog.Group("removed", attrs...), slog.Int("batch_limit", store.PruneBatch))
	}
	return err
}
