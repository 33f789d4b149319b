package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/paths"
)

// MaxUpload bounds an imported course tree, and an uploaded list unless
// configured otherwise; beyond it the answer is 413.
const MaxUpload = 16 << 20

// ImportCourseArgs is the River job that replaces a course's content.
type ImportCourseArgs struct {
	JobID   string `json:"job_id"`
	Attempt int    `json:"attempt,omitempty"` // see store.Job.Attempt
}

func (ImportCourseArgs) Kind() string { return store.JobImportCourse }

// InsertOpts: a few retries cover a lost connection; a tree that cannot be
// imported fails at once (see settle).
func (ImportCourseArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type courseImporter interface {
	ImportCourse(ctx context.Context, course string, root store.ImportBlock, by store.Actor, ttl time.Duration, enqueue store.Enqueue) (store.Job, error)
}

// ImportCourseAPI answers POST /api/v1/courses/{course}/import (a block tree
// whose root is the course block) with 202 and where to poll the job; 409
// while another process holds the course.
func ImportCourseAPI(st courseImporter, q JobQueue, ttl time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var root ImportNode
		if err := decodeJSON(w, r, MaxUpload, &root); err != nil {
			Fail(w, r, err)
			return
		}
		job, err := st.ImportCourse(r.Context(), r.PathValue("course"), root.block(), mustActor(r), ttl,
			enqueueIn(q, func(jobID string) river.JobArgs { return ImportCourseArgs{JobID: jobID} }))
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", paths.APIJob(job.ID))
		writeJSON(w, http.StatusAccepted, jobAccepted(job))
	})
}

type courseImportRunner interface {
	jobStarter
	CourseImportOf(ctx context.Context, jobID string) (store.CourseImport, error)
	RunCourseImport(ctx context.Context, imp store.CourseImport, lease store.Lock) (store.ImportResult, error)
	FailJob(ctx context.Context, id string, reason string) error
}

// ImportCourseWorker runs accepted imports under the course lease the request acquired.
type ImportCourseWorker struct {
	river.WorkerDefaults[ImportCourseArgs]
	st  courseImportRunner
	ttl time.Duration
}

// NewImportCourseWorker returns the worker; ttl is the course lease's lifetime between heartbeats.
func NewImportCourseWorker(st courseImportRunner, ttl time.Duration) *ImportCourseWorker {
	return &ImportCourseWorker{st: st, ttl: ttl}
}

func (w *ImportCourseWorker) Work(ctx context.Context, job *river.Job[ImportCourseArgs]) error {
	return runLeasedJob(ctx, w.st, job.JobRow, jobRef{job.Args.JobID, job.Args.Attempt}, w.ttl,
		func(ctx context.Context, id string) (store.CourseImport, store.Lock, error) {
			imp, err := w.st.CourseImportOf(ctx, id)
			return imp, imp.Lease, err
		},
		func(ctx context.Context, imp store.CourseImport, l store.Lock) error {
			_, err := w.st.RunCourseImport(ctx, imp, l)
			return err
		},
		w.st.FailJob)
}
