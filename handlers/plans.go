package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/csvsafe"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/paths"
	"github.com/seatplan/seatplan/views/plans"
)

type planPages interface {
	planKeeper
	lockWatcher
	CountPlans(ctx context.Context, q string) (int, error)
	CountLicenses(ctx context.Context, planID string, f store.LicenseFilter) (int, error)
	EachLicense(ctx context.Context, planID string, f store.LicenseFilter, fn func(store.License) error) error
}

// PlansPage lists plans with a name search and the create form.
func PlansPage(st planPages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPlans(w, r, st, http.StatusOK, plans.PlanForm{Seats: "10"})
	})
}

func renderPlans(w http.ResponseWriter, r *http.Request, st planPages, status int, form plans.PlanForm) {
	q := r.URL.Query()
	sort, err := store.ParsePlanSort(q.Get("sort"))
	if err != nil {
		Fail(w, r, err)
		return
	}
	desc := q.Get("dir") == "desc"
	f := store.PlanFilter{Q: q.Get("q"), After: q.Get("after"), Before: q.Get("before"), Sort: sort, Desc: desc, Limit: listPageSize}
	page, err := st.ListPlans(r.Context(), f)
	if err != nil {
		Fail(w, r, err)
		return
	}
	total, err := st.CountPlans(r.Context(), f.Q)
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := plans.PlansView{Base: basePage(r, "Plans"), Q: f.Q, Create: form, CanCreate: mustActor(r).Is(store.RoleAdmin)}
	for _, p := range page.Plans {
		v.Rows = append(v.Rows, plans.Row{ID: p.ID, Name: p.Name, Seats: p.Seats, Used: p.Counts.InUse(),
			StartsAt: p.StartsAt, ExpiresAt: p.ExpiresAt})
	}
	// The list's URL keeps its search and order; the pager adds cursors.
	filters := url.Values{}
	if f.Q != "" {
		filters.Set("q", f.Q)
	}
	if q.Get("sort") != "" || desc {
		v.Sort, v.Dir = string(sort), map[bool]string{false: "asc", true: "desc"}[desc]
		filters.Set("sort", v.Sort)
		filters.Set("dir", v.Dir)
	}
	v.Pager = rangePager("/plans", filters, pageFrom(q), len(v.Rows), total, page.NextAfter, page.PrevBefore)
	column := func(s store.PlanSort) plans.SortColumn {
		return sortColumn(paths.Plans, url.Values{"q": {f.Q}}, string(s), string(sort), desc)
	}
	v.SortName, v.SortSeats, v.SortExpires = column(store.PlanSortName), column(store.PlanSortSeats), column(store.PlanSortExpires)
	render(w, r, status, plans.PlansPage(v))
}

// sortColumn is the header of a column a list sorts by: its link sorts by
// col from the first page, keeping the list's search and filters (keep),
// and turns the order round when col is the sort already.
func sortColumn(link func(url.Values) string, keep url.Values, col, sort string, desc bool) plans.SortColumn {
	q := maps.Clone(keep)
	q.Set("sort", col)
	if col != sort {
		return plans.SortColumn{Href: link(q)}
	}
	order := "ascending"
	if desc {
		order = "descending"
	} else {
		q.Set("dir", "desc") // a second click turns the order round
	}
	return plans.SortColumn{Href: link(q), Order: order}
}

// licenseFilter reads the licenses table's search, status and order from
// a page's or an export's query.
func licenseFilter(q url.Values) (store.LicenseFilter, error) {
	f := store.LicenseFilter{Q: emailSearch(q.Get("q")), Desc: q.Get("dir") == "desc"}
	var err error
	if f.Status, err = store.ParseLicenseStatus(q.Get("status")); err != nil {
		return f, err
	}
	f.Sort, err = store.ParseLicenseSort(q.Get("sort"))
	return f, err
}

// parsePlanForm reads the create or edit form; blank dates are left unset.
// Its problems come by field, for the form to show beside each input.
func parsePlanForm(r *http.Request) (plans.PlanForm, store.PlanUpdate, layout.FieldErrors) {
	f := plans.PlanForm{Name: r.PostFormValue("name"), Seats: r.PostFormValue("seats"),
		StartsAt: r.PostFormValue("starts_at"), ExpiresAt: r.PostFormValue("expires_at")}
	u := store.PlanUpdate{Name: &f.Name}
	errs := layout.FieldErrors{}
	if seats, err := strconv.Atoi(strings.TrimSpace(f.Seats)); err != nil {
		errs["seats"] = fmt.Sprintf("Seats must be a whole number, not %q.", f.Seats)
	} else {
		u.Seats = &seats
	}
	for _, d := range []struct {
		value, field, label string
		into                **time.Time
	}{{f.StartsAt, "starts_at", "start", &u.StartsAt}, {f.ExpiresAt, "expires_at", "expiry", &u.ExpiresAt}} {
		if strings.TrimSpace(d.value) == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(d.value))
		if err != nil {
			errs[d.field] = fmt.Sprintf("The %s date %q is not a date like 2026-12-31.", d.label, d.value)
			continue
		}
		*d.into = &t
	}
	return f, u, errs
}

// planProblems are a refused plan's problems by field, from the store's
// own check; a problem it does not place goes with the name.
func planProblems(err error) layout.FieldErrors {
	errs := layout.FieldErrors{}
	if e, ok := errors.AsType[*store.Error](err); ok {
		if fields, ok := e.Detail.(store.FieldProblems); ok {
			for k, v := range fields {
				errs[k] = v
			}
		}
	}
	if len(errs) == 0 {
		errs["name"] = err.Error()
	}
	return errs
}

