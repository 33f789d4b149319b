package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/activations"
	"github.com/seatplan/seatplan/views/paths"
)

type instanceLister interface {
	PlanInstances(ctx context.Context, planID, before string, limit int) (store.InstancePage, error)
	InstancesPerLicense(ctx context.Context, planID string) (int, error)
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
		perLicense, err := st.InstancesPerLicense(r.Context(), id)
		if err != nil {
			Fail(w, r, err)
			return
		}
		planURL := paths.Plan(id)
		a, _ := ActorFrom(r.Context())
		list := activations.InstancesView{PerLicense: perLicense, LimitURL: paths.PlanInstances(id) + "/limit"}
		if a.Is(store.RoleAdmin) {
			list.CanManage = true
		}
		for _, i := range p.Instances {
			row := activations.Row{InstanceID: i.InstanceID, Email: emaillist.DisplayEmail(i.Email), Status: string(i.Status),
				ActivatedAt: i.ActivatedAt, LastRefreshAt: i.LastRefreshAt, Revoked: i.Revoked}
			if !i.Revoked {
				row.DeactivateURL = paths.InstanceDeactivate(id, i.ActivationID)
			}
			list.Rows = append(list.Rows, row)
		}
		if p.NextBefore != "" {
			list.NextURL = planURL + "/instances?before=" + url.QueryEscape(p.NextBefore)
		}
		full := activations.PageView{Base: basePage(r, "Instances of "+p.Plan.Name), PlanName: p.Plan.Name, PlanURL: planURL, Instances: list}
		page(w, r, http.StatusOK, activations.InstancesPage(full), activations.Instances(list))
	})
}

type instanceManager interface {
	DeactivateInstance(ctx context.Context, planID, activationID string, by store.Actor) error
	SetInstancesPerLicense(ctx context.Context, planID string, n int, by store.Actor) error
}

// DeactivateInstance answers POST /plans/{id}/instances/{activation}/deactivate:
// the instance's secret stops working and its license may be activated
// elsewhere.
func DeactivateInstance(st instanceManager, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := st.DeactivateInstance(r.Context(), id, r.PathValue("activation"), mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, "success", "The instance was deactivated; its license can be activated on another instance.", paths.PlanInstances(id))
	})
}

// SetInstancesPerLicense answers POST /plans/{id}/instances/limit.
func SetInstancesPerLicense(st instanceManager, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		id := r.PathValue("id")
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("instances_per_license")))
		if err != nil {
			Fail(w, r, store.Errorf(store.EInvalid, "Instances per license must be a whole number."))
			return
		}
		if err := st.SetInstancesPerLicense(r.Context(), id, n, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, "success", fmt.Sprintf("Each license of this plan may now be active on %d instance(s) at once.", n), paths.PlanInstances(id))
	})
}
