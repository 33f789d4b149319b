package handlers

import (
	"encoding/json"
	"time"

	"github.com/seatplan/seatplan/store"
)

// JobBody is a job as the API shows it. Status stays one of queued,
// running, succeeded, failed; State refines it with interrupted (queued
// again because the attempt running it stopped), and StatusText says it in
// words.
type JobBody struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	Status      store.JobStatus `json:"status"`
	State       string          `json:"state"`
	StatusText  string          `json:"status_text"`
	Interrupted bool            `json:"interrupted"`
	// Cancelled: someone cancelled the job (CancelledBy). A failed job
	// failed for that, changing nothing; a running one stops at its next step.
	Cancelled     bool       `json:"cancelled"`
	CancelledBy   string     `json:"cancelled_by,omitzero"`
	Attempt       int        `json:"attempt"` // 1 for the first run
	Interruptions int        `json:"interruptions"`
	Done          int64      `json:"done"`
	Total         int64      `json:"total"`
	Subject       JobSubject `json:"subject"`
	CreatedAt     time.Time  `json:"created_at"`
	StartedAt     *time.Time `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	// Result is null until the job succeeds; its shape is the kind's
	// (assignments: assigned, already_licensed, duplicates; imports:
	// created, deleted, op_id).
	Result json.RawMessage `json:"result"`
	// Error says why a failed job failed.
	Error  string `json:"error,omitzero"`
	Worker string `json:"worker,omitzero"`
	// Interruption and InterruptedAt say why and when an interrupted job stopped.
	Interruption  *string    `json:"interruption,omitzero"`
	InterruptedAt *time.Time `json:"interrupted_at,omitzero"`
}

// JobSubject is what a job works on: a plan or a course.
type JobSubject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func jobOut(j store.Job) JobBody {
	out := JobBody{ID: j.ID, Kind: j.Kind, Status: j.Status, State: jobState(j), StatusText: jobStatusText(j),
		Interrupted: j.Interrupted, Cancelled: j.CancelRequestedAt != nil, CancelledBy: j.CancelledBy, Attempt: j.Attempt + 1, Interruptions: j.Interruptions,
		Done: j.Done, Total: j.Total, Subject: JobSubject{Type: j.SubjectType, ID: j.SubjectID},
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
		Result: json.RawMessage("null"), Error: j.Error, Worker: j.Worker}
	if len(j.Result) > 0 {
		out.Result = j.Result
	}
	if j.Interrupted {
		out.Interruption, out.InterruptedAt = &j.Interruption, j.InterruptedAt
	}
	return out
}
