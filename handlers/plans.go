package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/csvsafe"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
	"github.com/seatplan/seatplan/views/plans"
)

type planPages interface {
	planKeeper
	HeldLock(ctx context.Context, name string) (store.Lock, bool, error)
	EachLicense(ctx context.Context, planID string, fn func(store.License) error) error
}

// PlansPage lists plans with a name search and the create form.
func PlansPage(st planPages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPlans(w, r, st, http.StatusOK, plans.PlanForm{Seats: "10"})
	})
}

func renderPlans(w http.ResponseWriter, r *http.Request, st planPages, status int, form plans.PlanForm) {
	q := r.URL.Query()
	page, err := st.ListPlans(r.Context(), store.PlanFilter{Q: q.Get("q"), After: q.Get("after")})
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := plans.ListView{Base: basePage(r, "Plans"), Q: q.Get("q"), Create: form, CanCreate: mustActor(r).Is(store.RoleAdmin)}
	for _, p := range page.Plans {
		v.Rows = append(v.Rows, plans.Row{ID: p.ID, Name: p.Name, Seats: p.Seats, Used: p.Counts.Assigned + p.Counts.Activated,
			StartsAt: p.StartsAt, ExpiresAt: p.ExpiresAt})
	}
	if page.NextAfter != "" {
		v.Pager.NextURL = "/plans?" + url.Values{"q": {v.Q}, "after": {page.NextAfter}}.Encode()
	}
	render(w, r, status, plans.PlansPage(v))
}

// parsePlanForm reads the create or edit form; blank dates are left unset.
func parsePlanForm(r *http.Request) (plans.PlanForm, store.PlanUpdate, error) {
	f := plans.PlanForm{Name: r.PostFormValue("name"), Seats: r.PostFormValue("seats"),
		StartsAt: r.PostFormValue("starts_at"), ExpiresAt: r.PostFormValue("expires_at")}
	u := store.PlanUpdate{Name: &f.Name}
	seats, err := strconv.Atoi(strings.TrimSpace(f.Seats))
	if err != nil {
		return f, u, store.Errorf(store.EInvalid, "Seats must be a whole number, not %q.", f.Seats)
	}
	u.Seats = &seats
	for _, d := range []struct {
		value, label string
		into         **time.Time
	}{{f.StartsAt, "start", &u.StartsAt}, {f.ExpiresAt, "expiry", &u.ExpiresAt}} {
		if strings.TrimSpace(d.value) == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(d.value))
		if err != nil {
			return f, u, store.Errorf(store.EInvalid, "The %s date %q is not a date like 2026-12-31.", d.label, d.value)
		}
		*d.into = &t
	}
	return f, u, nil
}

// CreatePlanPage handles the create form.
func CreatePlanPage(st planPages, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		f, u, err := parsePlanForm(r)
		var p store.Plan
		if err == nil {
			p, err = st.CreatePlan(r.Context(), store.NewPlan{Name: *u.Name, Seats: *u.Seats, StartsAt: u.StartsAt, ExpiresAt: u.ExpiresAt}, mustActor(r))
		}
		if store.ErrorCode(err) == store.EInvalid {
			f.Error = err.Error()
			renderPlans(w, r, st, http.StatusUnprocessableEntity, f)
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Created plan "+p.Name+".", paths.Plan(p.ID))
	})
}

// planPage builds a plan's page; the caller fills in what its request changed.
func planPage(r *http.Request, st planPages, now func() time.Time) (plans.PlanView, error) {
	ctx, id, q := r.Context(), r.PathValue("id"), r.URL.Query()
	admin := mustActor(r).Is(store.RoleAdmin) // support sees the plan and edits its terms
	p, err := st.Plan(ctx, id)
	if err != nil {
		return plans.PlanView{}, err
	}
	lic, err := st.ListLicenses(ctx, id, store.LicenseFilter{Status: store.LicenseStatus(q.Get("status")), ExcludeUnassigned: true, Q: q.Get("q"), After: q.Get("after")})
	if err != nil {
		return plans.PlanView{}, err
	}
	v := plans.PlanView{Base: basePage(r, p.Name), ID: p.ID, Name: p.Name, Seats: p.Seats,
		StartsAt: p.StartsAt, ExpiresAt: p.ExpiresAt, TermsAt: p.TermsChangedAt, Usage: usage(p.Counts),
		Edit: plans.PlanForm{Name: p.Name, Seats: strconv.Itoa(p.Seats), StartsAt: p.StartsAt.UTC().Format(time.DateOnly),
			ExpiresAt: p.ExpiresAt.UTC().Format(time.DateOnly)},
		Licenses:   plans.LicensesView{PlanID: id, Q: q.Get("q"), Status: q.Get("status"), CanRevoke: admin},
		Assignment: plans.AssignmentView{PlanID: id}, CanAssign: admin}
	for _, l := range lic.Licenses {
		v.Licenses.Rows = append(v.Licenses.Rows, plans.LicenseRow{Email: l.Email, Status: string(l.Status), ActivationKey: l.ActivationKey, AssignedAt: l.AssignedAt})
	}
	if lic.NextCursor != "" {
		v.Licenses.NextURL = paths.Plan(id) + "?" + url.Values{"q": {v.Licenses.Q}, "status": {v.Licenses.Status}, "after": {lic.NextCursor}}.Encode()
	}
	held, ok, err := st.HeldLock(ctx, store.PlanLockName(id))
	if err != nil {
		return plans.PlanView{}, err
	}
	if ok {
		v.Base.Blocked = heldBanner(r, held, now())
	}
	return v, nil
}

