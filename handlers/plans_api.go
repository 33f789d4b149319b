package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/store"
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

func planJSON(p store.Plan) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "seats": p.Seats, "starts_at": p.StartsAt, "expires_at": p.ExpiresAt,
		"terms_changed_at": p.TermsChangedAt, "created_at": p.CreatedAt, "updated_at": p.UpdatedAt, "counts": p.Counts}
}

func licenseJSON(l store.License) map[string]any {
	return map[string]any{"id": l.ID, "email": nilIfEmpty(l.Email), "status": l.Status, "activation_key": nilIfEmpty(l.ActivationKey),
		"assigned_at": l.AssignedAt, "revoked_at": l.RevokedAt, "changed_at": l.ChangedAt}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
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
		items := make([]map[string]any, len(page.Plans))
		for i, p := range page.Plans {
			items[i] = planJSON(p)
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": nilIfEmpty(page.NextAfter)})
	})
}

// planRequest is the body of POST and PATCH; pointer fields tell "not
// sent" from "empty".
type planRequest struct {
	Name                *string    `json:"name"`
	Seats               *int       `json:"seats"`
	StartsAt            *time.Time `json:"starts_at"`
	ExpiresAt           *time.Time `json:"expires_at"`
	InstancesPerLicense *int       `json:"instances_per_license"`
}

// validInstances refuses an out-of-range instances per license before any
// other change of the request is made.
func (req planRequest) validInstances() error {
	if n := req.InstancesPerLicense; n != nil && (*n < 1 || *n > store.MaxInstancesPerLicense) {
		return &store.Error{Code: store.EInvalid, Kind: "invalid_plan", Message: fmt.Sprintf("Instances per license must be between 1 and %d.", store.MaxInstancesPerLicense),
			Fields: map[string]any{"fields": map[string]string{"instances_per_license": "out of range"}}}
	}
	return nil
}

// onePlanJSON is a plan answered on its own, with how many instances each
// of its licenses may be active on (a list leaves that out, to stay one
// read per page).
func onePlanJSON(ctx context.Context, st planKeeper, p store.Plan) (map[string]any, error) {
	n, err := st.InstancesPerLicense(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	body := planJSON(p)
	body["instances_per_license"] = n
	return body, nil
}

// answerPlan writes the plan, after setting its instances per license when
// the request asked to.
func answerPlan(w http.ResponseWriter, r *http.Request, st planKeeper, status int, p store.Plan, req planRequest) {
	if req.InstancesPerLicense != nil {
		if err := st.SetInstancesPerLicense(r.Context(), p.ID, *req.InstancesPerLicense, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
	}
	body, err := onePlanJSON(r.Context(), st, p)
	if err != nil {
		Fail(w, r, err)
		return
	}
	writeJSON(w, status, body)
}

// CreatePlanAPI answers POST /api/v1/plans with 201 and the plan.
func CreatePlanAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req planRequest
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
		w.Header().Set("Location", "/api/v1/plans/"+p.ID)
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
		answerPlan(w, r, st, http.StatusOK, p, planRequest{})
	})
}

// UpdatePlanAPI answers PATCH /api/v1/plans/{id}.
func UpdatePlanAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req planRequest
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

// ListLicensesAPI answers GET /api/v1/plans/{id}/licenses?status=&q=&cursor=.
func ListLicensesAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, err := st.ListLicenses(r.Context(), r.PathValue("id"), store.LicenseFilter{
			Status: store.LicenseStatus(q.Get("status")), Q: q.Get("q"), After: q.Get("cursor"), Limit: 100})
		if err != nil {
			Fail(w, r, err)
			return
		}
		items := make([]map[string]any, len(page.Licenses))
		for i, l := range page.Licenses {
			items[i] = licenseJSON(l)
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": nilIfEmpty(page.NextCursor)})
	})
}

// RevokeLicensesAPI answers POST /api/v1/plans/{id}/revocations {"emails"}.
func RevokeLicensesAPI(st planKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Emails []string `json:"emails"`
		}
		if err := decodeJSON(w, r, MaxJSONBody, &req); err != nil {
			Fail(w, r, err)
			return
		}
		n, err := st.RevokeLicenses(r.Context(), r.PathValue("id"), req.Emails, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	})
}
