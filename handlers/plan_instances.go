package handlers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/activations"
	"github.com/seatplan/seatplan/views/paths"
)

type instanceLister interface {
	PlanInstances(ctx context.Context, planID, before string, limit int) (store.InstancePage, error)
}

// instancesPerPage keeps the plan page's list short; older ones are a click away.
const instancesPerPage = 25

// PlanInstancesPage answers GET /plans/{id}/instances: the plan's activated
// instances and when each last checked in. The plan page embeds the
// fragment with hx-get; without htmx it is a page of its own.
func PlanInstancesPage(st instanceLister) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		p, err := st.PlanInstances(r.Context(), id, r.URL.Query().Get("before"), instancesPerPage)
		if err != nil {
			Fail(w, r, err)
			return
		}
		planURL := paths.Plan(id)
		var list activations.InstancesView
		for _, i := range p.Instances {
			list.Rows = append(list.Rows, activations.Row{InstanceID: i.InstanceID, Email: i.Email, Status: string(i.Status),
				ActivatedAt: i.ActivatedAt, LastRefreshAt: i.LastRefreshAt, Revoked: i.Revoked})
		}
		if p.NextBefore != "" {
			list.NextURL = planURL + "/instances?before=" + url.QueryEscape(p.NextBefore)
		}
		full := activations.PageView{Base: basePage(r, "Instances of "+p.Plan.Name), PlanName: p.Plan.Name, PlanURL: planURL, Instances: list}
		page(w, r, http.StatusOK, activations.InstancesPage(full), activations.Instances(list))
	})
}
