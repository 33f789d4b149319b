package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/paths"
)

type planKeeper interface {
	CreatePlan(ctx context.Context, np store.NewPlan, by store.Actor) (store.Plan, error)
	UpdatePlan(ctx context.Context, id string, u store.PlanUpdate, by store.Actor) (store.Plan, error)
	Plan(ctx context.Context, id string) (store.Plan, error)
	ListPlans(ctx context.Context, f store.PlanFilter) (store.PlanPage, error)
	InstancesPerLicense(ctx context.Context, planID string) (int, error)
	SetInstancesPerLicense(ctx context.Context, planID string, n int, by store.Actor) error
	ListLicenses(ctx context.Context, planID string, f store.LicenseFilter) (store.LicensePage, error)
	RevokeLicenses(ctx context.Context, planID string, emails []string, by store.Actor) (int, error)
}

// ListPlansAPI answers GET /api/v1/plans?q=&cursor=.
func ListPlansAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, err := st.ListPlans(r.Context(), store.PlanFilter{Q: q.Get("q"), After: q.Get("cursor")})
		if err != nil {
			Fail(w, r, err)
			return
		}
		out := PlanList{Items: make([]Plan, len(page.Plans)), NextCursor: optional(page.NextAfter)}
		for i, p := range page.Plans {
			out.Items[i] = planOut(p)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// validInstances refuses an out-of-range instances per license before any
// other change of the request is made.
func (req PlanRequest) validInstances() error {
	if n := req.InstancesPerLicense; n != nil && (*n < 1 || *n > store.MaxInstancesPerLicense) {
		return &store.Error{Code: store.EInvalid, Reason: store.ReasonInvalidPlan,
			Message: fmt.Sprintf("Instances per license must be between 1 and %d.", store.MaxInstancesPerLicense),
			Detail:  store.FieldProblems{"instances_per_license": "out of range"}}
	}
	return nil
}

// answerPlan writes the plan, after setting its instances per license when
// the request asked to. A plan answered on its own says how many instances
// each of its licenses may be active on (a list leaves that out, to stay one
// read per page).
func answerPlan(w http.ResponseWriter, r *http.Request, st planKeeper, status int, p store.Plan, req PlanRequest) {
	if req.InstancesPerLicense != nil {
		if err := st.SetInstancesPerLicense(r.Context(), p.ID, *req.InstancesPerLicense, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
	}
	n, err := st.InstancesPerLicense(r.Context(), p.ID)
	if err != nil {
		Fail(w, r, err)
		return
	}
	out := planOut(p)
	out.InstancesPerLicense = &n
	writeJSON(w, status, out)
}

// CreatePlanAPI answers POST /api/v1/plans with 201 and the plan.
func CreatePlanAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req PlanRequest
		if err := decodeJSON(w, r, MaxJSONBody, &req); err != nil {
			Fail(w, r, err)
			return
		}
		if err := req.validInstances(); err != nil {
			Fail(w, r, err)
			return
		}
		np := store.NewPlan{StartsAt: req.StartsAt, ExpiresAt: req.ExpiresAt}
		if req.Name != nil {
			np.Name = *req.Name
		}
		if req.Seats != nil {
			np.Seats = *req.Seats
		}
		p, err := st.CreatePlan(r.Context(), np, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Location", paths.APIPlan(p.ID))
		answerPlan(w, r, st, http.StatusCreated, p, req)
	})
}

// PlanAPI answers GET /api/v1/plans/{id}.
func PlanAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := st.Plan(r.Context(), r.PathValue("id"))
		if err != nil {
			Fail(w, r, err)
			return
		}
		answerPlan(w, r, st, http.StatusOK, p, PlanRequest{})
	})
}

// UpdatePlanAPI answers PATCH /api/v1/plans/{id}.
func UpdatePlanAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req PlanRequest
		if err := decodeJSON(w, r, MaxJSONBody, &req); err != nil {
			Fail(w, r, err)
			return
		}
		if err := req.validInstances(); err != nil {
			Fail(w, r, err)
			return
		}
		if req.InstancesPerLicense != nil && !mustActor(r).Is(store.RoleAdmin) {
			Fail(w, r, store.Errorf(store.EForbidden, "Only admins change how many instances a license may be active on."))
			return
		}
		p, err := st.UpdatePlan(r.Context(), r.PathValue("id"),
			store.PlanUpdate{Name: req.Name, Seats: req.Seats, StartsAt: req.StartsAt, ExpiresAt: req.ExpiresAt}, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		answerPlan(w, r, st, http.StatusOK, p, req)
	})
}

// ListLicensesAPI answers GET /api/v1/plans/{id}/licenses?status=&q=&sort=&dir=&cursor=.
func ListLicensesAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f, err := licenseFilter(q)
		if err != nil {
			Fail(w, r, err)
			return
		}
		f.After, f.Limit = q.Get("cursor"), 100
		page, err := st.ListLicenses(r.Context(), r.PathValue("id"), f)
		if err != nil {
			Fail(w, r, err)
			return
		}
		out := LicenseList{Items: make([]License, len(page.Licenses)), NextCursor: optional(page.NextCursor)}
		for i, l := range page.Licenses {
			out.Items[i] = licenseOut(l)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// RevokeLicensesAPI answers POST /api/v1/plans/{id}/revocations {"emails"}.
func RevokeLicensesAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req RevocationRequest
		if err := decodeJSON(w, r, MaxJSONBody, &req); err != nil {
			Fail(w, r, err)
			return
		}
		n, err := st.RevokeLicenses(r.Context(), r.PathValue("id"), req.Emails, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Revocations{Revoked: n})
	})
}
