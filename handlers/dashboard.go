package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/audit"
	"github.com/seatplan/seatplan/views/dashboard"
)

type dashboardReader interface {
	ReadOverview(ctx context.Context) (store.Overview, error)
	ListAudit(ctx context.Context, f store.AuditFilter) (store.AuditPage, error)
}

// DashboardPage is the landing page after sign-in.
func DashboardPage(st dashboardReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := st.ReadOverview(r.Context())
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := dashboard.DashboardView{Base: basePage(r, "Dashboard"), Greeting: "Welcome back, " + mustActor(r).Name}
		staff := mustActor(r).Is(store.RoleAdmin, store.RoleSupport)
		locks := dashboard.Card{Label: "Held locks", Value: strconv.Itoa(o.HeldLocks), Hint: "bulk work in progress"}
		if staff {
			locks.Href = "/locks" // the locks page is theirs only
		}
		v.Cards = []dashboard.Card{
			{Label: "People", Value: strconv.Itoa(o.People), Hint: "can sign in"},
			{Label: "API clients", Value: strconv.Itoa(o.APIClients), Hint: "OAuth client credentials"},
			locks,
		}
		if staff {
			v.Cards = append(v.Cards,
				dashboard.Card{Label: "Plans", Value: strconv.Itoa(o.Plans), Hint: "subscription plans", Href: "/plans"},
				dashboard.Card{Label: "Seats in use", Value: strconv.Itoa(o.SeatsUsed), Hint: "of " + strconv.Itoa(o.Seats) + " seats", Href: "/plans"})
			recent, err := st.ListAudit(r.Context(), store.AuditFilter{Limit: 8})
			if err != nil {
				Fail(w, r, err)
				return
			}
			v.Recent = auditRows(recent.Entries)
			// A change to a course's blocks is one operation: it reads as
			// a change to the course, not to one of its blocks.
			for i, e := range recent.Entries {
				if d, ok := e.Detail.(map[string]any); ok && d["op_id"] != nil && d["course"] != nil {
					v.Recent[i].Subject = fmt.Sprint(d["course"])
				}
			}
		}
		render(w, r, http.StatusOK, dashboard.DashboardPage(v))
	})
}

func auditRows(entries []store.AuditEntry) []audit.Row {
	rows := make([]audit.Row, len(entries))
	for i, e := range entries {
		rows[i] = audit.Row{At: e.At, Actor: e.Actor.Name, Action: e.Action, Subject: e.SubjectID, Summary: e.Summary}
	}
	return rows
}
