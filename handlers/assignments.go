package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
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
	FailAssignment(ctx context.Context, jobID string, reason string) error
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
		w.st.FailAssignment)
}

// readEmailList reads a list from a JSON body {"emails":[…]}, a text or CSV
// body, a form's pasted text, or a multipart upload, streaming the upload
// through the parser. Over the limits it fails with 413; binary input and
// broken CSV quoting fail with 422 and say what to fix.
func readEmailList(w http.ResponseWriter, r *http.Request, lim ListLimits) (emaillist.Emails, error) {
	el := lim.parser()
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var list emaillist.Emails
	var err error
	switch mediaType {
	case "application/json":
		var req struct {
			Emails []string `json:"emails"`
		}
		if err := decodeJSON(w, r, lim.MaxBytes, &req); err != nil {
			return list, err
		}
		list, err = emaillist.CheckEmails(req.Emails, el)
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBytes)
		list, err = readUploadForm(r, el)
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBytes)
		if err = r.ParseForm(); err == nil {
			list, err = emaillist.ParseEmails(strings.NewReader(r.PostForm.Get("emails")), emaillist.FormatAuto, el)
		}
	default:
		list, err = emaillist.ParseEmails(http.MaxBytesReader(w, r.Body, lim.MaxBytes), emaillist.DetectFormat("", mediaType), el)
	}
	return list, listError(err)
}

// readUploadForm takes the "file" part when a file was chosen, else the
// pasted "emails" text.
func readUploadForm(r *http.Request, el emaillist.Limits) (emaillist.Emails, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return emaillist.Emails{}, store.Errorf(store.EBadRequest, "The upload form could not be read: %v.", err)
	}
	var pasted emaillist.Emails
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return pasted, nil
		}
		if err != nil {
			return emaillist.Emails{}, err
		}
		switch {
		case part.FormName() == "file" && part.FileName() != "":
			return emaillist.ParseEmails(part, emaillist.DetectFormat(part.FileName(), part.Header.Get("Content-Type")), el)
		case part.FormName() == "emails":
			if pasted, err = emaillist.ParseEmails(part, emaillist.FormatAuto, el); err != nil {
				return emaillist.Emails{}, err
			}
		}
	}
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
// and where to poll the job.
func AssignLicensesAPI(st assigner, q JobQueue, lim ListLimits, ttl time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, err := readEmailList(w, r, lim)
		if err != nil {
			Fail(w, r, err)
			return
		}
		job, err := acceptAssignment(r, st, q, ttl, list)
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
		writeJSON(w, http.StatusAccepted, map[string]any{"job_id": job.ID, "status_url": "/api/v1/jobs/" + job.ID, "status": job.Status})
	})
}

type assignmentPages interface {
	planPages
	assigner
	jobReader
	PreviewAssignment(ctx context.Context, planID string, list emaillist.Emails) (store.AssignmentPreview, error)
}

// PreviewAssignmentPage reads an uploaded or pasted list and shows what
// assigning it would do; nothing changes yet.
func PreviewAssignmentPage(st assignmentPages, lim ListLimits, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		av := plans.AssignmentView{PlanID: id}
		status := http.StatusOK
		list, err := readEmailList(w, r, lim)
		if err == nil {
			var pv store.AssignmentPreview
			if pv, err = st.PreviewAssignment(r.Context(), id, list); err == nil {
				av.Preview = previewView(pv, list)
			}
		}
		if userFixable(err) {
			av.Error, status = err.Error(), statusOf(err)
		} else if err != nil {
			Fail(w, r, err)
			return
		}
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
	})
}

// userFixable tells a list the user must fix (invalid, too long, too few
// seats) from errors the page cannot help with.
func userFixable(err error) bool {
	switch store.ErrorCode(err) {
	case store.EInvalid, store.ETooLarge, store.EBadRequest:
		return true
	}
	return false
}

func previewView(pv store.AssignmentPreview, list emaillist.Emails) *plans.Preview {
	p := &plans.Preview{PlanID: pv.PlanID, New: pv.New, AlreadyLicensed: pv.AlreadyLicensed, Duplicates: pv.Duplicates,
		Needed: pv.Needed, Available: pv.Available, Acceptable: pv.Acceptable(), Addresses: strings.Join(list.Addresses, "\n")}
	for _, pr := range pv.Problems {
		p.Problems = append(p.Problems, plans.Problem{Line: pr.Line, Value: pr.Value, Reason: pr.Reason})
	}
	return p
}

// AssignLicensesPage is the preview's Confirm: it starts the job and shows
// its progress (htmx), or sends the browser to the plan page showing it.
// A held plan lock answers 409 with the "Blocked by another process" banner.
func AssignLicensesPage(st assignmentPages, q JobQueue, lim ListLimits, ttl time.Duration, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		list, err := readEmailList(w, r, lim)
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
		if userFixable(err) && isHTMX(r) {
			// A refused Confirm (too few seats by now, an empty list): back to
			// the upload form, saying why.
			render(w, r, statusOf(err), plans.Assignment(plans.AssignmentView{PlanID: id, Error: err.Error()}))
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		if !isHTMX(r) {
			http.Redirect(w, r, "/plans/"+id+"?job="+job.ID+"#assignment", http.StatusSeeOther)
			return
		}
		jv, err := jobView(r.Context(), st, st, id, job.ID, now())
		if err != nil {
			Fail(w, r, err)
			return
		}
		renderProgress(w, r, http.StatusAccepted, jv)
	})
}

// JobProgress is the fragment the progress bar polls.
func JobProgress(st assignmentPages, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jv, err := jobView(r.Context(), st, st, r.PathValue("id"), r.PathValue("job"), now())
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
func renderProgress(w http.ResponseWriter, r *http.Request, status int, jv plans.JobView) {
	if jv.Finished {
		w.Header().Set("HX-Redirect", "/plans/"+jv.PlanID+"?job="+jv.ID+"#assignment")
	}
	render(w, r, status, plans.Progress(jv))
}

type planReader interface {
	Plan(ctx context.Context, id string) (store.Plan, error)
}

func jobView(ctx context.Context, st planReader, jobs jobReader, planID, jobID string, now time.Time) (plans.JobView, error) {
	j, err := jobs.Job(ctx, jobID)
	if err != nil {
		return plans.JobView{}, err
	}
	if j.SubjectType != "plan" || j.SubjectID != planID {
		return plans.JobView{}, store.Errorf(store.ENotFound, "Plan %s has no job %q.", planID, jobID)
	}
	v := plans.JobView{PlanID: planID, ID: j.ID, Status: string(j.Status), Done: j.Done, Total: j.Total,
		Finished: j.Finished(), Failed: j.Status == store.JobFailed, Error: j.Error,
		Interrupted: j.Interrupted, Interruption: j.Interruption, Left: timeLeft(j, now)}
	if j.Status == store.JobSucceeded {
		var res store.AssignmentResult
		if err := json.Unmarshal(j.Result, &res); err != nil {
			return plans.JobView{}, fmt.Errorf("read result of job %s: %w", j.ID, err)
		}
		p, err := st.Plan(ctx, planID)
		if err != nil {
			return plans.JobView{}, err
		}
		v.Assigned, v.AlreadyLicensed, v.Duplicates = res.Assigned, res.AlreadyLicensed, res.Duplicates
		v.Enrolled, v.AlreadyEnrolled = res.Enrolled, res.AlreadyEnrolled
		v.Unassigned, v.Used = p.Counts.Unassigned, p.Counts.Assigned+p.Counts.Activated
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
