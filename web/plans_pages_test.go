package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/storetest"
)

// previewList previews a pasted list on the plan page and returns the
// preview's id, which a confirm names.
func previewList(t *testing.T, b *bundle, c *http.Client, planID, text string) string {
	t.Helper()
	form := []byte(url.Values{"emails": {text}}.Encode())
	d := doc(t, post(t, c, b.srv.URL+"/plans/"+planID+"/assignments/preview", "application/x-www-form-urlencoded", form, "HX-Request", "true"))
	id, ok := d.Find(`[data-testid="preview"]`).Attr("data-preview-id")
	if !ok || id == "" {
		t.Fatalf("no preview: %s", d.Text())
	}
	return id
}

func upload(t *testing.T, filename, content string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte(content))
	mw.WriteField("emails", "")
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestPlanPage_UploadPreviewConfirmAndProgress(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	id := b.createPlan(t, 3)

	ct, body := upload(t, "list.csv", "email,name\r\n\"a@example.com\",A\r\nB@example.com,B\r\nb@example.com,B\r\nnot-an-email,X\r\n")
	resp := post(t, c, b.srv.URL+"/plans/"+id+"/assignments/preview", ct, body, "HX-Request", "true")
	d := doc(t, resp)
	if resp.StatusCode != 200 || d.Find(`[data-testid="preview-new"]`).Text() != "2" || d.Find(`[data-testid="preview-duplicates"]`).Text() != "1" {
		t.Fatalf("preview: %d %s", resp.StatusCode, d.Text())
	}
	if got := d.Find(`[data-testid="preview-problem"] td`).First().Text(); got != "5" {
		t.Errorf("invalid line shown as %q, want 5", got)
	}
	if d.Find(`[data-testid="confirm-assignment"]`).Length() != 0 {
		t.Error("a list with invalid lines can be confirmed")
	}

	// A clean list previews, then Confirm starts the job and the fragment polls it.
	preview := previewList(t, b, c, id, "a@example.com\nb@example.com\n")
	resp = post(t, c, b.srv.URL+"/plans/"+id+"/assignments", "application/x-www-form-urlencoded",
		[]byte(url.Values{"preview": {preview}}.Encode()), "HX-Request", "true")
	d = doc(t, resp)
	poll, _ := d.Find(`[data-testid="job-status"]`).Attr("hx-get")
	if resp.StatusCode != http.StatusAccepted || d.Find("progress").Length() != 1 {
		t.Fatalf("confirm: %d %s", resp.StatusCode, d.Text())
	}
	storetest.WaitWithin(t, 20*time.Second, "the progress fragment says succeeded", func() bool {
		if poll == "" {
			return true
		}
		d = doc(t, get(t, c, b.srv.URL+poll, "HX-Request", "true"))
		status, _ := d.Find(`[data-testid="job-progress"]`).Attr("data-status")
		return status == "succeeded"
	})
	if v, _ := d.Find("progress").Attr("value"); v != "100" || d.Find(`[data-testid="job-used"]`).Text() != "2" {
		t.Fatalf("finished fragment: progress %q, %s", v, d.Text())
	}

	page := doc(t, get(t, c, b.srv.URL+"/plans/"+id+"?status=assigned"))
	if n := page.Find(`[data-testid="license-row"]`).Length(); n != 2 {
		t.Errorf("licenses table has %d assigned rows, want 2", n)
	}
	if page.Find(`[data-testid="usage-assigned"] .legend-value`).Text() != "2" || page.Find(`svg rect`).Length() != 2 {
		t.Errorf("utilization: %s", page.Find(`[data-testid="usage"]`).Text())
	}
	// The export is what the page shows: held licenses (no blank free
	// seats), narrowed by the same search, in a file named after the plan.
	export := func(query string) (string, string) {
		resp := get(t, c, b.srv.URL+"/plans/"+id+"/licenses.csv"+query)
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		return out.String(), resp.Header.Get("Content-Disposition")
	}
	all, disposition := export("")
	if !strings.Contains(all, "a@example.com,assigned,") || strings.Count(all, "\n") != 3 {
		t.Errorf("csv export:\n%s", all)
	}
	if !strings.Contains(disposition, `-licenses.csv"`) || strings.Contains(disposition, id) {
		t.Errorf("the export is named %q, want the plan's name", disposition)
	}
	if csvURL, _ := page.Find(`[data-testid="licenses-csv"]`).Attr("href"); csvURL != "/plans/"+id+"/licenses.csv?status=assigned" {
		t.Errorf("the export link of a filtered page is %q", csvURL)
	}
	if one, _ := export("?q=B"); strings.Count(one, "\n") != 2 || !strings.Contains(one, "b@example.com") {
		t.Errorf("csv export of the search q=B:\n%s", one)
	}
	if free, _ := export("?status=unassigned"); strings.Count(free, "\n") != 1 {
		t.Errorf("csv export of the free seats, which have no rows:\n%s", free)
	}
	if desc, _ := export("?sort=email&dir=desc"); !regexp.MustCompile(`(?s)^id,.*\n\d+,b@example\.com,.*\n\d+,a@example\.com,`).MatchString(desc) {
		t.Errorf("csv export by email, Z to A:\n%s", desc)
	}
}