// usage turns counts into the segments of the utilization bar.
func usage(c store.LicenseCounts) []plans.Segment {
	segs := []plans.Segment{
		{Status: "unassigned", Label: "unassigned", Count: c.Unassigned},
		{Status: "assigned", Label: "assigned", Count: c.Assigned},
		{Status: "activated", Label: "activated", Count: c.Activated},
		{Status: "revoked", Label: "revoked", Count: c.Revoked},
	}
	total := c.Unassigned + c.Assigned + c.Activated + c.Revoked
	offset := 0.0
	for i := range segs {
		if total > 0 {
			segs[i].Width = 100 * float64(segs[i].Count) / float64(total)
		}
		segs[i].Offset = offset
		offset += segs[i].Width
	}
	return segs
}

// PlanPage shows one plan; ?job= shows that job's progress in the upload area.
func PlanPage(st planPages, jobs jobReader, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := planPage(r, st, now)
		if err != nil {
			Fail(w, r, err)
			return
		}
		if id := r.URL.Query().Get("job"); id != "" {
			jv, err := jobView(r.Context(), st, jobs, r.PathValue("id"), id)
			if err != nil {
				Fail(w, r, err)
				return
			}
			v.Assignment.Job = &jv
		}
		page(w, r, http.StatusOK, plans.PlanPage(v), nil)
	})
}

// UpdatePlanPage handles the edit form.
func UpdatePlanPage(st planPages, sessions SessionManager, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		f, u, err := parsePlanForm(r)
		var p store.Plan
		if err == nil {
			p, err = st.UpdatePlan(r.Context(), r.PathValue("id"), u, mustActor(r))
		}
		if store.ErrorCode(err) == store.EInvalid {
			v, verr := planPage(r, st, now)
			if verr != nil {
				Fail(w, r, verr)
				return
			}
			f.Error = err.Error()
			v.Edit = f
			render(w, r, http.StatusUnprocessableEntity, plans.PlanPage(v))
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Saved plan "+p.Name+".", paths.Plan(p.ID))
	})
}

// RevokeLicensesPage revokes the checked licenses, or the one whose Revoke button was pressed.
func RevokeLicensesPage(st planPages, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		emails := r.PostForm["email"]
		if only := r.PostForm.Get("only"); only != "" {
			emails = []string{only}
		}
		if len(emails) == 0 {
			flashAndRedirect(w, r, sessions, layout.FlashError, "Nothing was revoked: tick the licenses to revoke first.", paths.Plan(r.PathValue("id")))
			return
		}
		n, err := st.RevokeLicenses(r.Context(), r.PathValue("id"), emails, mustActor(r))
		if err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, fmt.Sprintf("Revoked %d licenses.", n), paths.Plan(r.PathValue("id")))
	})
}

// LicensesCSV exports every license of a plan, streamed.
func LicensesCSV(st planPages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := st.Plan(r.Context(), id); err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="licenses-`+id+`.csv"`)
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "email", "status", "activation_key", "assigned_at", "revoked_at"})
		err := st.EachLicense(r.Context(), id, func(l store.License) error {
			return cw.Write([]string{strconv.FormatInt(l.ID, 10), csvsafe.Cell(l.Email), string(l.Status), l.ActivationKey, csvTime(l.AssignedAt), csvTime(l.RevokedAt)})
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			// The header is out; the download ends short and the log says why.
			loggerFrom(r.Context()).Error("export licenses", "plan", id, "err", err)
		}
	})
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
