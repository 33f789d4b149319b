// Package dashboard renders the landing page after sign-in: headline numbers
// and the latest activity.
package dashboard

import (
	"github.com/seatplan/seatplan/views/audit"
	"github.com/seatplan/seatplan/views/layout"
)

type DashboardView struct {
	Base     layout.Base
	Greeting string
	Cards    []Card
	Recent   []audit.Row
	// OwnActivity: Recent is the viewer's own changes only (authors, who do
	// not read the whole audit log).
	OwnActivity bool
}

// Card is one headline number; with an Href the whole card links to its page.
type Card struct {
	Label, Value, Hint, Href string
}
