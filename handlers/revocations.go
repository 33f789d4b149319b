package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/paths"
	"github.com/seatplan/seatplan/views/plans"
)

// RevokeListArgs is the River job that revokes an accepted list.
type RevokeListArgs struct {
	JobID   string `json:"job_id"`
	Attempt int    `json:"attempt,omitempty"` // see store.Job.Attempt
}

func (RevokeListArgs) Kind() string { return store.JobRevokeLicenses }

// InsertOpts: a few retries cover a lost connection (see settle).
func (RevokeListArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type revocationRunner interface {
	jobStarter
	RevocationOf(ctx context.Context, jobID string) (store.Revocation, error)
	RunRevocation(ctx context.Context, rv store.Revocation, lease store.Lock) (store.RevocationResult, error)
	FailRevocationJob(ctx context.Context, jobID string, reason string) error
}

// RevokeListWorker runs accepted revocations under the plan lease the
// request acquired.
type RevokeListWorker struct {
	river.WorkerDefaults[RevokeListArgs]
	st  revocationRunner
	ttl time.Duration
}

// NewRevokeListWorker returns the worker; ttl is the plan lease's lifetime between heartbeats.
func NewRevokeListWorker(st revocationRunner, ttl time.Duration) *RevokeListWorker {
	return &RevokeListWorker{st: st, ttl: ttl}
}

func (w *RevokeListWorker) Work(ctx context.Context, job *river.Job[RevokeListArgs]) error {
	return runLeasedJob(ctx, w.st, job.JobRow, jobRef{job.Args.JobID, job.Args.Attempt}, w.ttl,
		func(ctx context.Context, id string) (store.Revocation, store.Lock, error) {
			rv, err := w.st.RevocationOf(ctx, id)
			return rv, rv.Lease, err
		},
		func(ctx context.Context, rv store.Revocation, l store.Lock) error {
			_, err := w.st.RunRevocation(ctx, rv, l)
			return err
		},
		w.st.FailRevocationJob)
}

type revocationPages interface {
	planPages
	planListStager
	jobReader
	PreviewRevocation(ctx context.Context, planID string, list emaillist.Emails) (store.RevocationPreview, error)
	RevokeList(ctx context.Context, planID string, list emaillist.Emails, by store.Actor, ttl time.Duration, enqueue store.Enqueue) (store.Job, error)
	DropStagedList(ctx context.Context, id string) error
}

// PreviewRevocationPage reads an uploaded or pasted list, keeps it on the
// server and shows what revoking it would do; nothing changes yet.
func PreviewRevocationPage(st revocationPages, lim ListLimits, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, list, err := stagePlanList(w, r, st, lim, store.ListForRevocation)
		renderRevocationPreview(w, r, st, now, l, list, err)
	})
}

// RevocationPreviewPage shows the revocation preview of a staged list
// again, read with the column picked (?column=).
func RevocationPreviewPage(st revocationPages, lim ListLimits, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, list, err := stagedPlanList(r, st, lim, store.ListForRevocation, r.PathValue("list"), r.URL.Query().Get("column"))
		renderRevocationPreview(w, r, st, now, l, list, err)
	})
}

func renderRevocationPreview(w http.ResponseWriter, r *http.Request, st revocationPages, now func() time.Time, l store.StagedList, list emaillist.Emails, err error) {
	v := plans.RevocationView{PlanID: r.PathValue("id")}
	if err == nil {
		var pv store.RevocationPreview
		if pv, err = st.PreviewRevocation(r.Context(), v.PlanID, list); err == nil {
			v.Preview = revocationPreviewView(pv, l, list)
		}
	}
	status := http.StatusOK
	if userFixable(err) {
		v.Error, v.Pasted, status = err.Error(), pastedText(l), statusOf(err)
	} else if err != nil {
		Fail(w, r, err)
		return
	}
	renderRevocation(w, r, st, now, status, v)
}

func revocationPreviewView(pv store.RevocationPreview, l store.StagedList, list emaillist.Emails) *plans.RevocationPreview {
	p := &plans.RevocationPreview{PlanID: pv.PlanID, ID: l.ID,
		Source: sourceView(l, list.Layout, paths.RevocationPreview(pv.PlanID, l.ID), "#revocation", false),
		Column: columnParam(list.Layout.Email), Live: pv.Live, NotLicensed: pv.NotLicensed, Duplicates: pv.Duplicates,
		ProblemCount: len(pv.Problems)}
	for _, a := range list.Addresses[:min(len(list.Addresses), previewSample)] {
		p.Sample = append(p.Sample, emaillist.DisplayEmail(a))
	}
	if len(pv.Problems) > 0 {
		first := pv.Problems[0]
		p.FirstProblem = plans.Problem{Line: first.Line, Value: first.Value, Reason: first.Reason}
	}
	return p
}

// renderRevocation answers with the "Revoke a list" area: the fragment for
// htmx, else the plan page around it.
func renderRevocation(w http.ResponseWriter, r *http.Request, st planPages, now func() time.Time, status int, v plans.RevocationView) {
	w.Header().Add("Vary", "HX-Request")
	if isHTMX(r) {
		render(w, r, status, plans.Revocation(v))
		return
	}
	pv, err := planPage(r, st, now)
	if err != nil {
		Fail(w, r, err)
		return
	}
	pv.Revocation = v
	render(w, r, status, plans.PlanPage(pv))
}

// RevokeListPage is the revocation preview's confirm: it starts the job
// that revokes the staged list, read with the column the preview showed
// (entries that are no address hold no license and are passed over), and
// shows its progress (htmx), or sends the browser to the plan page showing
// it. A held plan lock answers 409 with the "Blocked by another process"
// banner.
func RevokeListPage(st revocationPages, q JobQueue, lim ListLimits, ttl time.Duration, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !readForm(w, r, maxFormBody) {
			return
		}
		l, list, err := stagedPlanList(r, st, lim, store.ListForRevocation, r.PostForm.Get("preview"), r.PostForm.Get("column"))
		var job store.Job
		if err == nil {
			list.Problems = nil
			job, err = st.RevokeList(r.Context(), id, list, mustActor(r), ttl,
				enqueueIn(q, func(jobID string) river.JobArgs { return RevokeListArgs{JobID: jobID} }))
		}
		if nothing, ok := errors.AsType[*store.NothingToRevokeError](err); ok {
			renderRevocation(w, r, st, now, http.StatusOK, plans.RevocationView{PlanID: id, Notice: nothing.Error()})
			return
		}
		if userFixable(err) {
			renderRevocation(w, r, st, now, statusOf(err), plans.RevocationView{PlanID: id, Error: err.Error(), Pasted: pastedText(l)})
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		// The job has the list now; the preview has served.
		if err := st.DropStagedList(context.WithoutCancel(r.Context()), l.ID); err != nil {
			loggerFrom(r.Context()).Warn("drop a confirmed preview", "preview", l.ID, "err", err)
		}
		if !isHTMX(r) {
			http.Redirect(w, r, paths.PlanRevocation(id, job.ID), http.StatusSeeOther)
			return
		}
		jv, err := jobView(r.Context(), st, st, id, job.ID, now(), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		if jv.Finished {
			w.Header().Set("HX-Redirect", jobPage(jv))
		}
		render(w, r, http.StatusAccepted, plans.Revocation(plans.RevocationView{PlanID: id, Job: &jv}))
	})
}
