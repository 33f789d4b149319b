package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/seatplan/seatplan/store"
)

// LeaseTTL is how long a lease lives without a heartbeat: crashed work frees
// its plan or course after at most this long.
const LeaseTTL = 30 * time.Second

type jobReader interface {
	Job(ctx context.Context, id string) (store.Job, error)
}

// JobStatus answers GET /api/v1/jobs/{id}.
func JobStatus(st jobReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j, err := st.Job(r.Context(), r.PathValue("id"))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, jobJSON(j))
	})
}

func jobJSON(j store.Job) map[string]any {
	body := map[string]any{
		"id": j.ID, "kind": j.Kind, "status": j.Status, "done": j.Done, "total": j.Total,
		"subject":    map[string]string{"type": j.SubjectType, "id": j.SubjectID},
		"created_at": j.CreatedAt, "started_at": j.StartedAt, "finished_at": j.FinishedAt,
		"result": nil,
	}
	if len(j.Result) > 0 {
		body["result"] = j.Result
	}
	if j.Error != "" {
		body["error"] = j.Error
	}
	return body
}

type leaseKeeper interface {
	ResumeLock(ctx context.Context, l store.Lock, ttl time.Duration) (store.Lock, error)
	ExtendLock(ctx context.Context, l store.Lock, ttl time.Duration) (store.Lock, error)
	ReleaseLock(ctx context.Context, l store.Lock) error
}

// underLease runs work while holding lease l: it re-acquires l (a retried
// attempt fences off any earlier one), heartbeats it every ttl/3, cancels
// work if the lease is lost, and releases it when work ends, however it ends.
// Writes inside work must still check the fence in their own transaction.
func underLease(ctx context.Context, keeper leaseKeeper, l store.Lock, ttl time.Duration, work func(ctx context.Context, l store.Lock) error) error {
	resumed, err := keeper.ResumeLock(ctx, l, ttl)
	if err != nil {
		return fmt.Errorf("re-acquire %s: %w", l.Name, err)
	}
	l = resumed
	workCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	heartbeatDone := make(chan struct{})
	go func() {
		defer close(heartbeatDone)
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-workCtx.Done():
				return
			case <-tick.C:
				if _, err := keeper.ExtendLock(workCtx, l, ttl); err != nil {
					if errors.Is(err, store.ErrLeaseLost) {
						cancel(err)
						return
					}
					loggerFrom(ctx).Warn("lease heartbeat failed; retrying", "lock", l.Name, "err", err)
				}
			}
		}
	}()
	workErr := work(workCtx, l)
	cancel(nil)
	<-heartbeatDone
	if cause := context.Cause(workCtx); workErr != nil && errors.Is(cause, store.ErrLeaseLost) {
		workErr = store.ErrLeaseLost
	}
	if err := keeper.ReleaseLock(context.WithoutCancel(ctx), l); err != nil && workErr == nil {
		return err
	}
	return workErr
}

type jobStarter interface {
	leaseKeeper
	StartJob(ctx context.Context, id string) (store.Job, error)
}

// runLeasedJob is one attempt of a job that works under the lease its
// request took: mark the job running (a late retry of work that committed
// stops there), load what the request accepted, run it under that lease,
// and let settle decide whether a failure is final.
func runLeasedJob[W any](ctx context.Context, st jobStarter, row *rivertype.JobRow, jobID string, ttl time.Duration,
	load func(ctx context.Context, jobID string) (W, store.Lock, error),
	run func(ctx context.Context, work W, lease store.Lock) error,
	fail func(ctx context.Context, jobID, reason string) error,
) error {
	j, err := st.StartJob(ctx, jobID)
	if err != nil {
		return err
	}
	if j.Finished() {
		return nil
	}
	work, lease, err := load(ctx, jobID)
	if err == nil {
		err = underLease(ctx, st, lease, ttl, func(ctx context.Context, l store.Lock) error { return run(ctx, work, l) })
	}
	return settle(ctx, fail, row, jobID, err)
}
