package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/paths"
	"github.com/seatplan/seatplan/views/plans"
)

// JobQueue enqueues background work inside the caller's transaction; River's
// client is one.
type JobQueue interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// AssignLicensesArgs is the River job that assigns an accepted list.
type AssignLicensesArgs struct {
	JobID   string `json:"job_id"`
	Attempt int    `json:"attempt,omitempty"` // see store.Job.Attempt
}

func (AssignLicensesArgs) Kind() string { return store.JobAssignLicenses }

// InsertOpts: a few retries cover a lost connection; a list that cannot be
// assigned fails at once (see settle).
func (AssignLicensesArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type assignmentRunner interface {
	jobStarter
	AssignmentOf(ctx context.Context, jobID string) (store.Assignment, error)
	RunAssignment(ctx context.Context, a store.Assignment, lease store.Lock) (store.AssignmentResult, error)
	FailAssignmentJob(ctx context.Context, jobID string, reason string) error
}

// AssignLicensesWorker runs accepted assignments under the plan lease the
// request acquired.
type AssignLicensesWorker struct {
	river.WorkerDefaults[AssignLicensesArgs]
	st  assignmentRunner
	ttl time.Duration
}

// NewAssignLicensesWorker returns the worker; ttl is the plan lease's lifetime between heartbeats.
func NewAssignLicensesWorker(st assignmentRunner, ttl time.Duration) *AssignLicensesWorker {
	return &AssignLicensesWorker{st: st, ttl: ttl}
}

func (w *AssignLicensesWorker) Work(ctx context.Context, job *river.Job[AssignLicensesArgs]) error {
	return runLeasedJob(ctx, w.st, job.JobRow, jobRef{job.Args.JobID, job.Args.Attempt}, w.ttl,
		func(ctx context.Context, id string) (store.Assignment, store.Lock, error) {
			a, err := w.st.AssignmentOf(ctx, id)
			return a, a.Lease, err
		},
		func(ctx context.Context, a store.Assignment, l store.Lock) error {
			_, err := w.st.RunAssignment(ctx, a, l)
			return err
		},
		w.st.FailAssignmentJob)
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &store.Error{Code: store.EBadRequest, Message: fmt.Sprintf("?%s= takes true or false, not %q.", name, v),
			Detail: badParameter(name)}
	}
	return b, nil
}

// readEmailList reads an API request's list: a JSON body {"emails":[…]}, a
// text or CSV body streamed through the reader, or a form's file or pasted
// "emails". Over the limits it fails with 413; what is not a list, and broken
// CSV quoting, fail with 422 and say what to fix.
func readEmailList(w http.ResponseWriter, r *http.Request, lim ListLimits) (emaillist.Emails, error) {
	opt := lim.options(r)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var list emaillist.Emails
	var err error
	switch mediaType {
	case "application/json":
		var req AssignmentRequest
		if err := decodeJSON(w, r, lim.MaxBytes, &req); err != nil {
			return list, err
		}
		list, err = emaillist.CheckEmails(req.Emails, opt.Limits)
	case "multipart/form-data", "application/x-www-form-urlencoded":
		var l store.StagedList
		if l, err = readUpload(w, r, lim, "emails"); err == nil {
			list, err = readStagedEmails(l, lim, opt.Column)
		}
	default:
		opt.Format = emaillist.DetectFormat("", mediaType)
		list, err = emaillist.ReadEmails(http.MaxBytesReader(w, r.Body, lim.MaxBytes), opt)
	}
	return list, listError(err)
}

type assigner interface {
	AssignLicenses(ctx context.Context, planID string, list emaillist.Emails, by store.Actor, ttl time.Duration, enqueue store.Enqueue) (store.Job, error)
}

// acceptAssignment starts the assignment of list to the plan.
func acceptAssignment(r *http.Request, st assigner, q JobQueue, ttl time.Duration, list emaillist.Emails) (store.Job, error) {
	return st.AssignLicenses(r.Context(), r.PathValue("id"), list, mustActor(r), ttl,
		enqueueIn(q, func(jobID string) river.JobArgs { return AssignLicensesArgs{JobID: jobID} }))
}

