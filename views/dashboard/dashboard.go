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
	Recent   []audit.Row // empty for people who may not read the audit log
}

// Card is one headline number; with an Href the whole card links to its page.
type Card struct {
	Label, Value, Hint, Href string
}