func TestPlanPage_HeldLockShowsTheBannerAndRefusesTheSubmit(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	id := b.createPlan(t, 3)
	holder := store.Actor{Kind: store.ActorClient, ID: "crm", Name: "CRM sync"}
	form := []byte(url.Values{"preview": {previewList(t, b, c, id, "a@example.com")}}.Encode())
	if _, err := b.store.AcquireLock(context.Background(), store.PlanLockName(id), holder, "assign 900 licenses", time.Minute); err != nil {
		t.Fatal(err)
	}
	d := doc(t, get(t, c, b.srv.URL+"/plans/"+id))
	if d.Find(`[data-testid="blocked-banner"] [data-testid="lock-holder"]`).Text() != "CRM sync" ||
		d.Find(`[data-testid="blocked-banner"] h2`).Text() != "Blocked by another process" ||
		!strings.Contains(d.Find(`[data-testid="lock-countdown"]`).Text(), "Lock expires in not more than") {
		t.Errorf("page load banner: %s", d.Find("main").Text())
	}
	resp := post(t, c, b.srv.URL+"/plans/"+id+"/assignments", "application/x-www-form-urlencoded", form)
	if resp.StatusCode != http.StatusConflict || doc(t, resp).Find(`[data-testid="lock-holder"]`).Text() != "CRM sync" {
		t.Errorf("form post on a held plan: %d", resp.StatusCode)
	}
	resp = post(t, c, b.srv.URL+"/plans/"+id+"/assignments", "application/x-www-form-urlencoded", form, "HX-Request", "true")
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("HX-Reswap") != "none" {
		t.Errorf("htmx submit on a held plan: %d, HX-Reswap %q", resp.StatusCode, resp.Header.Get("HX-Reswap"))
	}
	if p, _ := b.store.Plan(context.Background(), id); p.Counts.Assigned != 0 {
		t.Errorf("a refused submit assigned %d", p.Counts.Assigned)
	}
}

func TestPlanPage_YourOwnLockShowsAsYourWorkButStillRefusesASecondSubmit(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	id := b.createPlan(t, 3)
	ada, err := b.store.Authenticate(context.Background(), "ada@example.com", "correct horse battery", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	form := []byte(url.Values{"preview": {previewList(t, b, c, id, "a@example.com")}}.Encode())
	if _, err := b.store.AcquireLock(context.Background(), store.PlanLockName(id), ada.Actor(), "assign 2 licenses", time.Minute); err != nil {
		t.Fatal(err)
	}
	banner := doc(t, get(t, c, b.srv.URL+"/plans/"+id)).Find(`[data-testid="blocked-banner"]`)
	if h := banner.Find("h2").Text(); h != "Your change is still running" || !banner.HasClass("banner-yours") {
		t.Errorf("own lock: heading %q, class %q", h, banner.AttrOr("class", ""))
	}
	resp := post(t, c, b.srv.URL+"/plans/"+id+"/assignments", "application/x-www-form-urlencoded", form)
	if h := doc(t, resp).Find(`[data-testid="blocked-banner"] h2`).Text(); resp.StatusCode != http.StatusConflict || h != "Blocked by another process" {
		t.Errorf("a second submit of your own: %d %q, want 409 with the refusal banner", resp.StatusCode, h)
	}
}

func TestPlansPage_CreateValidatesAndEditMovesTerms(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	if d := doc(t, get(t, c, b.srv.URL+"/plans")); d.Find(`[data-testid="empty-state"]`).Length() != 1 {
		t.Error("no empty state without plans")
	}
	// Each problem shows at its field, which is marked invalid and keeps
	// what was typed; nothing is created.
	resp := post(t, c, b.srv.URL+"/plans", "application/x-www-form-urlencoded", []byte("name=Acme&seats=many&expires_at=soon"))
	d := doc(t, resp)
	seats := d.Find(`#create-plan-seats`)
	if resp.StatusCode != 422 || !strings.Contains(d.Find(`[data-field="seats"]`).Text(), "whole number") ||
		seats.AttrOr("aria-invalid", "") != "true" || seats.AttrOr("aria-describedby", "") != "create-plan-seats-error" ||
		seats.AttrOr("value", "") != "many" || d.Find(`#create-plan-name`).AttrOr("value", "") != "Acme" ||
		!strings.Contains(d.Find(`[data-field="expires_at"]`).Text(), "not a date") || d.Find(`#create-plan-name[aria-invalid]`).Length() != 0 {
		t.Errorf("bad seats and expiry: %d %s", resp.StatusCode, d.Find(`[data-testid="create-plan"]`).Text())
	}
	resp = post(t, c, b.srv.URL+"/plans", "application/x-www-form-urlencoded", []byte("name=+&seats=3&starts_at=2027-01-01&expires_at=2026-01-01"))
	if d := doc(t, resp); resp.StatusCode != 422 || d.Find(`[data-field="name"]`).Length() != 1 || d.Find(`[data-field="expires_at"]`).Length() != 1 {
		t.Errorf("the store's refusal by field: %d %s", resp.StatusCode, d.Find(`[data-testid="create-plan"]`).Text())
	}
	if n, _ := b.store.CountPlans(context.Background(), ""); n != 0 {
		t.Errorf("refused forms created %d plans", n)
	}
	resp = post(t, c, b.srv.URL+"/plans", "application/x-www-form-urlencoded", []byte("name=Acme&seats=4&starts_at=2026-01-01&expires_at=2027-01-01"))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/plans/") {
		t.Fatalf("create: %d %q", resp.StatusCode, loc)
	}
	id := strings.TrimPrefix(loc, "/plans/")
	before, _ := b.store.Plan(context.Background(), id)
	post(t, c, b.srv.URL+loc, "application/x-www-form-urlencoded", []byte("name=Acme&seats=6&starts_at=2026-01-01&expires_at=2027-01-01"))
	after, _ := b.store.Plan(context.Background(), id)
	if after.Seats != 6 || !after.TermsChangedAt.After(before.TermsChangedAt) {
		t.Errorf("edit: seats %d, terms %s → %s", after.Seats, before.TermsChangedAt, after.TermsChangedAt)
	}
}