// AssignLicensesAPI answers POST /api/v1/plans/{id}/assignments with 202
// and where to poll the job. The list is all or nothing: invalid entries
// refuse it unless ?skip_invalid=true. A list with nothing new is answered
// 200 with what it holds, and no job.
func AssignLicensesAPI(st assigner, q JobQueue, lim ListLimits, ttl time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		skip, err := boolParam(r, "skip_invalid")
		if err != nil {
			Fail(w, r, err)
			return
		}
		list, err := readEmailList(w, r, lim)
		if err != nil {
			Fail(w, r, err)
			return
		}
		skipped := 0
		if skip {
			skipped, list.Problems = len(list.Problems), nil
		}
		job, err := acceptAssignment(r, st, q, ttl, list)
		if nothing, ok := errors.AsType[*store.NothingToAssignError](err); ok {
			writeJSON(w, http.StatusOK, NothingToAssign{Status: "nothing_to_assign", Message: nothing.Error(),
				Result: NothingAssigned{AlreadyLicensed: nothing.AlreadyLicensed, Duplicates: nothing.Duplicates, SkippedInvalid: skipped}})
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", paths.APIJob(job.ID))
		writeJSON(w, http.StatusAccepted, jobAccepted(job))
	})
}

type assignmentPages interface {
	planPages
	assigner
	jobReader
	PreviewAssignment(ctx context.Context, planID string, list emaillist.Emails) (store.AssignmentPreview, error)
	StageList(ctx context.Context, l store.StagedList, by store.Actor) (store.StagedList, error)
	StagedListFor(ctx context.Context, id, purpose, planID string, by store.Actor) (store.StagedList, error)
	DropStagedList(ctx context.Context, id string) error
}

// PreviewAssignmentPage reads an uploaded or pasted list, keeps it on the
// server and shows what assigning it would do; nothing changes yet. A list
// that cannot be read is answered with the form again, saying why, with what
// was pasted still in it.
func PreviewAssignmentPage(st assignmentPages, lim ListLimits, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, list, err := stagePlanList(w, r, st, lim, store.ListForAssignment)
		renderPreview(w, r, st, lim, now, l, list, err)
	})
}

// AssignmentPreviewPage shows the preview of a staged list again, read with
// the column picked (?column=).
func AssignmentPreviewPage(st assignmentPages, lim ListLimits, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, list, err := stagedPlanList(r, st, lim, store.ListForAssignment, r.PathValue("preview"), r.URL.Query().Get("column"))
		renderPreview(w, r, st, lim, now, l, list, err)
	})
}

// NewAssignmentPage is the upload form again ("Start over"), with the text
// pasted for the preview ?from= still in it.
func NewAssignmentPage(st assignmentPages, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		av := plans.AssignmentView{PlanID: r.PathValue("id")}
		if from := r.URL.Query().Get("from"); from != "" {
			// A preview gone by now only loses the text; the form still helps.
			if l, err := st.StagedListFor(r.Context(), from, store.ListForAssignment, av.PlanID, mustActor(r)); err == nil {
				av.Pasted = pastedText(l)
			} else if store.ErrorCode(err) != store.ENotFound {
				Fail(w, r, err)
				return
			}
		}
		renderAssignment(w, r, st, now, http.StatusOK, av)
	})
}

type planListStager interface {
	StageList(ctx context.Context, l store.StagedList, by store.Actor) (store.StagedList, error)
	StagedListFor(ctx context.Context, id, purpose, planID string, by store.Actor) (store.StagedList, error)
}

// stagePlanList reads the list a plan page uploads for a preview and keeps
// it, for purpose, for the one who sent it: only they may confirm it, only
// on that plan, and only for what the preview showed (an assignment preview
// is never confirmed as a revocation).
func stagePlanList(w http.ResponseWriter, r *http.Request, st planListStager, lim ListLimits, purpose string) (store.StagedList, emaillist.Emails, error) {
	l, err := readUpload(w, r, lim, "emails")
	var list emaillist.Emails
	if err == nil {
		list, err = readStagedEmails(l, lim, "")
		err = listError(err)
	}
	if err == nil {
		l.Purpose, l.PlanID = purpose, r.PathValue("id")
		l, err = st.StageList(r.Context(), l, mustActor(r))
	}
	return l, list, err
}

