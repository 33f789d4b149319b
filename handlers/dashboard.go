package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/audit"
	"github.com/seatplan/seatplan/views/dashboard"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
)

type dashboardReader interface {
	ReadOverview(ctx context.Context) (store.Overview, error)
	ListAudit(ctx context.Context, f store.AuditFilter) (store.AuditPage, error)
}

// Dashboard is the landing page after sign-in.
func Dashboard(st dashboardReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := st.ReadOverview(r.Context())
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := dashboard.DashboardView{Base: basePage(r, "Dashboard"), Greeting: "Welcome back, " + mustActor(r).Name}
		staff := mustActor(r).Is(store.RoleAdmin, store.RoleSupport)
		locks := dashboard.Card{Label: "Held locks", Value: layout.Number(o.HeldLocks), Hint: "bulk work in progress"}
		if staff {
			locks.Href = "/locks" // the locks page is theirs only
		}
		peopleCard := dashboard.Card{Label: "People", Value: layout.Number(o.People), Hint: "can sign in"}
		clientsCard := dashboard.Card{Label: "API clients", Value: layout.Number(o.APIClients), Hint: "OAuth client credentials"}
		if mustActor(r).Is(store.RoleAdmin) {
			peopleCard.Href, clientsCard.Href = "/people", "/clients" // admins manage them
		}
		v.Cards = []dashboard.Card{peopleCard, clientsCard, locks}
		// Staff see everyone's latest changes; authors see their own.
		f := store.AuditFilter{Limit: 8}
		if staff {
			v.Cards = append(v.Cards,
				dashboard.Card{Label: "Plans", Value: layout.Number(o.Plans), Hint: "subscription plans", Href: "/plans"},
				dashboard.Card{Label: "Seats in use", Value: layout.Number(o.SeatsUsed), Hint: "of " + layout.Plural(o.Seats, "seat", "seats"), Href: "/plans"})
		} else {
			me := mustActor(r)
			f.By = &me
			v.OwnActivity = true
		}
		recent, err := st.ListAudit(r.Context(), f)
		if err != nil {
			Fail(w, r, err)
			return
		}
		v.Recent = auditRows(recent.Entries)
		// A change to a course's blocks is one operation: it reads as a
		// change to the course, not to one of its blocks.
		for i, e := range recent.Entries {
			if d, ok := e.Detail.(map[string]any); ok && d["op_id"] != nil && d["course"] != nil {
				course := fmt.Sprint(d["course"])
				v.Recent[i].Subject, v.Recent[i].SubjectHref = "Course "+course, paths.Course(course)
			}
		}
		render(w, r, http.StatusOK, dashboard.DashboardPage(v))
	})
}

func auditRows(entries []store.AuditEntry) []audit.Row {
	rows := make([]audit.Row, len(entries))
	for i, e := range entries {
		rows[i] = audit.Row{At: e.At, Actor: e.Actor.Name, Action: e.Action, Summary: e.Summary}
		rows[i].Subject, rows[i].SubjectHref = auditSubject(e.SubjectType, e.SubjectID)
	}
	return rows
}

// auditSubject names what an entry touched in words, with the page about it
// when there is one; the id stays in the link, not in the text.
func auditSubject(kind, id string) (label, href string) {
	switch kind {
	case "plan":
		return "Plan", paths.Plan(id)
	case "course":
		return "Course " + id, paths.Course(id)
	case "person":
		return "Person", "/people"
	case "client":
		return "API client", "/clients"
	case "block":
		return "Block", ""
	case "job":
		return "Background job", ""
	case "license":
		return "License", ""
	case "lock":
		return lockLabel(id), ""
	case "":
		return "", ""
	}
	return strings.ToUpper(kind[:1]) + kind[1:], ""
}
