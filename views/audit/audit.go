// Package audit renders the audit log: the filterable page and the results
// fragment htmx swaps in as the filters change.
package audit

import (
	"time"

	"github.com/seatplan/seatplan/views/layout"
)

// Row is one audit entry as lists show it (the audit page and the dashboard).
type Row struct {
	At                              time.Time
	Actor, Action, Subject, Summary string
}

// PageView is the audit page: the current filters, the choices for the
// action filter, one page of rows, and links to its neighbours.
type PageView struct {
	Base      layout.Base
	Q, Action string
	Actions   []string
	Rows      []Row
	Pager     layout.Pager
}

func (v PageView) filtered() bool { return v.Q != "" || v.Action != "" }