// stagedPlanList reads a list staged for the plan and purpose again, with the column given.
func stagedPlanList(r *http.Request, st planListStager, lim ListLimits, purpose, id, column string) (store.StagedList, emaillist.Emails, error) {
	l, err := st.StagedListFor(r.Context(), id, purpose, r.PathValue("id"), mustActor(r))
	var list emaillist.Emails
	if err == nil {
		list, err = readStagedEmails(l, lim, column)
		err = listError(err)
	}
	return l, list, err
}

// readStagedEmails reads a staged list, with the column given or found.
func readStagedEmails(l store.StagedList, lim ListLimits, column string) (emaillist.Emails, error) {
	return emaillist.ReadEmails(bytes.NewReader(l.Body), stagedOptions(l, lim, column, ""))
}

// renderPreview answers with the preview of the staged list l read as list,
// or, when err is one the user can fix, the upload form saying why.
func renderPreview(w http.ResponseWriter, r *http.Request, st assignmentPages, lim ListLimits, now func() time.Time, l store.StagedList, list emaillist.Emails, err error) {
	av := plans.AssignmentView{PlanID: r.PathValue("id")}
	if err == nil {
		var pv store.AssignmentPreview
		if pv, err = st.PreviewAssignment(r.Context(), av.PlanID, list); err == nil {
			av.Preview = previewView(pv, l, list)
		}
	}
	status := http.StatusOK
	if userFixable(err) {
		av.Error, av.Pasted, status = err.Error(), pastedText(l), statusOf(err)
	} else if err != nil {
		Fail(w, r, err)
		return
	}
	renderAssignment(w, r, st, now, status, av)
}

// renderAssignment answers with the upload area: the fragment for htmx, else
// the plan page around it.
func renderAssignment(w http.ResponseWriter, r *http.Request, st planPages, now func() time.Time, status int, av plans.AssignmentView) {
	w.Header().Add("Vary", "HX-Request")
	if isHTMX(r) {
		render(w, r, status, plans.Assignment(av))
		return
	}
	v, err := planPage(r, st, now)
	if err != nil {
		Fail(w, r, err)
		return
	}
	v.Assignment = av
	render(w, r, status, plans.PlanPage(v))
}

// userFixable tells a list the user must fix (invalid, too long, too few
// seats, a preview gone) from errors the page cannot help with.
func userFixable(err error) bool {
	switch store.ErrorCode(err) {
	case store.EInvalid, store.ETooLarge, store.EBadRequest, store.ENotFound:
		return true
	}
	return false
}

// previewSample is how many addresses a preview shows, for the admin to see
// the column is the right one.
const previewSample = 5

func previewView(pv store.AssignmentPreview, l store.StagedList, list emaillist.Emails) *plans.Preview {
	pickURL := paths.AssignmentPreview(pv.PlanID, l.ID)
	p := &plans.Preview{PlanID: pv.PlanID, ID: l.ID, Source: sourceView(l, list.Layout, pickURL, "#assignment", false),
		Column: columnParam(list.Layout.Email), New: pv.New, AlreadyLicensed: pv.AlreadyLicensed, Duplicates: pv.Duplicates,
		ProblemCount: len(pv.Problems), Needed: pv.Needed, Available: pv.Available, Acceptable: pv.Acceptable()}
	for _, a := range list.Addresses[:min(len(list.Addresses), previewSample)] {
		p.Sample = append(p.Sample, emaillist.DisplayEmail(a))
	}
	for _, pr := range pv.Problems[:min(len(pv.Problems), plans.MaxProblemsShown)] {
		p.Problems = append(p.Problems, plans.Problem{Line: pr.Line, Value: pr.Value, Reason: pr.Reason})
	}
	return p
}