// The licenses table sorts by its Email and Assigned headers: each link
// keeps the search and status filter, the sorted header says so in
// aria-sort, a second click turns the order round, and a cursor of another
// order is refused.
func TestPlanPage_LicensesSortByTheirHeadersKeepingTheFilter(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{Role: store.RoleAdmin, Jobs: true})
	c := b.signedInAdmin(t)
	id := b.createPlan(t, 5)
	status, job := b.call(t, "POST", "/api/v1/plans/"+id+"/assignments", "text/plain", strings.NewReader("bo@example.com\ncy@example.com\nal@example.com\n"))
	if status != http.StatusAccepted {
		t.Fatalf("assign: %d %v", status, job)
	}
	b.waitJob(t, job["status_url"].(string))
	rows := func(d *goquery.Document) string {
		var emails []string
		d.Find(`[data-testid="license-row"] td:nth-child(2)`).Each(func(_ int, s *goquery.Selection) { emails = append(emails, s.Text()) })
		return strings.Join(emails, " ")
	}
	header := func(d *goquery.Document, label string) (href, order string) {
		th := d.Find(`a[data-testid="sort-` + label + `"]`).Closest("th")
		href, _ = th.Find("a").Attr("href")
		order, _ = th.Attr("aria-sort")
		return href, order
	}
	page := doc(t, get(t, c, b.srv.URL+"/plans/"+id+"?status=assigned"))
	if got := rows(page); got != "bo@example.com cy@example.com al@example.com" {
		t.Errorf("in assignment order: %s", got)
	}
	if href, order := header(page, "Assigned"); order != "ascending" || href != "/plans/"+id+"?dir=desc&sort=assigned&status=assigned" {
		t.Errorf("Assigned header: %q, aria-sort %q", href, order)
	}
	href, order := header(page, "Email")
	if order != "" || href != "/plans/"+id+"?sort=email&status=assigned" {
		t.Fatalf("Email header: %q, aria-sort %q", href, order)
	}
	page = doc(t, get(t, c, b.srv.URL+href))
	if got := rows(page); got != "al@example.com bo@example.com cy@example.com" {
		t.Errorf("by email: %s", got)
	}
	if hidden, _ := page.Find(`form[role="search"] input[name="sort"]`).Attr("value"); hidden != "email" {
		t.Errorf("the filter form keeps the order as %q", hidden)
	}
	if csvURL, _ := page.Find(`[data-testid="licenses-csv"]`).Attr("href"); csvURL != "/plans/"+id+"/licenses.csv?dir=asc&sort=email&status=assigned" {
		t.Errorf("the export link of a sorted page is %q", csvURL)
	}
	href, order = header(page, "Email")
	if order != "ascending" {
		t.Errorf("Email header sorted A to Z says %q", order)
	}
	page = doc(t, get(t, c, b.srv.URL+href))
	if _, order := header(page, "Email"); order != "descending" || rows(page) != "cy@example.com bo@example.com al@example.com" {
		t.Errorf("by email, Z to A: %s (aria-sort %q)", rows(page), order)
	}
	if resp := get(t, c, b.srv.URL+"/plans/"+id+"?sort=email&after=assigned.1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a cursor of another order: %d", resp.StatusCode)
	}
}