// CreatePlanPage handles the create form.
func CreatePlanPage(st planPages, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		f, u, problems := parsePlanForm(r)
		if len(problems) > 0 {
			f.Errors = problems
			renderPlans(w, r, st, http.StatusUnprocessableEntity, f)
			return
		}
		p, err := st.CreatePlan(r.Context(), store.NewPlan{Name: *u.Name, Seats: *u.Seats, StartsAt: u.StartsAt, ExpiresAt: u.ExpiresAt}, mustActor(r))
		if store.ErrorCode(err) == store.EInvalid {
			f.Errors = planProblems(err)
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
	admin := mustActor(r).Is(store.RoleAdmin) // support sees the plan and edits its terms
	ctx, id, q := r.Context(), r.PathValue("id"), r.URL.Query()
	p, err := st.Plan(ctx, id)
	if err != nil {
		return plans.PlanView{}, err
	}
	lf, err := licenseFilter(q)
	if err != nil {
		return plans.PlanView{}, err
	}
	lf.After, lf.Before, lf.Limit = q.Get("after"), q.Get("before"), listPageSize
	lic, err := st.ListLicenses(ctx, id, lf)
	if err != nil {
		return plans.PlanView{}, err
	}
	total, err := st.CountLicenses(ctx, id, lf)
	if err != nil {
		return plans.PlanView{}, err
	}
	v := plans.PlanView{Base: withCrumbs(basePage(r, p.Name), layout.Crumb{Label: p.Name}), ID: p.ID, Name: p.Name, Seats: p.Seats,
		StartsAt: p.StartsAt, ExpiresAt: p.ExpiresAt, TermsAt: p.TermsChangedAt, Usage: usage(p.Counts),
		Used: p.Counts.InUse(), Free: p.Counts.Unassigned,
		Edit: plans.PlanForm{Name: p.Name, Seats: strconv.Itoa(p.Seats), StartsAt: p.StartsAt.UTC().Format(time.DateOnly),
			ExpiresAt: p.ExpiresAt.UTC().Format(time.DateOnly)},
		Licenses:   plans.LicensesView{PlanID: id, Q: q.Get("q"), Status: q.Get("status"), CanRevoke: admin},
		Assignment: plans.AssignmentView{PlanID: id}, Revocation: plans.RevocationView{PlanID: id}, CanAssign: admin}
	for _, l := range lic.Licenses {
		v.Licenses.Rows = append(v.Licenses.Rows, plans.LicenseRow{Email: l.Email, Shown: emaillist.DisplayEmail(l.Email), Status: string(l.Status), ActivationKey: l.ActivationKey, AssignedAt: l.AssignedAt})
	}
	// The table's links keep its search, filter and order; the pager adds cursors.
	filters := url.Values{}
	for _, k := range []string{"q", "status"} {
		if q.Get(k) != "" {
			filters.Set(k, q.Get(k))
		}
	}
	keep := maps.Clone(filters)
	if q.Get("sort") != "" || lf.Desc {
		v.Licenses.Sort, v.Licenses.Dir = string(lf.Sort), map[bool]string{false: "asc", true: "desc"}[lf.Desc]
		filters.Set("sort", v.Licenses.Sort)
		filters.Set("dir", v.Licenses.Dir)
	}
	link := func(list url.Values) string { return paths.PlanLicenses(id, list) }
	v.Licenses.SortEmail = sortColumn(link, keep, string(store.LicenseSortEmail), string(lf.Sort), lf.Desc)
	v.Licenses.SortAssigned = sortColumn(link, keep, string(store.LicenseSortAssigned), string(lf.Sort), lf.Desc)
	v.Licenses.Pager = rangePager(paths.Plan(id), filters, pageFrom(q), len(v.Licenses.Rows), total, lic.NextCursor, lic.PrevCursor)
	if v.Base.Blocked, err = pageBanner(r, st, store.PlanLockName(id), now()); err != nil {
		return plans.PlanView{}, err
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
			jv, err := jobView(r.Context(), st, jobs, r.PathValue("id"), id, now(), mustActor(r))
			if err != nil {
				Fail(w, r, err)
				return
			}
			if jv.Revoking {
				v.Revocation.Job = &jv
			} else {
				v.Assignment.Job = &jv
			}
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
		f, u, problems := parsePlanForm(r)
		var p store.Plan
		var err error
		if len(problems) == 0 {
			p, err = st.UpdatePlan(r.Context(), r.PathValue("id"), u, mustActor(r))
			if store.ErrorCode(err) == store.EInvalid {
				problems = planProblems(err)
			}
		}
		if len(problems) > 0 {
			v, verr := planPage(r, st, now)
			if verr != nil {
				Fail(w, r, verr)
				return
			}
			f.Errors = problems
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
		freed := "their seats are free."
		if n == 1 {
			freed = "its seat is free."
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Revoked "+layout.Plural(n, "license", "licenses")+"; "+freed, paths.Plan(r.PathValue("id")))
	})
}

// LicensesCSV exports the licenses the plan page lists with the same
// search, status filter and order, streamed, in a file named after the plan.
func LicensesCSV(st planPages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, q := r.PathValue("id"), r.URL.Query()
		p, err := st.Plan(r.Context(), id)
		if err != nil {
			Fail(w, r, err)
			return
		}
		f, err := licenseFilter(q)
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+fileSlug(p.Name)+`-licenses.csv"`)
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "email", "status", "activation_key", "assigned_at", "revoked_at"})
		err = st.EachLicense(r.Context(), id, f, func(l store.License) error {
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

// fileSlug makes a name safe as a download's file name: lower-case ASCII
// letters and digits joined by hyphens ("Globex Corp." → "globex-corp").
func fileSlug(name string) string {
	var b strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			hyphen = false
		default:
			hyphen = true
		}
	}
	if b.Len() == 0 {
		return "plan"
	}
	return b.String()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