// AssignLicensesPage is the preview's Confirm: it assigns the staged list
// the preview names, read with the column it showed, and shows the job's
// progress (htmx), or sends the browser to the plan page showing it. Invalid
// entries refuse the list unless the admin chose to skip them. A held plan
// lock answers 409 with the "Blocked by another process" banner.
func AssignLicensesPage(st assignmentPages, q JobQueue, lim ListLimits, ttl time.Duration, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !readForm(w, r, maxFormBody) {
			return
		}
		l, list, err := stagedPlanList(r, st, lim, store.ListForAssignment, r.PostForm.Get("preview"), r.PostForm.Get("column"))
		if err == nil && r.PostForm.Get("skip_invalid") == "true" {
			list.Problems = nil
		}
		var job store.Job
		if err == nil {
			job, err = acceptAssignment(r, st, q, ttl, list)
		}
		if locked, ok := errors.AsType[*store.ErrLocked](err); ok && !isHTMX(r) {
			// A plain form post: the plan page again, with the refusal's banner.
			v, verr := planPage(r, st, now)
			if verr != nil {
				Fail(w, r, verr)
				return
			}
			v.Base.Blocked = lockBanner(locked)
			render(w, r, http.StatusConflict, plans.PlanPage(v))
			return
		}
		if nothing, ok := errors.AsType[*store.NothingToAssignError](err); ok {
			renderAssignment(w, r, st, now, http.StatusOK, plans.AssignmentView{PlanID: id, Notice: nothing.Error()})
			return
		}
		if userFixable(err) {
			// A refused Confirm (too few seats by now, a preview gone): back
			// to the upload form, saying why.
			renderAssignment(w, r, st, now, statusOf(err), plans.AssignmentView{PlanID: id, Error: err.Error(), Pasted: pastedText(l)})
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
			http.Redirect(w, r, paths.PlanAssignment(id, job.ID), http.StatusSeeOther)
			return
		}
		jv, err := jobView(r.Context(), st, st, id, job.ID, now(), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		if jv.Finished {
			w.Header().Set("HX-Redirect", paths.PlanAssignment(id, jv.ID))
		}
		render(w, r, http.StatusAccepted, plans.Assignment(plans.AssignmentView{PlanID: id, Job: &jv}))
	})
}

// JobProgressPage is the fragment the progress bar polls.
func JobProgressPage(st assignmentPages, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jv, err := jobView(r.Context(), st, st, r.PathValue("id"), r.PathValue("job"), now(), mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		renderProgress(w, r, http.StatusOK, jv)
	})
}

type jobCancelPages interface {
	assignmentPages
	jobCanceller
}

// CancelJobPage is the progress bar's Cancel: a queued job fails at once, a
// running one at its next step, changing nothing either way. It answers
// with the progress bar (htmx), or sends the browser to the job's page.
func CancelJobPage(st jobCancelPages, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		planID, jobID := r.PathValue("id"), r.PathValue("job")
		if _, err := planJob(r.Context(), st, planID, jobID); err != nil {
			Fail(w, r, err)
			return
		}
		if _, err := st.CancelJob(r.Context(), jobID, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
		jv, err := jobView(r.Context(), st, st, planID, jobID, now(), mustActor(r))
		if err == nil && !isHTMX(r) {
			http.Redirect(w, r, jobPage(jv), http.StatusSeeOther)
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		renderProgress(w, r, http.StatusOK, jv)
	})
}

// renderProgress answers the progress bar. Once the job has finished, the
// rest of the page (utilization, licenses) is older than the job, so htmx
// reloads it at the job's own URL, which shows the result without polling.
// A page at that URL already is reloaded: sent there again, the browser
// would only move to its fragment.
//
// A running bar redraws only its status, keeping the Cancel form; when the
// form must change (the job finished, or can no longer be cancelled), the
// answer redraws the whole bar instead.
func renderProgress(w http.ResponseWriter, r *http.Request, status int, jv plans.JobView) {
	if jv.Finished || !jv.CanCancel {
		w.Header().Set("HX-Retarget", "#job-progress")
		w.Header().Set("HX-Reselect", "#job-progress")
	}
	if jv.Finished {
		cur, err := url.Parse(r.Header.Get("HX-Current-URL"))
		if err == nil && cur.Path == paths.Plan(jv.PlanID) && cur.Query().Get("job") == jv.ID {
			w.Header().Set("HX-Refresh", "true")
		} else {
			w.Header().Set("HX-Redirect", jobPage(jv))
		}
	}
	render(w, r, status, plans.Progress(jv))
}

// jobPage is the plan's page showing the job, in the area of its kind.
func jobPage(jv plans.JobView) string {
	if jv.Revoking {
		return paths.PlanRevocation(jv.PlanID, jv.ID)
	}
	return paths.PlanAssignment(jv.PlanID, jv.ID)
}

type planReader interface {
	Plan(ctx context.Context, id string) (store.Plan, error)
}

// planJob returns a job of the plan; any other job is not found here.
func planJob(ctx context.Context, jobs jobReader, planID, jobID string) (store.Job, error) {
	j, err := jobs.Job(ctx, jobID)
	if err != nil {
		return store.Job{}, err
	}
	if j.SubjectType != "plan" || j.SubjectID != planID {
		return store.Job{}, store.Errorf(store.ENotFound, "Plan %s has no job %q.", planID, jobID)
	}
	return j, nil
}

// jobView is a plan's job as viewer sees it: admins may cancel it while it runs.
func jobView(ctx context.Context, st planReader, jobs jobReader, planID, jobID string, now time.Time, viewer store.Actor) (plans.JobView, error) {
	j, err := planJob(ctx, jobs, planID, jobID)
	if err != nil {
		return plans.JobView{}, err
	}
	v := plans.JobView{PlanID: planID, ID: j.ID, Status: string(j.Status), Done: j.Done, Total: j.Total,
		Finished: j.Finished(), Failed: j.Status == store.JobFailed, Error: j.Error,
		Interrupted: j.Interrupted, Interruption: j.Interruption, Left: timeLeft(j, now),
		Cancelled: j.Cancelled(), Cancelling: j.CancelRequestedAt != nil && !j.Finished(), CancelledBy: j.CancelledBy}
	v.CanCancel = !v.Finished && !v.Cancelling && viewer.Is(store.RoleAdmin)
	v.Revoking = j.Kind == store.JobRevokeLicenses
	if j.Status == store.JobSucceeded {
		if v.Revoking {
			var res store.RevocationResult
			if err := json.Unmarshal(j.Result, &res); err != nil {
				return plans.JobView{}, fmt.Errorf("read result of job %s: %w", j.ID, err)
			}
			v.Revoked, v.NotLicensed, v.Duplicates = res.Revoked, res.NotLicensed, res.Duplicates
		} else {
			var res store.AssignmentResult
			if err := json.Unmarshal(j.Result, &res); err != nil {
				return plans.JobView{}, fmt.Errorf("read result of job %s: %w", j.ID, err)
			}
			v.Assigned, v.AlreadyLicensed, v.Duplicates = res.Assigned, res.AlreadyLicensed, res.Duplicates
			v.Enrolled, v.AlreadyEnrolled = res.Enrolled, res.AlreadyEnrolled
		}
		p, err := st.Plan(ctx, planID)
		if err != nil {
			return plans.JobView{}, err
		}
		v.Unassigned, v.Used = p.Counts.Unassigned, p.Counts.InUse()
	}
	return v, nil
}

// timeLeft estimates how long a running job still needs from its pace so
// far; zero when there is nothing to go by yet.
func timeLeft(j store.Job, now time.Time) time.Duration {
	if j.Finished() || j.StartedAt == nil || j.Done <= 0 || j.Total <= j.Done {
		return 0
	}
	elapsed := now.Sub(*j.StartedAt)
	if elapsed <= 0 {
		return 0
	}
	return time.Duration(float64(elapsed) * float64(j.Total-j.Done) / float64(j.Done))
}
